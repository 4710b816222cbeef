#pragma once

#include "lagtracker.h"
#include "runmetrics.h"
#include "simulationrun.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

class QThread;

namespace Gatehouse::Simulation {

class FaultSchedule;
class HttpLoadClient;
class LoadGenerator;
class SubscriberSet;
struct RunContext;

// What a run shows the threads that watch it: the latest snapshot (the report at the end).
struct RunState
{
    mutable QMutex mutex;
    QJsonObject report;
    std::atomic<bool> finished{false};
};

// The conductor of one run, on the run's controller thread: checks what the run needs, asks
// the target whether it answers (kPreflightTimeoutMs), opens the subscribers, prepares the
// generator threads, then starts second 0: the load, the faults' schedule and a sample every
// second. The load ends when every executor is done (and the scenario's duration has passed),
// or at stop(), or when the target stops answering (every request for kDeadTargetSeconds
// refused); then it waits for the subscribers to see what is still missing (kDrainMs, kept
// short after a stop or failure), switches every fault off, closes everything, evaluates the
// thresholds and publishes the report.
class RunController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunController)

public:
    static constexpr int kGeneratorThreads = 2;
    static constexpr int kPreflightTimeoutMs = 3000;
    static constexpr int kSampleMs = 1000;
    static constexpr int kDrainMs = 10000;          // positions not seen this long after the end are missing
    static constexpr int kStoppedDrainMs = 1000;
    static constexpr int kDeadTargetSeconds = 5;

    RunController(SimulationRun *run, QString id, RunContext *context, RunEnvironment environment, RunState *state);
    ~RunController() override;

    // On the caller's thread, before the controller moves to its own: the first snapshot.
    void prime();
    void start();
    void stop();
    void fail(const QString &reason);

private:
    enum class Phase { Idle, Preflight, Subscribing, Preparing, Running, Draining, Done };

    QString checkEnvironment() const;
    void preflight();
    void openSubscribers();
    void prepareGenerators();
    void onPrepared(const QString &error);
    void beginLoad();
    void onGeneratorFinished();
    void loadOver();
    void sample();
    void checkDrained();
    void end(const QString &state, const QString &reason);
    void finalize();
    void shutDownThreads();
    QJsonObject buildReport(const QList<OpStats> &totals, const LagTracker::Summary &lag) const;
    void publish(const QJsonObject &report);
    double loadSeconds() const;

    SimulationRun *m_run;
    QString m_id;
    RunContext *m_context;
    RunEnvironment m_environment;
    RunState *m_state;

    Phase m_phase = Phase::Idle;
    QString m_endState = QStringLiteral("running");
    QString m_reason;
    bool m_ending = false;
    QString m_clientIdPrefix;
    QDateTime m_startedAt;
    QDateTime m_endedAt;
    qint64 m_loadEndNs = 0;
    qint64 m_lastSampleNs = 0;
    qint64 m_drainDeadlineNs = 0;
    int m_deadSeconds = 0;
    int m_prepared = 0;
    int m_generatorsDone = 0;

    HttpLoadClient *m_preflight = nullptr;
    QTimer m_preflightTimer;
    QTimer m_sampleTimer;
    QTimer m_endTimer;
    QTimer m_drainTimer;
    QList<QThread *> m_threads;              // generator threads, then the subscriber thread
    QList<LoadGenerator *> m_generators;
    QList<std::shared_ptr<MetricsShard>> m_shards;
    QThread *m_subscriberThread = nullptr;
    SubscriberSet *m_subscribers = nullptr;
    FaultSchedule *m_faults = nullptr;
    QJsonArray m_series;
    QJsonObject m_lastEngine;
};

} // namespace Gatehouse::Simulation
