#include "arrivalscheduler.h"

#include "base/steadyclock.h"
#include "operationrunner.h"
#include "runcontext.h"
#include "runmetrics.h"

#include <algorithm>
#include <cmath>

namespace Gatehouse::Simulation {

namespace {
constexpr qint64 kNsPerMs = 1000 * 1000;

RateCurve curveOf(const Executor &e, qint64 scenarioDurationMs)
{
    if (e.kind == Executor::RampingArrivalRate)
        return RateCurve::ramping(e.startRate, e.stages, e.timeUnitMs);
    return RateCurve::constant(e.rate, e.timeUnitMs, e.durationMs > 0 ? e.durationMs : scenarioDurationMs);
}
} // namespace

ArrivalScheduler::ArrivalScheduler(RunContext *context, OperationRunner *runner, MetricsShard *metrics, int workload,
                                   int share, int shares, QObject *parent)
    : LoadScheduler(parent)
    , m_context(context)
    , m_runner(runner)
    , m_metrics(metrics)
    , m_workload(workload)
    , m_share(share)
    , m_shares(shares)
    , m_curve(curveOf(context->scenario.workloads.at(workload).executor, context->scenario.durationMs))
    , m_workloadRandom(SeededRandom(context->scenario.seed).fork(quint64(workload)))
    , m_weights(context->weightsOf(workload))
    , m_vus(context->gateway,
            dealtShare(std::max({1, context->scenario.workloads.at(workload).executor.maxVus,
                             context->scenario.workloads.at(workload).executor.preAllocatedVus}),
                       share, shares),
            metrics, this)
{
    const Executor &e = context->scenario.workloads.at(workload).executor;
    m_preAllocated = dealtShare(e.preAllocatedVus, share, shares);
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ArrivalScheduler::tick);
    m_graceTimer.setSingleShot(true);
    connect(&m_graceTimer, &QTimer::timeout, this, [this] {
        m_vus.abortAll();
        m_runner->abortMqtt(this);
    });
}

ArrivalScheduler::~ArrivalScheduler() = default;

void ArrivalScheduler::start()
{
    const Executor &e = m_context->scenario.workloads.at(m_workload).executor;
    m_beginNs = m_context->startNs + e.startTimeMs * kNsPerMs;
    m_total = m_curve.totalIterations();
    m_next = m_share;
    m_vus.reserve(m_preAllocated);
    m_scheduling = true;
    tick();
}

void ArrivalScheduler::tick()
{
    if (!m_scheduling)
        return;
    const qint64 now = steadyNowNs();
    qint64 dueNs = 0;
    while (m_next < m_total) {
        dueNs = m_beginNs + qint64(std::llround(m_curve.timeOf(m_next) * double(kNsPerMs)));
        if (dueNs > now)
            break;
        dispatch(m_next, dueNs);
        m_next += m_shares;
    }
    if (m_next >= m_total) {
        endScheduling();
        return;
    }
    // A timer cannot wake earlier than its due millisecond; whatever it wakes late for, the
    // loop above starts at once (each one timed from its own due time).
    m_timer.start(int((dueNs - now + kNsPerMs - 1) / kNsPerMs));
}

void ArrivalScheduler::dispatch(qint64 iteration, qint64 dueNs)
{
    SeededRandom random = m_workloadRandom.fork(quint64(iteration));
    const int op = m_context->flatOp(m_workload, int(qMax<qsizetype>(0, random.weighted(m_weights))));
    HttpLoadClient *vu = m_vus.acquire();
    m_metrics->due(op, vu == nullptr);
    if (!vu)
        return;
    m_metrics->started(op, false);
    ++m_inFlight;
    m_runner->run(Iteration{op, iteration, dueNs, random, this}, vu, [this, vu](LoadError) {
        m_vus.release(vu);
        --m_inFlight;
        maybeFinish();
    });
}

void ArrivalScheduler::endScheduling()
{
    m_scheduling = false;
    m_timer.stop();
    // Iterations in flight when the executor's time is over get the graceful stop, then end.
    const Executor &e = m_context->scenario.workloads.at(m_workload).executor;
    const qint64 endNs = m_beginNs + m_curve.durationMs() * kNsPerMs + e.gracefulStopMs * kNsPerMs;
    m_graceTimer.start(int(qMax<qint64>(0, endNs - steadyNowNs()) / kNsPerMs));
    maybeFinish();
}

void ArrivalScheduler::maybeFinish()
{
    if (m_scheduling || m_inFlight > 0 || m_finished)
        return;
    m_finished = true;
    m_graceTimer.stop();
    Q_EMIT finished();
}

void ArrivalScheduler::stop()
{
    if (m_scheduling) {
        m_scheduling = false;
        m_timer.stop();
    }
    m_vus.abortAll();
    m_runner->abortMqtt(this);
    maybeFinish();
}

} // namespace Gatehouse::Simulation
