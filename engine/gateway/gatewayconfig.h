#pragma once

#include "plugin.h"
#include "route.h"
#include "routetable.h"

#include <QHash>
#include <QJsonArray>

#include <memory>
#include <vector>

namespace Gatehouse {

class ConsumerIndex;
class PluginState;

// The gateway's configuration as stored and edited (APISIX's resource kinds).
struct GatewayResources
{
    QJsonArray routes;
    QJsonArray upstreams;
    QJsonArray consumers;
    QJsonArray globalRules;
    qint64 version = 0;
};

// One immutable, compiled configuration version: the route trie, every route's plugin chain
// (global rules first by priority, then the route's own), consumers indexed for the auth
// plugins and named upstreams resolved into the routes. Shared read-only between threads; a
// change builds a new one and swaps it in atomically.
class GatewayConfig final
{
public:
    struct PluginSlot
    {
        QString name;
        int priority = 0;
        std::shared_ptr<Plugin> plugin;
    };
    using Chain = std::vector<PluginSlot>;

    // Builds and validates; on errors returns null and lists them ("<pointer>: <message>").
    static std::shared_ptr<const GatewayConfig> build(const GatewayResources &resources,
                                                      const std::shared_ptr<PluginState> &state, QStringList *errors);

    const RouteTable &routeTable() const { return *m_table; }
    const Chain &chain(const Route *route) const;
    const Chain &globalChain() const { return m_global; }
    std::shared_ptr<const ConsumerIndex> consumers() const { return m_consumers; }
    const GatewayResources &resources() const { return m_resources; }
    qint64 version() const { return m_resources.version; }

    // Validation of single resources, as the admin API needs them.
    static void validateRoute(const QJsonObject &route, QStringList *errors);
    static void validateUpstream(const QJsonObject &upstream, const QString &pointer, QStringList *errors);
    static void validateConsumer(const QJsonObject &consumer, QStringList *errors);
    static void validateGlobalRule(const QJsonObject &rule, QStringList *errors);

private:
    GatewayResources m_resources;
    std::unique_ptr<RouteTable> m_table;
    QHash<const Route *, Chain> m_chains;
    Chain m_global;
    std::shared_ptr<const ConsumerIndex> m_consumers;
};

} // namespace Gatehouse
