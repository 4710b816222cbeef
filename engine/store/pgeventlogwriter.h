#pragma once

#include "eventlogbackend.h"
#include "sql/postgresurl.h"

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
// Each batch (every append waiting when it starts, at most maxBatchAppends) is one transaction
// in two round trips: (1) BEGIN, pg_advisory_xact_lock(kAppendClass, kAppendKey), then one
// statement that reads the log's end, the heads of the batch's streams, its idempotency keys
// and its given event ids; PgAppendPlan decides every append in C++; (2) one statement that
// inserts the batch (unnest of arrays) and NOTIFYs gatehouse_events with the last position,
// then COMMIT. The lock is held until COMMIT, so positions are gap-free and commit in order
// across engines. Callers are answered (by the tailer) after COMMIT returns.
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
    enum class Outcome { Committed, Failed, RetryOnNewConnection };

    void run();
    void runBatch(std::vector<Pending> &batch);
    Outcome tryBatch(std::vector<Pending> &batch, std::vector<AppendResult> *results, PgAppendPlan *plan,
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
    QThread *m_thread = nullptr;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Pending> m_queue;
    bool m_stopping = false;
};

} // namespace Gatehouse
