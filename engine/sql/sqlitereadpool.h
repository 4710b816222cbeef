#pragma once

#include "sqliteconnection.h"

#include <memory>
#include <mutex>
#include <vector>

namespace Gatehouse {

// Read-only connections to one database, handed out one at a time to whichever thread asks;
// created on demand and kept for reuse, each with its own cache of prepared statements.
class SqliteReadPool final
{
public:
    struct Connection
    {
        SqliteConnection db;
        std::vector<std::pair<const char *, std::unique_ptr<SqliteStatement>>> statements;
        std::vector<std::pair<QByteArray, std::unique_ptr<SqliteStatement>>> dynamicStatements;
        std::unique_ptr<SqliteStatement> failed;   // the last statement that did not prepare
        // Prepared once per connection; keyed by the literal's address.
        SqliteStatement &statement(const char *sql);
        // For generated SQL (list queries): keyed by text, bounded.
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

    private:
        SqliteReadPool *m_pool;
        std::unique_ptr<Connection> m_conn;
    };

    explicit SqliteReadPool(QString path, int keep = 16) : m_path(std::move(path)), m_keep(keep) {}
    Lease acquire();
    void clear();   // closes idle connections; later acquires fail

private:
    void release(std::unique_ptr<Connection> c);

    QString m_path;
    int m_keep;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Connection>> m_free;
    bool m_closed = false;
};

} // namespace Gatehouse
