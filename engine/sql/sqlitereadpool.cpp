#include "sqlitereadpool.h"

#include "base/steadyclock.h"

#include <QLoggingCategory>

#include <sqlite3.h>

#include <chrono>

Q_DECLARE_LOGGING_CATEGORY(lcSql)

namespace Gatehouse {

namespace {
// VM instructions between two looks at the clock: a few microseconds of work, so a budget
// is kept to well under a millisecond while the clock costs nothing measurable.
constexpr int kProgressInstructions = 1000;

int onProgress(void *context)
{
    auto *c = static_cast<SqliteReadPool::Connection *>(context);
    if (c->deadlineNs == 0 || steadyNowNs() < c->deadlineNs)
        return 0;
    c->interrupted = true;
    return 1;   // SQLite stops the statement with SQLITE_INTERRUPT
}
} // namespace

SqliteStatement &SqliteReadPool::Connection::statement(const char *sql)
{
    for (auto &[key, st] : statements) {
        if (key == sql) {
            st->reset();
            return *st;
        }
    }
    auto st = std::make_unique<SqliteStatement>(db, sql);
    if (!st->isValid()) {
        failed = std::move(st);   // not cached: the schema may change (a table appears)
        return *failed;
    }
    statements.emplace_back(sql, std::move(st));
    return *statements.back().second;
}

SqliteStatement &SqliteReadPool::Connection::statement(const QByteArray &sql)
{
    for (auto it = dynamicStatements.begin(); it != dynamicStatements.end(); ++it) {
        if (it->sql == sql) {
            dynamicStatements.splice(dynamicStatements.begin(), dynamicStatements, it);
            it->statement->reset();
            return *it->statement;
        }
    }
    auto st = std::make_unique<SqliteStatement>(db, sql.constData());
    if (!st->isValid()) {
        failed = std::move(st);
        return *failed;
    }
    const qint64 bytes = sql.size() + st->memoryUsed();
    if (bytes > kMaxCachedStatementBytes / 4) {
        // One statement that would take a quarter of the budget is used once and not kept.
        uncached = std::move(st);
        return *uncached;
    }
    while (!dynamicStatements.empty()
           && (int(dynamicStatements.size()) >= kMaxCachedStatements || dynamicBytes + bytes > kMaxCachedStatementBytes)) {
        dynamicBytes -= dynamicStatements.back().bytes;
        dynamicStatements.pop_back();
    }
    dynamicStatements.push_front({sql, std::move(st), bytes});
    dynamicBytes += bytes;
    return *dynamicStatements.front().statement;
}

void SqliteReadPool::setDefaultBudgetMs(int ms)
{
    std::lock_guard lock(m_mutex);
    m_defaultBudgetMs = qMax(0, ms);
}

int SqliteReadPool::defaultBudgetMs() const
{
    std::lock_guard lock(m_mutex);
    return m_defaultBudgetMs;
}

SqliteReadPool::Lease SqliteReadPool::acquire()
{
    return acquire(defaultBudgetMs());
}

SqliteReadPool::Lease SqliteReadPool::acquire(int budgetMs)
{
    std::unique_ptr<Connection> c;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return Lease(this, nullptr);
        if (!m_free.empty()) {
            c = std::move(m_free.back());
            m_free.pop_back();
        }
    }
    if (!c) {
        // Opened on the thread that asks and later leased to any other: fine with Qt SQL as
        // used here. QSQLITE opens in SQLite's multi-thread mode (SQLITE_OPEN_NOMUTEX: one
        // thread at a time, any thread), a lease is that one thread, and Qt 6.4 checks the
        // calling thread only in QSqlDatabase::database(name), which nothing here calls:
        // statements run on the native handle, and the connection's QSqlDatabase is removed
        // by whichever thread drops it (its driver is a QObject without timers or queued
        // events, since we subscribe to no notifications, so deleting it there is safe).
        c = std::make_unique<Connection>();
        if (!c->db.open(m_path) || !c->db.exec("PRAGMA query_only = 1")) {
            qCWarning(lcSql) << "cannot open a read connection to" << m_path << ":" << c->db.errorString();
            return Lease(this, nullptr);
        }
        sqlite3_progress_handler(c->db.handle(), kProgressInstructions, &onProgress, c.get());
    }
    c->interrupted = false;
    c->deadlineNs = budgetMs > 0 ? steadyNowNs() + qint64(budgetMs) * 1000000 : 0;
    Lease lease(this, std::move(c));
    lease.m_budgetMs = qMax(0, budgetMs);
    return lease;
}

void SqliteReadPool::release(std::unique_ptr<Connection> c)
{
    c->deadlineNs = 0;
    c->interrupted = false;
    std::lock_guard lock(m_mutex);
    if (!m_closed && int(m_free.size()) < m_keep)
        m_free.push_back(std::move(c));
}

void SqliteReadPool::clear()
{
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_free.clear();
}

} // namespace Gatehouse
