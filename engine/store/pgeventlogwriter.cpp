#include "pgeventlogwriter.h"

#include "pgappendplan.h"
#include "pgeventtailer.h"
#include "pgpipeline.h"
#include "sql/pgadvisorylocks.h"
#include "sql/pgconnection.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QThread>

#include <future>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
constexpr qint64 kFirstBackoffMs = 100;
constexpr qint64 kMaxBackoffMs = 5000;
constexpr char kDiskFull[] = "53100";
constexpr char kUniqueViolation[] = "23505";
// After a batch that met another engine's append, this many batches take the lock first.
constexpr int kLockedAfterConflict = 32;

// The batch's statements, prepared once per connection (see connect()).
constexpr char kLockStatement[] = "gatehouse_append_lock";
constexpr char kStateStatement[] = "gatehouse_append_state";
constexpr char kInsertStatement[] = "gatehouse_append_insert";
constexpr char kLockSql[] = "SELECT pg_advisory_xact_lock($1::int4, $2::int4)";

// What the batch can touch, read in one statement: the log's end (kind 0),
// the head of each stream (1), each idempotency key (2), each given event id (3).
constexpr char kStateSql[] =
    "SELECT 0, NULL::text, NULL::text, COALESCE(max(position), 0)::bigint, 0::bigint, 0::bigint, NULL::text, NULL::bytea"
    " FROM events"
    " UNION ALL"
    " SELECT 1, s.name, NULL, h.version, h.position, 0, h.type, NULL FROM unnest($1::text[]) AS s(name)"
    " CROSS JOIN LATERAL (SELECT version, position, type FROM events WHERE stream = s.name"
    " ORDER BY version DESC LIMIT 1) AS h"
    " UNION ALL"
    " SELECT 2, key, stream, first_position, last_position, version, event_types, request_hash"
    " FROM idempotency_keys WHERE key = ANY($2::text[])"
    " UNION ALL"
    " SELECT 3, id, stream, version, position, 0, NULL, NULL FROM events WHERE id = ANY($3::text[])";

// The whole batch in one statement, run under the append lock. The plan placed the batch after
// the log's end it read ($18); the log may have grown since (another engine), so every position
// is moved by how much it did: shift = the end now - $18. The statement answers the shift; the
// notification (delivered at COMMIT) carries the batch's last position.
constexpr char kInsertSql[] =
    "WITH b AS (SELECT COALESCE(max(position), 0)::bigint - $18::bigint AS shift FROM events),"
    " e AS (INSERT INTO events(position, stream, version, id, type, data, metadata, time)"
    " SELECT u.position + b.shift, u.stream, u.version, u.id, u.type, u.data, u.metadata, u.time FROM b,"
    " unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])"
    " AS u(position, stream, version, id, type, data, metadata, time)),"
    " k AS (INSERT INTO idempotency_keys(key, request_hash, stream, first_position, last_position, version,"
    " event_types, created)"
    " SELECT u.key, u.hash, u.stream, u.first + b.shift, u.last + b.shift, u.version, u.types, u.created FROM b,"
    " unnest($9::text[], $10::bytea[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::text[],"
    " $16::bigint[]) AS u(key, hash, stream, first, last, version, types, created))"
    " SELECT b.shift, pg_notify('gatehouse_events', ($17::bigint + b.shift)::text) FROM b";

AppendResult failure(const AppendRequest &request, AppendResult::Status status, const QString &error)
{
    AppendResult r;
    r.status = status;
    r.stream = request.stream;
    r.error = error;
    return r;
}

AppendResult::Status statusFor(const QString &sqlState)
{
    return sqlState == QLatin1String(kDiskFull) ? AppendResult::StorageFull : AppendResult::StorageError;
}

void loadState(const PgPipeline &p, int st, PgAppendPlan *plan)
{
    for (int row = 0; row < p.rows(st); ++row) {
        switch (p.int4(st, row, 0)) {
        case 0:
            plan->setLogEnd(p.int8(st, row, 3));
            break;
        case 1:
            plan->setStreamHead(p.text(st, row, 1), p.int8(st, row, 3), p.text(st, row, 6));
            break;
        case 2:
            plan->setKey(p.text(st, row, 1), p.bytes(st, row, 7), p.int8(st, row, 3), p.int8(st, row, 4),
                         p.int8(st, row, 5), p.text(st, row, 6));
            break;
        case 3:
            plan->setEventId(p.text(st, row, 1), p.text(st, row, 2), p.int8(st, row, 3), p.int8(st, row, 4));
            break;
        }
    }
}

QList<PgPipeline::Param> insertParams(const PgAppendPlan &plan)
{
    const RecordedEvents &rows = plan.committed;
    QList<qint64> positions, versions, times;
    QList<QByteArray> streams, ids, types, data, metadata;
    for (QList<qint64> *l : {&positions, &versions, &times})
        l->reserve(rows.size());
    for (QList<QByteArray> *l : {&streams, &ids, &types, &data, &metadata})
        l->reserve(rows.size());
    for (const RecordedEvent &e : rows) {
        positions.append(e.position);
        streams.append(e.stream.toUtf8());
        versions.append(e.version);
        ids.append(e.id.toUtf8());
        types.append(e.type.toUtf8());
        data.append(e.data);
        metadata.append(e.metadata);
        times.append(e.timeMs);
    }
    const auto &k = plan.keyRows;
    return {PgPipeline::int8Array(positions), PgPipeline::textArray(streams), PgPipeline::int8Array(versions),
            PgPipeline::textArray(ids), PgPipeline::textArray(types), PgPipeline::textArray(data),
            PgPipeline::textArray(metadata), PgPipeline::int8Array(times),
            PgPipeline::textArray(k.keys), PgPipeline::byteaArray(k.hashes), PgPipeline::textArray(k.streams),
            PgPipeline::int8Array(k.first), PgPipeline::int8Array(k.last), PgPipeline::int8Array(k.versions),
            PgPipeline::textArray(k.types), PgPipeline::int8Array(k.created),
            PgPipeline::int8(plan.lastPosition()), PgPipeline::int8(plan.readEnd())};
}
} // namespace

PgEventLogWriter::PgEventLogWriter(EventLogHost *host, const EventStore::Options &options, PgEventTailer *tailer)
    : m_host(host)
    , m_options(options)
    , m_tailer(tailer)
{
}

PgEventLogWriter::~PgEventLogWriter()
{
    stop();
}

bool PgEventLogWriter::start(QString *error)
{
    std::promise<QString> connected;
    auto started = connected.get_future();
    m_stopping = false;
    m_thread = QThread::create([this, &connected] {
        QString why;
        if (!connect(&why)) {
            connected.set_value(why.isEmpty() ? QStringLiteral("cannot connect") : why);
            return;
        }
        connected.set_value({});
        run();
    });
    m_thread->setObjectName(QStringLiteral("gatehouse-store-writer"));
    m_thread->start();
    *error = started.get();
    if (error->isEmpty())
        return true;
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    return false;
}

void PgEventLogWriter::enqueue(AppendRequest &&request, EventStore::AppendCallback &&callback)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_stopping && int(m_queue.size()) < m_options.maxQueuedAppends) {
            m_queue.push_back({std::move(request), std::move(callback)});
            m_wake.notify_one();
            return;
        }
    }
    callback(failure(request, m_stopping ? AppendResult::Stopped : AppendResult::StorageError,
                     m_stopping ? QStringLiteral("the event store is closing")
                                : QStringLiteral("append queue is full (%1 pending)").arg(m_options.maxQueuedAppends)));
}

void PgEventLogWriter::stop()
{
    if (!m_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_wake.notify_one();
    }
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

bool PgEventLogWriter::connect(QString *error)
{
    auto db = std::make_unique<PgConnection>();
    if (!db->open(m_options.target.postgres, QStringLiteral("events writer"), error))
        return false;
    // The batch's statements are prepared once (below) and planned once: a custom plan per batch
    // costs more than running it (planning the state read takes about 0.3 ms, running it 0.1
    // ms), and their generic plans are the same index look-ups whatever the arrays hold.
    QString settings = QStringLiteral("SET statement_timeout = %1; SET idle_in_transaction_session_timeout = %2;"
                                      " SET plan_cache_mode = force_generic_plan")
                           .arg(kStatementTimeoutMs)
                           .arg(kIdleInTransactionTimeoutMs);
    if (m_options.durability == EventStore::Durability::Normal)
        settings += QStringLiteral("; SET synchronous_commit = off");
    if (!db->exec(settings)) {
        *error = db->errorString();
        return false;
    }
    if (!PgPipeline::prepare(db->nativeHandle(), kLockStatement, kLockSql, error)
        || !PgPipeline::prepare(db->nativeHandle(), kStateStatement, kStateSql, error)
        || !PgPipeline::prepare(db->nativeHandle(), kInsertStatement, kInsertSql, error))
        return false;
    m_db = std::move(db);
    m_backoffMs = 0;
    return true;
}

void PgEventLogWriter::disconnect()
{
    m_db.reset();
    m_backoffMs = qBound(kFirstBackoffMs, m_backoffMs * 2, kMaxBackoffMs);
    m_nextConnectMs = QDateTime::currentMSecsSinceEpoch() + m_backoffMs;
}

bool PgEventLogWriter::ensureConnected(QString *error)
{
    if (m_db)
        return true;
    if (QDateTime::currentMSecsSinceEpoch() < m_nextConnectMs) {
        *error = QStringLiteral("the database is not reachable (connecting again shortly)");
        return false;
    }
    if (connect(error)) {
        qCInfo(lcStore) << "the event log's writer is connected again to" << m_options.target.postgres.redacted();
        return true;
    }
    disconnect();
    *error = QStringLiteral("the database is not reachable (%1)").arg(*error);
    return false;
}

void PgEventLogWriter::run()
{
    std::vector<Pending> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return !m_queue.empty() || m_stopping; });
            if (m_queue.empty())
                break;   // stopping, and everything queued has been committed
            // Every commit holds the append lock through its fsync, so a batch's size is the
            // throughput. The callers just answered are usually about to append again: wait a
            // moment for as many as the last batch had, rather than commit half of them now and
            // the other half one fsync later.
            const size_t expected = size_t(qMin(m_lastBatchSize, m_options.maxBatchAppends));
            if (m_queue.size() < expected) {
                m_wake.wait_for(lock, std::chrono::microseconds(kGatherUs),
                                [&] { return m_queue.size() >= expected || m_stopping; });
            }
            if (int(m_queue.size()) <= m_options.maxBatchAppends) {
                batch.swap(m_queue);
            } else {
                auto end = m_queue.begin() + m_options.maxBatchAppends;
                batch.assign(std::make_move_iterator(m_queue.begin()), std::make_move_iterator(end));
                m_queue.erase(m_queue.begin(), end);
            }
        }
        if (const qint64 delay = m_host->commitDelayMs(); delay > 0) {
            // Appends arriving meanwhile wait for the next batch (and its delay); stopping cuts it short.
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, std::chrono::milliseconds(delay), [this] { return m_stopping; });
        }
        m_lastBatchSize = int(batch.size());
        runBatch(batch);
        batch.clear();
    }
    m_db.reset();
}

void PgEventLogWriter::runBatch(std::vector<Pending> &batch)
{
    QString error;
    AppendResult::Status status = AppendResult::StorageError;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (!ensureConnected(&error))
            break;
        std::vector<AppendResult> results;
        PgAppendPlan plan;
        const bool locked = m_lockedBatches > 0;
        const Outcome outcome = tryBatch(batch, &results, &plan, locked, &status, &error);
        if (locked)
            --m_lockedBatches;
        if (outcome == Outcome::Conflict) {
            m_lockedBatches = kLockedAfterConflict;
            ++m_conflicts;
            continue;   // nothing was written; decided again under the lock
        }
        if (outcome == Outcome::Committed) {
            if (m_failedBatches > 0) {
                qCInfo(lcStore) << "the event log is writable again after" << m_failedBatches << "failed transactions";
                m_failedBatches = 0;
            }
            PgEventTailer::Committed done;
            done.answers.reserve(batch.size());
            for (size_t i = 0; i < batch.size(); ++i)
                done.answers.emplace_back(std::move(batch[i].callback), std::move(results[i]));
            done.events = std::move(plan.committed);
            m_tailer->committed(std::move(done));
            return;
        }
        if (outcome == Outcome::Failed)
            break;
        m_nextConnectMs = 0;   // nothing was written: a new connection may take the batch at once
        m_lockedBatches = 0;
    }
    failBatch(batch, status, error);
}

PgEventLogWriter::Outcome PgEventLogWriter::tryBatch(std::vector<Pending> &batch, std::vector<AppendResult> *results,
                                                     PgAppendPlan *plan, bool locked, AppendResult::Status *failStatus,
                                                     QString *error)
{
    const PgPipeline::Param lockKey[] = {PgPipeline::int4(PgAdvisoryLocks::kAppendClass),
                                         PgPipeline::int4(PgAdvisoryLocks::kAppendKey)};
    for (const Pending &p : batch)
        plan->collect(p.request);
    PgPipeline read(m_db->nativeHandle());
    if (locked) {
        read.add("BEGIN");
        read.addPrepared(kLockStatement, {lockKey[0], lockKey[1]});
    }
    const int state = read.addPrepared(kStateStatement, {PgPipeline::textArray(plan->wantedStreams()),
                                                         PgPipeline::textArray(plan->wantedKeys()),
                                                         PgPipeline::textArray(plan->wantedIds())});
    if (!read.run()) {
        *failStatus = statusFor(read.sqlState());
        *error = read.errorString();
        if (read.connectionLost()) {
            disconnect();
            return Outcome::RetryOnNewConnection;   // nothing was written
        }
        if (locked)
            m_db->exec(QStringLiteral("ROLLBACK"));
        return Outcome::Failed;
    }
    loadState(read, state, plan);

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    results->reserve(batch.size());
    for (const Pending &p : batch)
        results->push_back(plan->decide(p.request, now));
    if (!plan->hasRows()) {
        if (locked)
            m_db->exec(QStringLiteral("ROLLBACK"));   // nothing to write
        return Outcome::Committed;
    }

    PgPipeline write(m_db->nativeHandle());
    if (!locked) {
        write.add("BEGIN");
        write.addPrepared(kLockStatement, {lockKey[0], lockKey[1]});
    }
    const int insert = write.addPrepared(kInsertStatement, insertParams(*plan));
    const int commit = write.add("COMMIT");
    m_tailer->expectOwnCommit();
    if (write.run() && write.succeeded(commit) && write.rows(insert) == 1) {
        plan->rebase(write.int8(insert, 0, 0), results);
        return Outcome::Committed;
    }
    m_tailer->resync();   // whatever did commit is read from the database
    *failStatus = statusFor(write.sqlState());
    if (write.connectionLost()) {
        // COMMIT may or may not have been applied: answered as a failure, the client retries
        // with its idempotency key; if it was applied, the tailer announces it all the same.
        *error = QStringLiteral("the connection to the database was lost during COMMIT; the outcome is unknown (%1)")
                     .arg(write.errorString());
        disconnect();
        return Outcome::Failed;
    }
    *error = write.errorString();
    m_db->exec(QStringLiteral("ROLLBACK"));
    // Read without the lock, the batch met an append of another engine to one of its streams
    // (or the same idempotency key or event id) in between: the unique indexes refused it.
    return !locked && write.sqlState() == QLatin1String(kUniqueViolation) ? Outcome::Conflict : Outcome::Failed;
}

void PgEventLogWriter::failBatch(std::vector<Pending> &batch, AppendResult::Status status, const QString &error)
{
    const bool full = status == AppendResult::StorageFull;
    const QString message = full ? QStringLiteral("the database holding the event log is full (%1)").arg(error)
                                 : QStringLiteral("the event log cannot be written (%1)").arg(error);
    if (m_failedBatches++ == 0)
        qCWarning(lcStore).noquote() << message << "- refusing appends until it can be written again";
    PgEventTailer::Committed done;
    done.answers.reserve(batch.size());
    for (auto &p : batch)
        done.answers.emplace_back(std::move(p.callback), failure(p.request, status, message));
    m_tailer->committed(std::move(done));
}

} // namespace Gatehouse
