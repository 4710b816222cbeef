#include "pgdocumentreadpool.h"

#include <QSqlError>

namespace Gatehouse {

QSqlQuery *PgDocumentReadPool::Connection::prepared(const QByteArray &sql, QSqlError *error)
{
    for (auto it = statements.begin(); it != statements.end(); ++it) {
        if (it->sql == sql) {
            statements.splice(statements.begin(), statements, it);
            return statements.front().query.get();
        }
    }
    auto query = std::make_unique<QSqlQuery>(db.database());
    if (!query->prepare(QString::fromUtf8(sql))) {
        *error = query->lastError();
        return nullptr;
    }
    if (statements.size() >= size_t(kMaxCachedStatements))
        statements.pop_back();   // deallocates it on the server
    statements.push_front({sql, std::move(query)});
    return statements.front().query.get();
}

void PgDocumentReadPool::setDefaultBudgetMs(int ms)
{
    std::lock_guard lock(m_mutex);
    m_defaultBudgetMs = ms;
}

int PgDocumentReadPool::defaultBudgetMs() const
{
    std::lock_guard lock(m_mutex);
    return m_defaultBudgetMs;
}

PgDocumentReadPool::Lease PgDocumentReadPool::acquire(QString *error)
{
    return acquire(defaultBudgetMs(), error);
}

PgDocumentReadPool::Lease PgDocumentReadPool::acquire(int budgetMs, QString *error)
{
    // A kept connection may have died while idle: then a new one is opened in its place.
    for (int attempt = 0; attempt < 2; ++attempt) {
        std::unique_ptr<Connection> c;
        {
            std::lock_guard lock(m_mutex);
            if (m_closed) {
                *error = QStringLiteral("the read store is closed");
                return {};
            }
            if (!m_free.empty() && attempt == 0) {
                c = std::move(m_free.back());
                m_free.pop_back();
            }
        }
        const bool kept = bool(c);
        if (!c) {
            c = std::make_unique<Connection>();
            if (!c->db.open(m_url, QStringLiteral("reads"), error))
                return {};
        }
        if (c->timeoutMs != budgetMs) {
            // Every statement of this lease runs under its budget; the server cancels it past that.
            if (!c->db.exec(QStringLiteral("SET statement_timeout = %1").arg(budgetMs))) {
                *error = c->db.errorString();
                if (kept)
                    continue;
                return {};
            }
            c->timeoutMs = budgetMs;
        }
        return Lease(this, std::move(c), budgetMs);
    }
    return {};
}

void PgDocumentReadPool::release(std::unique_ptr<Connection> c)
{
    std::lock_guard lock(m_mutex);
    if (!m_closed && m_free.size() < size_t(kKeepIdle))
        m_free.push_back(std::move(c));
}

void PgDocumentReadPool::dropIdle()
{
    std::vector<std::unique_ptr<Connection>> closing;
    std::lock_guard lock(m_mutex);
    closing.swap(m_free);
}

void PgDocumentReadPool::clear()
{
    std::vector<std::unique_ptr<Connection>> closing;
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        closing.swap(m_free);
    }
}

} // namespace Gatehouse

