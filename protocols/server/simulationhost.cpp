#include "simulationhost.h"

#include "assembly/engine.h"
#include "enginefaults.h"
#include "listeners.h"
#include "mqtt/mqttservice.h"
#include "scenarioresources.h"
#include "simulation/simulationservice.h"

#include <QUrl>

namespace Gatehouse::Server {

struct SimulationHost::Private
{
    Engine *engine = nullptr;
    std::unique_ptr<ScenarioResources> setup;
    std::unique_ptr<EngineFaults> faults;
};

SimulationHost::SimulationHost()
    : d(std::make_unique<Private>())
{
}

SimulationHost::~SimulationHost()
{
    detach();
}

void SimulationHost::attach(Engine *engine, const Listeners &listeners, Mqtt::MqttService *mqtt)
{
    detach();
    Simulation::SimulationService *service = engine ? engine->simulations() : nullptr;
    if (!service)
        return;
    d->engine = engine;
    d->setup = std::make_unique<ScenarioResources>(engine);
    Simulation::RunEnvironment environment;
    environment.setup = d->setup.get();
    d->faults = std::make_unique<EngineFaults>(engine, mqtt);
    environment.faults = d->faults.get();
    environment.probe = d->faults.get();
    // Load goes to the gateway's own address; a wildcard bind is reached over loopback.
    const Listeners::Endpoint gateway = Listeners::reachable(listeners.gatewayEndpoint());
    const std::shared_ptr<const Http::HttpTls> tls = listeners.gatewayTls();
    environment.gatewayUrl = (tls ? QStringLiteral("https://") : QStringLiteral("http://")) + gateway.toString();
    if (tls) {
        environment.gatewayCertificates = [tls] { return tls->configuration().localCertificateChain(); };
        // Reached on an address the certificate may not name: verified for a name it holds.
        environment.gatewayPeerName = tls->verifyNameFor(gateway.address);
    }
    if (mqtt && mqtt->isRunning() && !mqtt->brokerUrl().isEmpty()) {
        const QUrl url(mqtt->brokerUrl());
        environment.mqttHost = url.host();
        environment.mqttPort = url.port(1883);
    }
    service->setEnvironment(environment);
}

void SimulationHost::detach()
{
    if (!d->engine)
        return;
    if (Simulation::SimulationService *service = d->engine->simulations()) {
        const QString active = service->activeRunId();
        if (!active.isEmpty()) {
            // The engine stopping (SIGTERM, the window closed) cut the run short: failed, as
            // a run a crash ended is recorded at the next start; "stopped" is an operator's.
            service->abort(active, Simulation::SimulationService::engineStoppedReason());
            service->waitForIdle(15000);
        }
        service->setEnvironment({});
    }
    d->faults.reset();   // switches off whatever a run left on
    d->setup.reset();
    d->engine = nullptr;
}

} // namespace Gatehouse::Server
