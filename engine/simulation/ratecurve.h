#pragma once

#include "scenario.h"

#include <QList>

namespace Gatehouse::Simulation {

// A piecewise-linear curve over the time of one executor: the arrival rate of an arrival-rate
// executor (iterations per millisecond) or the number of VUs of ramping-vus. For arrival rates
// it answers when iteration i is due: the time at which the integral of the rate reaches i, so
// iteration 0 is due at 0 and a constant rate of r per ms starts iteration i at i / r. Which
// iterations are due is pure arithmetic on the scenario: the count of intended iterations does
// not depend on how the generator's threads were scheduled. A plain value.
class RateCurve
{
public:
    // `rate` per `timeUnitMs`, held for `durationMs`.
    static RateCurve constant(double rate, qint64 timeUnitMs, qint64 durationMs);
    // From `start` (per `timeUnitMs`, or VUs) linearly to each stage's target over its duration.
    static RateCurve ramping(double start, const QList<Stage> &stages, qint64 timeUnitMs);

    qint64 durationMs() const { return m_durationMs; }
    // Per ms; for VUs build the curve with timeUnitMs 1 and the value is the VU count.
    double valueAt(double ms) const;
    double cumulative(double ms) const;     // iterations due in [0, ms)
    // Iterations with a due time before durationMs(): ceil of the whole integral.
    qint64 totalIterations() const;
    // When iteration i is due (ms from the executor's start); > durationMs() when it never is.
    double timeOf(qint64 iteration) const;
    // The largest value over the curve (its VUs for ramping-vus).
    double maxValue() const;

private:
    struct Segment
    {
        double t0 = 0, t1 = 0;   // ms
        double v0 = 0, v1 = 0;   // per ms at t0 and t1
        double c0 = 0;           // cumulative at t0
        double area() const { return (v0 + v1) / 2 * (t1 - t0); }
    };
    QList<Segment> m_segments;
    qint64 m_durationMs = 0;
    mutable qsizetype m_cursor = 0;   // timeOf() is asked in increasing order: start where it stopped
};

} // namespace Gatehouse::Simulation
