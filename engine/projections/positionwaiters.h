#pragma once

#include <QtGlobal>

#include <functional>
#include <map>
#include <mutex>

namespace Gatehouse {

// Callbacks waiting until a projection has applied a position (read-your-writes, see
// ProjectionRunner::whenReached), each with a deadline. Thread-safe: requests add from any
// thread; the runner's thread notifies on progress and expires on its timer. Callbacks always
// run outside the lock, exactly once: true when the position was reached, false past the
// deadline (or at finish() when it was not reached).
class PositionWaiters final
{
public:
    using Callback = std::function<void(bool reached)>;

    // True when `deadlineMs` is earlier than the deadline the timer is armed for (or none is):
    // the caller must then have the timer re-armed (armedFor()). Waiters usually share one
    // timeout, so that is the first of a burst, not every request.
    bool add(qint64 target, qint64 deadlineMs, Callback callback);
    void notify(qint64 position);              // runs every waiter whose target <= position
    // Runs every waiter past its deadline at `nowMs`; answers the earliest deadline left (-1:
    // none), which is what the timer is to be armed for from now on.
    qint64 expire(qint64 nowMs);
    qint64 arm();                               // the earliest deadline (-1: none), recorded as armed
    void finish(qint64 position);               // answers every waiter (reached or not)

private:
    struct Waiter
    {
        qint64 deadline;
        Callback callback;
    };
    std::mutex m_mutex;
    std::multimap<qint64, Waiter> m_waiters;   // by target position
    qint64 m_armedFor = -1;                    // the deadline the timer is (about to be) armed for
};

} // namespace Gatehouse
