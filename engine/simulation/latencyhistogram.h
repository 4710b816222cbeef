#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QtGlobal>

#include <vector>

namespace Gatehouse::Simulation {

// Durations in log-linear buckets, as HdrHistogram lays them out: every power of two is split
// into 128 equal buckets, so a bucket is at most 1/128 of its values wide and any percentile
// is within 0.4% of the exact one (the bucket's midpoint is reported, clamped to min..max).
// Values are nanoseconds; below 256 ns each value has its own bucket; 1 h and more share the
// last one (min, max and the mean stay exact). 4,608 counters, allocated on the first record.
//
// Not thread-safe and lock-free on purpose: record() is a few shifts and an increment, so a
// load generator keeps one histogram per thread (or per VU) and merges them when it reports.
// A plain value: copy it to take a snapshot.
class LatencyHistogram
{
public:
    static constexpr qint64 kMaxNs = 3600LL * 1000 * 1000 * 1000;   // 1 h

    void record(qint64 nanoseconds, quint64 times = 1);   // negative counts as 0
    void recordMs(double milliseconds) { record(qint64(milliseconds * 1e6)); }
    void merge(const LatencyHistogram &other);
    void clear();

    quint64 count() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }
    qint64 minNs() const { return m_count ? m_min : 0; }
    qint64 maxNs() const { return m_count ? m_max : 0; }
    double meanNs() const { return m_count ? m_sum / double(m_count) : 0; }
    // The value below or at which `percent` % of the recorded values lie (nearest rank:
    // the ceil(percent/100 * count)-th smallest), within 0.4%; 0 when empty.
    qint64 percentileNs(double percent) const;

    double minMs() const { return double(minNs()) / 1e6; }
    double maxMs() const { return double(maxNs()) / 1e6; }
    double meanMs() const { return meanNs() / 1e6; }
    double percentileMs(double percent) const { return double(percentileNs(percent)) / 1e6; }

    // {"p50", "p90", "p99", "p99.9", "max", "mean", "min"} in milliseconds (to the µs); zeros
    // when empty. The report's "latency_ms".
    QJsonObject summaryJson() const;
    // [[upper_bound_ms, count], ...] ascending, non-empty buckets only, with `perOctave` buckets
    // per power of two (1..128, a power of two; fewer makes a shorter report). The report's
    // "histogram". Upper bounds are inclusive, in ms to the ns.
    QJsonArray bucketsJson(int perOctave = 16) const;
    // {"count", "latency_ms": summaryJson(), "histogram": bucketsJson()}
    QJsonObject toJson() const;

    // The bucket layout, exposed for tests: the index of a value and the inclusive range of a bucket.
    static int bucketIndex(qint64 nanoseconds, int subBucketBits = kSubBucketBits);
    static qint64 bucketLowest(int index, int subBucketBits = kSubBucketBits);
    static qint64 bucketHighest(int index, int subBucketBits = kSubBucketBits);
    static constexpr int kSubBucketBits = 7;
    static int bucketCount(int subBucketBits = kSubBucketBits);

private:
    std::vector<quint64> m_counts;
    quint64 m_count = 0;
    qint64 m_min = 0;
    qint64 m_max = 0;
    double m_sum = 0;   // ns; a double so that hours times millions of samples cannot overflow
};

} // namespace Gatehouse::Simulation
