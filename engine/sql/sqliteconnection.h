#pragma once

#include <QByteArray>
#include <QSqlDatabase>
#include <QString>

#include <atomic>
#include <memory>

class QSqlError;
class QSqlQuery;
struct sqlite3;
struct sqlite3_stmt;

namespace Gatehouse {

class SqliteStatement;

// One SQLite connection, opened through Qt SQL (a QSqlDatabase of the QSQLITE driver under a
// connection name of its own, removed again by close()). Cold paths (migrations, config, runs)
// use QSqlQuery on database(); hot paths use SqliteStatement on handle(), the sqlite3* that
// open() takes from QSqlDriver::handle() -- the one place the SQLite backend reads Qt's native
// handle -- so prepared statements are reused without QVariant boxing and errors keep
// SQLite's extended codes. Debian's QSQLITE plugin links the system libsqlite3, the library
// the engine links, so both sides speak to the same connection object.
//
// Threads: not thread-safe; one thread uses it at a time, whichever thread that is. QSQLITE
// opens in SQLite's multi-thread mode (SQLITE_OPEN_NOMUTEX), and Qt 6.4 only checks the
// calling thread when a connection is looked up by name (QSqlDatabase::database(name)), which
// we never do: the QSqlDatabase object is held here and handed out by database().
class SqliteConnection final
{
public:
    enum class Mode { ReadWrite, ReadOnly };

    // The Qt SQL driver, and how long a statement waits for another connection's lock.
    static constexpr const char *kDriverName = "QSQLITE";
    static constexpr int kBusyTimeoutMs = 10000;

    SqliteConnection() = default;
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection &) = delete;
    SqliteConnection &operator=(const SqliteConnection &) = delete;

    // False with errorString() when the QSQLITE driver is missing or the file cannot be opened.
    bool open(const QString &path, Mode mode = Mode::ReadWrite);
    // Finalizes the statements still prepared on it, closes the connection and removes its
    // Qt SQL connection name.
    void close();
    bool isOpen() const { return m_db != nullptr; }

    // The Qt SQL connection, for cold paths (QSqlQuery). Invalid when not open.
    QSqlDatabase database() const { return m_qdb; }
    // The name it is registered under in QSqlDatabase (unique per open; empty when closed).
    QString connectionName() const { return m_connectionName; }

    // Runs one or more statements without results; false and errorString() on failure.
    bool exec(const char *sql);
    bool exec(const QByteArray &sql) { return exec(sql.constData()); }
    // Returns the first column of the first row as an integer (or fallback).
    qint64 queryInt(const char *sql, qint64 fallback = 0);

    // Cold paths through Qt SQL: execute `query` (prepared and bound, or the statement `sql`,
    // one statement only) on database(); a failure is recorded as for exec() (errorString(),
    // lastErrorCode(), storage failures) and false returned.
    bool execQuery(QSqlQuery &query);
    bool execQuery(QSqlQuery &query, const QString &sql);

    QString errorString() const { return m_error; }
    int lastErrorCode() const { return m_lastCode; }
    // How many operations failed for a reason of the storage, not of the statement (see
    // isStorageFailure); any thread may read it, to tell a full disk from a bad statement.
    quint64 storageFailures() const { return m_storageFailures.load(std::memory_order_relaxed); }
    bool inTransaction() const;

    // A full disk (or quota): SQLITE_FULL, and the shared-memory file that cannot grow.
    static bool isDiskFull(int code);
    // The storage failed (full, I/O error, out of memory, locked, read-only...): the statement
    // may well succeed later. Constraint, syntax and corruption errors are not.
    static bool isStorageFailure(int code);
    sqlite3 *handle() const { return m_db; }
    qint64 changes() const;
    QString path() const { return m_path; }

private:
    friend class SqliteStatement;
    void setError(int code);
    void setError(const QSqlError &error, const QString &sql);
    void noteFailure(int code, const char *sql);
    void failOpen(int code, const QString &message);
    // Statements prepared on this connection, so close() can finalize them first: Qt closes
    // with sqlite3_close(), which refuses (and leaks the connection) while any is left.
    void track(SqliteStatement *statement);
    void untrack(SqliteStatement *statement);

    sqlite3 *m_db = nullptr;
    QSqlDatabase m_qdb;
    QString m_connectionName;
    SqliteStatement *m_statements = nullptr;
    QString m_path;
    QString m_error;
    int m_lastCode = 0;
    std::atomic<quint64> m_storageFailures{0};
    qint64 m_lastStorageWarningMs = 0;   // storage failures repeat: warned at most once a second
    int m_unwarnedStorageFailures = 0;
};

// A prepared statement bound to one connection; reset() makes it reusable. Closing the
// connection finalizes it: afterwards it is invalid and its steps fail with SQLITE_MISUSE.
class SqliteStatement final
{
public:
    SqliteStatement() = default;
    SqliteStatement(SqliteConnection &db, const char *sql);
    ~SqliteStatement();
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;

    bool prepare(SqliteConnection &db, const char *sql);
    bool isValid() const { return m_stmt != nullptr; }

    // Binding indexes are 1-based, as in SQLite.
    void bind(int index, qint64 value);
    void bind(int index, int value) { bind(index, qint64(value)); }
    void bind(int index, double value);
    void bind(int index, const QByteArray &utf8);   // text
    void bind(int index, const QString &text) { bind(index, text.toUtf8()); }
    void bindBlob(int index, const QByteArray &blob);
    void bindNull(int index);

    // step(): true while a row is available. done()/ok() tell how the last step ended.
    bool step();
    bool exec();                 // step to completion; true on success
    void reset();                // also clears bindings
    int lastCode() const { return m_lastCode; }
    QString errorString() const;
    qint64 memoryUsed() const;   // heap bytes SQLite holds for this prepared statement

    int columnCount() const;
    bool isNull(int column) const;
    int columnType(int column) const;   // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
    qint64 columnInt(int column) const;
    double columnDouble(int column) const;
    QByteArray columnText(int column) const;      // copies; UTF-8
    QString columnString(int column) const;
    QByteArrayView columnView(int column) const;  // valid until the next step/reset

private:
    friend class SqliteConnection;
    void finalize();
    void takeOver(SqliteStatement &other);   // other's statement and place in the connection's list

    sqlite3_stmt *m_stmt = nullptr;
    SqliteConnection *m_db = nullptr;
    SqliteStatement *m_prev = nullptr;   // the connection's list of prepared statements
    SqliteStatement *m_next = nullptr;
    int m_lastCode = 0;
};

} // namespace Gatehouse
