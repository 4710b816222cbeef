#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <cctype>

namespace Gatehouse::PercentEncoding {

// A query string's name or value as sent: every '%' starts two hex digits, and what it decodes
// to is UTF-8 (otherwise it would read as U+FFFD).
inline bool isWellFormed(QByteArrayView raw)
{
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%')
            continue;
        if (i + 2 >= raw.size() || !isxdigit(uchar(raw[i + 1])) || !isxdigit(uchar(raw[i + 2])))
            return false;
        i += 2;
    }
    return QByteArrayView(QByteArray::fromPercentEncoding(raw.toByteArray())).isValidUtf8();
}

} // namespace Gatehouse::PercentEncoding
