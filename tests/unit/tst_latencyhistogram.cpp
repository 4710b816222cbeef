// The run's latency histograms: percentiles against the exact sorted values (within 1%),
// the bucket layout, merging per-thread histograms, and the report's JSON.
#include "simulation/latencyhistogram.h"
#include "simulation/seededrandom.h"

#include <QJsonArray>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

using namespace Gatehouse::Simulation;
using namespace Qt::StringLiterals;

namespace {

enum class Shape { Uniform, LogUniform, Constant, Bimodal, Tiny, Exponential };

std::vector<qint64> samples(Shape shape, int count, quint64 seed)
{
    SeededRandom random(seed);
    std::vector<qint64> values;
    values.reserve(size_t(count));
    for (int i = 0; i < count; ++i) {
        switch (shape) {
        case Shape::Uniform: values.push_back(random.between(1'000, 1'000'000'000)); break;
        case Shape::LogUniform: values.push_back(qint64(std::exp(random.uniform(std::log(1e3), std::log(3.6e12))))); break;
        case Shape::Constant: values.push_back(4'321'987); break;
        case Shape::Bimodal: values.push_back(random.chance(0.97) ? random.between(200'000, 900'000) : random.between(40'000'000, 90'000'000)); break;
        case Shape::Tiny: values.push_back(random.between(0, 300)); break;
        case Shape::Exponential: values.push_back(qint64(-std::log(1 - random.uniform()) * 5e6) + 1'000); break;
        }
    }
    return values;
}

// Nearest rank, the definition LatencyHistogram documents.
qint64 exactPercentile(std::vector<qint64> sorted, double percent)
{
    const auto rank = std::max<size_t>(1, size_t(std::ceil(percent / 100.0 * double(sorted.size()))));
    return sorted[std::min(rank, sorted.size()) - 1];
}

} // namespace

class tst_LatencyHistogram : public QObject
{
    Q_OBJECT

private slots:
    void percentiles_data();
    void percentiles();
    void bucketLayout();
    void mergeEqualsOneHistogram();
    void perThreadHistogramsMerged();
    void emptyHistogram();
    void valuesBeyondTheRange();
    void bucketsJson_data();
    void bucketsJson();
    void summaryJsonInMilliseconds();
};

void tst_LatencyHistogram::percentiles_data()
{
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("count");
    QTest::newRow("uniform 1us..1s") << int(Shape::Uniform) << 100'000;
    QTest::newRow("log-uniform 1us..1h") << int(Shape::LogUniform) << 100'000;
    QTest::newRow("constant") << int(Shape::Constant) << 1'000;
    QTest::newRow("bimodal (3% slow)") << int(Shape::Bimodal) << 50'000;
    QTest::newRow("below 300ns") << int(Shape::Tiny) << 10'000;
    QTest::newRow("exponential") << int(Shape::Exponential) << 100'000;
    QTest::newRow("one sample") << int(Shape::Uniform) << 1;
    QTest::newRow("seven samples") << int(Shape::Bimodal) << 7;
}

void tst_LatencyHistogram::percentiles()
{
    QFETCH(int, shape);
    QFETCH(int, count);
    std::vector<qint64> values = samples(Shape(shape), count, 7);
    LatencyHistogram histogram;
    double sum = 0;
    for (const qint64 v : values) {
        histogram.record(v);
        sum += double(v);
    }
    std::sort(values.begin(), values.end());
    QCOMPARE(histogram.count(), quint64(count));
    QCOMPARE(histogram.minNs(), values.front());
    QCOMPARE(histogram.maxNs(), values.back());
    QVERIFY(std::abs(histogram.meanNs() - sum / count) <= 1e-9 * sum / count);
    for (const double p : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
        const qint64 exact = exactPercentile(values, p);
        const qint64 measured = histogram.percentileNs(p);
        const double error = std::abs(double(measured - exact)) / double(std::max<qint64>(exact, 1));
        if (error > 0.01)
            QFAIL(qPrintable(u"p(%1): %2 ns, exact %3 ns"_s.arg(p).arg(measured).arg(exact)));
    }
    QCOMPARE(histogram.percentileNs(0), values.front());
}

void tst_LatencyHistogram::bucketLayout()
{
    // Every value lands in a bucket that contains it, no wider than 1/128 of its lower bound,
    // and the buckets tile the range without gaps.
    for (int i = 1; i < LatencyHistogram::bucketCount(); ++i)
        QCOMPARE(LatencyHistogram::bucketLowest(i), LatencyHistogram::bucketHighest(i - 1) + 1);
    SeededRandom random(3);
    for (int i = 0; i < 200'000; ++i) {
        const auto v = qint64(std::exp(random.uniform(0, std::log(double(LatencyHistogram::kMaxNs)))));
        const int index = LatencyHistogram::bucketIndex(v);
        const qint64 low = LatencyHistogram::bucketLowest(index);
        const qint64 high = LatencyHistogram::bucketHighest(index);
        QVERIFY(low <= v && v <= high);
        QVERIFY(double(high - low) <= double(low) / 128.0);
    }
    QCOMPARE(LatencyHistogram::bucketIndex(LatencyHistogram::kMaxNs), LatencyHistogram::bucketCount() - 1);
}

void tst_LatencyHistogram::mergeEqualsOneHistogram()
{
    const std::vector<qint64> values = samples(Shape::LogUniform, 40'000, 11);
    LatencyHistogram whole;
    LatencyHistogram parts[4];
    for (size_t i = 0; i < values.size(); ++i) {
        whole.record(values[i]);
        parts[i % 4].record(values[i]);
    }
    LatencyHistogram merged;
    for (const LatencyHistogram &part : parts)
        merged.merge(part);
    merged.merge(LatencyHistogram());   // an empty one changes nothing
    QCOMPARE(merged.count(), whole.count());
    QCOMPARE(merged.minNs(), whole.minNs());
    QCOMPARE(merged.maxNs(), whole.maxNs());
    QCOMPARE(merged.toJson(), whole.toJson());
    for (const double p : {50.0, 90.0, 99.0, 99.9})
        QCOMPARE(merged.percentileNs(p), whole.percentileNs(p));
}

void tst_LatencyHistogram::perThreadHistogramsMerged()
{
    // The intended use: each thread records into its own histogram, a reporter merges them.
    constexpr int kThreads = 4;
    constexpr int kPerThread = 50'000;
    std::vector<LatencyHistogram> histograms(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&histograms, t] {
            SeededRandom random = SeededRandom(5).fork(quint64(t));
            for (int i = 0; i < kPerThread; ++i)
                histograms[size_t(t)].record(random.between(1'000, 10'000'000));
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    LatencyHistogram total;
    for (const LatencyHistogram &h : histograms)
        total.merge(h);
    QCOMPARE(total.count(), quint64(kThreads * kPerThread));
    // Same seeds, recorded on one thread: the same histogram.
    LatencyHistogram serial;
    for (int t = 0; t < kThreads; ++t) {
        SeededRandom random = SeededRandom(5).fork(quint64(t));
        for (int i = 0; i < kPerThread; ++i)
            serial.record(random.between(1'000, 10'000'000));
    }
    QCOMPARE(total.toJson(), serial.toJson());
}

void tst_LatencyHistogram::emptyHistogram()
{
    LatencyHistogram histogram;
    QVERIFY(histogram.isEmpty());
    QCOMPARE(histogram.percentileNs(99), 0);
    QCOMPARE(histogram.meanNs(), 0.0);
    QCOMPARE(histogram.bucketsJson(), QJsonArray());
    const QJsonObject summary = histogram.summaryJson();
    for (const QString &key : {u"p50"_s, u"p90"_s, u"p99"_s, u"p99.9"_s, u"max"_s, u"mean"_s, u"min"_s})
        QCOMPARE(summary.value(key).toDouble(-1), 0.0);
    histogram.record(5'000);
    histogram.clear();
    QVERIFY(histogram.isEmpty());
    QCOMPARE(histogram.bucketsJson(), QJsonArray());
}

void tst_LatencyHistogram::valuesBeyondTheRange()
{
    LatencyHistogram histogram;
    histogram.record(-5);                                   // a clock step backwards: 0
    histogram.record(2 * LatencyHistogram::kMaxNs);         // longer than an hour: kept exactly as max
    QCOMPARE(histogram.minNs(), 0);
    QCOMPARE(histogram.maxNs(), 2 * LatencyHistogram::kMaxNs);
    QCOMPARE(histogram.percentileNs(100), 2 * LatencyHistogram::kMaxNs);
    QCOMPARE(histogram.count(), quint64(2));
    histogram.record(1'000, 3);   // a weight counts as that many samples
    QCOMPARE(histogram.count(), quint64(5));
    QVERIFY(std::abs(histogram.percentileNs(60) - 1'000) <= 10);   // within the bucket of 1 µs
}

void tst_LatencyHistogram::bucketsJson_data()
{
    QTest::addColumn<int>("perOctave");
    QTest::newRow("16 per octave (report)") << 16;
    QTest::newRow("128 per octave (finest)") << 128;
    QTest::newRow("1 per octave") << 1;
}

void tst_LatencyHistogram::bucketsJson()
{
    QFETCH(int, perOctave);
    const std::vector<qint64> values = samples(Shape::Exponential, 20'000, 21);
    LatencyHistogram histogram;
    for (const qint64 v : values)
        histogram.record(v);
    const QJsonArray buckets = histogram.bucketsJson(perOctave);
    QVERIFY(!buckets.isEmpty());
    double previous = -1;
    double total = 0;
    for (const QJsonValue &bucket : buckets) {
        const double upper = bucket.toArray().at(0).toDouble();
        const double count = bucket.toArray().at(1).toDouble();
        QVERIFY(upper > previous);
        QVERIFY(count > 0);
        previous = upper;
        total += count;
    }
    QCOMPARE(total, double(values.size()));
    // The cumulative count at each upper bound is exactly the number of values at or below it.
    std::vector<qint64> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    double cumulative = 0;
    for (const QJsonValue &bucket : buckets) {
        cumulative += bucket.toArray().at(1).toDouble();
        const auto boundNs = qint64(std::llround(bucket.toArray().at(0).toDouble() * 1e6));
        const auto atOrBelow = std::upper_bound(sorted.begin(), sorted.end(), boundNs) - sorted.begin();
        QCOMPARE(cumulative, double(atOrBelow));
    }
    if (perOctave == 1)
        QVERIFY(buckets.size() < 40);
}

void tst_LatencyHistogram::summaryJsonInMilliseconds()
{
    LatencyHistogram histogram;
    for (int i = 1; i <= 1000; ++i)
        histogram.recordMs(i);   // 1 ms .. 1000 ms
    const QJsonObject json = histogram.toJson();
    QCOMPARE(json.value(u"count"_s).toInteger(), 1000);
    const QJsonObject ms = json.value(u"latency_ms"_s).toObject();
    QCOMPARE(ms.value(u"min"_s).toDouble(), 1.0);
    QCOMPARE(ms.value(u"max"_s).toDouble(), 1000.0);
    QCOMPARE(ms.value(u"mean"_s).toDouble(), 500.5);
    QVERIFY(std::abs(ms.value(u"p50"_s).toDouble() - 500) <= 5);
    QVERIFY(std::abs(ms.value(u"p90"_s).toDouble() - 900) <= 9);
    QVERIFY(std::abs(ms.value(u"p99"_s).toDouble() - 990) <= 9.9);
    QVERIFY(std::abs(ms.value(u"p99.9"_s).toDouble() - 999) <= 9.99);
    QVERIFY(json.value(u"histogram"_s).isArray());
}

QTEST_GUILESS_MAIN(tst_LatencyHistogram)
#include "tst_latencyhistogram.moc"
