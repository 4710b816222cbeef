#pragma once

// The log positions first..last, for comparing what a live client received with what it should.

#include <QList>

namespace Gatehouse::Test {

inline QList<qint64> positionRange(qint64 first, qint64 last)
{
    QList<qint64> out;
    for (qint64 p = first; p <= last; ++p)
        out.append(p);
    return out;
}

} // namespace Gatehouse::Test
