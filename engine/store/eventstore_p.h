#pragma once

// Private parts of EventStore shared by its two source files.

#include "eventstore.h"
#include "sql/sqliteconnection.h"

#include <QMutex>
#include <QThread>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace Gatehouse {

namespace EventStoreSchema {
QList<const char *> migrations();
RecordedEvent readRow(const SqliteStatement &st);   // columns: see kSelectColumns
inline constexpr const char kSelectColumns[] = "position, stream, version, id, type, data, metadata, time";
}

// Read-only connections handed out one at a time; created on demand, kept for reuse.
class EventStore::ReadPool final
{
public:
    struct Connection
    {
        SqliteConnection db;
        std::vector<std::pair<const char *, std::unique_ptr<SqliteStatement>>> statements;
        SqliteStatement &statement(const char *sql);   // prepared once per connection
    };

    class Lease
    {
    public:
        Lease(ReadPool *pool, std::unique_ptr<Connection> c) : m_pool(pool), m_conn(std::move(c)) {}
        ~Lease() { if (m_conn) m_pool->release(std::move(m_conn)); }
        Lease(Lease &&) = default;
        Connection *operator->() const { return m_conn.get(); }
        explicit operator bool() const { return bool(m_conn); }
    private:
        ReadPool *m_pool;
        std::unique_ptr<Connection> m_conn;
    };

    explicit ReadPool(QString path) : m_path(std::move(path)) {}
    Lease acquire();
    void release(std::unique_ptr<Connection> c);
    void clear();

private:
    QString m_path;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Connection>> m_free;
    bool m_closed = false;
};

// The single writer: owns the read-write connection and the queue of pending appends.
class EventStore::Writer final
{
public:
    Writer(EventStore *q, const Options &options, qint64 lastPosition);
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
    AppendResult applyOne(const AppendRequest &request, qint64 timeMs, RecordedEvents &committed);
    bool replayByEventId(const AppendRequest &request, AppendResult &result);

    EventStore *q;
    Options m_options;
    SqliteConnection m_db;
    SqliteStatement m_head, m_byId, m_insert, m_keyGet, m_keyPut, m_savepoint, m_release, m_rollbackTo;
    qint64 m_lastPosition;
    QThread *m_thread = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Pending> m_queue;
    bool m_stopping = false;
};

struct EventStore::Private
{
    Options options;
    std::unique_ptr<Writer> writer;
    std::unique_ptr<ReadPool> readers;
    std::atomic<qint64> headPosition{0};
    std::atomic<bool> open{false};
    QString error;
};

} // namespace Gatehouse
