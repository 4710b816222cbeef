#pragma once

#include <atomic>

namespace Gatehouse {

// Takes one of `limit` places counted in `count`; true when one was free. Compare-and-swap, so
// takers on any number of threads never hold more than `limit` together and the count never
// reads past it. The taker gives its place back with --count.
inline bool takePlace(std::atomic<int> &count, int limit)
{
    int held = count.load();
    while (held < limit && !count.compare_exchange_weak(held, held + 1)) {
    }
    return held < limit;
}

} // namespace Gatehouse
