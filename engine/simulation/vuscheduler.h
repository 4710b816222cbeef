#pragma once

#include "ratecurve.h"
#include "seededrandom.h"
#include "loaderror.h"
#include "loadscheduler.h"
#include "vupool.h"

#include <QTimer>

namespace Gatehouse::Simulation {

class MetricsShard;
class OperationRunner;
struct RunContext;

// One thread's share of a closed-model executor (constant-vus, ramping-vus): VU j of the
// workload belongs to share j % shares. Each active VU runs iterations back to back; the
// number of active VUs follows the curve (ramping-vus: linear between stages, checked every
// kAdjustMs and after every iteration), and a VU above the current target stops after its
// iteration (k6's graceful ramp-down). Iteration numbers are per share, interleaved
// (local * shares + share), so the seeded choices do not depend on other threads. After the
// duration nothing starts; iterations in flight get gracefulStopMs, then are interrupted.
// Lives on its generator thread.
class VuScheduler final : public LoadScheduler
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VuScheduler)

public:
    static constexpr int kAdjustMs = 100;
    // A VU whose connection was refused, or whose request found no id to use yet (LoadError::
    // NoId), waits this long before its next iteration, so neither a target that went away nor
    // a run that has created nothing yet makes it spin in a busy loop.
    static constexpr int kConnectBackoffMs = 100;

    VuScheduler(RunContext *context, OperationRunner *runner, MetricsShard *metrics, int workload, int share,
                int shares, QObject *parent = nullptr);
    ~VuScheduler() override;

    void start() override;
    void stop() override;
    bool isFinished() const { return m_finished; }

private:
    int targetNow() const;        // active VUs this share should have now
    void adjust();
    void runIteration(int vu);
    void onIterationDone(int vu, LoadError last);
    void endScheduling();
    void maybeFinish();

    RunContext *m_context;
    OperationRunner *m_runner;
    MetricsShard *m_metrics;
    int m_workload;
    int m_share;
    int m_shares;
    RateCurve m_curve;           // VUs over time (valueAt in VUs)
    SeededRandom m_workloadRandom;
    QList<double> m_weights;
    VuPool m_vus;
    QList<bool> m_running;       // per local VU: an iteration (or its backoff) is under way
    qint64 m_beginNs = 0;
    qint64 m_endNs = 0;
    qint64 m_localIteration = 0;
    int m_inFlight = 0;
    bool m_scheduling = false;
    bool m_finished = false;
    QTimer m_adjustTimer;
    QTimer m_endTimer;
    QTimer m_graceTimer;
};

} // namespace Gatehouse::Simulation
