#include "runreport.h"

#include "runcontext.h"

#include <QJsonArray>

namespace Gatehouse::Simulation::RunReport {

namespace {
double perSecond(double count, double seconds)
{
    return seconds > 0 ? count / seconds : 0;
}

QJsonObject histogramJson(const LatencyHistogram &h)
{
    return QJsonObject{{QStringLiteral("latency_ms"), h.summaryJson()}, {QStringLiteral("histogram"), h.bucketsJson()}};
}

// Does operation `flat` carry every tag of `tags` (other than status, which selects samples)?
bool matches(const RunContext &context, int flat, const MetricView::Tags &tags)
{
    const auto op = tags.constFind(QStringLiteral("op"));
    if (op != tags.cend() && *op != opName(context.operation(flat)))
        return false;
    const auto workload = tags.constFind(QStringLiteral("workload"));
    if (workload != tags.cend() && *workload != context.scenario.workloads.at(context.workloadOf(flat)).name)
        return false;
    return true;
}
} // namespace

QString opName(const Operation &op)
{
    return op.name.isEmpty() ? Operation::kindName(op.kind) : op.name;
}

QString opKey(const RunContext &context, int flatOp)
{
    return context.scenario.workloads.at(context.workloadOf(flatOp)).name + u'/' + opName(context.operation(flatOp));
}

QJsonObject operationsJson(const RunContext &context, const QList<OpStats> &totals, double elapsedSeconds)
{
    QJsonObject out;
    for (int i = 0; i < totals.size(); ++i) {
        const OpStats &s = totals.at(i);
        QJsonObject status;
        for (auto it = s.status.cbegin(); it != s.status.cend(); ++it)
            status.insert(QString::number(it.key()), it.value());
        QJsonObject errors;
        for (auto it = s.errors.cbegin(); it != s.errors.cend(); ++it)
            errors.insert(it.key(), it.value());
        QJsonObject o = histogramJson(s.latency);
        o.insert(QStringLiteral("workload"), context.scenario.workloads.at(context.workloadOf(i)).name);
        o.insert(QStringLiteral("op"), opName(context.operation(i)));
        o.insert(QStringLiteral("kind"), Operation::kindName(context.operation(i).kind));
        o.insert(QStringLiteral("requests"), s.requests);
        o.insert(QStringLiteral("failed"), s.failed);
        o.insert(QStringLiteral("intended"), s.intended);
        o.insert(QStringLiteral("started"), s.started);
        o.insert(QStringLiteral("iterations"), s.completed);
        o.insert(QStringLiteral("interrupted"), s.interrupted);
        o.insert(QStringLiteral("intended_rate"), perSecond(double(s.intended), elapsedSeconds));
        o.insert(QStringLiteral("achieved_rate"), perSecond(double(s.completed), elapsedSeconds));
        o.insert(QStringLiteral("dropped"), s.dropped);
        o.insert(QStringLiteral("status"), status);
        o.insert(QStringLiteral("errors"), errors);
        if (context.operation(i).kind == Operation::ReadAfterWrite)
            o.insert(QStringLiteral("stale"), s.stale);
        out.insert(opKey(context, i), o);
    }
    return out;
}

QJsonObject lagJson(const LagTracker::Summary &lag)
{
    QJsonObject out;
    for (int v = 0; v < LagTracker::kViaCount; ++v) {
        const LagTracker::ViaStats &s = lag.at(v);
        if (!s.used)
            continue;
        QJsonObject o = histogramJson(s.lag);
        o.insert(QStringLiteral("samples"), qint64(s.lag.count()));
        o.insert(QStringLiteral("missing"), s.missing);
        if (v == LagTracker::Get)
            o.insert(QStringLiteral("stale"), s.stale);
        out.insert(LagTracker::viaName(LagTracker::Via(v)), o);
    }
    return out;
}

QJsonObject totalsJson(const QList<OpStats> &totals)
{
    OpStats all;
    for (const OpStats &s : totals)
        all.merge(s);
    return QJsonObject{{QStringLiteral("requests"), all.requests},   {QStringLiteral("failed"), all.failed},
                       {QStringLiteral("intended"), all.intended},   {QStringLiteral("dropped"), all.dropped},
                       {QStringLiteral("iterations"), all.completed}, {QStringLiteral("interrupted"), all.interrupted}};
}

QJsonObject seriesPoint(qint64 tMs, const QList<OpStats> &interval, const LagTracker::Summary &lag, double seconds,
                        int activeVus)
{
    OpStats all;
    for (const OpStats &s : interval)
        all.merge(s);
    LatencyHistogram lagAll;
    for (const LagTracker::ViaStats &v : lag)
        lagAll.merge(v.lag);
    return QJsonObject{{QStringLiteral("t_ms"), tMs},
                       {QStringLiteral("intended_rate"), perSecond(double(all.intended), seconds)},
                       {QStringLiteral("achieved_rate"), perSecond(double(all.completed), seconds)},
                       {QStringLiteral("requests"), all.requests},
                       {QStringLiteral("p50_ms"), all.latency.percentileMs(50)},
                       {QStringLiteral("p99_ms"), all.latency.percentileMs(99)},
                       {QStringLiteral("lag_p99_ms"), lagAll.percentileMs(99)},
                       {QStringLiteral("errors"), all.failed},
                       {QStringLiteral("dropped"), all.dropped},
                       {QStringLiteral("active_vus"), activeVus}};
}

MetricView metricView(const RunContext &context, const QList<OpStats> &totals, const LagTracker::Summary &lag,
                      double elapsedSeconds)
{
    MetricView view;
    view.elapsedSeconds = elapsedSeconds;
    const RunContext *ctx = &context;
    const QList<OpStats> *ops = &totals;
    const LagTracker::Summary *lags = &lag;
    view.trend = [ctx, ops, lags](const QString &metric, const MetricView::Tags &tags) {
        LatencyHistogram out;
        if (metric == QLatin1String("consistency_lag")) {
            const QString via = tags.value(QStringLiteral("via"));
            for (int v = 0; v < LagTracker::kViaCount; ++v)
                if (via.isEmpty() || via == LagTracker::viaName(LagTracker::Via(v)))
                    out.merge(lags->at(v).lag);
            return out;
        }
        const bool mqtt = metric == QLatin1String("mqtt_command_duration");
        const auto status = tags.constFind(QStringLiteral("status"));
        for (int i = 0; i < ops->size(); ++i) {
            if ((ctx->operation(i).kind == Operation::MqttCommand) != mqtt || !matches(*ctx, i, tags))
                continue;
            if (status == tags.cend())
                out.merge(ops->at(i).latency);
            else
                out.merge(ops->at(i).latencyByStatus.value(status->toInt()));
        }
        return out;
    };
    view.rate = [ctx, ops](const QString &, const MetricView::Tags &tags) {
        MetricView::RateFigures figures;
        for (int i = 0; i < ops->size(); ++i) {
            if (!matches(*ctx, i, tags))
                continue;
            figures.passes += quint64(ops->at(i).failed);
            figures.total += quint64(ops->at(i).requests);
        }
        return figures;
    };
    view.counter = [ctx, ops](const QString &metric, const MetricView::Tags &tags) {
        quint64 n = 0;
        const auto status = tags.constFind(QStringLiteral("status"));
        for (int i = 0; i < ops->size(); ++i) {
            if (!matches(*ctx, i, tags))
                continue;
            const OpStats &s = ops->at(i);
            if (metric == QLatin1String("http_reqs"))
                n += quint64(status == tags.cend() ? s.requests : s.status.value(status->toInt()));
            else if (metric == QLatin1String("iterations"))
                n += quint64(s.completed);
            else if (metric == QLatin1String("dropped_iterations"))
                n += quint64(s.dropped);
        }
        return n;
    };
    return view;
}

} // namespace Gatehouse::Simulation::RunReport
