#include "windowcounter.h"

#include <cmath>

namespace Gatehouse {

namespace {
qint64 ceilMs(double ms)
{
    return qint64(std::ceil(ms - 1e-9));
}
} // namespace

WindowCounter::Result WindowCounter::take(const QString &key, qint64 nowMs, qint64 limit, qint64 windowMs, Mode mode)
{
    windowMs = qMax<qint64>(1, windowMs);   // the schema bounds it; never a division by zero
    QMutexLocker lock(&m_mutex);
    if (nowMs - m_lastSweepMs >= 2 * windowMs) {
        sweep(nowMs, windowMs);
        m_lastSweepMs = nowMs;
    }
    auto it = m_windows.find(key);
    if (it == m_windows.end())
        it = m_windows.insert(key, Window{nowMs, 0, 0});
    Window &w = *it;
    if (nowMs >= w.start + windowMs) {
        const qint64 passed = (nowMs - w.start) / windowMs;
        w.previous = passed == 1 ? w.current : 0;
        w.current = 0;
        w.start += passed * windowMs;
    }
    const double carried = mode == Mode::Sliding
        ? double(w.previous) * double(windowMs - (nowMs - w.start)) / double(windowMs) : 0.0;
    const bool allowed = carried + double(w.current) + 1.0 <= double(limit) + 1e-9;
    if (allowed)
        ++w.current;
    return answer(w.start, w.current, w.previous, nowMs, allowed, limit, windowMs, mode);
}

WindowCounter::Result WindowCounter::answer(qint64 start, qint64 current, qint64 previous, qint64 nowMs, bool allowed,
                                            qint64 limit, qint64 windowMs, Mode mode)
{
    const qint64 elapsed = nowMs - start;
    Result r;
    r.resetMs = start + windowMs - nowMs;
    const double carried = mode == Mode::Sliding ? double(previous) * double(windowMs - elapsed) / double(windowMs) : 0.0;
    if (allowed) {
        r.allowed = true;
        r.remaining = qMax<qint64>(0, qint64(std::floor(double(limit) - carried - double(current) + 1e-9)));
        return r;
    }
    r.remaining = 0;
    if (mode == Mode::Fixed) {
        r.retryAfterMs = r.resetMs;
    } else if (current + 1 <= limit) {
        // Only the previous window's weight is in the way: wait until enough of it has slid out.
        const double fits = double(windowMs) * (1.0 - double(limit - current - 1) / double(previous));
        r.retryAfterMs = qMax<qint64>(1, ceilMs(fits - double(elapsed)));
    } else {
        // The current window is full: this window's count becomes the next one's weight.
        const double fits = double(windowMs) * (1.0 - double(limit - 1) / double(current));
        r.retryAfterMs = r.resetMs + ceilMs(fits);
    }
    return r;
}

void WindowCounter::sweep(qint64 nowMs, qint64 windowMs)
{
    // A window that ended more than one window ago carries no weight any more.
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        if (nowMs - it->start >= 2 * windowMs)
            it = m_windows.erase(it);
        else
            ++it;
    }
}

} // namespace Gatehouse
