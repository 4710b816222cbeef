#pragma once

#include "sqliteconnection.h"

#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace Gatehouse {

// Read-only connections to one database, handed out one at a time to whichever thread asks;
// created on demand and kept for reuse, each with its own cache of prepared statements.
//
// Time budget: a lease may carry a budget (the pool's default, or one given to acquire());
// a statement still running when it runs out is interrupted by SQLite's progress handler and
// fails with SQLITE_INTERRUPT, and Lease::timedOut() says so. Leases without a budget (the
// projections' scans) run to the end.
class SqliteReadPool final
{
public:
    // Generated statements kept per connection: at most this many, and this many bytes of
    // SQL text plus SQLite's own memory for them, whichever is reached first (least recently
    // used goes first).
    static constexpr int kMaxCachedStatements = 64;
    static constexpr qint64 kMaxCachedStatementBytes = 2 * 1024 * 1024;

    struct Connection
    {
        SqliteConnection db;
        std::vector<std::pair<const char *, std::unique_ptr<SqliteStatement>>> statements;
        struct Cached
        {
            QByteArray sql;
            std::unique_ptr<SqliteStatement> statement;
            qint64 bytes = 0;
        };
        std::list<Cached> dynamicStatements;   // most recently used first
        qint64 dynamicBytes = 0;
        std::unique_ptr<SqliteStatement> failed;   // the last statement that did not prepare
        std::unique_ptr<SqliteStatement> uncached;  // the last one too large to keep
        qint64 deadlineNs = 0;     // steady clock; 0: no budget
        bool interrupted = false;  // the progress handler stopped a statement under this lease

        // Prepared once per connection; keyed by the literal's address.
        SqliteStatement &statement(const char *sql);
        // For generated SQL (list queries): keyed by text, bounded as above.
        SqliteStatement &statement(const QByteArray &sql);
    };

    class Lease
    {
    public:
        Lease(SqliteReadPool *pool, std::unique_ptr<Connection> c) : m_pool(pool), m_conn(std::move(c)) {}
        ~Lease() { if (m_conn) m_pool->release(std::move(m_conn)); }
        Lease(Lease &&) = default;
        Connection *operator->() const { return m_conn.get(); }
        explicit operator bool() const { return bool(m_conn); }
        // True when a statement under this lease ran out of its budget and was interrupted.
        bool timedOut() const { return m_conn && m_conn->interrupted; }
        int budgetMs() const { return m_budgetMs; }

    private:
        friend class SqliteReadPool;
        SqliteReadPool *m_pool;
        std::unique_ptr<Connection> m_conn;
        int m_budgetMs = 0;
    };

    explicit SqliteReadPool(QString path, int keep = 16) : m_path(std::move(path)), m_keep(keep) {}

    // Budget of leases that do not name one (0: none, the default).
    void setDefaultBudgetMs(int ms);
    int defaultBudgetMs() const;

    Lease acquire();                 // with the default budget
    Lease acquire(int budgetMs);     // 0: no budget
    void clear();   // closes idle connections; later acquires fail

private:
    void release(std::unique_ptr<Connection> c);

    QString m_path;
    int m_keep;
    int m_defaultBudgetMs = 0;
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<Connection>> m_free;
    bool m_closed = false;
};

} // namespace Gatehouse
