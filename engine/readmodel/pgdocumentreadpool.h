#pragma once

#include "sql/pgconnection.h"
#include "sql/postgresurl.h"

#include <QByteArray>
#include <QSqlQuery>
#include <QString>

#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace Gatehouse {

// PostgreSQL connections for the read store's reads, handed out one at a time to whichever
// thread asks (Qt SQL lets a connection be used by one thread at a time; the pool serialises
// that), opened on demand and kept for reuse, each with its own prepared statements.
//
// Time budget: a lease carries one (the pool's default, or one given to acquire()); the
// connection's statement_timeout is set to it when it differs from the last lease's, so a
// statement past it is cancelled by the server (SQLSTATE 57014). Leases without a budget (the
// projections' checkpoint reads) run to the end.
//
// A connection whose statement failed for a reason of the connection is discarded instead of
// returned (Lease::discard()), and the idle ones with it: what cut one (a server restart, the
// network, an administrator) most likely cut them all, and a retried read must not meet
// another dead one. The next acquire() opens a new one.
class PgDocumentReadPool final
{
public:
    // Generated statements kept prepared per connection (least recently used goes first).
    static constexpr int kMaxCachedStatements = 64;
    static constexpr int kKeepIdle = 8;

    struct Connection
    {
        PgConnection db;
        int timeoutMs = -1;   // statement_timeout as last set; -1: unknown
        struct Cached
        {
            QByteArray sql;
            std::unique_ptr<QSqlQuery> query;
        };
        std::list<Cached> statements;   // most recently used first

        // A query prepared for `sql` on this connection (cached), or null with `error` set.
        QSqlQuery *prepared(const QByteArray &sql, class QSqlError *error);
    };

    class Lease
    {
    public:
        Lease() = default;
        Lease(PgDocumentReadPool *pool, std::unique_ptr<Connection> c, int budgetMs)
            : m_pool(pool), m_conn(std::move(c)), m_budgetMs(budgetMs) {}
        ~Lease() { if (m_conn) m_pool->release(std::move(m_conn)); }
        Lease(Lease &&) = default;
        Lease &operator=(Lease &&) = default;
        Connection *operator->() const { return m_conn.get(); }
        explicit operator bool() const { return bool(m_conn); }
        int budgetMs() const { return m_budgetMs; }
        // The connection failed: close it instead of keeping it.
        void discard()
        {
            m_conn.reset();
            m_pool->dropIdle();
        }

    private:
        PgDocumentReadPool *m_pool = nullptr;
        std::unique_ptr<Connection> m_conn;
        int m_budgetMs = 0;
    };

    explicit PgDocumentReadPool(PostgresUrl url) : m_url(std::move(url)) {}

    void setDefaultBudgetMs(int ms);
    int defaultBudgetMs() const;

    // A connection with the default budget, or with `budgetMs` (0: none); an empty lease with
    // `error` set when no connection can be opened or the pool is closed.
    Lease acquire(QString *error);
    Lease acquire(int budgetMs, QString *error);
    void clear();      // closes idle connections; later acquires fail
    void dropIdle();   // closes idle connections

private:
    void release(std::unique_ptr<Connection> c);

    PostgresUrl m_url;
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<Connection>> m_free;
    int m_defaultBudgetMs = 0;
    bool m_closed = false;
};

} // namespace Gatehouse
