#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"

#include <QJsonObject>
#include <QStringList>

#include <functional>
#include <memory>

namespace Gatehouse {

class ConsumerIndex;
class PluginState;
struct Route;

// What the plugin chain knows about one request while it runs.
struct RequestContext
{
    ApiRequest *request = nullptr;
    const Route *route = nullptr;
    QString consumer;                                         // set by an auth plugin
    QJsonObject consumerObject;                               // the whole consumer, for plugins keyed by it
    QList<std::pair<QByteArray, QByteArray>> responseHeaders; // added to whatever answer goes out
    qint64 startedMs = 0;                                     // steady clock
    QString requestId;
};

// A plugin's decision in the access phase.
struct PluginVerdict
{
    enum Kind { Continue, Respond, Delay };
    Kind kind = Continue;
    ApiResponse response;     // Respond; Delay with respondAfterDelay
    int delayMs = 0;          // Delay: continue the chain after this long (limit-req "delay")
    bool respondAfterDelay = false;   // Delay: then answer with `response` instead (fault-injection)

    static PluginVerdict proceed() { return {}; }
    static PluginVerdict respond(ApiResponse r) { PluginVerdict v; v.kind = Respond; v.response = std::move(r); return v; }
    static PluginVerdict delay(int ms) { PluginVerdict v; v.kind = Delay; v.delayMs = ms; return v; }
    static PluginVerdict delayThenRespond(int ms, ApiResponse r)
    {
        PluginVerdict v = delay(ms);
        v.respondAfterDelay = true;
        v.response = std::move(r);
        return v;
    }
};

// One configured plugin on one route (or global rule). Instances are immutable apart from
// the shared state they reach through PluginState, and are called from the network threads.
class Plugin
{
public:
    virtual ~Plugin() = default;
    virtual PluginVerdict access(RequestContext &ctx) = 0;
    // Sees the final answer (from the upstream or from a plugin that stopped the chain),
    // in reverse priority order. Runs exactly once per access() that returned Continue or a
    // Delay that goes on (not for one that answers after its delay, as not for Respond).
    virtual void response(RequestContext &ctx, ApiResponse &response) { Q_UNUSED(ctx) Q_UNUSED(response) }
};

// What a plugin may use when it is created.
struct PluginEnvironment
{
    std::shared_ptr<PluginState> state;                  // survives configuration changes
    std::shared_ptr<const ConsumerIndex> consumers;
    QString scope;                                       // "route/<id>" or "global/<id>": prefix for state keys
};

struct PluginDescriptor
{
    QString name;
    int priority = 0;            // higher runs first (APISIX's priorities)
    QString phase;               // "auth", "traffic", "transform", "observability"
    QJsonObject schema;          // JSON Schema of the plugin's config (served by /admin/plugins)
    QJsonObject consumerSchema;  // for auth plugins: what a consumer carries
    // For auth plugins: what the schema cannot say about a consumer's credential (a key that
    // cannot verify anything); errors relative to the consumer's plugin config ("/secret: ...").
    std::function<QStringList(const QJsonObject &consumerConfig)> checkConsumer;
    std::function<std::shared_ptr<Plugin>(const QJsonObject &config, const PluginEnvironment &env, QStringList *errors)> create;
};

} // namespace Gatehouse
