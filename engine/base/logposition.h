#pragma once

#include <QString>
#include <QStringView>

namespace Gatehouse {

// Reads a position in the event log as clients give it (X-Min-Position, ?from=, Last-Event-ID,
// ?as_of=): a decimal integer >= 0, surrounding spaces allowed. False leaves `out` unchanged.
inline bool parseLogPosition(QStringView text, qint64 *out)
{
    bool ok = false;
    const qint64 v = text.trimmed().toLongLong(&ok);
    if (!ok || v < 0)
        return false;
    *out = v;
    return true;
}

} // namespace Gatehouse
