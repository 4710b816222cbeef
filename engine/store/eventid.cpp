#include "eventid.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <random>

namespace Gatehouse::EventId {

QString generate()
{
    thread_local std::mt19937_64 random = [] {
        std::seed_seq seed{QRandomGenerator::system()->generate(), QRandomGenerator::system()->generate(),
                           QRandomGenerator::system()->generate(), QRandomGenerator::system()->generate()};
        return std::mt19937_64(seed);
    }();
    const quint64 ms = quint64(QDateTime::currentMSecsSinceEpoch());
    const quint64 r1 = random();
    const quint64 r2 = random();
    unsigned char b[16];
    for (int i = 0; i < 6; ++i)
        b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    b[6] = static_cast<unsigned char>(0x70 | ((r1 >> 8) & 0x0f));   // version 7
    b[7] = static_cast<unsigned char>(r1);
    b[8] = static_cast<unsigned char>(0x80 | ((r1 >> 16) & 0x3f));  // variant 10
    for (int i = 9; i < 16; ++i)
        b[i] = static_cast<unsigned char>(r2 >> (8 * (i - 9)));
    static const char hex[] = "0123456789abcdef";
    char out[36];
    int o = 0;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    return QString::fromLatin1(out, 36);
}

} // namespace Gatehouse::EventId
