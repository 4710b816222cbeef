#pragma once

#include <QThreadPool>

#include <atomic>
#include <functional>

namespace Gatehouse {

// Where the query side's slow reads run (list queries, time travel, event log pages, reads by
// id that miss the document cache), so no request holds a network thread while SQLite works:
// a fixed number of threads and a bounded queue. tryStart() refuses work once `threads`
// jobs run and `queue` more wait; the caller answers 503 then, instead of letting a flood of
// expensive queries queue without end. Thread-safe; the pool waits for its jobs when closed
// or destroyed.
class QueryWorkerPool final
{
public:
    static constexpr int kDefaultThreads = 4;
    static constexpr int kDefaultQueue = 256;

    explicit QueryWorkerPool(int threads = kDefaultThreads, int queue = kDefaultQueue);
    ~QueryWorkerPool();
    QueryWorkerPool(const QueryWorkerPool &) = delete;
    QueryWorkerPool &operator=(const QueryWorkerPool &) = delete;

    // False (and `job` dropped) when the pool is full or closed.
    bool tryStart(std::function<void()> job);
    // Refuses new work, then waits for what was accepted.
    void close();

    int threads() const { return m_threads; }
    int queueLimit() const { return m_queue; }
    int pending() const { return m_pending.load(); }   // running plus waiting

private:
    const int m_threads;
    const int m_queue;
    std::atomic<int> m_pending{0};
    std::atomic<bool> m_closed{false};
    QThreadPool m_pool;
};

} // namespace Gatehouse
