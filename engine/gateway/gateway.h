#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "gatewayconfig.h"
#include "route.h"

#include <QHash>
#include <QMutex>

#include <functional>
#include <memory>

namespace Gatehouse {

class MetricsRegistry;
class PluginState;
class ResourceSchemas;

// The one place requests are dispatched: match the route, run its plugin chain (global rules
// and the route's plugins, by priority), hand the request to the upstream handler for the
// route's upstream type, then let the plugins see the answer. A route (or global rule) whose
// plugins cannot all be applied is answered 503 "route misconfigured", never served without
// them. handle() may be called from any
// thread with an event loop (plugins may delay); the configuration is swapped atomically, so
// a request in flight finishes on the configuration it started with.
class Gateway final
{
public:
    // A handler sees the upstream of the matched route; the route's id is request.routeId.
    using UpstreamHandler = std::function<void(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond)>;

    explicit Gateway(MetricsRegistry *metrics = nullptr);
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Register before serving; not synchronised with handle().
    void setUpstreamHandler(const QString &type, UpstreamHandler handler);

    // The schemas resources are checked against (ResourceSchemas::defaults() until set).
    // Set before serving; not synchronised with apply().
    void setSchemas(std::shared_ptr<const ResourceSchemas> schemas);
    const ResourceSchemas &schemas() const { return *m_schemas; }

    // Builds a configuration from the resources and, when every resource in it can be
    // applied, makes it current; otherwise lists the problems and changes nothing.
    bool apply(const GatewayResources &resources, QStringList *errors);
    // Builds a configuration and makes it current even when some resources cannot be applied:
    // those fail closed (see GatewayConfig). Each problem is logged once, when it first
    // appears. For a stored configuration that must be served as well as it can be.
    std::shared_ptr<const GatewayConfig> applyFailClosed(const GatewayResources &resources);
    // A configuration built with this gateway's plugin state and schemas, not made current;
    // install() makes one current (problems fail closed, each logged when it first appears).
    std::shared_ptr<const GatewayConfig> build(const GatewayResources &resources) const;
    void install(std::shared_ptr<const GatewayConfig> config);
    std::shared_ptr<const GatewayConfig> config() const;
    std::shared_ptr<PluginState> pluginState() const { return m_state; }

    // Convenience for tests and tools: routes only, no plugins.
    bool setRoutes(const QList<Route> &routes, QStringList *errors = nullptr);

    // A request's `consumer` may be preset by a protocol whose connection was authenticated
    // earlier (a WebSocket upgrade); the route's auth plugins replace it when they run.
    void handle(ApiRequest request, ApiResponder respond) const;
    // As above; `handedOver` is called once, on this thread, right after the upstream handler
    // has returned, or when the request is answered without reaching it. For callers that must
    // keep the order in which their requests reach the upstream (MQTT sessions): a plugin may
    // delay a request, so handle() returning says nothing about where it is.
    void handle(ApiRequest request, ApiResponder respond, std::function<void()> handedOver) const;

private:
    struct Exchange;
    void runAccess(std::shared_ptr<Exchange> ex, size_t index) const;
    void callUpstream(std::shared_ptr<Exchange> ex) const;
    void reject(std::shared_ptr<Exchange> ex, const QString &plugin, ApiResponse response) const;   // a plugin answered
    void finish(std::shared_ptr<Exchange> ex, ApiResponse response) const;
    ApiResponse misconfigured(const GatewayConfig &config, const Route *route) const;

    QHash<QString, UpstreamHandler> m_handlers;
    MetricsRegistry *m_metrics;
    std::shared_ptr<PluginState> m_state;
    std::shared_ptr<const ResourceSchemas> m_schemas;
    mutable QMutex m_configMutex;
    std::shared_ptr<const GatewayConfig> m_config;
};

} // namespace Gatehouse
