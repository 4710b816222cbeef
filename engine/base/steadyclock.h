#pragma once

#include <QtGlobal>

#include <chrono>

namespace Gatehouse {

// Milliseconds on the monotonic clock, for the limiters' and the breaker's windows.
inline qint64 steadyNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace Gatehouse
