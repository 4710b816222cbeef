#include "loadgenerator.h"

#include "arrivalscheduler.h"
#include "mqttcommander.h"
#include "operationrunner.h"
#include "ratecurve.h"
#include "runcontext.h"
#include "vuscheduler.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace Gatehouse::Simulation {

LoadGenerator::LoadGenerator(RunContext *context, MetricsShard *metrics, int thread, int threads, QString clientIdPrefix,
                             QObject *parent)
    : QObject(parent)
    , m_context(context)
    , m_metrics(metrics)
    , m_thread(thread)
    , m_threads(threads)
    , m_clientIdPrefix(std::move(clientIdPrefix))
{
}

LoadGenerator::~LoadGenerator()
{
    qDeleteAll(m_schedulers);   // before the runner their iterations use
}

int LoadGenerator::sharesOf(const Workload &workload, int threads)
{
    const Executor &e = workload.executor;
    int vus = 1;
    switch (e.kind) {
    case Executor::ConstantArrivalRate:
    case Executor::RampingArrivalRate:
        vus = std::max({1, e.maxVus, e.preAllocatedVus});
        break;
    case Executor::ConstantVus:
        vus = qMax(1, e.vus);
        break;
    case Executor::RampingVus:
        vus = qMax(1, int(std::ceil(RateCurve::ramping(e.vus, e.stages, 1).maxValue())));
        vus = qMax(vus, e.vus);
        break;
    }
    return qBound(1, vus, threads);
}

void LoadGenerator::prepare()
{
    bool needsMqtt = false;
    // Const: a non-const begin() would detach the list shared with the run, from two
    // generator threads at once (a race that corrupted the heap).
    for (const Workload &w : std::as_const(m_context->scenario.workloads))
        for (const Operation &op : w.operations)
            needsMqtt = needsMqtt || op.kind == Operation::MqttCommand;
    if (needsMqtt) {
        m_mqtt = new MqttCommander(m_context->mqttHost, m_context->mqttPort,
                                   m_clientIdPrefix + QStringLiteral("-cmd%1").arg(m_thread), this);
        QString error;
        if (!m_mqtt->connectNow(&error)) {
            Q_EMIT prepared(error);
            return;
        }
    }
    m_runner = std::make_unique<OperationRunner>(m_context, m_metrics, m_mqtt);
    for (int w = 0; w < m_context->scenario.workloads.size(); ++w) {
        const Workload &workload = m_context->scenario.workloads.at(w);
        const int shares = sharesOf(workload, m_threads);
        if (m_thread >= shares)
            continue;
        const Executor::Kind kind = workload.executor.kind;
        LoadScheduler *scheduler = nullptr;
        if (kind == Executor::ConstantArrivalRate || kind == Executor::RampingArrivalRate)
            scheduler = new ArrivalScheduler(m_context, m_runner.get(), m_metrics, w, m_thread, shares);
        else
            scheduler = new VuScheduler(m_context, m_runner.get(), m_metrics, w, m_thread, shares);
        connect(scheduler, &LoadScheduler::finished, this, &LoadGenerator::onSchedulerFinished);
        m_schedulers.append(scheduler);
    }
    Q_EMIT prepared(QString());
}

void LoadGenerator::start()
{
    m_running = int(m_schedulers.size());
    if (m_running == 0) {
        m_finished = true;
        Q_EMIT finished();
        return;
    }
    // A copy: a scheduler with nothing to do finishes inside start().
    const QList<LoadScheduler *> schedulers = m_schedulers;
    for (LoadScheduler *s : schedulers)
        s->start();
}

void LoadGenerator::stop()
{
    const QList<LoadScheduler *> schedulers = m_schedulers;
    for (LoadScheduler *s : schedulers)
        s->stop();
    if (m_mqtt)
        m_mqtt->abort();
}

void LoadGenerator::onSchedulerFinished()
{
    if (--m_running > 0 || m_finished)
        return;
    m_finished = true;
    Q_EMIT finished();
}

} // namespace Gatehouse::Simulation
