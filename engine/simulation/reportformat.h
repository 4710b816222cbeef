#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace Gatehouse::Simulation {

// A run's report (SimulationRun's JSON) as people read it: the one-line progress of a live run,
// the summary table at its end (as k6 prints one), and CSV for spreadsheets. Pure functions.
namespace ReportFormat {

// "12.0s/30s  1,998/s (2,000/s)  p99 3.20 ms  lag p99 4.10 ms  errors 0.00%  dropped 0  VUs 12"
QString progressLine(const QJsonObject &snapshot);
// Several lines: the run, one row per operation, consistency lag per channel, thresholds
// (pass/fail), faults.
QString summary(const QJsonObject &report);
// One row per operation: workload, op, requests, rates, dropped, errors, percentiles.
QByteArray operationsCsv(const QJsonObject &report);
// One row per sample of the series.
QByteArray seriesCsv(const QJsonObject &report);

} // namespace ReportFormat
} // namespace Gatehouse::Simulation
