#pragma once

#include "config/projectconfig.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QStringList>

#include <functional>
#include <optional>

namespace Gatehouse {

class CollectionCatalog;
class ConfigStore;
class ResourceService;

// The collections the engine serves, changed while it runs: declared, changed and deleted
// through the admin API, stored in config.db (kind "collections", one configuration version
// per change, so several engines on one database apply it too) and applied at once -- the
// catalog that commands and queries read, the read model's table and indexes, and the
// collection's default routes -- without a restart.
//
// A collection's stored form is the project file's ({"schema", "id_pattern", "commands"}) plus
// "indexes" (fields indexed besides the schema's `"index": true` properties). The project file
// seeds its collections: each is stored the first time the engine sees it, and again whenever
// the file's own definition changes; otherwise what was changed through the admin API stays.
//
// Thread-safe; changes are serialised.
class CollectionService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CollectionService)

public:
    struct Result
    {
        int status = 200;      // 200, 201, 204, 400, 404, 409, 503, 507
        QJsonObject resource;
        QStringList errors;    // for 400: "<pointer>: <message>"
        QString detail;
    };
    // Creates the read model's table and indexes of a collection (true when ready).
    using TableHook = std::function<bool(const Collection &collection, QString *error)>;
    // Documents the read model holds for a collection, deleted ones included (-1: unknown).
    using UsageHook = std::function<qint64(const QString &collection)>;
    // Drops the (empty) table of a collection deleted without archiving.
    using DropHook = std::function<bool(const QString &collection)>;
    // Loads a custom command's inline decide code as it would run (false with the reason, e.g.
    // "line 1: SyntaxError: ..."), so code that cannot run is refused when it is written.
    using CodeHook = std::function<bool(const QString &collection, const QString &command, const QJsonObject &spec, QString *error)>;

    static constexpr const char *kKind = "collections";
    static constexpr int kMaxCollections = 256;

    CollectionService(ConfigStore *store, CollectionCatalog *catalog, ResourceService *resources, QObject *parent = nullptr);
    ~CollectionService() override;

    void setTableHook(TableHook hook) { m_tables = std::move(hook); }
    void setUsageHook(UsageHook hook) { m_usage = std::move(hook); }
    void setDropHook(DropHook hook) { m_drop = std::move(hook); }
    void setCodeHook(CodeHook hook) { m_code = std::move(hook); }
    // Where default routes of new collections are created (and removed with them); none
    // until the gateway's resources are loaded.
    void setResources(ResourceService *resources)
    {
        QMutexLocker lock(&m_mutex);
        m_resources = resources;
    }

    // Seeds the project's collections (see above), then applies what is stored. The project's
    // other members (name, routes, functions) stay as given.
    bool load(const ProjectConfig &project, QString *error);

    QJsonArray list() const;
    std::optional<QJsonObject> get(const QString &name) const;
    // PUT: creates (201) or replaces (200). "routes": false in the body leaves the default
    // routes out when creating; they are ordinary routes afterwards either way.
    Result put(const QString &name, QJsonObject body);
    Result patch(const QString &name, const QJsonObject &mergePatch);
    // 409 while the read model holds documents of it (events were written), unless `archive`:
    // then the declaration and its default routes go, the events and documents stay.
    Result remove(const QString &name, bool archive);
    // Several engines on one database: applies what another engine stored (true if it did).
    bool reloadIfChanged();
    // A function wrote into `name`: unless it is declared, or was once (an operator may have
    // deleted it since), it is declared without a schema and with its read routes only (GET
    // list and by id; its documents are the function's, not commands'), so the query API
    // serves it at once. Thread-safe; called from the function runners' threads.
    void declareWritten(const QString &name);

    // Validates a stored or given collection body; errors as "<pointer>: <message>".
    static std::optional<Collection> parse(const QString &name, const QJsonObject &body, QStringList *errors);

Q_SIGNALS:
    void changed(const QString &name);

private:
    enum class Routes { None, All, ReadOnly };
    Result write(const QString &name, const std::optional<QJsonObject> &body, Routes routes, bool dropTable = false);
    bool applyStoredLocked(QString *error);   // m_mutex held
    QStringList checkCode(const QString &name, const QJsonObject &body) const;

    ConfigStore *m_store;
    CollectionCatalog *m_catalog;
    ResourceService *m_resources;
    TableHook m_tables;
    UsageHook m_usage;
    DropHook m_drop;
    CodeHook m_code;
    mutable QMutex m_mutex;
    ProjectConfig m_project;              // the project file's other members
    QHash<QString, QJsonObject> m_stored;  // by name, as stored (with create_time, update_time)
    qint64 m_version = 0;
};

} // namespace Gatehouse
