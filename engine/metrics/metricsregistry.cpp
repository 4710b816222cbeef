#include "metricsregistry.h"

#include <cmath>

namespace Gatehouse {

MetricsRegistry::MetricsRegistry() = default;

void MetricsRegistry::describe(const QByteArray &name, Type type, const QByteArray &help, QList<double> buckets)
{
    QMutexLocker lock(&m_mutex);
    if (!m_families.contains(name))
        m_order.append(name);
    Family &f = m_families[name];
    f.type = type;
    f.help = help;
    f.buckets = std::move(buckets);
}

void MetricsRegistry::increment(const QByteArray &name, const QByteArray &labels, double by)
{
    QMutexLocker lock(&m_mutex);
    if (!m_families.contains(name))
        m_order.append(name);
    m_families[name].values[labels] += by;
}

void MetricsRegistry::set(const QByteArray &name, const QByteArray &labels, double value)
{
    QMutexLocker lock(&m_mutex);
    if (!m_families.contains(name)) {
        m_order.append(name);
        m_families[name].type = Type::Gauge;
    }
    m_families[name].values[labels] = value;
}

void MetricsRegistry::observe(const QByteArray &name, const QByteArray &labels, double value)
{
    QMutexLocker lock(&m_mutex);
    Family &f = m_families[name];
    if (f.buckets.isEmpty()) {
        if (!m_order.contains(name))
            m_order.append(name);
        f.type = Type::Histogram;
        f.buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    }
    auto &counts = f.bucketCounts[labels];
    if (counts.isEmpty())
        counts.resize(f.buckets.size());
    for (qsizetype i = 0; i < f.buckets.size(); ++i) {
        if (value <= f.buckets.at(i)) {
            ++counts[i];
            break;
        }
    }
    f.sums[labels] += value;
    ++f.counts[labels];
}

void MetricsRegistry::setSummary(const QByteArray &name, const QByteArray &labels, const QList<std::pair<double, double>> &quantiles,
                                 double sum, quint64 count)
{
    QMutexLocker lock(&m_mutex);
    if (!m_families.contains(name))
        m_order.append(name);
    Family &f = m_families[name];
    f.type = Type::Summary;
    for (const auto &[q, v] : quantiles) {
        const QByteArray quantile = "quantile=\"" + QByteArray::number(q, 'g', 15) + '"';
        f.values[labels.isEmpty() ? quantile : labels + ',' + quantile] = v;
    }
    f.sums[labels] = sum;
    f.counts[labels] = count;
}

double MetricsRegistry::value(const QByteArray &name, const QByteArray &labels) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_families.constFind(name);
    return it == m_families.cend() ? 0 : it->values.value(labels);
}

double MetricsRegistry::total(const QByteArray &name, QByteArrayView labelsContaining) const
{
    QMutexLocker lock(&m_mutex);
    const auto it = m_families.constFind(name);
    if (it == m_families.cend())
        return 0;
    double sum = 0;
    for (auto v = it->values.cbegin(); v != it->values.cend(); ++v) {
        if (labelsContaining.isEmpty() || v.key().contains(labelsContaining))
            sum += v.value();
    }
    return sum;
}

MetricsRegistry::Histogram MetricsRegistry::histogram(const QByteArray &name) const
{
    Histogram h;
    QMutexLocker lock(&m_mutex);
    const auto it = m_families.constFind(name);
    if (it == m_families.cend())
        return h;
    h.bounds = it->buckets;
    h.counts.resize(h.bounds.size());
    for (const QList<quint64> &counts : it->bucketCounts) {
        for (qsizetype i = 0; i < counts.size() && i < h.counts.size(); ++i)
            h.counts[i] += counts.at(i);
    }
    for (quint64 c : it->counts)
        h.count += c;
    for (double s : it->sums)
        h.sum += s;
    return h;
}

double MetricsRegistry::quantile(const Histogram &newer, const Histogram &older, double q)
{
    const quint64 total = newer.count - qMin(older.count, newer.count);
    if (total == 0 || newer.bounds.isEmpty())
        return 0;
    const double rank = q * double(total);
    double seen = 0;
    double lower = 0;
    for (qsizetype i = 0; i < newer.bounds.size(); ++i) {
        const quint64 before = i < older.counts.size() ? older.counts.at(i) : 0;
        const double inBucket = double(newer.counts.value(i) - qMin(before, newer.counts.value(i)));
        if (inBucket > 0 && seen + inBucket >= rank)
            return lower + (newer.bounds.at(i) - lower) * ((rank - seen) / inBucket);
        seen += inBucket;
        lower = newer.bounds.at(i);
    }
    return newer.bounds.last();
}

void MetricsRegistry::addCollector(Collector collector)
{
    QMutexLocker lock(&m_mutex);
    m_collectors.append(std::move(collector));
}

QByteArray MetricsRegistry::label(const QByteArray &key, const QString &value)
{
    QByteArray v = value.toUtf8();
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return key + "=\"" + v + '"';
}

void MetricsRegistry::collect()
{
    QList<Collector> collectors;
    {
        QMutexLocker lock(&m_mutex);
        collectors = m_collectors;
    }
    for (const Collector &c : collectors)
        c(*this);
}

QByteArray MetricsRegistry::exposition()
{
    collect();

    QMutexLocker lock(&m_mutex);
    QByteArray out;
    auto number = [](double v) {
        if (std::isinf(v))
            return QByteArray(v > 0 ? "+Inf" : "-Inf");
        return QByteArray::number(v, 'g', 15);
    };
    auto withLabels = [](const QByteArray &name, const QByteArray &labels, const QByteArray &extra = {}) {
        QByteArray all = labels;
        if (!extra.isEmpty())
            all = all.isEmpty() ? extra : all + ',' + extra;
        return all.isEmpty() ? name : name + '{' + all + '}';
    };
    for (const QByteArray &name : std::as_const(m_order)) {
        const Family &f = m_families.value(name);
        const char *type = f.type == Type::Counter ? "counter" : f.type == Type::Gauge ? "gauge"
                         : f.type == Type::Summary ? "summary" : "histogram";
        if (!f.help.isEmpty())
            out += "# HELP " + name + ' ' + f.help + '\n';
        out += "# TYPE " + name + ' ' + type + '\n';
        if (f.type != Type::Histogram) {
            for (auto it = f.values.cbegin(); it != f.values.cend(); ++it)
                out += withLabels(name, it.key()) + ' ' + number(it.value()) + '\n';
            for (auto it = f.sums.cbegin(); f.type == Type::Summary && it != f.sums.cend(); ++it) {
                out += withLabels(name + "_sum", it.key()) + ' ' + number(it.value()) + '\n';
                out += withLabels(name + "_count", it.key()) + ' ' + QByteArray::number(f.counts.value(it.key())) + '\n';
            }
            continue;
        }
        for (auto it = f.bucketCounts.cbegin(); it != f.bucketCounts.cend(); ++it) {
            quint64 cumulative = 0;
            for (qsizetype i = 0; i < f.buckets.size(); ++i) {
                cumulative += it.value().value(i);
                out += withLabels(name + "_bucket", it.key(), "le=\"" + number(f.buckets.at(i)) + '"') + ' ' + QByteArray::number(cumulative) + '\n';
            }
            out += withLabels(name + "_bucket", it.key(), "le=\"+Inf\"") + ' ' + QByteArray::number(f.counts.value(it.key())) + '\n';
            out += withLabels(name + "_sum", it.key()) + ' ' + number(f.sums.value(it.key())) + '\n';
            out += withLabels(name + "_count", it.key()) + ' ' + QByteArray::number(f.counts.value(it.key())) + '\n';
        }
    }
    return out;
}

} // namespace Gatehouse
