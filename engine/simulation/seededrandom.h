#pragma once

#include <QList>
#include <QString>
#include <QtGlobal>

#include <array>
#include <limits>

namespace Gatehouse::Simulation {

// The one source of randomness of a simulation: xoshiro256** (Blackman and Vigna), its state
// filled by splitmix64 from a 64-bit key. The same key always gives the same sequence, on any
// platform (no std:: distribution is used: their output is implementation-defined).
//
// fork(stream) derives an independent generator from this one's key and the stream number,
// not from how many numbers were drawn so far: a run gives every workload and every VU its own
// fork, so what a VU generates does not depend on how the threads were scheduled. A plain
// value; one generator must not be used from two threads at once (fork one per thread).
class SeededRandom
{
public:
    using result_type = quint64;   // a UniformRandomBitGenerator, e.g. for std::shuffle

    explicit SeededRandom(quint64 seed = 1);

    quint64 key() const { return m_key; }
    SeededRandom fork(quint64 stream) const;

    quint64 next();                          // 64 random bits
    result_type operator()() { return next(); }
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

    double uniform();                        // [0, 1), 53 random bits
    double uniform(double low, double high); // [low, high)
    quint64 below(quint64 bound);            // [0, bound), unbiased; 0 when bound is 0
    qint64 between(qint64 low, qint64 high); // [low, high] inclusive; low when high < low
    bool chance(double probability);         // true with that probability (0..1)
    // An index into `weights` chosen with probability weight / sum; negative, NaN and zero
    // weights are never chosen; -1 when no weight is positive.
    qsizetype weighted(const QList<double> &weights);
    QString hex(int length);                 // `length` lowercase hex digits

private:
    quint64 m_key;
    std::array<quint64, 4> m_state;
};

} // namespace Gatehouse::Simulation
