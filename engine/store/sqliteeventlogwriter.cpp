// The writer half of SqliteEventLog: one thread, one read-write connection, group commit.

#include "sqliteeventlog_p.h"
#include "eventid.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QUuid>

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace {
QString newEventId()
{
    return EventId::generate();
}

AppendResult::Status storageStatus(int sqliteCode)
{
    return SqliteConnection::isDiskFull(sqliteCode) ? AppendResult::StorageFull : AppendResult::StorageError;
}

AppendResult failure(const AppendRequest &request, AppendResult::Status status, const QString &error)
{
    AppendResult r;
    r.status = status;
    r.stream = request.stream;
    r.error = error;
    return r;
}
} // namespace

SqliteEventLog::Writer::Writer(EventLogHost *host, const Options &options, qint64 lastPosition)
    : m_host(host)
    , m_options(options)
    , m_lastPosition(lastPosition)
{
}

SqliteEventLog::Writer::~Writer()
{
    stop();
}

bool SqliteEventLog::Writer::start(SqliteConnection &&db, QString *error)
{
    m_db.open(db.path());
    db.close();
    const bool prepared =
        m_head.prepare(m_db, "SELECT version, type FROM events WHERE stream = ?1 ORDER BY version DESC LIMIT 1")
        && m_byId.prepare(m_db, "SELECT stream, version, position FROM events WHERE id = ?1")
        && m_insert.prepare(m_db, "INSERT INTO events(position, stream, version, id, type, data, metadata, time)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        && m_keyGet.prepare(m_db, "SELECT request_hash, first_position, last_position, version, event_types"
                                  " FROM idempotency_keys WHERE key = ?1")
        && m_keyPut.prepare(m_db, "INSERT INTO idempotency_keys(key, request_hash, stream, first_position,"
                                  " last_position, version, event_types, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
        && m_savepoint.prepare(m_db, "SAVEPOINT append")
        && m_release.prepare(m_db, "RELEASE append")
        && m_rollbackTo.prepare(m_db, "ROLLBACK TO append");
    // The WAL starts again from its beginning once a checkpoint has copied all of it back; the
    // file is then cut to 64 MiB, so a burst does not leave a large WAL behind.
    // Commits themselves do not fsync: with Durability::Full the completion thread fdatasyncs
    // the WAL once for every batch committed meanwhile, and only then announces the events and
    // answers the callers. The writer goes on with the next batch while the disk syncs.
    if (!prepared || !m_db.exec("PRAGMA synchronous = NORMAL") || !m_db.exec("PRAGMA wal_autocheckpoint = 0") || !m_db.exec("PRAGMA cache_size = -65536")
        || !m_db.exec("PRAGMA journal_size_limit = 67108864")) {
        *error = m_db.errorString();
        return false;
    }
    sqlite3_wal_hook(m_db.handle(), &Writer::onWalCommit, this);
    m_completionThread = QThread::create([this] { runCompletions(); });
    m_completionThread->setObjectName(QStringLiteral("gatehouse-store-answers"));
    m_completionThread->start();
    m_checkpoints.start(m_db.path());
    m_thread = QThread::create([this] { run(); });
    m_thread->setObjectName(QStringLiteral("gatehouse-store-writer"));
    m_thread->start();
    return true;
}

void SqliteEventLog::Writer::enqueue(AppendRequest &&request, AppendCallback &&callback)
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

void SqliteEventLog::Writer::stop()
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
    {
        std::lock_guard lock(m_completionMutex);
        m_completionStop = true;
        m_completionWake.notify_one();
    }
    m_completionThread->wait();   // every caller has its answer
    delete m_completionThread;
    m_completionThread = nullptr;
    m_checkpoints.stop();
    sqlite3_wal_hook(m_db.handle(), nullptr, nullptr);
    m_head = {};
    m_byId = {};
    m_insert = {};
    m_keyGet = {};
    m_keyPut = {};
    m_savepoint = {};
    m_release = {};
    m_rollbackTo = {};
    m_db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    m_db.close();
}

void SqliteEventLog::Writer::run()
{
    std::vector<Pending> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return !m_queue.empty() || m_stopping; });
            if (m_queue.empty())
                return;   // stopping, and everything queued has been committed
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
        runBatch(batch);
        batch.clear();
        if (m_restartInline)
            restartWalInline();
    }
}

void SqliteEventLog::Writer::restartWalInline()
{
    m_restartInline = false;
    // It waits for a checkpoint the checkpointer is running (holdCheckpoints: SQLite itself
    // would answer BUSY at once), then, as long as the checkpointer would, for readers of older
    // snapshots; no write starts meanwhile, as this is the writer. If a reader holds on past
    // that, the next try is kWalCapRetryPages later.
    int logFrames = 0;
    int checkpointed = 0;
    int rc = SQLITE_OK;
    {
        const auto running = m_checkpoints.holdCheckpoints();
        sqlite3_busy_timeout(m_db.handle(), WalCheckpointer::kRestartWaitMs);
        rc = sqlite3_wal_checkpoint_v2(m_db.handle(), nullptr, SQLITE_CHECKPOINT_RESTART, &logFrames, &checkpointed);
        sqlite3_busy_timeout(m_db.handle(), SqliteConnection::kBusyTimeoutMs);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        qCWarning(lcStore).noquote() << "the WAL could not be copied back:" << sqlite3_errstr(rc);
    } else if (rc == SQLITE_OK && !m_warnedInlineRestart) {
        qCInfo(lcStore).noquote() << "the WAL reached" << logFrames << "pages before the checkpointer could restart it;"
                                  << "appends waited while the writer copied it back";
        m_warnedInlineRestart = true;
    }
}

void SqliteEventLog::Writer::runBatch(std::vector<Pending> &batch)
{
    std::vector<AppendResult> results;
    results.reserve(batch.size());
    RecordedEvents committed;
    const qint64 startPosition = m_lastPosition;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();

    if (!beginBatch()) {
        failBatch(batch, m_db.lastErrorCode(), m_db.errorString());
        return;
    }
    for (auto &p : batch) {
        results.push_back(applyOne(p.request, now, committed));
        if (!m_db.inTransaction()) {
            // SQLite rolled the whole transaction back (it may, on a full disk or an I/O
            // error): what the batch did so far is gone, and every request of it fails.
            const AppendResult &last = results.back();
            m_lastPosition = startPosition;
            m_positionStale = true;
            failBatch(batch, last.status == AppendResult::StorageFull ? SQLITE_FULL : SQLITE_IOERR,
                      last.storageFailed() ? last.error : QStringLiteral("the transaction was rolled back"));
            return;
        }
    }

    if (!m_db.exec("COMMIT")) {
        // Nothing of the batch is answered as done, not even the requests that failed on their
        // own or replayed an earlier result: their answers were worked out against appends
        // that are now rolled back.
        const int code = m_db.lastErrorCode();
        const QString error = m_db.errorString();
        if (m_db.inTransaction())
            m_db.exec("ROLLBACK");
        m_lastPosition = startPosition;
        m_positionStale = true;
        failBatch(batch, code, error);
        return;
    }
    if (m_failedBatches > 0) {
        qCInfo(lcStore) << "the event log is writable again after" << m_failedBatches << "failed transactions";
        m_failedBatches = 0;
    }
    CompletedBatch done;
    done.answers.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i)
        done.answers.emplace_back(std::move(batch[i].callback), std::move(results[i]));
    done.committed = std::move(committed);
    done.lastPosition = m_lastPosition;
    std::lock_guard lock(m_completionMutex);
    m_completions.push_back(std::move(done));
    m_completionWake.notify_one();
}

// After a failed transaction the writer trusts nothing it remembers of the log's end: the
// next transaction reads it again before appending.
bool SqliteEventLog::Writer::beginBatch()
{
    if (!m_db.exec("BEGIN IMMEDIATE"))
        return false;
    if (!m_positionStale)
        return true;
    SqliteStatement last(m_db, "SELECT COALESCE(MAX(position), 0) FROM events");
    if (!last.step()) {
        if (m_db.inTransaction())
            m_db.exec("ROLLBACK");   // keeps the step's error for the caller
        return false;
    }
    m_lastPosition = last.columnInt(0);
    m_positionStale = false;
    return true;
}

void SqliteEventLog::Writer::failBatch(std::vector<Pending> &batch, int code, const QString &error)
{
    const bool full = SqliteConnection::isDiskFull(code);
    const QString message = full ? QStringLiteral("the disk holding the event log is full (%1)").arg(error)
                                 : QStringLiteral("the event log cannot be written (%1)").arg(error);
    if (m_failedBatches++ == 0)
        qCWarning(lcStore).noquote() << message << "- refusing appends until it can be written again";
    CompletedBatch done;
    done.answers.reserve(batch.size());
    for (auto &p : batch)
        done.answers.emplace_back(std::move(p.callback), failure(p.request, full ? AppendResult::StorageFull : AppendResult::StorageError, message));
    done.lastPosition = m_lastPosition;
    std::lock_guard lock(m_completionMutex);
    m_completions.push_back(std::move(done));
    m_completionWake.notify_one();
}

bool SqliteEventLog::Writer::syncWal()
{
    if (m_walFd < 0)
        m_walFd = ::open(QByteArray(m_db.path().toLocal8Bit() + "-wal").constData(), O_RDONLY | O_CLOEXEC);
    // fdatasync flushes the file's data whichever descriptor asks (it is per inode).
    return m_walFd >= 0 && ::fdatasync(m_walFd) == 0;
}

void SqliteEventLog::Writer::runCompletions()
{
    for (;;) {
        std::deque<CompletedBatch> batches;
        {
            std::unique_lock lock(m_completionMutex);
            m_completionWake.wait(lock, [this] { return !m_completions.empty() || m_completionStop; });
            if (m_completions.empty())
                break;
            batches.swap(m_completions);   // every batch committed so far: one sync for all
        }
        bool durable = true;
        bool diskFull = false;
        const bool anyEvents = std::any_of(batches.cbegin(), batches.cend(), [](const auto &b) { return !b.committed.isEmpty(); });
        if (m_options.durability == Durability::Full && anyEvents && !syncWal()) {
            durable = false;
            diskFull = errno == ENOSPC || errno == EDQUOT;
            qCCritical(lcStore) << "fdatasync of the write-ahead log failed:" << std::strerror(errno);
        }
        for (CompletedBatch &b : batches) {
            if (!b.committed.isEmpty())
                m_host->announce(b.committed);
            for (auto &[callback, result] : b.answers) {
                if (!durable && result.ok() && !result.replayed) {
                    result.status = diskFull ? AppendResult::StorageFull : AppendResult::StorageError;
                    result.error = QStringLiteral("the commit could not be made durable (fdatasync failed)");
                }
                callback(result);
            }
        }
    }
    if (m_walFd >= 0)
        ::close(m_walFd);
    m_walFd = -1;
}

int SqliteEventLog::Writer::onWalCommit(void *self, sqlite3 *, const char *, int pages)
{
    // Called by SQLite on the writer thread after each commit with the WAL's size in pages.
    // The checkpointer copies the WAL back on its own thread (PASSIVE: it never blocks anyone);
    // the WAL starts again from its beginning at a write that finds all of it copied and no
    // reader in it. Under a steady stream of commits and reads that moment may not come, so
    // past kWalCapPages the checkpointer is asked for a RESTART (see requestRestart), and again
    // every kWalCapRetryPages while the WAL stays that long: it stays near 64 MiB. Past
    // kWalHardCapPages the writer does it itself (restartWalInline).
    auto *writer = static_cast<Writer *>(self);
    if (pages < kWalCapPages)
        writer->m_capCheckpointAt = kWalCapPages;
    if (pages < kWalCapPages)
        writer->m_inlineRestartAt = kWalHardCapPages;
    if (pages >= writer->m_inlineRestartAt) {
        writer->m_restartInline = true;
        writer->m_inlineRestartAt = pages + kWalCapRetryPages;
    }
    if (pages >= writer->m_capCheckpointAt) {
        writer->m_checkpoints.requestRestart();
        writer->m_capCheckpointAt = pages + kWalCapRetryPages;
    } else if (pages >= 2000) {
        writer->m_checkpoints.request();
    }
    return SQLITE_OK;
}

AppendResult SqliteEventLog::Writer::applyOne(const AppendRequest &request, qint64 timeMs, RecordedEvents &committed)
{
    if (request.stream.isEmpty() || request.events.isEmpty())
        return failure(request, AppendResult::InvalidRequest, QStringLiteral("an append needs a stream and at least one event"));

    if (!request.idempotencyKey.isEmpty()) {
        m_keyGet.bind(1, request.idempotencyKey);
        if (m_keyGet.step()) {
            AppendResult r;
            if (m_keyGet.columnView(0) != request.requestHash) {
                m_keyGet.reset();
                return failure(request, AppendResult::IdempotencyConflict,
                               QStringLiteral("Idempotency-Key was already used with a different request"));
            }
            r.status = AppendResult::Ok;
            r.replayed = true;
            r.stream = request.stream;
            r.firstPosition = m_keyGet.columnInt(1);
            r.lastPosition = m_keyGet.columnInt(2);
            r.version = m_keyGet.columnInt(3);
            r.eventTypes = m_keyGet.columnString(4).split(QLatin1Char(','), Qt::SkipEmptyParts);
            m_keyGet.reset();
            return r;
        }
        m_keyGet.reset();
    }

    AppendResult result;
    result.stream = request.stream;
    if (!request.events.first().id.isEmpty() && replayByEventId(request, result))
        return result;

    m_head.bind(1, request.stream);
    qint64 current = -1;
    QString lastType;
    if (m_head.step()) {
        current = m_head.columnInt(0);
        if (request.precondition)
            lastType = m_head.columnString(1);
    }
    m_head.reset();
    if (!request.expected.accepts(current)) {
        result.status = AppendResult::WrongExpectedVersion;
        result.currentVersion = current;
        result.error = QStringLiteral("expected version %1 but the stream is at %2")
                           .arg(request.expected.toString(), current < 0 ? QStringLiteral("no_stream") : QString::number(current));
        return result;
    }
    if (request.precondition) {
        QString message;
        if (!request.precondition(current, lastType, &message)) {
            result.status = AppendResult::PreconditionFailed;
            result.currentVersion = current;
            result.error = message;
            return result;
        }
    }

    m_savepoint.exec();
    const qint64 savedPosition = m_lastPosition;
    const auto committedBefore = committed.size();
    qint64 version = current;
    for (const NewEvent &ev : request.events) {
        RecordedEvent rec;
        rec.position = ++m_lastPosition;
        rec.stream = request.stream;
        rec.version = ++version;
        rec.id = ev.id.isEmpty() ? newEventId() : ev.id;
        rec.type = ev.type;
        rec.data = ev.data.isEmpty() ? QByteArrayLiteral("null") : ev.data;
        rec.metadata = ev.metadata.isEmpty() ? QByteArrayLiteral("{}") : ev.metadata;
        rec.timeMs = timeMs;
        m_insert.bind(1, rec.position);
        m_insert.bind(2, rec.stream);
        m_insert.bind(3, rec.version);
        m_insert.bind(4, rec.id);
        m_insert.bind(5, rec.type);
        m_insert.bind(6, rec.data);
        m_insert.bind(7, rec.metadata);
        m_insert.bind(8, rec.timeMs);
        if (!m_insert.exec()) {
            const int code = m_insert.lastCode();
            const QString error = m_db.errorString();
            m_rollbackTo.exec();
            m_release.exec();
            m_lastPosition = savedPosition;
            committed.resize(committedBefore);
            return failure(request, code == SQLITE_CONSTRAINT_UNIQUE ? AppendResult::DuplicateEventId : storageStatus(code), error);
        }
        result.eventTypes.append(rec.type);
        committed.append(std::move(rec));
    }
    result.status = AppendResult::Ok;
    result.firstPosition = savedPosition + 1;
    result.lastPosition = m_lastPosition;
    result.version = version;

    if (!request.idempotencyKey.isEmpty()) {
        m_keyPut.bind(1, request.idempotencyKey);
        m_keyPut.bindBlob(2, request.requestHash);
        m_keyPut.bind(3, request.stream);
        m_keyPut.bind(4, result.firstPosition);
        m_keyPut.bind(5, result.lastPosition);
        m_keyPut.bind(6, result.version);
        m_keyPut.bind(7, result.eventTypes.join(QLatin1Char(',')));
        m_keyPut.bind(8, timeMs);
        if (!m_keyPut.exec()) {
            const int code = m_keyPut.lastCode();
            const QString error = m_db.errorString();
            m_rollbackTo.exec();
            m_release.exec();
            m_lastPosition = savedPosition;
            committed.resize(committedBefore);
            return failure(request, storageStatus(code), error);
        }
    }
    m_release.exec();
    return result;
}

// Appending events whose ids are already in the log at the same place is a repeat, not an
// error: answer with where they stand (as EventStoreDB does).
bool SqliteEventLog::Writer::replayByEventId(const AppendRequest &request, AppendResult &result)
{
    m_byId.bind(1, request.events.first().id);
    if (!m_byId.step()) {
        m_byId.reset();
        return false;
    }
    const QString stream = m_byId.columnString(0);
    const qint64 firstVersion = m_byId.columnInt(1);
    const qint64 firstPosition = m_byId.columnInt(2);
    m_byId.reset();

    bool samePlace = stream == request.stream;
    qint64 lastPosition = firstPosition;
    for (qsizetype i = 1; samePlace && i < request.events.size(); ++i) {
        m_byId.bind(1, request.events.at(i).id);
        samePlace = m_byId.step() && m_byId.columnString(0) == stream && m_byId.columnInt(1) == firstVersion + i;
        if (samePlace)
            lastPosition = m_byId.columnInt(2);
        m_byId.reset();
    }
    if (!samePlace) {
        result.status = AppendResult::DuplicateEventId;
        result.error = QStringLiteral("event id %1 is already in the log at another place").arg(request.events.first().id);
        return true;
    }
    result.status = AppendResult::Ok;
    result.replayed = true;
    result.firstPosition = firstPosition;
    result.lastPosition = lastPosition;
    result.version = firstVersion + request.events.size() - 1;
    for (const NewEvent &e : request.events)
        result.eventTypes.append(e.type);
    return true;
}

} // namespace Gatehouse
