#include "ratecurve.h"

#include <cmath>

namespace Gatehouse::Simulation {

namespace {
// Integrals are sums of doubles: 600.0000000001 iterations are 600.
constexpr double kEpsilon = 1e-9;
} // namespace

RateCurve RateCurve::constant(double rate, qint64 timeUnitMs, qint64 durationMs)
{
    RateCurve curve;
    const double perMs = rate / double(qMax<qint64>(1, timeUnitMs));
    curve.m_durationMs = durationMs;
    if (durationMs > 0)
        curve.m_segments.append(Segment{0, double(durationMs), perMs, perMs, 0});
    return curve;
}

RateCurve RateCurve::ramping(double start, const QList<Stage> &stages, qint64 timeUnitMs)
{
    RateCurve curve;
    const double unit = double(qMax<qint64>(1, timeUnitMs));
    double t = 0;
    double value = start / unit;
    double c = 0;
    for (const Stage &stage : stages) {
        const double next = stage.target / unit;
        if (stage.durationMs <= 0) {
            value = next;   // a zero-length stage jumps
            continue;
        }
        Segment segment{t, t + double(stage.durationMs), value, next, c};
        c += segment.area();
        t = segment.t1;
        value = next;
        curve.m_segments.append(segment);
    }
    curve.m_durationMs = qint64(std::llround(t));
    return curve;
}

double RateCurve::valueAt(double ms) const
{
    for (const Segment &s : m_segments) {
        if (ms < s.t1)
            return ms <= s.t0 ? s.v0 : s.v0 + (s.v1 - s.v0) * (ms - s.t0) / (s.t1 - s.t0);
    }
    return m_segments.isEmpty() ? 0 : m_segments.constLast().v1;
}

double RateCurve::maxValue() const
{
    double best = 0;
    for (const Segment &s : m_segments)
        best = qMax(best, qMax(s.v0, s.v1));
    return best;
}

double RateCurve::cumulative(double ms) const
{
    double total = 0;
    for (const Segment &s : m_segments) {
        if (ms <= s.t0)
            break;
        const double end = qMin(ms, s.t1);
        const double vEnd = s.v0 + (s.v1 - s.v0) * (end - s.t0) / (s.t1 - s.t0);
        total = s.c0 + (s.v0 + vEnd) / 2 * (end - s.t0);
    }
    return total;
}

qint64 RateCurve::totalIterations() const
{
    return qint64(std::ceil(cumulative(double(m_durationMs)) - kEpsilon));
}

double RateCurve::timeOf(qint64 iteration) const
{
    const double n = double(iteration);
    if (m_segments.isEmpty() || iteration >= totalIterations())
        return double(m_durationMs) + 1;
    if (m_cursor >= m_segments.size() || m_segments.at(m_cursor).c0 > n)
        m_cursor = 0;
    while (m_cursor + 1 < m_segments.size() && m_segments.at(m_cursor + 1).c0 <= n + kEpsilon
           && m_segments.at(m_cursor).c0 + m_segments.at(m_cursor).area() <= n + kEpsilon)
        ++m_cursor;
    const Segment &s = m_segments.at(m_cursor);
    // v(s) = a + b*x for x in [0, t1-t0]; the integral a*x + b*x^2/2 equals `left`.
    const double left = qMax(0.0, n - s.c0);
    const double a = s.v0;
    const double b = (s.v1 - s.v0) / (s.t1 - s.t0);
    const double root = std::sqrt(qMax(0.0, a * a + 2 * b * left));
    // 2*left / (a + root) is the stable form of (-a + root) / b, and right when b is 0.
    const double x = (a + root) > 0 ? 2 * left / (a + root) : 0;
    return qMin(s.t0 + x, s.t1);
}

} // namespace Gatehouse::Simulation
