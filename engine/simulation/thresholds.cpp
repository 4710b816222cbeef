#include "thresholds.h"

#include <QJsonValue>
#include <QRegularExpression>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::Thresholds {

namespace {

struct MetricInfo
{
    QStringView name;
    MetricType type;
    QStringView tags;   // comma-separated, sorted
};

constexpr MetricInfo metrics[] = {
    {u"consistency_lag", MetricType::Trend, u"op,via,workload"},
    {u"dropped_iterations", MetricType::Counter, u"workload"},
    {u"errors", MetricType::Rate, u"op,status,workload"},
    {u"http_req_duration", MetricType::Trend, u"op,status,workload"},
    {u"http_reqs", MetricType::Counter, u"op,status,workload"},
    {u"iterations", MetricType::Counter, u"op,workload"},
    {u"mqtt_command_duration", MetricType::Trend, u"op,workload"},
};

const MetricInfo *find(QStringView metric)
{
    for (const MetricInfo &info : metrics) {
        if (info.name == metric)
            return &info;
    }
    return nullptr;
}

QString statisticsOf(MetricType type)
{
    switch (type) {
    case MetricType::Trend: return u"avg, min, med, max, p(N)"_s;
    case MetricType::Rate: return u"rate"_s;
    case MetricType::Counter: return u"count, rate"_s;
    }
    return {};
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool compare(double value, Threshold::Comparison comparison, double bound)
{
    switch (comparison) {
    case Threshold::Less: return value < bound;
    case Threshold::LessOrEqual: return value <= bound;
    case Threshold::Greater: return value > bound;
    case Threshold::GreaterOrEqual: return value >= bound;
    case Threshold::Equal: return value == bound;
    case Threshold::NotEqual: return value != bound;
    }
    return false;
}

} // namespace

std::optional<MetricType> metricType(const QString &metric)
{
    if (const MetricInfo *info = find(metric))
        return info->type;
    return std::nullopt;
}

QStringList metricNames()
{
    QStringList names;
    for (const MetricInfo &info : metrics)
        names.append(info.name.toString());
    return names;
}

QStringList metricTags(const QString &metric)
{
    const MetricInfo *info = find(metric);
    return info ? info->tags.toString().split(u',') : QStringList();
}

bool parseKey(const QString &key, Threshold *into, QString *error)
{
    // k6's form: a metric name, then optionally {name:value,...}; values are taken as written
    // (spaces around them trimmed), names are the tags the metric is measured by.
    static const QRegularExpression form(u"^([a-z_][a-z0-9_]*)(?:\\{([^{}]*)\\})?$"_s);
    const auto match = form.match(key);
    if (!match.hasMatch())
        return fail(error, u"must be a metric name, optionally followed by {tag:value,...}"_s);
    const QString metric = match.captured(1);
    const MetricInfo *info = find(metric);
    if (!info)
        return fail(error, u"unknown metric \""_s % metric % u"\" (known: "_s % metricNames().join(u", ") % u')');
    QMap<QString, QString> tags;
    if (match.hasCaptured(2)) {
        const QStringList allowed = metricTags(metric);
        const QStringList pairs = match.captured(2).split(u',');
        for (const QString &pair : pairs) {
            const qsizetype colon = pair.indexOf(u':');
            const QString name = pair.left(colon).trimmed();
            const QString value = colon < 0 ? QString() : pair.mid(colon + 1).trimmed();
            if (colon < 0 || name.isEmpty() || value.isEmpty())
                return fail(error, u"a tag must be written name:value, got \""_s % pair.trimmed() % u'"');
            if (!allowed.contains(name))
                return fail(error, u"unknown tag \""_s % name % u"\" for "_s % metric % u" (known: "_s % allowed.join(u", ") % u')');
            if (tags.contains(name))
                return fail(error, u"tag \""_s % name % u"\" is given twice"_s);
            tags.insert(name, value);
        }
    }
    into->key = key;
    into->metric = metric;
    into->tags = tags;
    return true;
}

bool parseExpression(const QString &expression, Threshold *into, QString *error)
{
    static const QRegularExpression form(
        u"^\\s*(avg|min|med|max|count|rate|p\\(\\s*([0-9]+(?:\\.[0-9]+)?)\\s*\\))\\s*(<=|>=|==|!=|<|>)\\s*(\\S+)\\s*$"_s);
    const auto match = form.match(expression);
    if (!match.hasMatch())
        return fail(error, u"must be <statistic> <comparison> <number>, such as \"p(99)<50\" or \"rate<0.01\""_s);
    const MetricInfo *info = find(into->metric);
    if (!info)
        return fail(error, u"unknown metric \""_s % into->metric % u'"');

    const QString statistic = match.captured(1);
    Threshold::Statistic kind = Threshold::Avg;
    double percentile = 0;
    if (statistic.startsWith(u'p')) {
        kind = Threshold::Percentile;
        percentile = match.captured(2).toDouble();
        if (!(percentile >= 0 && percentile <= 100))
            return fail(error, u"the percentile must be between 0 and 100"_s);
    } else {
        kind = statistic == u"avg" ? Threshold::Avg
            : statistic == u"min" ? Threshold::Min
            : statistic == u"med" ? Threshold::Med
            : statistic == u"max" ? Threshold::Max
            : statistic == u"count" ? Threshold::Count
            : Threshold::Rate;
    }
    const bool valid = info->type == MetricType::Trend
        ? kind != Threshold::Count && kind != Threshold::Rate
        : info->type == MetricType::Rate ? kind == Threshold::Rate
                                         : kind == Threshold::Count || kind == Threshold::Rate;
    if (!valid) {
        return fail(error, u"\""_s % (kind == Threshold::Percentile ? u"p(N)"_s : statistic) % u"\" does not apply to "_s
                               % into->metric % u" (it takes "_s % statisticsOf(info->type) % u')');
    }

    bool ok = false;
    const double bound = match.captured(4).toDouble(&ok);
    if (!ok || !std::isfinite(bound))
        return fail(error, u"\""_s % match.captured(4) % u"\" is not a number"_s);

    const QString op = match.captured(3);
    into->expression = expression;
    into->statistic = kind;
    into->percentile = percentile;
    into->comparison = op == u"<" ? Threshold::Less
        : op == u"<=" ? Threshold::LessOrEqual
        : op == u">" ? Threshold::Greater
        : op == u">=" ? Threshold::GreaterOrEqual
        : op == u"==" ? Threshold::Equal
        : Threshold::NotEqual;
    into->bound = bound;
    return true;
}

std::optional<Threshold> parse(const QString &key, const QString &expression, QString *error)
{
    Threshold threshold;
    if (!parseKey(key, &threshold, error) || !parseExpression(expression, &threshold, error))
        return std::nullopt;
    return threshold;
}

Result evaluate(const Threshold &threshold, const MetricView &metrics)
{
    Result result;
    const auto type = metricType(threshold.metric);
    if (!type)
        return result;
    switch (*type) {
    case MetricType::Trend: {
        const LatencyHistogram histogram = metrics.trend ? metrics.trend(threshold.metric, threshold.tags)
                                                         : LatencyHistogram();
        result.hasSamples = !histogram.isEmpty();
        if (!result.hasSamples)
            return result;
        switch (threshold.statistic) {
        case Threshold::Avg: result.value = histogram.meanMs(); break;
        case Threshold::Min: result.value = histogram.minMs(); break;
        case Threshold::Med: result.value = histogram.percentileMs(50); break;
        case Threshold::Max: result.value = histogram.maxMs(); break;
        case Threshold::Percentile: result.value = histogram.percentileMs(threshold.percentile); break;
        case Threshold::Count:
        case Threshold::Rate: return result;   // rejected by parseExpression
        }
        break;
    }
    case MetricType::Rate: {
        const MetricView::RateFigures figures = metrics.rate ? metrics.rate(threshold.metric, threshold.tags)
                                                             : MetricView::RateFigures();
        result.hasSamples = figures.total > 0;
        result.value = figures.total ? double(figures.passes) / double(figures.total) : 0;
        break;
    }
    case MetricType::Counter: {
        const quint64 count = metrics.counter ? metrics.counter(threshold.metric, threshold.tags) : 0;
        result.hasSamples = count > 0;
        result.value = threshold.statistic == Threshold::Count ? double(count)
            : metrics.elapsedSeconds > 0 ? double(count) / metrics.elapsedSeconds
                                         : 0;
        break;
    }
    }
    result.pass = compare(result.value, threshold.comparison, threshold.bound);
    return result;
}

QJsonObject resultJson(const Threshold &threshold, const Result &result)
{
    const bool trendWithoutSamples = metricType(threshold.metric) == MetricType::Trend && !result.hasSamples;
    return {
        {u"metric"_s, threshold.key},
        {u"expression"_s, threshold.expression},
        {u"value"_s, trendWithoutSamples ? QJsonValue(QJsonValue::Null) : QJsonValue(result.value)},
        {u"pass"_s, result.pass},
    };
}

} // namespace Gatehouse::Simulation::Thresholds
