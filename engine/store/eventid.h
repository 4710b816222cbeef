#pragma once

#include <QString>

namespace Gatehouse {

// Time-ordered UUIDs (RFC 9562 version 7: 48-bit Unix milliseconds, then random bits) for
// event ids and generated entity ids. Consecutive ids sort together, so the unique indexes
// on them grow at the end instead of touching random B-tree pages on every insert. The
// random part comes from a per-thread generator seeded once from the system's entropy.
namespace EventId {
QString generate();
}

} // namespace Gatehouse
