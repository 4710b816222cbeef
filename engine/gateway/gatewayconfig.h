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
class ResourceSchemas;

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
//
// Building never fails; it fails closed. Every resource is checked against its schema
// (ResourceSchemas) and then for what a schema cannot say (regular expressions, a plugin's
// own rules, references, duplicate ids and credentials), and what cannot be applied is
// listed in problems() and kept out of service: a route with problems stays in the route
// table, matched at least as widely as it was meant to be, and its requests are answered
// 503 (they never reach its upstream without its plugins, nor a lower-priority route); a
// global rule with problems makes every request 503; a consumer with problems is left out
// of the consumer index (its credentials log nobody in); an upstream with problems breaks
// the routes that name it.
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

    // `previous` (optional, built with the same schemas) saves checking again what has not
    // changed since: a resource equal to its previous version keeps its schema verdict.
    static std::shared_ptr<const GatewayConfig> build(const GatewayResources &resources,
                                                      const std::shared_ptr<PluginState> &state,
                                                      const ResourceSchemas &schemas,
                                                      const GatewayConfig *previous = nullptr);

    const RouteTable &routeTable() const { return *m_table; }
    const Chain &chain(const Route *route) const;
    const Chain &globalChain() const { return m_global; }
    std::shared_ptr<const ConsumerIndex> consumers() const { return m_consumers; }
    const GatewayResources &resources() const { return m_resources; }
    qint64 version() const { return m_resources.version; }

    // Why one resource is not applied, as "<pointer into the resource>: <message>"; empty when
    // it is. `kind` is routes, upstreams, consumers or global_rules; `id` its id (username).
    QStringList problems(const QString &kind, const QString &id) const;
    // Every problem as "/<kind>/<index><pointer>: <message>", pointers into the configuration
    // as a document (the form PUT /admin/config answers with).
    QStringList allProblems() const;
    bool hasProblems() const { return !m_problems.isEmpty(); }
    // Ids of the global rules that cannot be applied; while there is one nothing is served.
    const QStringList &brokenGlobalRules() const { return m_brokenGlobalRules; }

private:
    struct Problems
    {
        QString kind;
        QString id;
        qsizetype index = 0;
        QStringList errors;
    };
    class Builder;

    GatewayResources m_resources;
    std::unique_ptr<RouteTable> m_table;
    QHash<const Route *, Chain> m_chains;
    Chain m_global;
    std::shared_ptr<const ConsumerIndex> m_consumers;
    QList<Problems> m_problems;
    QHash<QString, qsizetype> m_problemIndex;   // "<kind>\n<id>" -> m_problems
    QStringList m_brokenGlobalRules;
    struct Checked
    {
        QJsonValue value;
        QStringList errors;
    };
    QHash<QString, Checked> m_checked;   // "<kind>\n<id>": the schema verdict on that value
    const ResourceSchemas *m_schemas = nullptr;   // what the verdicts were reached with
};

} // namespace Gatehouse
