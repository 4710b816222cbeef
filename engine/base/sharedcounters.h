#pragma once

#include <QString>

#include <optional>

namespace Gatehouse {

// Request counters shared by every engine on one database, for `limit-count` with
// `policy: "cluster"` (as APISIX shares them through Redis). take() counts one request under
// `key` in a window of `windowMs` when the limit allows it, atomically, and answers the window
// as it stands afterwards; times come from the database's clock, so engines whose clocks
// disagree still share windows. nullopt: the shared store cannot answer (lost connection,
// timeout) and the caller decides (fail closed, or count locally when degradation is allowed).
// Thread-safe; called on the network threads, so an implementation bounds how long it waits.
class SharedCounters
{
public:
    struct Window
    {
        bool allowed = false;
        qint64 start = 0;          // ms, the database's clock
        qint64 current = 0;        // requests counted in this window (this one included if allowed)
        qint64 previous = 0;       // the window before, when it ended right where this one starts
        qint64 now = 0;            // ms, the database's clock when the request was counted
    };

    virtual ~SharedCounters() = default;
    virtual std::optional<Window> take(const QString &key, qint64 limit, qint64 windowMs, bool sliding) = 0;
};

} // namespace Gatehouse
