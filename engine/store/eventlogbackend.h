#pragma once

#include "eventstore.h"

namespace Gatehouse {

// What a backend tells the EventStore it serves. announce() is called from one backend thread
// at a time, with every committed event exactly once and in position order (on PostgreSQL also
// the events other engines appended); the store records the head and emits eventsCommitted.
class EventLogHost
{
public:
    virtual ~EventLogHost() = default;
    virtual void setHead(qint64 position) = 0;            // the log's end when it opens
    virtual void announce(const RecordedEvents &events) = 0;
    virtual qint64 commitDelayMs() const = 0;             // EventStore::setCommitDelay()
};

// The storage under an EventStore: SqliteEventLog (events.db) or PgEventLog (PostgreSQL).
// Callers of EventStore never see which; both decide every append the same way (expected
// version, precondition, idempotency key, event id) and answer each caller after its COMMIT.
// The read functions are called from any thread, concurrently; append() from any thread.
class EventLogBackend
{
public:
    virtual ~EventLogBackend() = default;

    virtual bool open(QString *error) = 0;
    // Stops accepting appends, commits what is queued, answers every caller, stops threads.
    // Reads after close() answer Unavailable.
    virtual void close() = 0;
    // Runs `callback` (on a backend thread) once with the outcome.
    virtual void append(AppendRequest &&request, EventStore::AppendCallback &&callback) = 0;

    virtual RecordedEvents readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status,
                                      int budgetMs) const = 0;
    virtual RecordedEvents readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                   int budgetMs) const = 0;
    virtual RecordedEvents readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob,
                                        ReadStatus *status, int budgetMs) const = 0;
    virtual EventStore::StreamHead streamHead(const QString &stream) const = 0;
    virtual EventStore::IdempotencyRecord idempotencyRecord(const QString &key) const = 0;
    virtual bool scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const = 0;
    // Batches decided on a read that another engine's append overtook, then decided again.
    virtual qint64 appendConflicts() const { return 0; }
};

} // namespace Gatehouse
