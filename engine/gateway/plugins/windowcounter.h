#pragma once

#include <QHash>
#include <QMutex>
#include <QString>

namespace Gatehouse {

// Request counts per key in time windows, for limit-count. A key's first request starts its
// window; windows then follow back to back. Fixed mode counts the current window only;
// sliding mode adds the previous window's count weighted by how much of it still overlaps
// the last `window` milliseconds. Thread-safe; shared by every instance of one limiter
// through PluginState. Times are steady-clock milliseconds passed in by the caller.
class WindowCounter final
{
public:
    enum class Mode { Fixed, Sliding };
    struct Result
    {
        bool allowed = false;
        qint64 remaining = 0;      // after this request
        qint64 resetMs = 0;        // until the current window ends
        qint64 retryAfterMs = 0;   // when rejected: until a request would be allowed
    };

    Result take(const QString &key, qint64 nowMs, qint64 limit, qint64 windowMs, Mode mode);
    // The answer for a window as it stands after a request was counted (allowed) or refused:
    // what remains, when the window resets, when to retry. Also for windows counted elsewhere
    // (SharedCounters), so both policies answer alike.
    static Result answer(qint64 start, qint64 current, qint64 previous, qint64 nowMs, bool allowed, qint64 limit,
                         qint64 windowMs, Mode mode);

private:
    struct Window
    {
        qint64 start = 0;
        qint64 current = 0;
        qint64 previous = 0;
    };
    void sweep(qint64 nowMs, qint64 windowMs);

    QMutex m_mutex;
    QHash<QString, Window> m_windows;
    qint64 m_lastSweepMs = 0;
};

} // namespace Gatehouse
