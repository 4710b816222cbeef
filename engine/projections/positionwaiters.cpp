#include "positionwaiters.h"

#include <vector>

namespace Gatehouse {

bool PositionWaiters::add(qint64 target, qint64 deadlineMs, Callback callback)
{
    std::lock_guard lock(m_mutex);
    m_waiters.emplace(target, Waiter{deadlineMs, std::move(callback)});
    if (m_armedFor >= 0 && deadlineMs >= m_armedFor)
        return false;
    m_armedFor = deadlineMs;
    return true;
}

void PositionWaiters::notify(qint64 position)
{
    std::vector<Callback> ready;
    {
        std::lock_guard lock(m_mutex);
        const auto end = m_waiters.upper_bound(position);
        for (auto it = m_waiters.begin(); it != end; ++it)
            ready.push_back(std::move(it->second.callback));
        m_waiters.erase(m_waiters.begin(), end);
    }
    for (Callback &cb : ready)
        cb(true);
}

qint64 PositionWaiters::expire(qint64 nowMs)
{
    std::vector<Callback> expired;
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_waiters.begin(); it != m_waiters.end();) {
            if (it->second.deadline <= nowMs) {
                expired.push_back(std::move(it->second.callback));
                it = m_waiters.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (Callback &cb : expired)
        cb(false);
    return arm();
}

qint64 PositionWaiters::arm()
{
    std::lock_guard lock(m_mutex);
    qint64 earliest = -1;
    for (const auto &[target, w] : m_waiters) {
        if (earliest < 0 || w.deadline < earliest)
            earliest = w.deadline;
    }
    m_armedFor = earliest;
    return earliest;
}

void PositionWaiters::finish(qint64 position)
{
    std::multimap<qint64, Waiter> left;
    {
        std::lock_guard lock(m_mutex);
        left.swap(m_waiters);
        m_armedFor = -1;
    }
    for (auto &[target, w] : left)
        w.callback(position >= target);
}

} // namespace Gatehouse
