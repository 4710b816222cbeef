#include "leakybucket.h"

#include <cmath>

namespace Gatehouse {

namespace {
constexpr qint64 kSweepEveryMs = 10'000;
}

LeakyBucket::Result LeakyBucket::take(const QString &key, qint64 nowMs, double rate, double burst)
{
    QMutexLocker lock(&m_mutex);
    if (nowMs - m_lastSweepMs >= kSweepEveryMs) {
        // Buckets that have drained completely behave exactly like absent ones.
        m_states.removeIf([&](const auto &it) { return it.value().excess - rate * double(nowMs - it.value().lastMs) / 1000.0 <= 0; });
        m_lastSweepMs = nowMs;
    }
    Result r;
    const auto it = m_states.constFind(key);
    if (it != m_states.cend())
        r.excess = std::max(it->excess - rate * double(nowMs - it->lastMs) / 1000.0 + 1.0, 0.0);
    if (r.excess > burst + 1e-9) {
        r.retryAfterMs = std::max<qint64>(1, qint64(std::ceil((r.excess - burst) / rate * 1000.0)));
        return r;
    }
    m_states.insert(key, State{r.excess, nowMs});
    r.allowed = true;
    r.delayMs = qint64(std::llround(r.excess / rate * 1000.0));
    return r;
}

} // namespace Gatehouse
