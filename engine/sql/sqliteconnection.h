#pragma once

#include <QByteArray>
#include <QString>

#include <atomic>
#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace Gatehouse {

class SqliteStatement;

// A thin RAII handle on one sqlite3 connection. Not thread-safe: one thread uses it at a
// time (opened in SQLite's multi-thread mode). We use the C API directly instead of Qt SQL
// so hot paths reuse prepared statements without QVariant boxing and errors keep SQLite's
// extended codes.
class SqliteConnection final
{
public:
    enum class Mode { ReadWrite, ReadOnly };

    SqliteConnection() = default;
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection &) = delete;
    SqliteConnection &operator=(const SqliteConnection &) = delete;

    bool open(const QString &path, Mode mode = Mode::ReadWrite);
    void close();
    bool isOpen() const { return m_db != nullptr; }

    // Runs one or more statements without results; false and errorString() on failure.
    bool exec(const char *sql);
    bool exec(const QByteArray &sql) { return exec(sql.constData()); }
    // Returns the first column of the first row as an integer (or fallback).
    qint64 queryInt(const char *sql, qint64 fallback = 0);

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
    void noteFailure(int code, const char *sql);

    sqlite3 *m_db = nullptr;
    QString m_path;
    QString m_error;
    int m_lastCode = 0;
    std::atomic<quint64> m_storageFailures{0};
    qint64 m_lastStorageWarningMs = 0;   // storage failures repeat: warned at most once a second
    int m_unwarnedStorageFailures = 0;
};

// A prepared statement bound to one connection; reset() makes it reusable.
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
    sqlite3_stmt *m_stmt = nullptr;
    SqliteConnection *m_db = nullptr;
    int m_lastCode = 0;
};

} // namespace Gatehouse
