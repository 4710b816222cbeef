#pragma once

#include "eventlogbackend.h"
#include "sql/sqlitereadpool.h"

#include <memory>

namespace Gatehouse {

// The event log in one SQLite file (events.db), the embedded default. One writer thread with
// group commit; with Durability::Full a completion thread fdatasyncs the WAL once for every
// batch committed meanwhile before it announces the events and answers the callers. Reads
// through a pool of read-only connections (any thread).
class SqliteEventLog final : public EventLogBackend
{
public:
    SqliteEventLog(EventLogHost *host, const EventStore::Options &options);
    ~SqliteEventLog() override;
    SqliteEventLog(const SqliteEventLog &) = delete;
    SqliteEventLog &operator=(const SqliteEventLog &) = delete;

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

    class Writer;

private:
    SqliteReadPool::Lease lease(int budgetMs = 0) const;   // 0: no time budget

    EventLogHost *m_host;
    EventStore::Options m_options;
    std::unique_ptr<Writer> m_writer;
    std::unique_ptr<SqliteReadPool> m_readers;
};

} // namespace Gatehouse
