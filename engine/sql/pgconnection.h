#pragma once

#include "postgresurl.h"

#include <QSqlDatabase>
#include <QString>

#include <atomic>

typedef struct pg_conn PGconn;
class QSqlError;
class QThread;

namespace Gatehouse {

// One PostgreSQL connection opened through Qt SQL (`QPSQL`). Cold paths (migrations, config,
// admin) use QSqlQuery on database(); a hot path that needs what Qt SQL lacks (one round trip
// for a whole batch, COPY) takes the native connection from nativeHandle() -- the one place
// where QSqlDriver::handle() is read for this backend.
//
// Not thread-safe: one thread uses it at a time. Qt SQL ties a connection to the thread that
// opened it; a connection used by another thread is handed over with moveToThread().
//
// Failures keep PostgreSQL's SQLSTATE (lastSqlState()), so callers tell a lost connection
// (class 08, 57P01...) from a constraint violation (class 23) or a serialization failure.
class PgConnection final
{
public:
    PgConnection() = default;
    ~PgConnection();
    PgConnection(const PgConnection &) = delete;
    PgConnection &operator=(const PgConnection &) = delete;

    // `role` names the connection in pg_stat_activity (application_name "gatehouse <role>").
    bool open(const PostgresUrl &url, const QString &role, QString *error);
    void close();
    bool isOpen() const;
    // The server is still there (a cheap round trip); false after the connection was lost.
    bool ping();
    // Closes and opens again with the same parameters.
    bool reopen(QString *error);

    QSqlDatabase database() const { return m_db; }
    PGconn *nativeHandle() const;
    void moveToThread(QThread *thread);

    // Runs statements without results (several may be separated by ';'); false and
    // errorString()/lastSqlState() on failure.
    bool exec(const QString &sql);
    QString errorString() const { return m_error; }
    QString lastSqlState() const { return m_sqlState; }
    // The connection itself failed (SQLSTATE class 08, the server ended the session 57P01..57P05,
    // or no SQLSTATE at all because the socket is gone): reopen() and retry may help.
    static bool isConnectionFailure(const QString &sqlState);
    // Records a failed QSqlQuery's error here (errorString(), lastSqlState()).
    void noteError(const QSqlError &error);

private:
    QSqlDatabase m_db;
    QString m_name;          // unique Qt SQL connection name
    PostgresUrl m_url;
    QString m_role;
    QString m_error;
    QString m_sqlState;
};

} // namespace Gatehouse
