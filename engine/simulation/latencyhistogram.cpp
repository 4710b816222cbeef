#include "latencyhistogram.h"

#include <QJsonValue>

#include <algorithm>
#include <bit>
#include <cmath>

namespace Gatehouse::Simulation {

namespace {

// Milliseconds rounded to the microsecond: what a report needs, and short in JSON.
double roundedMs(double ms)
{
    return std::round(ms * 1000.0) / 1000.0;
}

} // namespace

int LatencyHistogram::bucketIndex(qint64 nanoseconds, int subBucketBits)
{
    const auto value = quint64(std::clamp<qint64>(nanoseconds, 0, kMaxNs));
    const quint64 subBuckets = quint64(1) << subBucketBits;
    if (value < 2 * subBuckets)
        return int(value);
    const int exponent = 63 - std::countl_zero(value);
    const int shift = exponent - subBucketBits;
    return int(quint64(shift) * subBuckets + (value >> shift));
}

qint64 LatencyHistogram::bucketLowest(int index, int subBucketBits)
{
    const int subBuckets = 1 << subBucketBits;
    if (index < 2 * subBuckets)
        return index;
    const int shift = index / subBuckets - 1;
    const qint64 mantissa = index - qint64(shift) * subBuckets;
    return mantissa << shift;
}

qint64 LatencyHistogram::bucketHighest(int index, int subBucketBits)
{
    const int subBuckets = 1 << subBucketBits;
    if (index < 2 * subBuckets)
        return index;
    const int shift = index / subBuckets - 1;
    const qint64 mantissa = index - qint64(shift) * subBuckets;
    return ((mantissa + 1) << shift) - 1;
}

int LatencyHistogram::bucketCount(int subBucketBits)
{
    return bucketIndex(kMaxNs, subBucketBits) + 1;
}

void LatencyHistogram::record(qint64 nanoseconds, quint64 times)
{
    if (times == 0)
        return;
    nanoseconds = std::max<qint64>(nanoseconds, 0);
    if (m_counts.empty())
        m_counts.resize(size_t(bucketCount()));
    m_counts[size_t(bucketIndex(nanoseconds))] += times;
    if (m_count == 0 || nanoseconds < m_min)
        m_min = nanoseconds;
    if (m_count == 0 || nanoseconds > m_max)
        m_max = nanoseconds;
    m_count += times;
    m_sum += double(nanoseconds) * double(times);
}

void LatencyHistogram::merge(const LatencyHistogram &other)
{
    if (other.m_count == 0)
        return;
    if (m_counts.empty())
        m_counts.resize(other.m_counts.size());
    for (size_t i = 0; i < other.m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
    m_min = m_count ? std::min(m_min, other.m_min) : other.m_min;
    m_max = m_count ? std::max(m_max, other.m_max) : other.m_max;
    m_count += other.m_count;
    m_sum += other.m_sum;
}

void LatencyHistogram::clear()
{
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_count = 0;
    m_min = m_max = 0;
    m_sum = 0;
}

qint64 LatencyHistogram::percentileNs(double percent) const
{
    if (m_count == 0)
        return 0;
    if (!(percent > 0))
        return m_min;
    if (percent >= 100)
        return m_max;
    const auto rank = std::max<quint64>(1, quint64(std::ceil(percent / 100.0 * double(m_count))));
    quint64 seen = 0;
    for (size_t i = 0; i < m_counts.size(); ++i) {
        seen += m_counts[i];
        if (seen >= rank) {
            const qint64 low = bucketLowest(int(i));
            const qint64 middle = low + (bucketHighest(int(i)) - low) / 2;
            return std::clamp(middle, m_min, m_max);
        }
    }
    return m_max;
}

QJsonObject LatencyHistogram::summaryJson() const
{
    return {
        {QStringLiteral("p50"), roundedMs(percentileMs(50))},
        {QStringLiteral("p90"), roundedMs(percentileMs(90))},
        {QStringLiteral("p99"), roundedMs(percentileMs(99))},
        {QStringLiteral("p99.9"), roundedMs(percentileMs(99.9))},
        {QStringLiteral("max"), roundedMs(maxMs())},
        {QStringLiteral("mean"), roundedMs(meanMs())},
        {QStringLiteral("min"), roundedMs(minMs())},
    };
}

QJsonArray LatencyHistogram::bucketsJson(int perOctave) const
{
    // Coarser buckets nest exactly in the fine ones' power-of-two grid.
    const int bits = std::clamp(int(std::bit_width(unsigned(std::max(perOctave, 1)))) - 1, 0, kSubBucketBits);
    QJsonArray buckets;
    int current = -1;
    quint64 sum = 0;
    const auto flush = [&] {
        if (sum > 0)
            buckets.append(QJsonArray{double(bucketHighest(current, bits)) / 1e6, double(sum)});
    };
    for (size_t i = 0; i < m_counts.size(); ++i) {
        if (m_counts[i] == 0)
            continue;
        const int coarse = bucketIndex(bucketLowest(int(i)), bits);
        if (coarse != current) {
            flush();
            current = coarse;
            sum = 0;
        }
        sum += m_counts[i];
    }
    flush();
    return buckets;
}

QJsonObject LatencyHistogram::toJson() const
{
    return {
        {QStringLiteral("count"), double(m_count)},
        {QStringLiteral("latency_ms"), summaryJson()},
        {QStringLiteral("histogram"), bucketsJson()},
    };
}

} // namespace Gatehouse::Simulation
