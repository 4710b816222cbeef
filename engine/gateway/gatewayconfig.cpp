#include "gatewayconfig.h"

#include "consumerindex.h"
#include "pluginregistry.h"
#include "pluginstate.h"
#include "resourceschemas.h"
#include "upstreams/http/httpupstreamspec.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace Gatehouse {

namespace {
const GatewayConfig::Chain kEmptyChain;

QString configDigest(const QJsonValue &config)
{
    const QByteArray bytes = QJsonDocument(QJsonArray{config}).toJson(QJsonDocument::Compact);
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha1).toHex().left(12));
}

void sortChain(GatewayConfig::Chain &chain)
{
    std::stable_sort(chain.begin(), chain.end(), [](const auto &a, const auto &b) { return a.priority > b.priority; });
}

// What a schema cannot check about an upstream: the http upstream's own rules.
void checkUpstream(const QJsonObject &upstream, const QString &pointer, QStringList *errors)
{
    if (upstream.value(QStringLiteral("type")).toString() == QLatin1String("http"))
        HttpUpstreamSpec::fromJson(upstream, errors, pointer);
}

// A plugin's own check says "/field: message" (a pointer below the plugin) or just "message".
QString below(const QString &pointer, const QString &error)
{
    if (error.startsWith(QLatin1Char('/')))
        return pointer + error;
    return pointer + QStringLiteral(": ") + error;
}
} // namespace

// One build: the problems found so far and the objects being made.
class GatewayConfig::Builder
{
public:
    Builder(GatewayConfig *config, const std::shared_ptr<PluginState> &state, const ResourceSchemas &schemas,
            const GatewayConfig *previous)
        : m_config(config), m_state(state), m_schemas(schemas), m_previous(previous) {}

    // Schema check and a unique id; answers the resource as an object (empty for a non-object).
    QJsonObject read(const QString &kind, qsizetype index, QStringList *errors)
    {
        const QJsonArray &items = kind == QLatin1String("routes") ? m_config->m_resources.routes
            : kind == QLatin1String("upstreams")                    ? m_config->m_resources.upstreams
            : kind == QLatin1String("consumers")                    ? m_config->m_resources.consumers
                                                                    : m_config->m_resources.globalRules;
        const QJsonValue value = items.at(index);
        const QJsonObject object = value.toObject();
        const QString key = kind == QLatin1String("consumers") ? QStringLiteral("username") : QStringLiteral("id");
        const QString id = object.value(key).toString();
        // Comparing with the previous version is much cheaper than checking it again.
        const QString checkedKey = kind + QLatin1Char('\n') + id;
        const Checked *before = nullptr;
        if (m_previous && m_previous->m_schemas == &m_schemas) {
            const auto it = m_previous->m_checked.constFind(checkedKey);
            before = it == m_previous->m_checked.cend() ? nullptr : &*it;
        }
        if (before && before->value == value) {
            errors->append(before->errors);
            m_config->m_checked.insert(checkedKey, *before);
        } else {
            const QStringList schemaErrors = m_schemas.validate(kind, value);
            errors->append(schemaErrors);
            m_config->m_checked.insert(checkedKey, {value, schemaErrors});
        }
        QSet<QString> &seen = m_ids[kind];
        if (!id.isEmpty() && seen.contains(id))
            errors->append(QStringLiteral("/%1: '%2' is used twice").arg(key, id));
        seen.insert(id);
        return object;
    }

    void record(const QString &kind, const QString &id, qsizetype index, const QStringList &errors)
    {
        if (errors.isEmpty())
            return;
        const QString key = kind + QLatin1Char('\n') + id;
        if (!m_config->m_problemIndex.contains(key))
            m_config->m_problemIndex.insert(key, m_config->m_problems.size());
        m_config->m_problems.append({kind, id, index, errors});
    }

    // Creates the plugins of one route or global rule; their own checks land in `errors`.
    void makeChain(const QJsonObject &plugins, const QString &scope, Chain *chain, QStringList *errors)
    {
        for (auto it = plugins.begin(); it != plugins.end(); ++it) {
            const PluginDescriptor *desc = PluginRegistry::find(it.key());
            if (!desc)
                continue;   // the schema reported it
            PluginEnvironment env{m_state, m_config->m_consumers,
                                  scope + QLatin1Char('/') + it.key() + QLatin1Char('/') + configDigest(it.value())};
            QStringList pluginErrors;
            auto plugin = desc->create(it.value().toObject(), env, &pluginErrors);
            for (const QString &e : std::as_const(pluginErrors))
                errors->append(below(QStringLiteral("/plugins/") + it.key(), e));
            if (plugin && pluginErrors.isEmpty())
                chain->push_back({it.key(), desc->priority, std::move(plugin)});
            else if (pluginErrors.isEmpty())
                errors->append(QStringLiteral("/plugins/") + it.key() + QStringLiteral(": cannot be created"));
        }
    }

    void upstreams();
    void consumers();
    void globalRules();
    void routes();

private:
    GatewayConfig *m_config;
    std::shared_ptr<PluginState> m_state;
    const ResourceSchemas &m_schemas;
    const GatewayConfig *m_previous;
    QHash<QString, QSet<QString>> m_ids;
    QHash<QString, QJsonObject> m_upstreams;   // by id, the usable ones
    QSet<QString> m_brokenUpstreams;
};

void GatewayConfig::Builder::upstreams()
{
    const QJsonArray &items = m_config->m_resources.upstreams;
    for (qsizetype i = 0; i < items.size(); ++i) {
        QStringList errors;
        const QJsonObject u = read(QStringLiteral("upstreams"), i, &errors);
        if (errors.isEmpty())
            checkUpstream(u, QString(), &errors);
        const QString id = u.value(QStringLiteral("id")).toString();
        record(QStringLiteral("upstreams"), id, i, errors);
        if (errors.isEmpty())
            m_upstreams.insert(id, u);
        else
            m_brokenUpstreams.insert(id);
    }
}

void GatewayConfig::Builder::consumers()
{
    // One credential must name one consumer, or who logged in would depend on the order.
    struct Credential
    {
        const char *plugin;
        const char *member;
    };
    static constexpr Credential kCredentials[] = {{"key-auth", "key"}, {"basic-auth", "username"}, {"jwt-auth", "key"}};
    QHash<QString, QString> owners;   // "<plugin>\n<value>" -> username
    QJsonArray usable;
    const QJsonArray &items = m_config->m_resources.consumers;
    for (qsizetype i = 0; i < items.size(); ++i) {
        QStringList errors;
        const QJsonObject c = read(QStringLiteral("consumers"), i, &errors);
        const QString username = c.value(QStringLiteral("username")).toString();
        const QJsonObject plugins = c.value(QStringLiteral("plugins")).toObject();
        if (errors.isEmpty()) {
            for (auto it = plugins.begin(); it != plugins.end(); ++it) {
                const PluginDescriptor *desc = PluginRegistry::find(it.key());
                if (desc && desc->checkConsumer) {
                    for (const QString &e : desc->checkConsumer(it.value().toObject()))
                        errors.append(below(QStringLiteral("/plugins/") + it.key(), e));
                }
            }
        }
        for (const Credential &cred : kCredentials) {
            const QString value = plugins.value(QLatin1String(cred.plugin)).toObject().value(QLatin1String(cred.member)).toString();
            if (value.isEmpty())
                continue;
            const QString key = QLatin1String(cred.plugin) + QLatin1Char('\n') + value;
            if (const auto owner = owners.constFind(key); owner != owners.cend())
                errors.append(QStringLiteral("/plugins/%1/%2: is already the credential of consumer '%3'")
                                  .arg(QLatin1String(cred.plugin), QLatin1String(cred.member), *owner));
            else if (errors.isEmpty())
                owners.insert(key, username);
        }
        record(QStringLiteral("consumers"), username, i, errors);
        if (errors.isEmpty())
            usable.append(c);
    }
    m_config->m_consumers = std::make_shared<const ConsumerIndex>(usable);
}

void GatewayConfig::Builder::globalRules()
{
    const QJsonArray &items = m_config->m_resources.globalRules;
    for (qsizetype i = 0; i < items.size(); ++i) {
        QStringList errors;
        const QJsonObject rule = read(QStringLiteral("global_rules"), i, &errors);
        const QString id = rule.value(QStringLiteral("id")).toString();
        Chain chain;
        if (errors.isEmpty())
            makeChain(rule.value(QStringLiteral("plugins")).toObject(), QStringLiteral("global/") + id, &chain, &errors);
        record(QStringLiteral("global_rules"), id, i, errors);
        if (!errors.isEmpty()) {
            m_config->m_brokenGlobalRules.append(id);
            continue;
        }
        for (PluginSlot &slot : chain)
            m_config->m_global.push_back(std::move(slot));
    }
    sortChain(m_config->m_global);
}

void GatewayConfig::Builder::routes()
{
    QList<Route> routes;
    std::vector<Chain> chains;
    const QJsonArray &items = m_config->m_resources.routes;
    for (qsizetype i = 0; i < items.size(); ++i) {
        QStringList errors;
        QJsonObject json = read(QStringLiteral("routes"), i, &errors);
        const bool shapeOk = errors.isEmpty();
        const QJsonValue upstreamId = json.value(QStringLiteral("upstream_id"));
        if (upstreamId.isString() && !json.contains(QStringLiteral("upstream"))) {
            const QString uid = upstreamId.toString();
            if (m_brokenUpstreams.contains(uid)) {
                errors.append(QStringLiteral("/upstream_id: upstream '%1' cannot be applied (its problems are listed in GET /admin/upstreams/%1)").arg(uid));
            } else if (!m_upstreams.contains(uid)) {
                errors.append(QStringLiteral("/upstream_id: no upstream '%1'").arg(uid));
            } else {
                json.insert(QStringLiteral("upstream"), m_upstreams.value(uid));
                json.remove(QStringLiteral("upstream_id"));
            }
        } else if (shapeOk) {
            checkUpstream(json.value(QStringLiteral("upstream")).toObject(), QStringLiteral("/upstream"), &errors);
        }
        QStringList routeErrors;
        Route route = Route::fromJson(json, &routeErrors);
        if (shapeOk)
            errors.append(routeErrors);   // otherwise the schema said it already
        Chain chain = m_config->m_global;
        if (errors.isEmpty()) {
            makeChain(route.plugins, QStringLiteral("route/") + route.id, &chain, &errors);
            sortChain(chain);
        }
        record(QStringLiteral("routes"), route.id, i, errors);
        route.problems = errors;
        routes.append(std::move(route));
        chains.push_back(errors.isEmpty() ? std::move(chain) : Chain());
    }
    m_config->m_table = std::make_unique<RouteTable>(routes);
    const QList<Route> &stored = m_config->m_table->routes();
    for (qsizetype i = 0; i < stored.size(); ++i)
        m_config->m_chains.insert(&stored.at(i), std::move(chains[size_t(i)]));
}

std::shared_ptr<const GatewayConfig> GatewayConfig::build(const GatewayResources &resources,
                                                          const std::shared_ptr<PluginState> &state, const ResourceSchemas &schemas,
                                                          const GatewayConfig *previous)
{
    auto config = std::shared_ptr<GatewayConfig>(new GatewayConfig);
    config->m_resources = resources;
    config->m_schemas = &schemas;
    Builder builder(config.get(), state, schemas, previous);
    // Consumers before plugins (auth plugins look them up), upstreams before the routes that
    // name them, global rules before the routes whose chains start with them.
    builder.upstreams();
    builder.consumers();
    builder.globalRules();
    builder.routes();
    return config;
}

const GatewayConfig::Chain &GatewayConfig::chain(const Route *route) const
{
    const auto it = m_chains.constFind(route);
    return it == m_chains.cend() ? kEmptyChain : *it;
}

QStringList GatewayConfig::problems(const QString &kind, const QString &id) const
{
    // An id listed twice (only a configuration document can) answers for its first entry with problems.
    const auto it = m_problemIndex.constFind(kind + QLatin1Char('\n') + id);
    return it == m_problemIndex.cend() ? QStringList() : m_problems.at(*it).errors;
}

QStringList GatewayConfig::allProblems() const
{
    QStringList out;
    for (const Problems &p : m_problems) {
        const QString prefix = QStringLiteral("/%1/%2").arg(p.kind).arg(p.index);
        for (const QString &e : p.errors)
            out.append(prefix + e);
    }
    return out;
}

} // namespace Gatehouse
