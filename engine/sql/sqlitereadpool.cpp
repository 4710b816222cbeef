#include "sqlitereadpool.h"

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcSql)

namespace Gatehouse {

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
    for (auto &[key, st] : dynamicStatements) {
        if (key == sql) {
            st->reset();
            return *st;
        }
    }
    if (dynamicStatements.size() >= 64)
        dynamicStatements.erase(dynamicStatements.begin());
    auto st = std::make_unique<SqliteStatement>(db, sql.constData());
    if (!st->isValid()) {
        failed = std::move(st);
        return *failed;
    }
    dynamicStatements.emplace_back(sql, std::move(st));
    return *dynamicStatements.back().second;
}

SqliteReadPool::Lease SqliteReadPool::acquire()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return Lease(this, nullptr);
        if (!m_free.empty()) {
            auto c = std::move(m_free.back());
            m_free.pop_back();
            return Lease(this, std::move(c));
        }
    }
    auto c = std::make_unique<Connection>();
    if (!c->db.open(m_path) || !c->db.exec("PRAGMA query_only = 1")) {
        qCWarning(lcSql) << "cannot open a read connection to" << m_path << ":" << c->db.errorString();
        return Lease(this, nullptr);
    }
    return Lease(this, std::move(c));
}

void SqliteReadPool::release(std::unique_ptr<Connection> c)
{
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
