#pragma once

#include "latencyhistogram.h"
#include "scenario.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Gatehouse::Simulation {

// The figures a run's thresholds are checked against, as the run's metrics can give them.
// Each callback gets a metric name and the tags of the threshold's key (empty: all samples)
// and answers over every sample whose tags include all of those. A callback left empty
// answers "no samples" (an empty histogram, 0 of 0, 0).
struct MetricView
{
    using Tags = QMap<QString, QString>;
    struct RateFigures
    {
        quint64 passes = 0;   // samples that count (errors: failed requests)
        quint64 total = 0;    // all samples (errors: requests)
    };

    // Trend metrics (http_req_duration, consistency_lag, mqtt_command_duration): the merged
    // histogram of their durations.
    std::function<LatencyHistogram(const QString &metric, const Tags &tags)> trend;
    // Rate metrics (errors).
    std::function<RateFigures(const QString &metric, const Tags &tags)> rate;
    // Counter metrics (http_reqs, iterations, dropped_iterations).
    std::function<quint64(const QString &metric, const Tags &tags)> counter;
    // Seconds the run has lasted: a counter's `rate` is its count over this.
    double elapsedSeconds = 0;
};

// Thresholds as k6 writes them: a key "metric" or "metric{tag:value,tag:value}" and an
// expression "<statistic> <comparison> <number>". Which statistics a metric takes depends
// on its type, as in k6:
//   trend   (ms): http_req_duration, consistency_lag, mqtt_command_duration
//                 avg, min, med, max, p(N) with 0 <= N <= 100
//   rate        : errors (failed requests / requests)                 rate
//   counter     : http_reqs, iterations, dropped_iterations           count, rate (per second)
// Comparisons: <, <=, >, >=, ==, !=. Tags each metric takes are listed by metricTags().
// Pure functions, safe from any thread.
namespace Thresholds {

enum class MetricType { Trend, Rate, Counter };

std::optional<MetricType> metricType(const QString &metric);
QStringList metricNames();                     // every known metric, sorted
QStringList metricTags(const QString &metric); // tags the metric is measured by, sorted

// Reads a key into `into` (key, metric, tags). false and `*error` set when the syntax is
// wrong, the metric is unknown, or a tag is not one the metric has.
bool parseKey(const QString &key, Threshold *into, QString *error);
// Reads an expression into `into` (expression, statistic, percentile, comparison, bound),
// checking the statistic against the type of `into->metric`.
bool parseExpression(const QString &expression, Threshold *into, QString *error);
// Both at once.
std::optional<Threshold> parse(const QString &key, const QString &expression, QString *error);

struct Result
{
    double value = 0;         // the statistic's value (ms for trends); 0 without samples
    bool pass = false;
    bool hasSamples = false;  // trends: false when no sample matched, and then pass is false
};

// A trend with no matching sample fails: "p(99) < 50" of nothing does not hold, and an
// empty trend usually means the key names something the run did not do. An empty rate is
// 0 and an empty counter 0, compared as such (as k6 does).
Result evaluate(const Threshold &threshold, const MetricView &metrics);

// {"metric": key, "expression", "value" (null without samples), "pass"}: an entry of the
// report's "thresholds".
QJsonObject resultJson(const Threshold &threshold, const Result &result);

} // namespace Thresholds
} // namespace Gatehouse::Simulation
