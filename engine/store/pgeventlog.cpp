#include "pgeventlog.h"

#include "pgeventlogwriter.h"
#include "pgeventschema.h"
#include "pgeventtailer.h"
#include "pgeventreadpool.h"
#include "sql/pgconnection.h"
#include "sql/pgnotificationlistener.h"
#include "sql/schemamigrations.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
ReadStatus unreachable(const QString &why)
{
    return ReadStatus::unavailable(QStringLiteral("the event store is not available (%1)").arg(why));
}

// The regular expression for a type glob; one no type matches (no text holds a character
// outside U+0001..U+10FFFF) when the glob can match nothing, so the read still runs and says
// whether the store could answer.
QString typeRegex(const QString &glob)
{
    return PgEventSchema::globRegex(glob).value_or(QStringLiteral("[^\\u0001-\\U0010ffff]"));
}
} // namespace

PgEventLog::PgEventLog(EventLogHost *host, const EventStore::Options &options)
    : m_host(host)
    , m_options(options)
{
}

PgEventLog::~PgEventLog()
{
    close();
}

bool PgEventLog::open(QString *error)
{
    const PostgresUrl &url = m_options.target.postgres;
    PgConnection setup;
    QString why;
    if (!setup.open(url, QStringLiteral("events setup"), error))
        return false;
    if (!SchemaMigrations::apply(setup.database(), QStringLiteral("events"), PgEventSchema::migrations(), &why)) {
        *error = QStringLiteral("cannot prepare the event log in %1: %2").arg(url.redacted(), why);
        return false;
    }

    // LISTEN before reading the log's end: whatever commits after that read is notified.
    m_tailer = std::make_unique<PgEventTailer>(m_host, url);
    PgEventTailer *tailer = m_tailer.get();
    m_listener = std::make_unique<PgNotificationListener>(url, QStringList{QString::fromLatin1(PgEventSchema::kChannel)},
                                                          QStringLiteral("events listener"));
    // Direct: the tailer takes them on the listener's thread (it only records and wakes).
    QObject::connect(m_listener.get(), &PgNotificationListener::notification, m_listener.get(),
                     [tailer](const QString &, const QString &payload) { tailer->notified(payload.toLongLong()); },
                     Qt::DirectConnection);
    // Notifications sent while it was away are lost: read whatever came meanwhile.
    QObject::connect(m_listener.get(), &PgNotificationListener::reconnected, m_listener.get(),
                     [tailer] { tailer->resync(); }, Qt::DirectConnection);
    if (!m_listener->start(&why)) {
        *error = QStringLiteral("cannot listen for new events in %1: %2").arg(url.redacted(), why);
        return false;
    }
    QSqlQuery end(setup.database());
    if (!end.exec(QStringLiteral("SELECT COALESCE(max(position), 0) FROM events")) || !end.next()) {
        *error = QStringLiteral("cannot read the event log in %1: %2").arg(url.redacted(), end.lastError().text());
        return false;
    }
    const qint64 head = end.value(0).toLongLong();
    m_host->setHead(head);
    m_tailer->start(head);

    m_readers = std::make_unique<PgEventReadPool>(url);
    m_writer = std::make_unique<PgEventLogWriter>(m_host, m_options, m_tailer.get());
    if (!m_writer->start(&why)) {
        *error = QStringLiteral("the event log's writer: %1").arg(why);
        m_writer.reset();
        return false;
    }
    qCInfo(lcStore) << "opened the event log in" << url.redacted() << "at position" << head;
    return true;
}

void PgEventLog::close()
{
    if (m_writer) {
        m_writer->stop();   // every queued append committed or failed, handed to the tailer
        m_closedConflicts += m_writer->conflicts();
    }
    m_writer.reset();
    if (m_listener)
        m_listener->stop();   // no more wake-ups for the tailer
    m_listener.reset();
    if (m_tailer)
        m_tailer->stop();   // every caller answered
    if (m_readers)
        m_readers->clear();
}

void PgEventLog::append(AppendRequest &&request, EventStore::AppendCallback &&callback)
{
    m_writer->enqueue(std::move(request), std::move(callback));
}

bool PgEventLog::query(const char *sql, const char *where, const QVariantList &values, ReadStatus *status, int budgetMs,
                       const std::function<void(QSqlQuery &)> &read) const
{
    // Once more on a new connection when a pooled one was found cut while idle: a read may
    // simply be repeated.
    for (int attempt = 0;; ++attempt) {
        if (status)
            *status = {};
        QString why;
        auto c = m_readers ? m_readers->acquire(&why) : PgEventReadPool::Lease(nullptr, nullptr);
        if (!c) {
            if (status)
                *status = unreachable(why);
            return false;
        }
        QSqlQuery *q = c->query(sql, where, status, budgetMs);
        if (q) {
            for (int i = 0; i < values.size(); ++i)
                q->bindValue(i, values.at(i));
            if (c->exec(q, where, status, budgetMs)) {
                read(*q);
                q->finish();
                return true;
            }
        }
        if (attempt > 0 || !c->retryable())
            return false;
    }
}

RecordedEvents PgEventLog::readEvents(const char *sql, const char *where, const QVariantList &values, bool backward,
                                      ReadStatus *status, int budgetMs) const
{
    RecordedEvents out;
    query(sql, where, values, status, budgetMs, [&](QSqlQuery &q) {
        while (q.next()) {
            if (backward)
                out.prepend(PgEventSchema::readRow(q));
            else
                out.append(PgEventSchema::readRow(q));
        }
    });
    return out;
}

RecordedEvents PgEventLog::readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status,
                                      int budgetMs) const
{
    return readEvents("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                      " WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?",
                      "readStream", {stream, fromVersion, qint64(maxCount)}, false, status, budgetMs);
}

RecordedEvents PgEventLog::readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                   int budgetMs) const
{
    if (typeGlob.isEmpty())
        return readEvents("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                          " WHERE position >= ? ORDER BY position LIMIT ?",
                          "readAll", {fromPosition, qint64(maxCount)}, false, status, budgetMs);
    return readEvents("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                      " WHERE position >= ? AND type ~ ? ORDER BY position LIMIT ?",
                      "readAll", {fromPosition, typeRegex(typeGlob), qint64(maxCount)}, false, status,
                      budgetMs);
}

RecordedEvents PgEventLog::readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                        int budgetMs) const
{
    if (typeGlob.isEmpty())
        return readEvents("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                          " WHERE position < ? ORDER BY position DESC LIMIT ?",
                          "readBackward", {beforePosition, qint64(maxCount)}, true, status, budgetMs);
    return readEvents("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                      " WHERE position < ? AND type ~ ? ORDER BY position DESC LIMIT ?",
                      "readBackward", {beforePosition, typeRegex(typeGlob), qint64(maxCount)}, true,
                      status, budgetMs);
}

EventStore::StreamHead PgEventLog::streamHead(const QString &stream) const
{
    EventStore::StreamHead head;
    query("SELECT version, type, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1", "streamHead",
          {stream}, nullptr, 0, [&](QSqlQuery &q) {
              if (q.next()) {
                  head.version = q.value(0).toLongLong();
                  head.lastType = q.value(1).toString();
                  head.lastPosition = q.value(2).toLongLong();
              }
          });
    return head;
}

EventStore::IdempotencyRecord PgEventLog::idempotencyRecord(const QString &key) const
{
    EventStore::IdempotencyRecord rec;
    query("SELECT request_hash, stream, first_position, last_position, version, event_types FROM idempotency_keys"
          " WHERE key = ?", "idempotencyRecord", {key}, nullptr, 0, [&](QSqlQuery &q) {
              if (!q.next())
                  return;
              rec.found = true;
              rec.requestHash = q.value(0).toByteArray();
              rec.result.status = AppendResult::Ok;
              rec.result.replayed = true;
              rec.result.stream = q.value(1).toString();
              rec.result.firstPosition = q.value(2).toLongLong();
              rec.result.lastPosition = q.value(3).toLongLong();
              rec.result.version = q.value(4).toLongLong();
              rec.result.eventTypes = q.value(5).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
          });
    return rec;
}

qint64 PgEventLog::appendConflicts() const
{
    return m_closedConflicts + (m_writer ? m_writer->conflicts() : 0);
}

bool PgEventLog::scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const
{
    QString why;
    auto c = m_readers ? m_readers->acquire(&why) : PgEventReadPool::Lease(nullptr, nullptr);
    QSqlQuery *end = c ? c->query("SELECT COALESCE(max(position), 0) FROM events", "scan", nullptr, 0) : nullptr;
    if (!end || !c->exec(end, "scan", nullptr, 0) || !end->next())
        return false;
    // The log as it is now, in pages: positions have no gaps, so each page starts where the
    // previous one ended and the whole is a consistent prefix of the log.
    const qint64 last = end->value(0).toLongLong();
    end->finish();
    QSqlQuery *page = c->query("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                               " WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?", "scan", nullptr, 0);
    if (!page)
        return false;
    qint64 next = fromPosition;
    while (next <= last) {
        page->bindValue(0, next);
        page->bindValue(1, last);
        page->bindValue(2, kScanPage);
        if (!c->exec(page, "scan", nullptr, 0))
            return false;
        int rows = 0;
        while (page->next()) {
            const RecordedEvent e = PgEventSchema::readRow(*page);
            ++rows;
            next = e.position + 1;
            if (!visitor(e)) {
                page->finish();
                return true;
            }
        }
        page->finish();
        if (rows < kScanPage)
            break;
    }
    return true;
}

} // namespace Gatehouse
