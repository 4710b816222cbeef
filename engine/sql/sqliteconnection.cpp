#include "sqliteconnection.h"

#include "sqlerrorlog.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcSql, "gatehouse.sql")

namespace Gatehouse {

SqliteConnection::~SqliteConnection()
{
    close();
}

bool SqliteConnection::open(const QString &path, Mode mode)
{
    close();
    m_path = path;
    const int flags = SQLITE_OPEN_NOMUTEX
        | (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        setError(rc);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        return false;
    }
    sqlite3_extended_result_codes(m_db, 1);
    // Readers and the writer never wait on each other in WAL mode except around
    // checkpoints and schema changes; a busy timeout covers those short windows.
    sqlite3_busy_timeout(m_db, 10000);
    return true;
}

void SqliteConnection::close()
{
    if (m_db) {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
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

SqliteStatement::SqliteStatement(SqliteConnection &db, const char *sql)
{
    prepare(db, sql);
}

SqliteStatement::~SqliteStatement()
{
    sqlite3_finalize(m_stmt);
}

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr))
    , m_db(other.m_db)
    , m_lastCode(other.m_lastCode)
{
}

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_stmt);
        m_stmt = std::exchange(other.m_stmt, nullptr);
        m_db = other.m_db;
        m_lastCode = other.m_lastCode;
    }
    return *this;
}

bool SqliteStatement::prepare(SqliteConnection &db, const char *sql)
{
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
    m_db = &db;
    m_lastCode = sqlite3_prepare_v3(db.m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
    if (m_lastCode != SQLITE_OK) {
        db.setError(m_lastCode);
        // Debug only and bounded: callers decide whether a failure matters (and read paths log
        // it once per cause through SqlErrorLog).
        qCDebug(lcSql).noquote() << "prepare failed:" << SqlErrorLog::bounded(db.errorString(), SqlErrorLog::kMaxMessageChars)
                                 << "in" << SqlErrorLog::excerpt(sql);
        return false;
    }
    return true;
}

void SqliteStatement::bind(int index, qint64 value)
{
    sqlite3_bind_int64(m_stmt, index, value);
}

void SqliteStatement::bind(int index, double value)
{
    sqlite3_bind_double(m_stmt, index, value);
}

void SqliteStatement::bind(int index, const QByteArray &utf8)
{
    // SQLITE_TRANSIENT: SQLite copies, so temporaries are safe to pass.
    sqlite3_bind_text(m_stmt, index, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
}

void SqliteStatement::bindBlob(int index, const QByteArray &blob)
{
    sqlite3_bind_blob(m_stmt, index, blob.constData(), int(blob.size()), SQLITE_TRANSIENT);
}

void SqliteStatement::bindNull(int index)
{
    sqlite3_bind_null(m_stmt, index);
}

bool SqliteStatement::step()
{
    m_lastCode = sqlite3_step(m_stmt);
    if (m_lastCode == SQLITE_ROW)
        return true;
    if (m_lastCode != SQLITE_DONE && m_db)
        m_db->setError(m_lastCode);
    return false;
}

bool SqliteStatement::exec()
{
    while (step()) {
    }
    const bool ok = m_lastCode == SQLITE_DONE;
    reset();
    return ok;
}

void SqliteStatement::reset()
{
    if (!m_stmt)
        return;   // a statement that failed to prepare (e.g. a table not created yet)
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

qint64 SqliteStatement::memoryUsed() const
{
    return m_stmt ? sqlite3_stmt_status(m_stmt, SQLITE_STMTSTATUS_MEMUSED, 0) : 0;
}

QString SqliteStatement::errorString() const
{
    return m_db ? m_db->errorString() : QString();
}

int SqliteStatement::columnCount() const
{
    return sqlite3_column_count(m_stmt);
}

int SqliteStatement::columnType(int column) const
{
    return sqlite3_column_type(m_stmt, column);
}

bool SqliteStatement::isNull(int column) const
{
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

qint64 SqliteStatement::columnInt(int column) const
{
    return sqlite3_column_int64(m_stmt, column);
}

double SqliteStatement::columnDouble(int column) const
{
    return sqlite3_column_double(m_stmt, column);
}

QByteArrayView SqliteStatement::columnView(int column) const
{
    const auto *data = static_cast<const char *>(sqlite3_column_blob(m_stmt, column));
    return QByteArrayView(data, sqlite3_column_bytes(m_stmt, column));
}

QByteArray SqliteStatement::columnText(int column) const
{
    return columnView(column).toByteArray();
}

QString SqliteStatement::columnString(int column) const
{
    return QString::fromUtf8(columnView(column));
}

} // namespace Gatehouse
