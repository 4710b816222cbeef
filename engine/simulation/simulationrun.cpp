#include "simulationrun.h"

#include "config/collectioncatalog.h"
#include "runcontext.h"
#include "runcontroller.h"
#include "simulationlogging.h"

#include <QThread>
#include <QUrl>

namespace Gatehouse::Simulation {

struct SimulationRun::Private
{
    QString id;
    Scenario scenario;
    RunEnvironment environment;
    std::unique_ptr<RunContext> context;
    RunState state;
    QThread thread;
    RunController *controller = nullptr;   // lives on `thread`, deleted when it finishes
    QString setupError;                    // the run cannot even be set up (a malformed target)
};


SimulationRun::SimulationRun(QString id, Scenario scenario, RunEnvironment environment, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->id = std::move(id);
    d->scenario = std::move(scenario);
    d->environment = std::move(environment);
    d->thread.setObjectName(QStringLiteral("gatehouse-sim-run"));

    auto context = std::make_unique<RunContext>();
    context->scenario = d->scenario;
    // The generator threads read the context's scenario: it gets copies of its own now, before
    // any thread exists, so nothing a thread does can detach (write) a list another one reads.
    context->scenario.workloads.detach();
    context->idPrefix = d->scenario.idPrefix.isEmpty() ? QStringLiteral("sim-") + d->id.left(8) + QLatin1Char('-') : d->scenario.idPrefix;
    context->mqttHost = d->environment.mqttHost;
    context->mqttPort = d->environment.mqttPort;
    // Where the load goes: the scenario's target, else this engine's gateway (whose own
    // certificate, when it speaks TLS, is trusted for the name it holds).
    const QString target = d->scenario.target.isEmpty() ? d->environment.gatewayUrl : d->scenario.target;
    if (!GatewayTarget::parse(target, &context->gateway, &d->setupError))
        context->gateway.host = QStringLiteral("127.0.0.1");
    if (target == d->environment.gatewayUrl) {
        if (d->environment.gatewayCertificates)
            context->gateway.trusted = d->environment.gatewayCertificates();
        context->gateway.peerName = d->environment.gatewayPeerName;
    }
    for (const Workload &w : std::as_const(d->scenario.workloads)) {
        context->opOffset.append(int(context->documents.size()));
        for (const Operation &op : w.operations) {
            QJsonObject schema = op.schema;
            if (schema.isEmpty() && d->environment.collections && !op.collection.isEmpty()) {
                if (const auto collection = d->environment.collections->collection(op.collection))
                    schema = collection->schema.toJson();
            }
            context->documents.append(schema.isEmpty() ? DocumentGenerator() : DocumentGenerator(schema));
        }
    }
    d->context = std::move(context);
}

SimulationRun::~SimulationRun()
{
    if (d->thread.isRunning()) {
        stop();
        // The controller ends the run on its own thread (faults off, threads joined) and then
        // has nothing left to do.
        while (!d->state.finished)
            QThread::msleep(5);
        d->thread.quit();
        d->thread.wait();
    }
}

QString SimulationRun::id() const
{
    return d->id;
}

const Scenario &SimulationRun::scenario() const
{
    return d->scenario;
}

void SimulationRun::start()
{
    if (d->controller)
        return;
    d->controller = new RunController(this, d->id, d->context.get(), d->environment, &d->state);
    d->controller->prime();
    d->controller->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, d->controller, &QObject::deleteLater);
    d->thread.start();
    if (!d->setupError.isEmpty()) {
        QMetaObject::invokeMethod(d->controller, [c = d->controller, error = d->setupError] { c->fail(error); },
                                  Qt::QueuedConnection);
        return;
    }
    QMetaObject::invokeMethod(d->controller, &RunController::start, Qt::QueuedConnection);
}

void SimulationRun::stop()
{
    if (d->controller)
        QMetaObject::invokeMethod(d->controller, &RunController::stop, Qt::QueuedConnection);
}

void SimulationRun::fail(const QString &reason)
{
    if (d->controller)
        QMetaObject::invokeMethod(d->controller, [c = d->controller, reason] { c->fail(reason); }, Qt::QueuedConnection);
}

bool SimulationRun::isFinished() const
{
    return d->state.finished;
}

QJsonObject SimulationRun::snapshot() const
{
    const QMutexLocker lock(&d->state.mutex);
    if (d->state.report.isEmpty())
        return QJsonObject{{QStringLiteral("id"), d->id}, {QStringLiteral("scenario"), d->scenario.name},
                           {QStringLiteral("state"), d->controller ? QStringLiteral("running") : QStringLiteral("created")}};
    return d->state.report;
}

} // namespace Gatehouse::Simulation
