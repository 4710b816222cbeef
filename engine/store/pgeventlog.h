#pragma once

#include "eventlogbackend.h"

#include <functional>
#include <memory>

class QSqlQuery;

namespace Gatehouse {

class PgEventLogWriter;
class PgEventTailer;
class PgEventReadPool;
class PgNotificationListener;

// The event log in a PostgreSQL database that several engines share (tables events and
// idempotency_keys, migrations of component "events").
//
// Appends: one writer thread per engine with group commit, one transaction per batch that takes
// the append advisory lock before it reads the log's end, so positions are gap-free and commit
// in order whichever engine appends (PgEventLogWriter). Every engine announces every event once,
// in position order (PgEventTailer: its own commits as they return, the others' on NOTIFY
// gatehouse_events). Reads through a small pool of connections, from any thread, with time
// budgets as statement_timeout. Durability::Normal turns synchronous_commit off for the writer:
// as with SQLite's NORMAL, the last commits may be lost (here: if the server crashes).
class PgEventLog final : public EventLogBackend
{
public:
    PgEventLog(EventLogHost *host, const EventStore::Options &options);
    ~PgEventLog() override;
    PgEventLog(const PgEventLog &) = delete;
    PgEventLog &operator=(const PgEventLog &) = delete;

    bool open(QString *error) override;
    void close() override;
    void append(AppendRequest &&request, EventStore::AppendCallback &&callback) override;

    RecordedEvents readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status,
                              int budgetMs) const override;
    RecordedEvents readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                           int budgetMs) const override;
    RecordedEvents readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                int budgetMs) const override;
    EventStore::StreamHead streamHead(const QString &stream) const override;
    EventStore::IdempotencyRecord idempotencyRecord(const QString &key) const override;
    bool scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const override;
    qint64 appendConflicts() const override;

    // Events per page of scan() (each page one statement).
    static constexpr int kScanPage = 5000;

private:
    // Runs one read on a pooled connection and hands its rows to `read`; false (and *status)
    // when it failed.
    bool query(const char *sql, const char *where, const QVariantList &values, ReadStatus *status, int budgetMs,
               const std::function<void(QSqlQuery &)> &read) const;
    RecordedEvents readEvents(const char *sql, const char *where, const QVariantList &values, bool backward,
                              ReadStatus *status, int budgetMs) const;

    EventLogHost *m_host;
    EventStore::Options m_options;
    std::unique_ptr<PgEventReadPool> m_readers;
    std::unique_ptr<PgEventTailer> m_tailer;
    std::unique_ptr<PgNotificationListener> m_listener;
    std::unique_ptr<PgEventLogWriter> m_writer;
    qint64 m_closedConflicts = 0;   // counted by writers that were closed
};

} // namespace Gatehouse
