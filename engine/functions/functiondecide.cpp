// FunctionService: custom commands (CommandDecider) and the per-function metrics.

#include "functioninstance.h"
#include "functionprojection.h"
#include "functionservice_p.h"
#include "metrics/metricsregistry.h"

namespace Gatehouse {

namespace {
QString inlineDecideCode(const QJsonObject &spec)
{
    return QStringLiteral("var decide = (%1\n);\n").arg(spec.value(QLatin1String("decide")).toString());
}

// The function that runs one custom command: a deployed one, or the collection's inline code
// (kept warm under "<collection>/<command>", reloaded when the code changes).
std::shared_ptr<FunctionEntry> deciderFor(FunctionService::Private &d, const QString &collection, const QString &command,
                                          const QJsonObject &spec, QString *error)
{
    const QString byName = spec.value(QLatin1String("function")).toString();
    if (!byName.isEmpty()) {
        std::shared_ptr<FunctionEntry> entry = d.entry(byName);
        if (!entry)
            *error = QStringLiteral("function '%1' of command '%2' is not deployed").arg(byName, command);
        return entry;
    }
    const QString code = inlineDecideCode(spec);
    const QString key = collection + u'/' + command;
    QMutexLocker lock(&d.mutex);
    std::shared_ptr<FunctionEntry> &slot = d.inlineDeciders[key];
    if (slot && slot->definition.code == code)
        return slot;
    auto entry = std::make_shared<FunctionEntry>();
    entry->definition.name = collection + u'.' + command;
    entry->definition.code = code;
    entry->definition.version = slot ? slot->definition.version + 1 : 1;
    entry->worker = slot ? slot->worker : std::make_shared<FunctionWorker>(entry->definition.name, d.runtime);
    if (slot)
        entry->stats = slot->stats;
    slot = entry;
    return entry;
}
} // namespace

bool FunctionService::checkInlineDecide(const QString &collection, const QString &command, const QJsonObject &spec, QString *error) const
{
    // The code as deciderFor() runs it: in a worker process, where code that will not stop
    // cannot hold the admin API's thread.
    FunctionDefinition def;
    def.name = collection + u'.' + command;
    def.code = inlineDecideCode(spec);
    int line = 0;
    if (!FunctionInstance::check(def, d->runtime, error, &line)) {
        if (line > 0)
            *error = QStringLiteral("line %1: %2").arg(line).arg(*error);
        return false;
    }
    return true;
}

void FunctionService::decide(const QString &collection, const QString &command, const QJsonObject &spec, const QJsonValue &state,
                             const QJsonObject &input, Callback done)
{
    QString error;
    const std::shared_ptr<FunctionEntry> entry = deciderFor(*d, collection, command, spec, &error);
    if (!entry) {
        done({502, error, {}});
        return;
    }
    entry->stats->queued(1);
    entry->worker->post([def = entry->definition, stats = entry->stats, readStore = d->readStore, state, input,
                         done = std::move(done)](FunctionWorker &worker) {
        Decision decision;
        FunctionOutcome out;
        if (!worker.ensureHost(def, stats, &out.error)) {
            decision = {500, QStringLiteral("the decide function of '%1' does not load: %2").arg(def.name, out.error), {}};
        } else {
            out = worker.host()->decide(state, input, FunctionProjection::accessFor(readStore));
            worker.dropHostIfUnusable();
            if (out.crashed)
                decision = {502, QStringLiteral("the decide function %1").arg(out.error), {}};
            else if (out.timedOut || out.outOfMemory)
                decision = {504, QStringLiteral("the decide function %1").arg(out.error), {}};
            else if (!out.ok)
                decision = {422, out.error, {}};
            else if (!out.effects.writes.isEmpty() || !out.effects.emits.isEmpty())
                decision = {500, QStringLiteral("decide() must return its events, not write or emit through ctx"), {}};
            else if (!out.result.isArray() && !out.result.isNull() && !out.result.isUndefined())
                decision = {500, QStringLiteral("decide() must return an array of events"), {}};
            else
                decision.events = out.result.toArray();
            out.ok = decision.status == 200;
        }
        stats->addLogs(out.effects.logs);
        stats->record(out);
        stats->dequeued(1);
        done(std::move(decision));
    });
}

void FunctionService::registerMetrics(MetricsRegistry *metrics)
{
    using T = MetricsRegistry::Type;
    metrics->describe("gatehouse_function_invocations_total", T::Counter, "Function invocations (every attempt), by function.");
    metrics->describe("gatehouse_function_errors_total", T::Counter, "Invocations that failed (thrown, timed out, out of memory).");
    metrics->describe("gatehouse_function_retries_total", T::Counter, "Retried invocations of event-triggered functions.");
    metrics->describe("gatehouse_function_timeouts_total", T::Counter, "Invocations interrupted at timeout_ms.");
    metrics->describe("gatehouse_function_memory_exceeded_total", T::Counter, "Invocations interrupted at memory_limit_mb.");
    metrics->describe("gatehouse_function_cold_starts_total", T::Counter, "Instances (worker processes or QJSEngines) started.");
    metrics->describe("gatehouse_function_crashes_total", T::Counter, "Worker processes that died during an invocation.");
    metrics->describe("gatehouse_function_init_seconds", T::Gauge, "Mean time to start an instance (start the worker, load the code).");
    metrics->describe("gatehouse_function_duration_seconds", T::Summary,
                      "Invocation duration: quantiles over the last 1000, sum and count since the start.");
    metrics->describe("gatehouse_function_instances", T::Gauge, "Live instances.");
    metrics->describe("gatehouse_function_queue_depth", T::Gauge, "Events and calls handed to instances and not finished.");
    metrics->describe("gatehouse_function_dead_letters", T::Gauge, "Dead letters waiting for replay or removal.");
    Private *p = d.get();
    metrics->addCollector([p](MetricsRegistry &m) {
        QList<std::shared_ptr<FunctionEntry>> entries;
        {
            QMutexLocker lock(&p->mutex);
            for (const auto &[name, entry] : p->functions)
                entries.append(entry);
        }
        for (const auto &entry : entries) {
            const FunctionStats::Snapshot s = entry->stats->snapshot();
            const QByteArray fn = MetricsRegistry::label("function", entry->definition.name);
            m.set("gatehouse_function_invocations_total", fn, double(s.invocations));
            m.set("gatehouse_function_errors_total", fn, double(s.errors));
            m.set("gatehouse_function_retries_total", fn, double(s.retries));
            m.set("gatehouse_function_timeouts_total", fn, double(s.timeouts));
            m.set("gatehouse_function_memory_exceeded_total", fn, double(s.memoryKills));
            m.set("gatehouse_function_cold_starts_total", fn, double(s.coldStarts));
            m.set("gatehouse_function_crashes_total", fn, double(s.crashes));
            m.set("gatehouse_function_init_seconds", fn, s.meanInitMs / 1000.0);
            m.setSummary("gatehouse_function_duration_seconds", fn, {{0.5, s.p50Ms / 1000.0}, {0.99, s.p99Ms / 1000.0}},
                         s.durationSumS, quint64(s.invocations));
            m.set("gatehouse_function_instances", fn, double(s.instances));
            m.set("gatehouse_function_queue_depth", fn, double(s.queueDepth));
            m.set("gatehouse_function_dead_letters", fn, double(p->deadLetterCount(entry->definition.name)));
        }
    });
}

} // namespace Gatehouse
