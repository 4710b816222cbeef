#pragma once

#include "eventlogbackend.h"
#include "sql/postgresurl.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

class QThread;

namespace Gatehouse {

class PgConnection;
class PgEventTailer;
class PgAppendPlan;

// The writer of a PostgreSQL event log: one thread and one connection per engine, group commit.
//
// Each batch (every append waiting when it starts, at most maxBatchAppends) takes two round
// trips: (1) one statement reads the log's end, the heads of the batch's streams, its
// idempotency keys and its given event ids, and PgAppendPlan decides every append in C++;
// (2) BEGIN, pg_advisory_xact_lock(kAppendClass, kAppendKey), one statement that inserts the
// batch (unnest of arrays) at the log's end as it is now and NOTIFYs gatehouse_events with the
// last position, COMMIT. Positions are taken under the lock, which is held until COMMIT, so
// they are gap-free and commit in order across engines; the lock is held for the server's
// part of (2) only, not across a round trip, so engines' batches overlap everywhere else.
// Callers are answered (by the tailer) after COMMIT returns.
//
// The read is optimistic: another engine may append in between. Its appends to this batch's
// streams (versions), with its idempotency keys or event ids, collide with the batch's rows on
// the unique indexes; such a batch is rolled back and decided again with the read under the
// lock (BEGIN, lock, read; decide; insert, COMMIT), as are the next kLockedAfterConflict
// batches, since engines that met once on a stream tend to meet again. Appends to other streams
// only move the batch's positions, which the insert does.
//
// Failures: a lost connection answers the batch StorageError (a COMMIT whose answer never came
// included: its outcome is unknown, the client retries with its idempotency key) and the
// writer connects again when the next batch comes, at most once per backoff period (100 ms
// doubling to 5 s); batches meanwhile are answered StorageError at once. A batch whose first
// round trip found the connection dead (nothing was written) is tried once more on a new one.
// SQLSTATE 53100 (disk full) answers StorageFull.
class PgEventLogWriter final
{
public:
    PgEventLogWriter(EventLogHost *host, const EventStore::Options &options, PgEventTailer *tailer);
    ~PgEventLogWriter();
    PgEventLogWriter(const PgEventLogWriter &) = delete;
    PgEventLogWriter &operator=(const PgEventLogWriter &) = delete;

    bool start(QString *error);   // connects on the writer thread; false if it cannot
    void enqueue(AppendRequest &&request, EventStore::AppendCallback &&callback);
    void stop();                  // commits what is queued, then joins
    qint64 conflicts() const { return m_conflicts.load(); }

    // At most this long a batch waits for as many appends as the previous one had (see run()).
    static constexpr int kGatherUs = 1000;
    static constexpr int kStatementTimeoutMs = 60000;
    // A writer cut off mid-transaction (its engine frozen, its network gone) holds the append
    // lock; the server ends such a transaction after this long, so other engines go on.
    static constexpr int kIdleInTransactionTimeoutMs = 30000;

private:
    struct Pending
    {
        AppendRequest request;
        EventStore::AppendCallback callback;
    };
    enum class Outcome { Committed, Failed, RetryOnNewConnection, Conflict };

    void run();
    void runBatch(std::vector<Pending> &batch);
    Outcome tryBatch(std::vector<Pending> &batch, std::vector<AppendResult> *results, PgAppendPlan *plan, bool locked,
                     AppendResult::Status *failStatus, QString *error);
    bool ensureConnected(QString *error);
    bool connect(QString *error);
    void disconnect();
    void failBatch(std::vector<Pending> &batch, AppendResult::Status status, const QString &error);

    EventLogHost *m_host;
    EventStore::Options m_options;
    PgEventTailer *m_tailer;
    std::unique_ptr<PgConnection> m_db;   // writer thread only
    qint64 m_nextConnectMs = 0;
    qint64 m_backoffMs = 0;
    qint64 m_failedBatches = 0;
    int m_lastBatchSize = 0;
    int m_lockedBatches = 0;   // batches still to read under the lock after a conflict
    std::atomic<qint64> m_conflicts{0};
    QThread *m_thread = nullptr;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Pending> m_queue;
    bool m_stopping = false;
};

} // namespace Gatehouse
