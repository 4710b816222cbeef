#pragma once

#include "sql/sqliteconnection.h"

#include <QMutex>
#include <QString>

namespace Gatehouse {

// config.db: the engine's own settings (and, as the gateway grows, routes, consumers and
// functions). Small and rarely written, so one connection guarded by a mutex serves every
// thread.
class ConfigStore final
{
public:
    ConfigStore() = default;
    bool open(const QString &path, QString *error);
    void close();

    QString setting(const QString &key, const QString &fallback = {}) const;
    bool setSetting(const QString &key, const QString &value);

    // Admin resources (routes, upstreams, consumers, global_rules, ...) as JSON objects by kind
    // and id, and the configuration version every change bumps.
    struct Resource
    {
        QString id;
        QByteArray body;
        qint64 createdAt = 0;    // s since the epoch
        qint64 updatedAt = 0;
    };
    QList<Resource> resources(const QString &kind) const;
    // Applies puts and removes of one change atomically and bumps the version; returns it (0 on failure).
    qint64 commitChange(const QString &kind, const QList<Resource> &puts, const QStringList &removes);
    // Whether the last commitChange() that failed did so because the disk is full.
    bool lastChangeFailedFull() const { return m_lastChangeFailedFull; }
    qint64 configVersion() const;
    // Default resources are created once; deleting one later must not bring it back.
    bool wasSeeded(const QString &key) const;
    bool markSeeded(const QString &key);

private:
    mutable QMutex m_mutex;
    mutable SqliteConnection m_db;
    std::atomic<bool> m_lastChangeFailedFull{false};
};

} // namespace Gatehouse
