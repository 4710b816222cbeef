#pragma once

#include "loaderror.h"
#include "seededrandom.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <memory>

namespace Gatehouse::Simulation {

class HttpLoadClient;
class MetricsShard;
class MqttCommander;
struct HttpLoadResult;
struct RunContext;

// One iteration to run: which operation, its number in its workload, when it was meant to
// start and the generator its choices come from (forked from the scenario's seed by workload
// and iteration number, so they do not depend on thread timing).
struct Iteration
{
    int op = 0;                 // flat operation index (RunContext::flatOp)
    qint64 number = 0;
    qint64 startNs = 0;         // steady clock: the intended start (arrival-rate) or the actual one
    SeededRandom random;
    const void *owner = nullptr;   // the scheduler that started it (abortMqtt() ends its MQTT commands)
};

// Turns an iteration into requests on one VU's connection and records what they did: create,
// update, delete and custom commands as POSTs with generated documents, get and list (with
// cursors), read-after-write, any route with a path template, and MQTT commands (through the
// thread's MqttCommander). The first request of an iteration is timed from its intended start
// (no coordinated omission); later requests of the same iteration from when they were sent.
// Every 202 is reported to the lag tracker and every created id to the id registry. Lives on
// one generator thread; its callbacks run there.
class OperationRunner
{
public:
    using Done = std::function<void(LoadError last)>;

    OperationRunner(RunContext *context, MetricsShard *metrics, MqttCommander *mqtt);
    ~OperationRunner();
    OperationRunner(const OperationRunner &) = delete;
    OperationRunner &operator=(const OperationRunner &) = delete;

    // Runs `iteration` on `client`; `done` is called once, later, when its last request ended.
    void run(Iteration iteration, HttpLoadClient *client, Done done);

    // MQTT commands of `owner`'s iterations still waiting for a reply end as interrupted (its
    // graceful stop is over); HTTP requests are the VUs' to abort.
    void abortMqtt(const void *owner);

    // The id a create of this iteration sends: reproducible from the seed.
    QString newId(Iteration &iteration) const;

private:
    struct Job;
    using Step = std::function<void(const std::shared_ptr<Job> &, const HttpLoadResult &)>;

    void send(const std::shared_ptr<Job> &job, const QByteArray &method, const QByteArray &target,
              const QByteArray &body, QList<std::pair<QByteArray, QByteArray>> extraHeaders, Step next,
              int notAnError = 0);   // a status that is what the step measures (a stale read's 404)
    void finish(const std::shared_ptr<Job> &job, LoadError last);

    void create(const std::shared_ptr<Job> &job, Step then);
    void onId(const std::shared_ptr<Job> &job, const std::function<void(const QString &id)> &with);
    void runCreate(const std::shared_ptr<Job> &job);
    void runUpdate(const std::shared_ptr<Job> &job);
    void runDelete(const std::shared_ptr<Job> &job);
    void runCommand(const std::shared_ptr<Job> &job);
    void runGet(const std::shared_ptr<Job> &job);
    void runList(const std::shared_ptr<Job> &job, const QByteArray &cursor, int page);
    void runReadAfterWrite(const std::shared_ptr<Job> &job);
    void runRequest(const std::shared_ptr<Job> &job);
    void runMqttCommand(const std::shared_ptr<Job> &job);

    QJsonObject document(const std::shared_ptr<Job> &job);   // a create body (without "id")
    QJsonObject patch(const std::shared_ptr<Job> &job);      // an update body
    void noteAccepted(const std::shared_ptr<Job> &job, const HttpLoadResult &result);

    RunContext *m_context;
    MetricsShard *m_metrics;
    MqttCommander *m_mqtt;
};

} // namespace Gatehouse::Simulation
