#pragma once

#include "config/jsonschema.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QStringList>

namespace Gatehouse::Ui {

class EngineClient;

// The gateway's plugins as the editors need them: the names (GET /admin/plugins, for "add
// plugin" menus) and each plugin's config schema and consumer credential schema, fetched
// once per plugin from GET /admin/plugins/{name} and compiled with the engine's own
// JsonSchema, so a config is checked in the editor exactly as the admin API will check it.
// Lives on the GUI thread; shared by the route and consumer editors of one page.
class RoutePluginCatalog final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoutePluginCatalog)

public:
    enum class Lookup { Pending, Known, Unknown, Unavailable };

    explicit RoutePluginCatalog(EngineClient *client, QObject *parent = nullptr);
    ~RoutePluginCatalog() override;

    void loadNames();
    QStringList names() const { return m_names; }
    QStringList credentialNames() const { return m_credentialNames; }

    // Where `name`'s schema stands; asks the engine for it on first use (Pending until then,
    // and changed() is emitted when the answer arrives).
    Lookup lookup(const QString &name);
    // Only meaningful once lookup() said Known. An empty consumer schema: not a credential plugin.
    const JsonSchema &schema(const QString &name) const;
    const JsonSchema *consumerSchema(const QString &name) const;
    // The schemas as the engine wrote them, for forms (descriptions, defaults, enums).
    QJsonObject rawSchema(const QString &name) const { return m_entries.value(name).raw; }
    QJsonObject rawConsumerSchema(const QString &name) const { return m_entries.value(name).rawConsumer; }
    QString unavailableReason(const QString &name) const { return m_failed.value(name); }

Q_SIGNALS:
    void changed();

private:
    struct Entry
    {
        JsonSchema schema;
        JsonSchema consumerSchema;
        bool hasConsumerSchema = false;
        QJsonObject raw;
        QJsonObject rawConsumer;
    };

    EngineClient *m_client;
    QStringList m_names;
    QStringList m_credentialNames;
    QHash<QString, Entry> m_entries;
    QSet<QString> m_pending;
    QSet<QString> m_unknown;
    QHash<QString, QString> m_failed;
};

} // namespace Gatehouse::Ui
