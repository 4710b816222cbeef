#include "sqliteconnection.h"

#include "sqlerrorlog.h"

#include <QLoggingCategory>

#include <sqlite3.h>

#include <utility>

Q_DECLARE_LOGGING_CATEGORY(lcSql)

// SqliteStatement: the native prepared statements of the hot paths, on the handle that
// SqliteConnection took from Qt SQL.
namespace Gatehouse {

SqliteStatement::SqliteStatement(SqliteConnection &db, const char *sql)
{
    prepare(db, sql);
}

SqliteStatement::~SqliteStatement()
{
    finalize();
}

SqliteStatement::SqliteStatement(SqliteStatement &&other) noexcept
{
    takeOver(other);
}

SqliteStatement &SqliteStatement::operator=(SqliteStatement &&other) noexcept
{
    if (this != &other) {
        finalize();
        takeOver(other);
    }
    return *this;
}

void SqliteStatement::finalize()
{
    if (!m_stmt)
        return;
    m_db->untrack(this);
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
}

void SqliteStatement::takeOver(SqliteStatement &other)
{
    m_stmt = std::exchange(other.m_stmt, nullptr);
    m_db = other.m_db;
    m_lastCode = other.m_lastCode;
    if (!m_stmt)
        return;
    // Take other's place in the connection's list.
    m_prev = std::exchange(other.m_prev, nullptr);
    m_next = std::exchange(other.m_next, nullptr);
    if (m_prev)
        m_prev->m_next = this;
    else
        m_db->m_statements = this;
    if (m_next)
        m_next->m_prev = this;
}

bool SqliteStatement::prepare(SqliteConnection &db, const char *sql)
{
    finalize();
    m_db = &db;
    m_lastCode = sqlite3_prepare_v3(db.m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
    if (m_stmt)
        db.track(this);
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
