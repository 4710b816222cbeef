#include "gatewayconfig.h"

#include "consumerindex.h"
#include "httpupstreamspec.h"
#include "pluginregistry.h"
#include "pluginstate.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include "config/jsonschema.h"

#include <algorithm>

namespace Gatehouse {

namespace {
const GatewayConfig::Chain kEmptyChain;

QString configDigest(const QJsonValue &config)
{
    const QByteArray bytes = QJsonDocument(QJsonArray{config}).toJson(QJsonDocument::Compact);
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha1).toHex().left(12));
}

bool makeChain(const QJsonObject &plugins, const QString &scope, const std::shared_ptr<PluginState> &state,
               const std::shared_ptr<const ConsumerIndex> &consumers, const QString &pointer, GatewayConfig::Chain *chain,
               QStringList *errors)
{
    const auto before = errors->size();
    for (auto it = plugins.begin(); it != plugins.end(); ++it) {
        const PluginDescriptor *desc = PluginRegistry::find(it.key());
        if (!desc)
            continue;   // reported by validate()
        PluginEnvironment env{state, consumers, scope + QLatin1Char('/') + it.key() + QLatin1Char('/') + configDigest(it.value())};
        QStringList pluginErrors;
        auto plugin = desc->create(it.value().toObject(), env, &pluginErrors);
        for (const QString &e : pluginErrors)
            errors->append(pointer + QLatin1Char('/') + it.key() + QStringLiteral(": ") + e);
        if (plugin)
            chain->push_back({it.key(), desc->priority, std::move(plugin)});
    }
    return errors->size() == before;
}

void sortChain(GatewayConfig::Chain &chain)
{
    std::stable_sort(chain.begin(), chain.end(), [](const auto &a, const auto &b) { return a.priority > b.priority; });
}
} // namespace

void GatewayConfig::validateUpstream(const QJsonObject &upstream, const QString &pointer, QStringList *errors)
{
    static const QStringList types{QStringLiteral("command"), QStringLiteral("query"), QStringLiteral("events"),
                                   QStringLiteral("function"), QStringLiteral("http"),
                                   QStringLiteral("websocket"), QStringLiteral("sse")};
    const QString type = upstream.value(QStringLiteral("type")).toString();
    if (!types.contains(type)) {
        errors->append(pointer + QStringLiteral("/type: must be one of ") + types.join(QStringLiteral(", ")));
        return;
    }
    if ((type == QLatin1String("command") || type == QLatin1String("query"))
        && upstream.value(QStringLiteral("collection")).toString().isEmpty())
        errors->append(pointer + QStringLiteral("/collection: is required for a ") + type + QStringLiteral(" upstream"));
    if (type == QLatin1String("function") && upstream.value(QStringLiteral("function")).toString().isEmpty())
        errors->append(pointer + QStringLiteral("/function: is required for a function upstream"));
    if (type == QLatin1String("http"))
        HttpUpstreamSpec::fromJson(upstream, errors, pointer);   // nodes, timeouts, retries, checks
}

void GatewayConfig::validateRoute(const QJsonObject &route, QStringList *errors)
{
    Route::fromJson(route, errors);
    if (route.contains(QStringLiteral("upstream")) && route.contains(QStringLiteral("upstream_id")))
        errors->append(QStringLiteral("/upstream: give either upstream or upstream_id, not both"));
    else if (route.contains(QStringLiteral("upstream")))
        validateUpstream(route.value(QStringLiteral("upstream")).toObject(), QStringLiteral("/upstream"), errors);
    else if (route.contains(QStringLiteral("upstream_id")) && !route.value(QStringLiteral("upstream_id")).isString())
        errors->append(QStringLiteral("/upstream_id: must be a string"));
    PluginRegistry::validate(route.value(QStringLiteral("plugins")).toObject(), QStringLiteral("/plugins"), errors);
}

void GatewayConfig::validateConsumer(const QJsonObject &consumer, QStringList *errors)
{
    static const QRegularExpression name(QStringLiteral("^[A-Za-z0-9_.-]{1,100}$"));
    if (!name.match(consumer.value(QStringLiteral("username")).toString()).hasMatch())
        errors->append(QStringLiteral("/username: is required: 1-100 of A-Z a-z 0-9 _ . -"));
    const QJsonObject plugins = consumer.value(QStringLiteral("plugins")).toObject();
    for (auto it = plugins.begin(); it != plugins.end(); ++it) {
        const PluginDescriptor *desc = PluginRegistry::find(it.key());
        if (!desc || desc->consumerSchema.isEmpty()) {
            errors->append(QStringLiteral("/plugins/") + it.key() + QStringLiteral(": not a credential plugin (key-auth, basic-auth, jwt-auth)"));
            continue;
        }
        QStringList schemaErrors;
        const JsonSchema schema = JsonSchema::compile(desc->consumerSchema, &schemaErrors);
        for (const SchemaViolation &v : schema.validate(it.value()))
            errors->append(QStringLiteral("/plugins/") + it.key() + v.path + QStringLiteral(": ") + v.message);
    }
}

void GatewayConfig::validateGlobalRule(const QJsonObject &rule, QStringList *errors)
{
    if (!rule.value(QStringLiteral("plugins")).isObject())
        errors->append(QStringLiteral("/plugins: is required"));
    PluginRegistry::validate(rule.value(QStringLiteral("plugins")).toObject(), QStringLiteral("/plugins"), errors);
}

const GatewayConfig::Chain &GatewayConfig::chain(const Route *route) const
{
    const auto it = m_chains.constFind(route);
    return it == m_chains.cend() ? kEmptyChain : *it;
}

std::shared_ptr<const GatewayConfig> GatewayConfig::build(const GatewayResources &resources,
                                                          const std::shared_ptr<PluginState> &state, QStringList *errors)
{
    auto config = std::shared_ptr<GatewayConfig>(new GatewayConfig);
    config->m_resources = resources;
    const auto before = errors->size();

    QHash<QString, QJsonObject> upstreams;
    for (qsizetype i = 0; i < resources.upstreams.size(); ++i) {
        const QJsonObject u = resources.upstreams.at(i).toObject();
        validateUpstream(u, QStringLiteral("/upstreams/%1").arg(i), errors);
        upstreams.insert(u.value(QStringLiteral("id")).toString(), u);
    }
    QSet<QString> usernames;
    for (qsizetype i = 0; i < resources.consumers.size(); ++i) {
        const QJsonObject c = resources.consumers.at(i).toObject();
        QStringList consumerErrors;
        validateConsumer(c, &consumerErrors);
        const QString username = c.value(QStringLiteral("username")).toString();
        if (usernames.contains(username))
            consumerErrors.append(QStringLiteral("/username: '%1' is used twice").arg(username));
        usernames.insert(username);
        for (const QString &e : consumerErrors)
            errors->append(QStringLiteral("/consumers/%1").arg(i) + e);
    }
    config->m_consumers = std::make_shared<const ConsumerIndex>(resources.consumers);

    QList<Route> routes;
    QSet<QString> ids;
    for (qsizetype i = 0; i < resources.routes.size(); ++i) {
        QJsonObject json = resources.routes.at(i).toObject();
        const QString prefix = QStringLiteral("/routes/%1").arg(i);
        if (json.contains(QStringLiteral("upstream_id"))) {
            const QString uid = json.value(QStringLiteral("upstream_id")).toString();
            if (!upstreams.contains(uid)) {
                errors->append(prefix + QStringLiteral("/upstream_id: no upstream '%1'").arg(uid));
                continue;
            }
            json.insert(QStringLiteral("upstream"), upstreams.value(uid));
            json.remove(QStringLiteral("upstream_id"));
        }
        QStringList routeErrors;
        validateRoute(json, &routeErrors);
        Route route = Route::fromJson(json, nullptr);
        if (route.id.isEmpty())
            routeErrors.append(QStringLiteral("/id: is required"));
        if (ids.contains(route.id))
            routeErrors.append(QStringLiteral("/id: '%1' is used twice").arg(route.id));
        ids.insert(route.id);
        for (const QString &e : routeErrors)
            errors->append(prefix + e);
        routes.append(route);
    }
    for (qsizetype i = 0; i < resources.globalRules.size(); ++i) {
        QStringList ruleErrors;
        const QJsonObject rule = resources.globalRules.at(i).toObject();
        validateGlobalRule(rule, &ruleErrors);
        for (const QString &e : ruleErrors)
            errors->append(QStringLiteral("/global_rules/%1").arg(i) + e);
        makeChain(rule.value(QStringLiteral("plugins")).toObject(), QStringLiteral("global/") + rule.value(QStringLiteral("id")).toString(),
                  state, config->m_consumers, QStringLiteral("/global_rules/%1/plugins").arg(i), &config->m_global, errors);
    }
    if (errors->size() != before)
        return nullptr;

    config->m_table = std::make_unique<RouteTable>(routes);
    const QList<Route> &stored = config->m_table->routes();
    for (qsizetype i = 0; i < stored.size(); ++i) {
        Chain chain = config->m_global;
        makeChain(stored.at(i).plugins, QStringLiteral("route/") + stored.at(i).id, state, config->m_consumers,
                  QStringLiteral("/routes/%1/plugins").arg(i), &chain, errors);
        sortChain(chain);
        config->m_chains.insert(&stored.at(i), std::move(chain));
    }
    sortChain(config->m_global);
    if (errors->size() != before)
        return nullptr;
    return config;
}

} // namespace Gatehouse
