#pragma once

#include "appendrequest.h"
#include "appendresult.h"
#include "recordedevent.h"
#include "sql/readstatus.h"
#include "sql/storagetarget.h"

#include <QObject>

#include <functional>
#include <memory>

namespace Gatehouse {

// The durable, append-only event log: events.db (SQLite, the embedded default) or the tables
// events and idempotency_keys of a PostgreSQL database that several engines share.
//
// One writer thread owns the only read-write connection and does group commit: every append
// waiting when a transaction starts goes into that transaction, and each caller is answered
// after COMMIT returns. Readers use a small pool of connections and may call the read functions
// from any thread. eventsCommitted() is emitted from a store thread with every committed event
// exactly once, in position order, in batches (on PostgreSQL also the events other engines
// appended); connect with a queued connection to receive it on your own thread. The backends
// live in SqliteEventLog and PgEventLog behind EventLogBackend.
class EventStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventStore)

public:
    // SQLite: synchronous=FULL (fsync per commit) or NORMAL. PostgreSQL: the server's
    // fsync/synchronous_commit decide.
    enum class Durability { Full, Normal };

    struct Options
    {
        StorageTarget target;              // events.db, or a PostgreSQL database
        Durability durability = Durability::Full;
        int maxBatchAppends = 4096;        // appends per transaction at most
        int maxQueuedAppends = 100000;     // beyond this append() answers StorageError "queue full"
    };

    struct StreamHead
    {
        qint64 version = -1;               // -1: no such stream
        QString lastType;
        qint64 lastPosition = 0;
    };

    struct IdempotencyRecord
    {
        bool found = false;
        QByteArray requestHash;
        AppendResult result;
    };

    using AppendCallback = std::function<void(const AppendResult &)>;

    explicit EventStore(QObject *parent = nullptr);
    ~EventStore() override;

    bool open(const Options &options);
    // Stops accepting appends, commits everything already queued, answers every caller, then
    // stops the writer and closes all connections.
    void close();
    bool isOpen() const;

    // A simulation's fault: the writer waits this long (0..kMaxCommitDelayMs) before each group
    // commit, so every append takes at least that long. In memory only; 0 switches it off.
    // Any thread.
    static constexpr qint64 kMaxCommitDelayMs = 10000;
    void setCommitDelay(qint64 delayMs);
    qint64 commitDelay() const;
    QString errorString() const;

    // Asynchronous append. `callback` runs on the writer thread after the commit (or failure);
    // it must be quick and must not call back into append synchronously.
    void append(AppendRequest request, AppendCallback callback);
    // Blocking convenience for tests, tools and non-latency-critical callers.
    AppendResult appendAndWait(AppendRequest request);

    // Reads, from any thread. For reads that answer a request: `status` tells a failure or a
    // timeout from an empty answer (which is then empty, never partial), and `budgetMs` > 0
    // interrupts the statement after that long (ReadStatus::Kind::TimedOut).
    RecordedEvents readStream(const QString &stream, qint64 fromVersion = 0, int maxCount = 100000,
                              ReadStatus *status = nullptr, int budgetMs = 0) const;
    // Events with position >= fromPosition, optionally whose type matches a glob (`*`, `?`).
    RecordedEvents readAll(qint64 fromPosition, int maxCount, const QString &typeGlob = {},
                           ReadStatus *status = nullptr, int budgetMs = 0) const;
    RecordedEvents readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob = {},
                                ReadStatus *status = nullptr, int budgetMs = 0) const;
    StreamHead streamHead(const QString &stream) const;
    IdempotencyRecord idempotencyRecord(const QString &key) const;
    qint64 headPosition() const;          // last committed position (0 = empty log)
    qint64 eventCount() const;            // == headPosition: positions have no gaps
    // PostgreSQL, several engines: batches whose optimistic read was overtaken by another
    // engine's append to one of their streams (decided again under the lock). 0 on SQLite.
    qint64 appendConflicts() const;

    // Visits every event from `fromPosition` in order without materialising the whole log;
    // the visitor returns false to stop. For rebuilds and offline tools.
    bool scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const;

Q_SIGNALS:
    void eventsCommitted(const Gatehouse::RecordedEvents &events);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
