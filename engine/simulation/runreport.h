#pragma once

#include "lagtracker.h"
#include "runmetrics.h"
#include "thresholds.h"

#include <QJsonObject>
#include <QList>

namespace Gatehouse::Simulation {

struct RunContext;

// The parts of a run's report (simulationrun.h has its shape) built from merged metrics, and
// the view of those metrics that thresholds are evaluated against. Pure functions.
namespace RunReport {

QString opKey(const RunContext &context, int flatOp);   // "<workload>/<op name>"
QString opName(const Operation &op);                      // its name, else its kind's name

// "operations": per operation, `elapsedSeconds` being how long the load has run.
QJsonObject operationsJson(const RunContext &context, const QList<OpStats> &totals, double elapsedSeconds);
// "consistency_lag": the vias the run measures.
QJsonObject lagJson(const LagTracker::Summary &lag);
// Totals over every operation: {"requests", "failed", "dropped", "iterations", "interrupted"}.
QJsonObject totalsJson(const QList<OpStats> &totals);

// One entry of "series" from the last interval's figures (`seconds` long).
QJsonObject seriesPoint(qint64 tMs, const QList<OpStats> &interval, const LagTracker::Summary &lag, double seconds,
                        int activeVus);

// What thresholds see: http_req_duration{op,workload,status}, mqtt_command_duration{op,workload},
// consistency_lag{via}, errors{op,workload}, http_reqs{op,workload,status}, iterations and
// dropped_iterations{op,workload}. The returned view refers to `context`, `totals` and `lag`.
MetricView metricView(const RunContext &context, const QList<OpStats> &totals, const LagTracker::Summary &lag,
                      double elapsedSeconds);

} // namespace RunReport
} // namespace Gatehouse::Simulation
