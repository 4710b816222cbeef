#include "routeplugincatalog.h"

#include "engineclient.h"

#include <QJsonArray>

namespace Gatehouse::Ui {

RoutePluginCatalog::RoutePluginCatalog(EngineClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
}

RoutePluginCatalog::~RoutePluginCatalog() = default;

void RoutePluginCatalog::loadNames()
{
    m_client->adminGet(QByteArrayLiteral("/admin/plugins"), this, [this](const ClientReply &reply) {
        if (!reply.isSuccess())
            return;
        m_names.clear();
        m_credentialNames.clear();
        for (const QJsonValue &v : reply.object().value(QStringLiteral("items")).toArray()) {
            const QJsonObject plugin = v.toObject();
            const QString name = plugin.value(QStringLiteral("name")).toString();
            m_names.append(name);
            if (plugin.contains(QStringLiteral("consumer_schema")))
                m_credentialNames.append(name);
        }
        m_names.sort();
        m_credentialNames.sort();
        Q_EMIT changed();
    });
}

RoutePluginCatalog::Lookup RoutePluginCatalog::lookup(const QString &name)
{
    if (m_entries.contains(name))
        return Lookup::Known;
    if (m_unknown.contains(name))
        return Lookup::Unknown;
    if (m_failed.contains(name))
        return Lookup::Unavailable;
    if (m_pending.contains(name))
        return Lookup::Pending;
    m_pending.insert(name);
    m_client->adminGet("/admin/plugins/" + EngineClient::encode(name), this, [this, name](const ClientReply &reply) {
        m_pending.remove(name);
        if (reply.status == 404) {
            m_unknown.insert(name);
        } else if (!reply.isSuccess()) {
            m_failed.insert(name, reply.errorText());
        } else {
            const QJsonObject plugin = reply.object();
            Entry entry;
            QStringList errors;   // the engine compiled these schemas already; nothing to report
            entry.raw = plugin.value(QStringLiteral("schema")).toObject();
            entry.schema = JsonSchema::compile(entry.raw, &errors);
            entry.hasConsumerSchema = plugin.contains(QStringLiteral("consumer_schema"));
            if (entry.hasConsumerSchema) {
                entry.rawConsumer = plugin.value(QStringLiteral("consumer_schema")).toObject();
                entry.consumerSchema = JsonSchema::compile(entry.rawConsumer, &errors);
            }
            m_entries.insert(name, entry);
        }
        Q_EMIT changed();
    });
    return Lookup::Pending;
}

const JsonSchema &RoutePluginCatalog::schema(const QString &name) const
{
    static const JsonSchema anything;
    const auto it = m_entries.constFind(name);
    return it == m_entries.cend() ? anything : it->schema;
}

const JsonSchema *RoutePluginCatalog::consumerSchema(const QString &name) const
{
    const auto it = m_entries.constFind(name);
    return it == m_entries.cend() || !it->hasConsumerSchema ? nullptr : &it->consumerSchema;
}

} // namespace Gatehouse::Ui
