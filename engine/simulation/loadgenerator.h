#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace Gatehouse::Simulation {

class LoadScheduler;
class MetricsShard;
class MqttCommander;
class OperationRunner;
struct RunContext;
struct Workload;

// One generator thread's part of a run: its share of every workload's executor (arrival-rate
// or VUs; a workload is dealt over min(threads, its VUs) threads), the operation runner they
// share and, when a workload sends mqtt_command, this thread's MQTT client. prepare() makes
// the connections that must exist before second 0 (MQTT) and answers prepared(error); start()
// starts the schedulers at the context's startNs; finished() when every scheduler is done.
// Lives on its generator thread; prepare/start/stop are called there (queued).
class LoadGenerator final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LoadGenerator)

public:
    LoadGenerator(RunContext *context, MetricsShard *metrics, int thread, int threads, QString clientIdPrefix,
                  QObject *parent = nullptr);
    ~LoadGenerator() override;

    // How many generator threads a workload is dealt over.
    static int sharesOf(const Workload &workload, int threads);

    void prepare();
    void start();
    void stop();

Q_SIGNALS:
    void prepared(const QString &error);
    void finished();

private:
    void onSchedulerFinished();

    RunContext *m_context;
    MetricsShard *m_metrics;
    int m_thread;
    int m_threads;
    QString m_clientIdPrefix;
    MqttCommander *m_mqtt = nullptr;
    std::unique_ptr<OperationRunner> m_runner;
    QList<LoadScheduler *> m_schedulers;
    int m_running = 0;
    bool m_finished = false;
};

} // namespace Gatehouse::Simulation
