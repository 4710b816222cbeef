#pragma once

#include "sql/pgconnection.h"
#include "sql/readstatus.h"

#include <QSqlQuery>

class QSqlError;

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace Gatehouse {

// PostgreSQL connections for the event log's readers, handed out one at a time to whichever
// thread asks; opened on demand, at most `keep` kept idle. Each keeps its prepared queries, so
// a read is one round trip. A lease may carry a time budget, set as the session's
// statement_timeout (changed only when it differs); a statement past it fails with SQLSTATE
// 57014 and the read answers TimedOut. A connection that failed is dropped, not returned; one
// whose connection itself failed takes the idle ones with it (see release()), and a read that
// met it on a kept connection is tried once more on a new one (retryable()).
class PgEventReadPool final
{
public:
    struct Connection
    {
        PgConnection db;
        std::unordered_map<const char *, std::unique_ptr<QSqlQuery>> queries;   // keyed by the SQL literal's address
        int timeoutMs = 0;
        bool broken = false;
        bool lost = false;     // broken because the connection itself failed
        bool reused = false;   // was idle in the pool before this lease

        // The query for `sql`, prepared on first use (preparing reads the table's definition,
        // so the budget applies to it too); on failure sets *status as exec() does.
        QSqlQuery *query(const char *sql, const char *where, ReadStatus *status, int budgetMs);
        // Runs a prepared query; on failure sets *status (TimedOut / Unavailable / Failed).
        bool exec(QSqlQuery *query, const char *where, ReadStatus *status, int budgetMs);
        bool setBudget(int budgetMs);
        // The lease failed on a connection cut while it sat idle: a read may simply be repeated.
        bool retryable() const { return lost && reused; }
        void fail(const QSqlError &error, const char *where, ReadStatus *status, int budgetMs);
    };

    class Lease
    {
    public:
        Lease(PgEventReadPool *pool, std::unique_ptr<Connection> c) : m_pool(pool), m_conn(std::move(c)) {}
        ~Lease() { if (m_conn) m_pool->release(std::move(m_conn)); }
        Lease(Lease &&) = default;
        Connection *operator->() const { return m_conn.get(); }
        explicit operator bool() const { return bool(m_conn); }

    private:
        PgEventReadPool *m_pool;
        std::unique_ptr<Connection> m_conn;
    };

    PgEventReadPool(const PostgresUrl &url, int keep = 8) : m_url(url), m_keep(keep) {}
    ~PgEventReadPool();

    Lease acquire(QString *error);
    void clear();   // closes idle connections; later acquires fail

private:
    void release(std::unique_ptr<Connection> c);

    PostgresUrl m_url;
    int m_keep;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Connection>> m_free;
    bool m_closed = false;
};

} // namespace Gatehouse
