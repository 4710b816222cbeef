#include "pgeventreadpool.h"

#include <QLoggingCategory>
#include <QSqlError>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
constexpr char kQueryCanceled[] = "57014";   // statement_timeout ran out
}

QSqlQuery *PgEventReadPool::Connection::query(const char *sql, const char *where, ReadStatus *status, int budgetMs)
{
    if (!setBudget(budgetMs)) {
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store's database is not reachable"));
        return nullptr;
    }
    auto it = queries.find(sql);
    if (it == queries.end()) {
        auto q = std::make_unique<QSqlQuery>(db.database());
        q->setForwardOnly(true);
        if (!q->prepare(QString::fromUtf8(sql))) {
            fail(q->lastError(), where, status, budgetMs);
            return nullptr;
        }
        it = queries.emplace(sql, std::move(q)).first;
    }
    return it->second.get();
}

bool PgEventReadPool::Connection::setBudget(int budgetMs)
{
    if (budgetMs == timeoutMs)
        return true;
    if (!db.exec(QStringLiteral("SET statement_timeout = %1").arg(budgetMs))) {
        broken = lost = true;
        return false;
    }
    timeoutMs = budgetMs;
    return true;
}

bool PgEventReadPool::Connection::exec(QSqlQuery *query, const char *where, ReadStatus *status, int budgetMs)
{
    if (!setBudget(budgetMs)) {
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store's database is not reachable"));
        return false;
    }
    if (query->exec())
        return true;
    fail(query->lastError(), where, status, budgetMs);
    return false;
}

void PgEventReadPool::Connection::fail(const QSqlError &error, const char *where, ReadStatus *status, int budgetMs)
{
    db.noteError(error);
    const QString state = db.lastSqlState();
    if (state == QLatin1String(kQueryCanceled)) {
        if (status)
            *status = ReadStatus::timedOut(budgetMs);
        return;
    }
    if (PgConnection::isConnectionFailure(state) || !db.database().isOpen()) {
        broken = lost = true;
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store's database is not reachable"));
        return;
    }
    broken = true;   // its prepared queries may be gone with the failure: start afresh
    qCWarning(lcStore).noquote() << where << "failed:" << state << db.errorString();
    if (status)
        *status = ReadStatus::failed(QStringLiteral("the event store failed (SQLSTATE %1)").arg(state));
}

PgEventReadPool::~PgEventReadPool()
{
    clear();
}

PgEventReadPool::Lease PgEventReadPool::acquire(QString *error)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_closed) {
            *error = QStringLiteral("the event store is closed");
            return Lease(this, nullptr);
        }
        if (!m_free.empty()) {
            auto c = std::move(m_free.back());
            m_free.pop_back();
            c->reused = true;
            return Lease(this, std::move(c));
        }
    }
    auto c = std::make_unique<Connection>();
    if (!c->db.open(m_url, QStringLiteral("events reader"), error))
        return Lease(this, nullptr);
    return Lease(this, std::move(c));
}

void PgEventReadPool::release(std::unique_ptr<Connection> c)
{
    std::vector<std::unique_ptr<Connection>> closing;
    std::lock_guard lock(m_mutex);
    if (c->lost)
        closing.swap(m_free);   // what cut this one most likely cut the idle ones too
    if (c->broken || m_closed || int(m_free.size()) >= m_keep)
        return;   // closed when `c` goes
    m_free.push_back(std::move(c));
}

void PgEventReadPool::clear()
{
    std::vector<std::unique_ptr<Connection>> idle;
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        idle.swap(m_free);
    }
}

} // namespace Gatehouse
