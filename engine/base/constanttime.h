#pragma once

#include <QByteArrayView>

namespace Gatehouse {

// Compares secrets (passwords, signatures) in time that depends on their lengths only, so
// an attacker cannot find the first differing byte by timing the answers.
inline bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const QByteArrayView longer = a.size() >= b.size() ? a : b;
    const QByteArrayView shorter = a.size() >= b.size() ? b : a;
    for (qsizetype i = 0; i < longer.size(); ++i) {
        const unsigned char x = static_cast<unsigned char>(longer[i]);
        const unsigned char y = shorter.isEmpty() ? 0 : static_cast<unsigned char>(shorter[i % shorter.size()]);
        diff |= x ^ y;
    }
    return diff == 0;
}

} // namespace Gatehouse
