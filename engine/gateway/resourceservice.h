#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QStringList>

#include <optional>

namespace Gatehouse {

class ConfigStore;
class Gateway;

// The gateway's editable configuration (APISIX's routes, upstreams, consumers and global
// rules): validated, persisted in config.db and applied to the gateway atomically on every
// change, without a restart. The admin API and the GUI both go through this one service, so
// they never disagree. Thread-safe; changes are serialised.
class ResourceService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceService)

public:
    struct Result
    {
        int status = 200;           // 200, 201, 204, 400, 404
        QJsonObject resource;       // the stored resource (with id, create_time, update_time)
        QStringList errors;         // for 400: "<pointer>: <message>"
        QString detail;
    };

    static const QStringList &kinds();   // routes, upstreams, consumers, global_rules

    ResourceService(ConfigStore *store, Gateway *gateway, QObject *parent = nullptr);

    // Loads config.db into the gateway, creating `defaults` (by kind) that were never created.
    bool load(const QHash<QString, QJsonArray> &defaults, QString *error);

    QJsonArray list(const QString &kind) const;
    std::optional<QJsonObject> get(const QString &kind, const QString &id) const;
    Result put(const QString &kind, const QString &id, QJsonObject body);
    Result create(const QString &kind, QJsonObject body);          // POST: id generated when absent
    Result patch(const QString &kind, const QString &id, const QJsonObject &mergePatch);
    Result remove(const QString &kind, const QString &id);
    qint64 version() const;

    // Replaces every resource of the listed kinds at once (import); one version bump per kind.
    Result replaceAll(const QHash<QString, QJsonArray> &resources);

Q_SIGNALS:
    void changed(const QString &kind, const QString &id, qint64 version);

private:
    Result write(const QString &kind, const QString &id, std::optional<QJsonObject> body, bool mustExist);
    QHash<QString, QJsonArray> candidate(const QString &kind, const QString &id, const std::optional<QJsonObject> &body) const;
    bool applyToGateway(const QHash<QString, QJsonArray> &all, qint64 version, QStringList *errors);

    ConfigStore *m_store;
    Gateway *m_gateway;
    mutable QMutex m_mutex;
    QHash<QString, QJsonArray> m_current;   // by kind, in creation order
    qint64 m_version = 0;
};

} // namespace Gatehouse
