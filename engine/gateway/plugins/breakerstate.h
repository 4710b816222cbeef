#pragma once

#include <QList>
#include <QString>

namespace Gatehouse {

class PluginState;

// What an api-breaker knows right now, for /metrics and the GUI.
struct BreakerStatus
{
    QString scope;              // "route/<id>" or "global/<rule id>"
    QString state;              // "closed", "open" or "half_open"
    qint64 openUntilMs = 0;     // while open: wall-clock ms since the epoch when a probe may pass; else 0
    double openSeconds = 0;     // length of the current (or, when closed, the last) open window
    int timesOpened = 0;        // re-opens since the breaker last closed; each doubles the window
};

// The breakers of every api-breaker plugin in a live configuration, ordered by scope; only
// those whose state lives in `state` when it is given (one Gateway's pluginState()).
// Thread-safe.
QList<BreakerStatus> breakerStatuses(const PluginState *state = nullptr);

} // namespace Gatehouse
