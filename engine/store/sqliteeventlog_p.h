#pragma once

// Private parts of SqliteEventLog shared by its two source files.

#include "sqliteeventlog.h"
#include "walcheckpointer.h"
#include "sql/sqliteconnection.h"
#include "sql/sqlitereadpool.h"

#include <QMutex>
#include <QThread>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace Gatehouse {

namespace SqliteEventSchema {
QList<const char *> migrations();
// Event types repeat from row to row: one shared QString per type while reading a batch.
class TypeNames
{
public:
    QString intern(QByteArrayView utf8);

private:
    QList<std::pair<QByteArray, QString>> m_names;
};
RecordedEvent readRow(const SqliteStatement &st, TypeNames *types = nullptr);   // columns: see kSelectColumns
inline constexpr const char kSelectColumns[] = "position, stream, version, id, type, data, metadata, time";
}

// The single writer: owns the read-write connection and the queue of pending appends.
class SqliteEventLog::Writer final
{
public:
    using Options = EventStore::Options;
    using AppendCallback = EventStore::AppendCallback;
    using Durability = EventStore::Durability;
    Writer(EventLogHost *host, const Options &options, qint64 lastPosition);
    ~Writer();
    bool start(SqliteConnection &&db, QString *error);   // takes the opened connection
    void enqueue(AppendRequest &&request, AppendCallback &&callback);
    void stop();                                          // drains the queue, then joins

private:
    struct Pending
    {
        AppendRequest request;
        AppendCallback callback;
    };
    void run();
    void runBatch(std::vector<Pending> &batch);
    bool beginBatch();
    void failBatch(std::vector<Pending> &batch, int sqliteCode, const QString &error);
    void runCompletions();
    bool syncWal();
    static int onWalCommit(void *self, struct sqlite3 *db, const char *name, int pages);
    static constexpr int kWalCapPages = 16384;   // 64 MiB of 4 KiB pages (journal_size_limit)
    static constexpr int kWalCapRetryPages = 1024;
    // Past this the writer copies the WAL back itself, between two batches, and appends wait
    // meanwhile: the checkpointer's RESTART can keep missing the write lock under a commit
    // stream that never pauses, and the WAL must not grow without bound.
    static constexpr int kWalHardCapPages = kWalCapPages + 2 * kWalCapRetryPages;   // 72 MiB
    void restartWalInline();
    AppendResult applyOne(const AppendRequest &request, qint64 timeMs, RecordedEvents &committed);
    bool replayByEventId(const AppendRequest &request, AppendResult &result);

    EventLogHost *m_host;
    Options m_options;
    SqliteConnection m_db;
    SqliteStatement m_head, m_byId, m_insert, m_keyGet, m_keyPut, m_savepoint, m_release, m_rollbackTo;
    qint64 m_lastPosition;
    bool m_positionStale = false;   // a transaction failed: read the log's end again
    qint64 m_failedBatches = 0;     // failed transactions since the last one that committed
    QThread *m_thread = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Pending> m_queue;
    bool m_stopping = false;

    // Callers are answered on a completion thread, so building their answers never delays
    // the next group commit.
    QThread *m_completionThread = nullptr;
    std::mutex m_completionMutex;
    std::condition_variable m_completionWake;
    struct CompletedBatch
    {
        std::vector<std::pair<AppendCallback, AppendResult>> answers;
        RecordedEvents committed;
        qint64 lastPosition = 0;
    };
    std::deque<CompletedBatch> m_completions;
    bool m_completionStop = false;
    int m_walFd = -1;   // completion thread: fdatasync target for Durability::Full

    WalCheckpointer m_checkpoints;   // instead of checkpoints inside COMMIT
    int m_capCheckpointAt = kWalCapPages;   // WAL pages at which the checkpointer is asked for a RESTART (writer thread)
    int m_inlineRestartAt = kWalHardCapPages;   // WAL pages at which the writer restarts it itself (writer thread)
    bool m_restartInline = false;
    bool m_warnedInlineRestart = false;
};

} // namespace Gatehouse
