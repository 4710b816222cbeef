#pragma once

#include "ratecurve.h"
#include "seededrandom.h"
#include "loadscheduler.h"
#include "vupool.h"

#include <QTimer>

namespace Gatehouse::Simulation {

class MetricsShard;
class OperationRunner;
struct RunContext;

// One thread's share of an arrival-rate executor (constant-arrival-rate, ramping-arrival-rate):
// of the workload's iterations 0, 1, 2, ... (each due at RateCurve::timeOf) this one starts
// those with number % shares == share, at their due time -- a precise timer, and every
// iteration already due started at once when the timer comes late (catching up). An iteration
// that finds no free VU and no room for another (maxVus) is dropped and counted, never queued:
// an open model, whose latency runs from the due time. After the executor's duration no
// iteration starts; those in flight get gracefulStopMs, then are interrupted. Lives on its
// generator thread.
class ArrivalScheduler final : public LoadScheduler
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ArrivalScheduler)

public:
    ArrivalScheduler(RunContext *context, OperationRunner *runner, MetricsShard *metrics, int workload,
                     int share, int shares, QObject *parent = nullptr);
    ~ArrivalScheduler() override;

    void start() override;
    void stop() override;
    bool isFinished() const { return m_finished; }

private:
    void tick();
    void dispatch(qint64 iteration, qint64 dueNs);
    void endScheduling();
    void maybeFinish();

    RunContext *m_context;
    OperationRunner *m_runner;
    MetricsShard *m_metrics;
    int m_workload;
    int m_share;
    int m_shares;
    RateCurve m_curve;
    SeededRandom m_workloadRandom;
    QList<double> m_weights;
    VuPool m_vus;
    int m_preAllocated = 0;
    qint64 m_beginNs = 0;
    qint64 m_total = 0;          // iterations of the whole executor
    qint64 m_next = 0;           // the next iteration number of this share
    int m_inFlight = 0;
    bool m_scheduling = false;
    bool m_finished = false;
    QTimer m_timer;
    QTimer m_graceTimer;
};

} // namespace Gatehouse::Simulation
