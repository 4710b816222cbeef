#include "vuscheduler.h"

#include "base/steadyclock.h"
#include "operationrunner.h"
#include "runcontext.h"
#include "runmetrics.h"

#include <cmath>

namespace Gatehouse::Simulation {

namespace {
constexpr qint64 kNsPerMs = 1000 * 1000;

RateCurve curveOf(const Executor &e, qint64 scenarioDurationMs)
{
    if (e.kind == Executor::RampingVus)
        return RateCurve::ramping(e.vus, e.stages, 1);
    return RateCurve::constant(e.vus, 1, e.durationMs > 0 ? e.durationMs : scenarioDurationMs);
}
} // namespace

VuScheduler::VuScheduler(RunContext *context, OperationRunner *runner, MetricsShard *metrics, int workload, int share,
                         int shares, QObject *parent)
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
    , m_vus(context->gateway, 0, metrics, this)
{
    m_adjustTimer.setInterval(kAdjustMs);
    connect(&m_adjustTimer, &QTimer::timeout, this, &VuScheduler::adjust);
    m_endTimer.setSingleShot(true);
    m_endTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_endTimer, &QTimer::timeout, this, &VuScheduler::endScheduling);
    m_graceTimer.setSingleShot(true);
    connect(&m_graceTimer, &QTimer::timeout, this, [this] {
        m_vus.abortAll();
        m_runner->abortMqtt(this);
    });
}

VuScheduler::~VuScheduler() = default;

int VuScheduler::targetNow() const
{
    const double elapsedMs = double(steadyNowNs() - m_beginNs) / double(kNsPerMs);
    // k6 rounds the VUs of a ramp down: 2.9 VUs are 2.
    const int total = int(std::floor(m_curve.valueAt(elapsedMs) + 1e-9));
    return dealtShare(qMax(0, total), m_share, m_shares);
}

void VuScheduler::start()
{
    const Executor &e = m_context->scenario.workloads.at(m_workload).executor;
    m_beginNs = m_context->startNs + e.startTimeMs * kNsPerMs;
    m_endNs = m_beginNs + m_curve.durationMs() * kNsPerMs;
    m_scheduling = true;
    const qint64 now = steadyNowNs();
    m_endTimer.start(int(qMax<qint64>(0, m_endNs - now) / kNsPerMs));
    if (m_beginNs > now)
        QTimer::singleShot(int((m_beginNs - now) / kNsPerMs), Qt::PreciseTimer, this, [this] {
            adjust();
            m_adjustTimer.start();
        });
    else {
        adjust();
        m_adjustTimer.start();
    }
}

void VuScheduler::adjust()
{
    if (!m_scheduling)
        return;
    const int target = targetNow();
    while (m_vus.size() < target) {
        m_vus.add();
        m_running.append(false);
    }
    for (int vu = 0; vu < target; ++vu) {
        if (!m_running.at(vu))
            runIteration(vu);
    }
}

void VuScheduler::runIteration(int vu)
{
    const qint64 local = m_localIteration++;
    const qint64 number = local * m_shares + m_share;
    SeededRandom random = m_workloadRandom.fork(quint64(number));
    const int op = m_context->flatOp(m_workload, int(qMax<qsizetype>(0, random.weighted(m_weights))));
    m_running[vu] = true;
    ++m_inFlight;
    ++m_metrics->busyVus;
    m_metrics->started(op, true);
    m_runner->run(Iteration{op, number, steadyNowNs(), random, this}, m_vus.at(vu),
                  [this, vu](LoadError last) { onIterationDone(vu, last); });
}

void VuScheduler::onIterationDone(int vu, LoadError last)
{
    --m_inFlight;
    --m_metrics->busyVus;
    const bool wanted = m_scheduling && steadyNowNs() < m_endNs && vu < targetNow();
    // A refused connection, or a request with no id to use yet (which ends at once, inside
    // run()): back off rather than loop -- without it the VU would start its next iteration
    // from inside this one's callback, recursing for as long as no id exists.
    if (wanted && (last == LoadError::Connect || last == LoadError::NoId)) {
        ++m_inFlight;   // the backoff holds the VU: it is not free to end early
        QTimer::singleShot(kConnectBackoffMs, this, [this, vu] {
            --m_inFlight;
            if (m_scheduling && vu < targetNow())
                runIteration(vu);
            else
                m_running[vu] = false;
            maybeFinish();
        });
        return;
    }
    if (wanted) {
        runIteration(vu);
        return;
    }
    m_running[vu] = false;
    maybeFinish();
}

void VuScheduler::endScheduling()
{
    m_scheduling = false;
    m_adjustTimer.stop();
    const Executor &e = m_context->scenario.workloads.at(m_workload).executor;
    m_graceTimer.start(int(e.gracefulStopMs));
    maybeFinish();
}

void VuScheduler::maybeFinish()
{
    if (m_scheduling || m_inFlight > 0 || m_finished)
        return;
    m_finished = true;
    m_graceTimer.stop();
    Q_EMIT finished();
}

void VuScheduler::stop()
{
    m_scheduling = false;
    m_adjustTimer.stop();
    m_endTimer.stop();
    m_vus.abortAll();
    m_runner->abortMqtt(this);
    maybeFinish();
}

} // namespace Gatehouse::Simulation
