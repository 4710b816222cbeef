#pragma once

#include "config/configstore.h"
#include "gateway/resourcelimits.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace Gatehouse {

class Gateway;
class GatewayConfig;
class ResourceSchemas;

// The gateway's editable configuration (APISIX's routes, upstreams, consumers and global
// rules): validated, persisted in config.db and applied to the gateway atomically on every
// change, without a restart. The admin API and the GUI both go through this one service, so
// they never disagree. Thread-safe; changes are serialised.
//
// A write is checked against its kind's schema (ResourceSchemas) and then as part of the
// whole configuration it would make: it is refused (400, nothing stored) when the resource
// cannot be applied or when it would leave another resource unable to be applied (deleting
// an upstream a route uses). What was stored before and no longer applies (a config.db
// from an older version, a plugin since removed) is loaded anyway and fails closed; get()
// and list() show why in a "problems" member.
class ResourceService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceService)

public:
    struct Result
    {
        int status = 200;           // 200, 201, 204, 400, 404, 409, 503
        QJsonObject resource;       // the stored resource (with id, create_time, update_time)
        QStringList errors;         // for 400: "<pointer>: <message>"
        QString detail;
    };

    static const QStringList &kinds();   // routes, upstreams, consumers, global_rules

    ResourceService(ConfigStore *store, Gateway *gateway, const ResourceLimits &limits = {}, QObject *parent = nullptr);
    ~ResourceService() override;

    // Loads config.db into the gateway, creating `defaults` (by kind) that were never created.
    // Fails only when config.db cannot be read or written.
    bool load(const QHash<QString, QJsonArray> &defaults, QString *error);

    QJsonArray list(const QString &kind) const;
    std::optional<QJsonObject> get(const QString &kind, const QString &id) const;
    Result put(const QString &kind, const QString &id, QJsonObject body);
    Result create(const QString &kind, QJsonObject body);          // POST: id generated when absent
    Result patch(const QString &kind, const QString &id, const QJsonObject &mergePatch);
    Result remove(const QString &kind, const QString &id);
    // One change (one version) that adds those of `added` whose id does not exist yet and
    // removes `removed`: a collection's default routes appear and go together, on every
    // engine. Checked as put() and remove() check; all or nothing.
    Result changeMany(const QString &kind, const QList<QJsonObject> &added, const QStringList &removed);
    qint64 version() const;
    // With several engines on one database: reads the stored configuration again when its
    // version moved past the applied one (another engine changed it) and applies it; emits
    // changed() for every kind. False when there was nothing new.
    bool reloadIfChanged();

    // Replaces the whole configuration with a configuration document ({"routes": [...],
    // "upstreams": [...], "consumers": [...], "global_rules": [...]}, every section given):
    // all or nothing. One version bump per kind.
    Result replaceAll(const QJsonObject &document);
    // replaceAll()'s checks alone, changing nothing: every error, with its pointer.
    QStringList check(const QJsonObject &document) const;

    const ResourceSchemas &schemas() const { return *m_schemas; }

Q_SIGNALS:
    void changed(const QString &kind, const QString &id, qint64 version);

private:
    Result write(const QString &kind, const QString &id, std::optional<QJsonObject> body, bool mustExist);
    static QHash<QString, QJsonArray> itemsOf(const QJsonObject &document, qint64 now);
    void applyStored();      // m_mutex held
    // Stores one change and installs the configuration it makes (m_mutex held); 0 when the
    // store failed (nothing changed).
    qint64 commitLocked(const QString &kind, const QHash<QString, QJsonArray> &next,
                        const std::shared_ptr<const GatewayConfig> &config, const QList<ConfigStore::Resource> &puts,
                        const QStringList &removes);
    bool refreshLocked();    // m_mutex held
    QHash<QString, QJsonArray> candidate(const QString &kind, const QString &id, const std::optional<QJsonObject> &body) const;
    QStringList newProblems(const GatewayConfig &next, const QString &kind, const QString &id) const;
    QJsonObject withProblems(const GatewayConfig &config, const QString &kind, QJsonObject resource) const;
    qsizetype countLimit(const QString &kind) const;

    ConfigStore *m_store;
    Gateway *m_gateway;
    std::shared_ptr<const ResourceSchemas> m_schemas;
    mutable QMutex m_mutex;
    QHash<QString, QJsonArray> m_current;   // by kind, in creation order
    qint64 m_version = 0;
};

} // namespace Gatehouse
