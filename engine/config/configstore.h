#pragma once

#include "sql/pgconnection.h"
#include "sql/storagetarget.h"

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <atomic>

class QSqlError;
class QSqlQuery;

namespace Gatehouse {

// The engine's own settings and its admin resources (routes, upstreams, consumers, functions,
// ...), with the configuration version every change bumps: config.db on SQLite, the tables
// settings, resources and seeded on PostgreSQL (shared by every engine on the database). Small
// and rarely written, so one connection guarded by a mutex serves every thread (Qt SQL allows
// that as long as the QSqlDatabase is held, never looked up by name, and used by one thread at
// a time).
//
// On PostgreSQL a change takes the version row's lock first, so changes from several engines
// get consecutive versions in commit order, and NOTIFYs kNotifyChannel with the new version in
// the same transaction (delivered at COMMIT) so other engines reload. A lost connection fails
// the call that found it (the caller answers 503) and is reopened by a later call, at most once
// per kReopenIntervalMs; a read is retried once on the new connection.
class ConfigStore final
{
public:
    static constexpr const char *kNotifyChannel = "gatehouse_config";
    static constexpr int kReopenIntervalMs = 1000;

    ConfigStore() = default;
    ~ConfigStore();
    ConfigStore(const ConfigStore &) = delete;
    ConfigStore &operator=(const ConfigStore &) = delete;

    bool open(const StorageTarget &target, QString *error);
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
    // 0 before the first change, and when the store cannot answer.
    qint64 configVersion() const;
    // Default resources are created once; deleting one later must not bring it back.
    bool wasSeeded(const QString &key) const;
    bool markSeeded(const QString &key);

private:
    bool isPostgres() const { return m_target.isPostgres(); }
    QSqlDatabase dbLocked() const { return isPostgres() ? m_pg.database() : m_db; }
    bool usableLocked() const;                           // reopens a lost PostgreSQL connection
    // false: the failure is recorded (m_lastState, the log)
    void noteFailureLocked(const QSqlError &failure) const;
    bool prepareLocked(QSqlQuery &query, const QString &sql) const;
    bool execLocked(QSqlQuery &query) const;
    bool runLocked(QSqlQuery &query, const QString &sql, const QVariantList &values = {}) const;
    // Runs `read` (which answers whether its query worked), once more on a new connection when
    // the first one was found lost.
    template<typename Read>
    bool readLocked(Read &&read) const;
    bool lastFailureLostConnection() const;
    // One change in one transaction; *retry: it failed before COMMIT on a lost connection.
    qint64 commitChangeLocked(const QString &kind, const QList<Resource> &puts, const QStringList &removes,
                              bool *retry);

    mutable QMutex m_mutex;
    StorageTarget m_target;
    bool m_open = false;
    mutable PgConnection m_pg;           // PostgreSQL
    QString m_sqliteName;                // SQLite: the Qt SQL connection name
    QSqlDatabase m_db;                   // SQLite: the connection
    mutable QString m_lastState;         // the last failure's SQLSTATE (PostgreSQL) or SQLite code
    mutable qint64 m_lastReopenMs = 0;
    std::atomic<bool> m_lastChangeFailedFull{false};
};

} // namespace Gatehouse
