#pragma once

#include <QHash>
#include <QMutex>
#include <QString>

namespace Gatehouse {

// NGINX's limit_req leaky bucket, per key, for limit-req: `excess` is how many requests are
// queued ahead of the next one; it drains at `rate` per second. A request that would push the
// excess beyond `burst` is rejected; an admitted one should wait excess / rate seconds.
// Thread-safe; shared through PluginState. Times are steady-clock milliseconds.
class LeakyBucket final
{
public:
    struct Result
    {
        bool allowed = false;
        double excess = 0;        // after this request (when allowed) or as it would have been
        qint64 delayMs = 0;       // how long an admitted request should wait to keep the rate
        qint64 retryAfterMs = 0;  // when rejected: until a request would fit the burst again
    };

    Result take(const QString &key, qint64 nowMs, double rate, double burst);

private:
    struct State
    {
        double excess = 0;
        qint64 lastMs = 0;
    };

    QMutex m_mutex;
    QHash<QString, State> m_states;
    qint64 m_lastSweepMs = 0;
};

} // namespace Gatehouse
