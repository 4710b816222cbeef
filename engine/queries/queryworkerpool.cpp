#include "queryworkerpool.h"

namespace Gatehouse {

QueryWorkerPool::QueryWorkerPool(int threads, int queue)
    : m_threads(qMax(1, threads))
    , m_queue(qMax(0, queue))
{
    m_pool.setMaxThreadCount(m_threads);
    m_pool.setObjectName(QStringLiteral("query-workers"));
}

QueryWorkerPool::~QueryWorkerPool()
{
    close();
}

bool QueryWorkerPool::tryStart(std::function<void()> job)
{
    if (m_closed.load())
        return false;
    if (m_pending.fetch_add(1) >= m_threads + m_queue) {
        m_pending.fetch_sub(1);
        return false;
    }
    m_pool.start([this, job = std::move(job)] {
        job();
        m_pending.fetch_sub(1);
    });
    return true;
}

void QueryWorkerPool::close()
{
    m_closed = true;
    m_pool.waitForDone();
}

} // namespace Gatehouse
