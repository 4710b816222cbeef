#include "sqliteconnection.h"

#include "sqlerrorlog.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcSql, "gatehouse.sql")

namespace Gatehouse {

namespace {

QString nextConnectionName()
{
    static std::atomic<quint64> counter{0};
    return QStringLiteral("gatehouse-sqlite-%1").arg(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

// What QSQLITE reported, as SQLite's (extended) result code: Qt keeps it as text.
int nativeCode(const QSqlError &error)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok);
    return ok && code != SQLITE_OK ? code : SQLITE_ERROR;
}

} // namespace

SqliteConnection::~SqliteConnection()
{
    close();
}

// What Qt 6.4's QSQLITE driver does on open (qsql_sqlite.cpp, QSQLiteDriver::open): it calls
// sqlite3_open_v2 with READWRITE|CREATE (or READONLY with QSQLITE_OPEN_READONLY),
// PRIVATECACHE (SHAREDCACHE only with QSQLITE_ENABLE_SHARED_CACHE) and always NOMUTEX -- the
// flags this class used before it opened through Qt -- then sqlite3_busy_timeout with
// QSQLITE_BUSY_TIMEOUT (5000 ms unless given) and sqlite3_extended_result_codes(on, unless
// QSQLITE_NO_USE_EXTENDED_RESULT_CODES). Its close() finalizes the driver's own queries and
// calls sqlite3_close() (not _v2), which fails while any other statement is prepared: close()
// below finalizes ours first.
bool SqliteConnection::open(const QString &path, Mode mode)
{
    close();
    m_path = path;
    const QString name = nextConnectionName();
    QString problem;
    int code = SQLITE_OK;
    sqlite3 *native = nullptr;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QLatin1StringView(kDriverName), name);
        if (!db.isValid()) {
            code = SQLITE_ERROR;
            problem = QStringLiteral("the Qt SQL driver %1 is not available (Debian package libqt6sql6-sqlite); drivers found: %2")
                          .arg(QLatin1StringView(kDriverName),
                               QSqlDatabase::drivers().isEmpty() ? QStringLiteral("none") : QSqlDatabase::drivers().join(u", "));
        } else {
            // Readers and the writer never wait on each other in WAL mode except around
            // checkpoints and schema changes; a busy timeout covers those short windows.
            QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs);
            if (mode == Mode::ReadOnly)
                options += QStringLiteral(";QSQLITE_OPEN_READONLY");
            db.setDatabaseName(path);
            db.setConnectOptions(options);
            if (!db.open()) {
                const QSqlError error = db.lastError();
                code = nativeCode(error);
                problem = error.databaseText().isEmpty() ? error.text() : error.databaseText();
            } else {
                // The one place the SQLite backend takes the native handle from Qt SQL.
                const QVariant handle = db.driver()->handle();
                if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0) {
                    code = SQLITE_ERROR;
                    problem = QStringLiteral("the %1 driver's handle is a %2, not a sqlite3*")
                                  .arg(QLatin1StringView(kDriverName), QString::fromLatin1(handle.typeName()));
                } else if (!(native = *static_cast<sqlite3 *const *>(handle.constData()))) {
                    code = SQLITE_ERROR;
                    problem = QStringLiteral("the %1 driver opened %2 without a sqlite3 handle").arg(QLatin1StringView(kDriverName), path);
                } else {
                    m_qdb = db;
                }
            }
            if (!m_qdb.isValid())
                db.close();
        }
    }
    if (!m_qdb.isValid()) {
        QSqlDatabase::removeDatabase(name);
        failOpen(code, problem);
        return false;
    }
    m_connectionName = name;
    m_db = native;
    // Qt 6.4 turns extended result codes on already; our error handling depends on them
    // (SQLITE_IOERR_SHMSIZE is a full disk), so say so rather than rely on a driver default.
    sqlite3_extended_result_codes(m_db, 1);
    return true;
}

void SqliteConnection::failOpen(int code, const QString &message)
{
    m_lastCode = code;
    m_error = message;
    if (isStorageFailure(code))
        noteFailure(code, nullptr);
}

void SqliteConnection::close()
{
    while (m_statements)
        m_statements->finalize();
    if (!m_qdb.isValid())
        return;
    m_qdb.close();
    if (m_qdb.lastError().isValid())
        qCWarning(lcSql).noquote() << "closing" << m_path << ":" << m_qdb.lastError().text();
    m_qdb = QSqlDatabase();   // the last reference but the registry's: removeDatabase deletes the driver
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
    m_db = nullptr;
}

void SqliteConnection::track(SqliteStatement *statement)
{
    statement->m_prev = nullptr;
    statement->m_next = m_statements;
    if (m_statements)
        m_statements->m_prev = statement;
    m_statements = statement;
}

void SqliteConnection::untrack(SqliteStatement *statement)
{
    if (statement->m_prev)
        statement->m_prev->m_next = statement->m_next;
    else
        m_statements = statement->m_next;
    if (statement->m_next)
        statement->m_next->m_prev = statement->m_prev;
    statement->m_prev = nullptr;
    statement->m_next = nullptr;
}

bool SqliteConnection::exec(const char *sql)
{
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        m_lastCode = rc;
        m_error = QString::fromUtf8(message ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        noteFailure(rc, sql);
        return false;
    }
    return true;
}

bool SqliteConnection::execQuery(QSqlQuery &query)
{
    if (query.exec())
        return true;
    setError(query.lastError(), query.lastQuery());
    return false;
}

bool SqliteConnection::execQuery(QSqlQuery &query, const QString &sql)
{
    if (query.exec(sql))
        return true;
    setError(query.lastError(), sql);
    return false;
}

bool SqliteConnection::inTransaction() const
{
    return m_db && !sqlite3_get_autocommit(m_db);
}

bool SqliteConnection::isDiskFull(int code)
{
    return (code & 0xff) == SQLITE_FULL || code == SQLITE_IOERR_SHMSIZE;
}

bool SqliteConnection::isStorageFailure(int code)
{
    switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
        return true;
    default:
        return false;
    }
}

void SqliteConnection::noteFailure(int code, const char *sql)
{
    if (!isStorageFailure(code)) {
        // Bounded: a statement may be generated from a request and be very long.
        if (sql)
            qCWarning(lcSql).noquote() << "exec failed:" << SqlErrorLog::bounded(m_error, SqlErrorLog::kMaxMessageChars)
                                       << "in" << SqlErrorLog::excerpt(sql);
        return;
    }
    m_storageFailures.fetch_add(1, std::memory_order_relaxed);
    // A full disk fails every write until space returns: say so, not a line per request.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastStorageWarningMs < 1000) {
        ++m_unwarnedStorageFailures;
        return;
    }
    QString line = QStringLiteral("storage failure on %1: %2 (%3)").arg(m_path, m_error).arg(code);
    if (m_unwarnedStorageFailures > 0)
        line += QStringLiteral(", %1 more since the last warning").arg(m_unwarnedStorageFailures);
    qCWarning(lcSql).noquote() << line;
    m_lastStorageWarningMs = now;
    m_unwarnedStorageFailures = 0;
}

qint64 SqliteConnection::queryInt(const char *sql, qint64 fallback)
{
    SqliteStatement st(*this, sql);
    if (st.step() && !st.isNull(0))
        return st.columnInt(0);
    return fallback;
}

qint64 SqliteConnection::changes() const
{
    return sqlite3_changes64(m_db);
}

void SqliteConnection::setError(int code)
{
    m_lastCode = code;
    m_error = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(code));
    if (isStorageFailure(code))
        noteFailure(code, nullptr);
}

void SqliteConnection::setError(const QSqlError &error, const QString &sql)
{
    m_lastCode = nativeCode(error);
    m_error = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    noteFailure(m_lastCode, sql.toUtf8().constData());
}

} // namespace Gatehouse
