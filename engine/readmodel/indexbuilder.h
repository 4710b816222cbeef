#pragma once

#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace Gatehouse {

class ReadStore;

// Builds a collection's new indexes while the engine serves: one at a time, on a thread of its
// own, each in a read-store write transaction. Reads never wait for it (SQLite's readers see
// the last commit in WAL mode; PostgreSQL's CREATE INDEX blocks writes only); the projection's
// next batch waits for the index it is building. The query planner uses an index from the
// commit that creates it. Progress is what the backend can tell (SQLite: the statement's steps
// against an estimate measured on a sample; PostgreSQL: none until done).
class IndexBuilder final
{
public:
    struct Build
    {
        QString field;
        enum class State { Queued, Building, Ready, Failed } state = State::Queued;
        double progress = -1;   // 0..1 while building; -1: unknown
        QString error;          // when Failed
        qint64 queuedAtMs = 0;  // wall clock
        qint64 finishedAtMs = 0;
        static QString stateName(State s);
    };

    explicit IndexBuilder(ReadStore *store) : m_store(store) {}
    ~IndexBuilder();
    IndexBuilder(const IndexBuilder &) = delete;
    IndexBuilder &operator=(const IndexBuilder &) = delete;

    // Queues an index on each field (those already there are Ready at once when their turn comes).
    void build(const QString &collection, const QStringList &fields);
    // This engine's builds of the collection, in the order asked (the last 32 per collection).
    QList<Build> builds(const QString &collection) const;
    // Interrupts a build in progress (it fails: "stopped") and ends the thread.
    void stop();

private:
    void run();
    Build *find(const QString &collection, const QString &field);

    ReadStore *m_store;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<QString, QString>> m_queue;   // (collection, field)
    QHash<QString, QList<Build>> m_builds;
    bool m_stopping = false;
    std::atomic<bool> m_cancel{false};
    std::thread m_thread;
};

} // namespace Gatehouse
