#pragma once

#include "admin/adminbackend.h"
#include "mqtt/mqttservice.h"

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Server {

// The narrow views the protocols get of a running Engine: each protocol room sees the parts
// it uses and never the Engine itself.

// The admin API's view of a running Engine: each call asks the engine for the part as it is
// now (null while stopped). Used by the listener set and by the console's in-process client.
class EngineAdminBackend final : public Admin::AdminBackend
{
public:
    explicit EngineAdminBackend(const Engine *engine) : m_engine(engine) {}

    bool isRunning() const override;
    QString adminKey() const override;
    EventStore *eventStore() const override;
    ReadStore *readStore() const override;
    const CollectionCatalog *collections() const override;
    MetricsRegistry *metrics() const override;
    ResourceService *resources() const override;
    CollectionService *collectionService() const override;
    FunctionService *functions() const override;
    QList<ProjectionRunner *> projections() const override;
    Simulation::SimulationService *simulations() const override;

private:
    const Engine *m_engine;
};

// The parts of a started engine that the MQTT side uses.
Mqtt::MqttService::EngineSide mqttEngineSide(const Engine &engine);

} // namespace Gatehouse::Server
