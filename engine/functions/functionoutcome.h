#pragma once

#include "scriptcontext.h"

#include <QJsonValue>
#include <QString>

namespace Gatehouse {

// What one call of handle() or decide() came to, in either isolation mode. Plain data.
struct FunctionOutcome
{
    bool ok = false;
    bool timedOut = false;
    bool outOfMemory = false;   // the instance must then be discarded (its heap is full of garbage)
    bool crashed = false;       // the worker process died during the call (process isolation)
    QString error;
    int line = 0;
    QJsonValue result;
    FunctionEffects effects;    // writes and emits only when ok; logs always
    qint64 durationUs = 0;

    // The error with its line, as dead letters and logs show it.
    QString describe() const { return line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(error) : error; }
};

} // namespace Gatehouse
