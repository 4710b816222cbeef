#include "pgeventtailer.h"

#include "pgeventschema.h"
#include "sql/pgconnection.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <chrono>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
constexpr qint64 kFirstBackoffMs = 100;
constexpr qint64 kMaxBackoffMs = 2000;
}

PgEventTailer::PgEventTailer(EventLogHost *host, const PostgresUrl &url)
    : m_host(host)
    , m_url(url)
{
}

PgEventTailer::~PgEventTailer()
{
    stop();
}

void PgEventTailer::start(qint64 head)
{
    m_head = head;
    m_notifiedUpTo = head;
    m_stop = false;
    m_thread = QThread::create([this] { run(); });
    m_thread->setObjectName(QStringLiteral("gatehouse-store-tailer"));
    m_thread->start();
}

void PgEventTailer::committed(Committed &&batch)
{
    std::lock_guard lock(m_mutex);
    m_ownCommitPending = false;
    m_batches.push_back(std::move(batch));
    m_wake.notify_one();
}

void PgEventTailer::expectOwnCommit()
{
    std::lock_guard lock(m_mutex);
    m_ownCommitPending = true;
}

void PgEventTailer::notified(qint64 position)
{
    std::lock_guard lock(m_mutex);
    if (position > m_notifiedUpTo) {
        m_notifiedUpTo = position;
        if (!m_ownCommitPending)
            m_wake.notify_one();
    }
}

void PgEventTailer::resync()
{
    std::lock_guard lock(m_mutex);
    m_resync = true;
    m_ownCommitPending = false;
    m_wake.notify_one();
}

void PgEventTailer::stop()
{
    if (!m_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_wake.notify_one();
    }
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void PgEventTailer::run()
{
    bool behind = false;   // a read failed: events are known to be missing, read them when due
    auto retryAt = std::chrono::steady_clock::now();
    for (;;) {
        std::deque<Committed> batches;
        qint64 notifiedUpTo = 0;
        bool resync = false;
        bool stopping = false;
        {
            std::unique_lock lock(m_mutex);
            const auto ready = [&] { return !m_batches.empty() || m_notifiedUpTo > m_head || m_resync || m_stop; };
            if (behind)
                m_wake.wait_until(lock, retryAt, ready);
            else
                m_wake.wait(lock, ready);
            batches.swap(m_batches);
            notifiedUpTo = m_notifiedUpTo;
            resync = m_resync;
            m_resync = false;
            stopping = m_stop;
        }
        for (Committed &b : batches) {
            if (!b.events.isEmpty()) {
                const qint64 first = b.events.first().position;
                const qint64 last = b.events.last().position;
                if (!behind && first > m_head + 1 && !catchUp(first - 1))
                    behind = true;
                if (!behind && last > m_head) {
                    m_host->announce(first > m_head ? b.events : b.events.mid(m_head - first + 1));
                    m_head = last;
                }
                // behind: these events come again from the database once it answers
            }
            for (auto &[callback, result] : b.answers)
                callback(result);
        }
        if (behind || resync || notifiedUpTo > m_head) {
            behind = !catchUp(-1);
            if (behind) {
                m_backoffMs = qBound(kFirstBackoffMs, m_backoffMs * 2, kMaxBackoffMs);
                retryAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_backoffMs);
            } else {
                m_backoffMs = 0;
            }
        }
        if (stopping) {
            std::lock_guard lock(m_mutex);
            if (m_batches.empty())
                break;
        }
    }
    m_db.reset();
}

bool PgEventTailer::connect()
{
    auto db = std::make_unique<PgConnection>();
    QString error;
    if (!db->open(m_url, QStringLiteral("events tailer"), &error)) {
        if (m_backoffMs == 0)
            qCWarning(lcStore).noquote() << "cannot read new events from" << m_url.redacted() << ":" << error;
        return false;
    }
    m_db = std::move(db);
    return true;
}

bool PgEventTailer::catchUp(qint64 upTo)
{
    if (!m_db && !connect())
        return false;
    for (;;) {
        QSqlQuery q(m_db->database());
        q.setForwardOnly(true);
        // Unprepared: one round trip (Qt prepares server-side, which would cost two more).
        const QString sql = QStringLiteral("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                                           " WHERE position > %1%2 ORDER BY position LIMIT %3")
                                .arg(m_head)
                                .arg(upTo >= 0 ? QStringLiteral(" AND position <= %1").arg(upTo) : QString())
                                .arg(kPage);
        if (!q.exec(sql)) {
            m_db->noteError(q.lastError());
            qCWarning(lcStore).noquote() << "reading new events failed:" << m_db->lastSqlState() << m_db->errorString();
            if (PgConnection::isConnectionFailure(m_db->lastSqlState()))
                m_db.reset();
            return false;
        }
        RecordedEvents page;
        bool gap = false;
        while (q.next()) {
            RecordedEvent e = PgEventSchema::readRow(q);
            if (e.position != m_head + page.size() + 1) {
                // Cannot happen while every append takes the append lock; never announce out of order.
                qCCritical(lcStore) << "the event log has a gap after position" << m_head + page.size()
                                    << "- next is" << e.position;
                gap = true;
                break;
            }
            page.append(std::move(e));
        }
        if (!page.isEmpty()) {
            m_host->announce(page);
            m_head = page.last().position;
        }
        if (gap)
            return false;
        if (page.size() < kPage || (upTo >= 0 && m_head >= upTo))
            return upTo < 0 || m_head >= upTo;
    }
}

} // namespace Gatehouse
