#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMutex>

#include <functional>

namespace Gatehouse {

// Counters, gauges and histograms in Prometheus text exposition format (version 0.0.4).
// Labels are given preformatted (`route="products-get",status="200"`). Thread-safe; cheap
// enough for every request. Gauges that are cheaper to read at scrape time than to keep
// current (projection lag, breaker state) come from collectors run by exposition().
class MetricsRegistry final
{
public:
    enum class Type { Counter, Gauge, Histogram, Summary };

    MetricsRegistry();
    void describe(const QByteArray &name, Type type, const QByteArray &help, QList<double> buckets = {});
    void increment(const QByteArray &name, const QByteArray &labels = {}, double by = 1);
    void set(const QByteArray &name, const QByteArray &labels, double value);
    void observe(const QByteArray &name, const QByteArray &labels, double value);
    // A summary's series for one label set: {quantile, value} pairs, then _sum and _count.
    void setSummary(const QByteArray &name, const QByteArray &labels, const QList<std::pair<double, double>> &quantiles,
                    double sum, quint64 count);
    double value(const QByteArray &name, const QByteArray &labels = {}) const;   // counters and gauges
    // A counter or gauge summed over its label sets (those whose labels contain `labelsContaining`).
    double total(const QByteArray &name, QByteArrayView labelsContaining = {}) const;

    // A histogram merged over its label sets; `counts` per bucket (not cumulative), values
    // above the last bound only in `count`.
    struct Histogram
    {
        QList<double> bounds;
        QList<quint64> counts;
        quint64 count = 0;
        double sum = 0;
    };
    Histogram histogram(const QByteArray &name) const;
    // The q-quantile (0..1) of what was observed between two snapshots, linearly interpolated
    // inside its bucket; 0 when nothing was observed, the last bound when beyond it.
    static double quantile(const Histogram &newer, const Histogram &older, double q);

    using Collector = std::function<void(MetricsRegistry &)>;
    void addCollector(Collector collector);
    void collect();            // runs the collectors, so value()/total() are current
    QByteArray exposition();   // collect(), then the text format

    static QByteArray label(const QByteArray &key, const QString &value);   // key="escaped value"

private:
    struct Family
    {
        Type type = Type::Counter;
        QByteArray help;
        QList<double> buckets;
        QHash<QByteArray, double> values;                  // counter / gauge by labels; summary by labels with quantile
        QHash<QByteArray, QList<quint64>> bucketCounts;    // histogram by labels (cumulative at exposition)
        QHash<QByteArray, double> sums;                    // histogram and summary by labels
        QHash<QByteArray, quint64> counts;
    };
    mutable QMutex m_mutex;
    QHash<QByteArray, Family> m_families;
    QList<QByteArray> m_order;
    QList<Collector> m_collectors;
};

} // namespace Gatehouse
