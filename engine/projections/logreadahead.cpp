#include "logreadahead.h"

#include "parkedevents.h"
#include "store/eventstore.h"

namespace Gatehouse {

LogReadAhead::LogReadAhead(const EventStore &store, const Projection &projection, qint64 fromPosition, int batchSize, int depth,
                           std::shared_ptr<const QSet<qint64>> skip)
    : m_store(store)
    , m_projection(projection)
    , m_batchSize(batchSize)
    , m_depth(depth)
    , m_skip(std::move(skip))
    , m_from(fromPosition)
    , m_thread([this] { run(); })
{
}

LogReadAhead::~LogReadAhead()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
}

LogReadAhead::Batch LogReadAhead::next()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_ready.empty() || m_end; });
    if (m_ready.empty())
        return {};
    Batch b = std::move(m_ready.front());
    m_ready.pop_front();
    lock.unlock();
    m_changed.notify_all();
    return b;
}

void LogReadAhead::recycle(Batch &&batch)
{
    {
        std::lock_guard lock(m_mutex);
        m_done.push_back(std::move(batch));
    }
    m_changed.notify_all();
}

void LogReadAhead::run()
{
    for (;;) {
        std::deque<Batch> done;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stop || !m_done.empty() || (!m_end && int(m_ready.size()) < m_depth); });
            if (m_stop)
                return;
            done.swap(m_done);
        }
        done.clear();
        {
            std::lock_guard lock(m_mutex);
            if (m_end || int(m_ready.size()) >= m_depth)
                continue;
        }
        Batch b;
        b.events = m_store.readAll(m_from, m_batchSize);
        const bool end = b.events.isEmpty();
        if (!end) {
            m_from = b.events.last().position + 1;
            b.events = ParkedEvents::without(b.events, m_skip.get());
            if (b.events.isEmpty())
                continue;   // only parked events: read on
            b.digest = m_projection.digest(b.events);
        }
        {
            std::lock_guard lock(m_mutex);
            if (end)
                m_end = true;
            else
                m_ready.push_back(std::move(b));
        }
        m_changed.notify_all();
    }
}

} // namespace Gatehouse
