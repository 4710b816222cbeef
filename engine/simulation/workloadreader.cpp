#include "fieldreader.h"
#include "scenarioreader.h"

#include "config/jsonpointer.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::ScenarioReader {

namespace {

using L = ScenarioLimits;

// Iterations in flight that an arrival rate needs when each takes 100 ms (Little's law:
// rate x latency): how many VUs an arrival-rate workload opens up front unless told.
constexpr double kAssumedIterationSeconds = 0.1;
// Rates are bounded per second (after time_unit), not as written.
constexpr double kUnbounded = std::numeric_limits<double>::infinity();

const QStringList kCommonMembers{u"name"_s, u"executor"_s, u"operations"_s, u"start_time"_s, u"graceful_stop"_s};

QStringList membersOf(Executor::Kind kind)
{
    switch (kind) {
    case Executor::ConstantArrivalRate:
        return {u"rate"_s, u"time_unit"_s, u"duration"_s, u"pre_allocated_vus"_s, u"max_vus"_s};
    case Executor::RampingArrivalRate:
        return {u"start_rate"_s, u"time_unit"_s, u"stages"_s, u"pre_allocated_vus"_s, u"max_vus"_s};
    case Executor::ConstantVus:
        return {u"vus"_s, u"duration"_s};
    case Executor::RampingVus:
        return {u"start_vus"_s, u"stages"_s};
    }
    return {};
}

constexpr Executor::Kind kKinds[] = {Executor::ConstantArrivalRate, Executor::RampingArrivalRate,
                                     Executor::ConstantVus, Executor::RampingVus};

QString perSecondMessage(double perSecond)
{
    return u"asks for "_s % QString::number(perSecond, 'g', 8) % u" iterations per second; at most "_s
        % QString::number(L::kMaxRatePerSecond, 'f', 0) % u" per second"_s;
}

// The stages of a ramping executor. `rates`: targets are iterations per time unit (checked
// against the per-second limit), else VUs.
QList<Stage> readStages(const FieldReader &f, bool rates, qint64 timeUnitMs)
{
    QList<Stage> stages;
    const auto list = f.array(u"stages"_s, 1, L::kMaxStages, true);
    if (!list)
        return stages;
    const int before = f.errorCount();
    for (qsizetype i = 0; i < list->size(); ++i) {
        const QString at = JsonPointer::append(f.at(u"stages"_s), i);
        if (!list->at(i).isObject()) {
            f.errors()->append(at % u": must be an object {\"target\", \"duration\"}"_s);
            continue;
        }
        FieldReader s(list->at(i).toObject(), at, f.errors());
        s.allowOnly({u"target"_s, u"duration"_s});
        Stage stage;
        if (rates) {
            const auto target = s.number(u"target"_s, 0, kUnbounded, true);
            if (target && *target * 1000.0 / double(timeUnitMs) > L::kMaxRatePerSecond)
                s.error(u"target"_s, perSecondMessage(*target * 1000.0 / double(timeUnitMs)));
            stage.target = target.value_or(0);
        } else {
            stage.target = double(s.integer(u"target"_s, 0, L::kMaxVus, true).value_or(0));
        }
        stage.durationMs = s.duration(u"duration"_s, 0, L::kMaxDurationMs, true).value_or(0);
        stages.append(stage);
    }
    // Sums over stages with errors would only add follow-up noise.
    return f.errorCount() > before ? QList<Stage>() : stages;
}

void readArrivalRate(const FieldReader &f, Executor &e)
{
    e.timeUnitMs = f.duration(u"time_unit"_s, 1, L::kMaxDurationMs).value_or(1000);
    double peak = 0;   // iterations per time unit
    if (e.kind == Executor::ConstantArrivalRate) {
        if (const auto rate = f.number(u"rate"_s, 0, kUnbounded, true, true)) {
            e.rate = *rate;
            if (*rate * 1000.0 / double(e.timeUnitMs) > L::kMaxRatePerSecond)
                f.error(u"rate"_s, perSecondMessage(*rate * 1000.0 / double(e.timeUnitMs)));
        }
        peak = e.rate;
    } else {
        if (const auto start = f.number(u"start_rate"_s, 0, kUnbounded)) {
            e.startRate = *start;
            if (*start * 1000.0 / double(e.timeUnitMs) > L::kMaxRatePerSecond)
                f.error(u"start_rate"_s, perSecondMessage(*start * 1000.0 / double(e.timeUnitMs)));
        }
        e.stages = readStages(f, true, e.timeUnitMs);
        peak = e.startRate;
        for (const Stage &stage : std::as_const(e.stages))
            peak = std::max(peak, stage.target);
    }
    const auto pre = f.integer(u"pre_allocated_vus"_s, 1, L::kMaxVus);
    const auto max = f.integer(u"max_vus"_s, 1, L::kMaxVus);
    const double perSecond = std::min(peak * 1000.0 / double(e.timeUnitMs), L::kMaxRatePerSecond);
    const auto guess = qint64(std::ceil(perSecond * kAssumedIterationSeconds));
    // Defaults: the guess, within max_vus when that is given; max_vus as many as pre-allocated (k6's rule).
    e.preAllocatedVus = int(pre.value_or(std::min<qint64>(max.value_or(L::kMaxVus), std::max<qint64>(1, guess))));
    e.maxVus = int(max.value_or(e.preAllocatedVus));
    if (pre && max && *max < *pre)
        f.error(u"max_vus"_s, u"must be at least pre_allocated_vus ("_s % QString::number(*pre) % u')');
}

void readVus(const FieldReader &f, Executor &e)
{
    if (e.kind == Executor::ConstantVus) {
        e.vus = int(f.integer(u"vus"_s, 1, L::kMaxVus).value_or(1));
        e.maxVus = e.vus;
        return;
    }
    e.vus = int(f.integer(u"start_vus"_s, 0, L::kMaxVus).value_or(1));
    e.stages = readStages(f, false, 1000);
    e.maxVus = e.vus;
    for (const Stage &stage : std::as_const(e.stages))
        e.maxVus = std::max(e.maxVus, int(stage.target));
    if (f.has(u"stages"_s) && !e.stages.isEmpty() && e.maxVus == 0)
        f.error(u"stages"_s, u"never has a VU: start_vus and every target are 0"_s);
}

// start_time, duration or stages against the scenario's duration.
void readTiming(const FieldReader &f, Executor &e, qint64 scenarioMs)
{
    e.startTimeMs = f.duration(u"start_time"_s, 0, L::kMaxDurationMs).value_or(0);
    e.gracefulStopMs = f.duration(u"graceful_stop"_s, 0, L::kMaxGracefulStopMs).value_or(2000);
    if (scenarioMs > 0 && e.startTimeMs >= scenarioMs) {
        f.error(u"start_time"_s, u"must be before the end of the scenario ("_s % FieldReader::formatDuration(scenarioMs) % u')');
        return;
    }
    const auto ends = [&](const QString &member, qint64 lengthMs) {
        if (scenarioMs > 0 && e.startTimeMs + lengthMs > scenarioMs) {
            f.error(member, u"ends at "_s % FieldReader::formatDuration(e.startTimeMs + lengthMs)
                                % u", after the scenario's duration ("_s % FieldReader::formatDuration(scenarioMs) % u')');
        }
    };
    if (e.kind == Executor::ConstantArrivalRate || e.kind == Executor::ConstantVus) {
        const auto duration = f.duration(u"duration"_s, 1, L::kMaxDurationMs);
        // Absent: until the scenario ends.
        e.durationMs = duration.value_or(scenarioMs > 0 ? scenarioMs - e.startTimeMs : 0);
        if (duration)
            ends(u"duration"_s, *duration);
        return;
    }
    e.durationMs = 0;
    for (const Stage &stage : std::as_const(e.stages))
        e.durationMs += stage.durationMs;
    if (!e.stages.isEmpty() && e.durationMs == 0)
        f.error(u"stages"_s, u"last 0s in all"_s);
    ends(u"stages"_s, e.durationMs);
}

} // namespace

std::optional<Workload> readWorkload(const QJsonValue &json, const QString &pointer, Context &context)
{
    if (!json.isObject()) {
        context.errors->append(pointer % u": must be an object"_s);
        return std::nullopt;
    }
    FieldReader f(json.toObject(), pointer, context.errors);
    const int before = f.errorCount();
    Workload workload;

    static const QRegularExpression validName(u"^[A-Za-z0-9_.-]{1,64}$"_s);
    if (const auto name = f.string(u"name"_s, true)) {
        if (!validName.match(*name).hasMatch())
            f.error(u"name"_s, u"must be 1 to 64 letters, digits, '_', '.' or '-'"_s);
        workload.name = *name;
    }

    QStringList allMembers;
    for (const auto kind : kKinds)
        allMembers += membersOf(kind);
    std::optional<Executor::Kind> kind;
    if (const auto name = f.string(u"executor"_s, true)) {
        for (const auto candidate : kKinds) {
            if (Executor::kindName(candidate) == *name)
                kind = candidate;
        }
        if (!kind)
            f.error(u"executor"_s, u"must be one of: constant-arrival-rate, ramping-arrival-rate, constant-vus, ramping-vus"_s);
    }
    if (kind) {
        f.allowOnly(kCommonMembers + membersOf(*kind), allMembers,
                    u"is not used by the "_s % Executor::kindName(*kind) % u" executor"_s);
        workload.executor.kind = *kind;
        if (*kind == Executor::ConstantArrivalRate || *kind == Executor::RampingArrivalRate)
            readArrivalRate(f, workload.executor);
        else
            readVus(f, workload.executor);
        readTiming(f, workload.executor, context.durationMs);
    } else {
        f.allowOnly(kCommonMembers + allMembers);
    }

    if (const auto operations = f.array(u"operations"_s, 1, L::kMaxOperations, true)) {
        QSet<QString> names;
        for (qsizetype i = 0; i < operations->size(); ++i) {
            const QString at = JsonPointer::append(f.at(u"operations"_s), i);
            const auto operation = readOperation(operations->at(i), at, context);
            if (!operation)
                continue;
            if (names.contains(operation->name)) {
                const bool named = operations->at(i).toObject().contains(u"name");
                context.errors->append((named ? JsonPointer::append(at, u"name") : at)
                                       % u": another operation of this workload is named \""_s % operation->name
                                       % u"\"; give each its own \"name\""_s);
            }
            names.insert(operation->name);
            workload.operations.append(*operation);
        }
    }
    if (f.errorCount() > before)
        return std::nullopt;
    return workload;
}

} // namespace Gatehouse::Simulation::ScenarioReader
