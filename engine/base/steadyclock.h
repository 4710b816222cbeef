#pragma once

#include <QtGlobal>

#include <chrono>

namespace Gatehouse {

// The monotonic clock, for every window, deadline and duration the engine measures (limiters,
// breakers, upstream retries and health, projection waits, query budgets, function watchdogs).
// Never for wall-clock times.
inline qint64 steadyNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

inline qint64 steadyNowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

inline double steadyNowSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace Gatehouse
