#include "seededrandom.h"

#include <cmath>

namespace Gatehouse::Simulation {

namespace {

// splitmix64 (Steele, Lea, Flood): spreads any 64-bit input over the whole state space, so
// seeds 1, 2, 3 give unrelated xoshiro states, and a state of all zeros cannot occur.
quint64 splitmix64(quint64 &x)
{
    quint64 z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

constexpr quint64 rotl(quint64 x, int k)
{
    return (x << k) | (x >> (64 - k));
}

} // namespace

SeededRandom::SeededRandom(quint64 seed)
    : m_key(seed)
{
    quint64 x = seed;
    for (quint64 &word : m_state)
        word = splitmix64(x);
}

SeededRandom SeededRandom::fork(quint64 stream) const
{
    // Two rounds of mixing so that neighbouring keys and neighbouring streams (key 1 stream 2,
    // key 2 stream 1) still land far apart.
    quint64 x = m_key;
    const quint64 mixedKey = splitmix64(x);
    quint64 y = mixedKey ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
    return SeededRandom(splitmix64(y));
}

quint64 SeededRandom::next()
{
    const quint64 result = rotl(m_state[1] * 5, 7) * 9;
    const quint64 t = m_state[1] << 17;
    m_state[2] ^= m_state[0];
    m_state[3] ^= m_state[1];
    m_state[1] ^= m_state[2];
    m_state[0] ^= m_state[3];
    m_state[2] ^= t;
    m_state[3] = rotl(m_state[3], 45);
    return result;
}

double SeededRandom::uniform()
{
    return double(next() >> 11) * 0x1.0p-53;
}

double SeededRandom::uniform(double low, double high)
{
    const double value = low + (high - low) * uniform();
    // Rounding may land exactly on `high` for wide ranges; keep the interval half-open.
    return value < high ? value : low;
}

quint64 SeededRandom::below(quint64 bound)
{
    if (bound == 0)
        return 0;
    // Reject the few draws below 2^64 mod bound, then reduce: every residue is equally likely.
    const quint64 threshold = (0 - bound) % bound;
    quint64 draw = next();
    while (draw < threshold)
        draw = next();
    return draw % bound;
}

qint64 SeededRandom::between(qint64 low, qint64 high)
{
    if (high <= low)
        return low;
    const quint64 span = quint64(high) - quint64(low);
    if (span == std::numeric_limits<quint64>::max())
        return qint64(next());
    return qint64(quint64(low) + below(span + 1));
}

bool SeededRandom::chance(double probability)
{
    if (!(probability > 0))
        return false;
    return probability >= 1 || uniform() < probability;
}

qsizetype SeededRandom::weighted(const QList<double> &weights)
{
    double total = 0;
    for (const double w : weights) {
        if (w > 0 && std::isfinite(w))
            total += w;
    }
    if (!(total > 0))
        return -1;
    double point = uniform() * total;
    qsizetype last = -1;
    for (qsizetype i = 0; i < weights.size(); ++i) {
        const double w = weights.at(i);
        if (!(w > 0 && std::isfinite(w)))
            continue;
        if (point < w)
            return i;
        point -= w;
        last = i;
    }
    return last;   // rounding left `point` a hair above the sum
}

QString SeededRandom::hex(int length)
{
    static constexpr char digits[] = "0123456789abcdef";
    QString text(qMax(length, 0), Qt::Uninitialized);
    quint64 bits = 0;
    for (int i = 0; i < length; ++i) {
        if (i % 16 == 0)
            bits = next();
        text[i] = QLatin1Char(digits[bits & 0xF]);
        bits >>= 4;
    }
    return text;
}

} // namespace Gatehouse::Simulation
