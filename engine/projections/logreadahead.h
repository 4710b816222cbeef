#pragma once

#include "projection.h"

#include <QSet>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace Gatehouse {

class EventStore;

// Reads the log for a rebuild on its own thread: the next batches are read and digested
// (Projection::digest()) while the runner applies the current one, and batches the runner is
// done with go back to that thread to be freed -- freeing is a real part of the cost, and
// memory is cheapest to free on the thread that allocated it. Used from one thread.
class LogReadAhead final
{
public:
    struct Batch
    {
        RecordedEvents events;
        std::shared_ptr<const BatchDigest> digest;
    };

    // Events at the positions in `skip` (parked events) are left out before digest().
    LogReadAhead(const EventStore &store, const Projection &projection, qint64 fromPosition, int batchSize, int depth = 2,
                 std::shared_ptr<const QSet<qint64>> skip = nullptr);
    ~LogReadAhead();
    LogReadAhead(const LogReadAhead &) = delete;
    LogReadAhead &operator=(const LogReadAhead &) = delete;

    Batch next();                  // blocks; an empty batch at the end of the log
    void recycle(Batch &&batch);   // freed on the reading thread

private:
    void run();

    const EventStore &m_store;
    const Projection &m_projection;
    const int m_batchSize;
    const int m_depth;
    const std::shared_ptr<const QSet<qint64>> m_skip;
    qint64 m_from;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Batch> m_ready;
    std::deque<Batch> m_done;
    bool m_end = false;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace Gatehouse
