#include "engineviews.h"

#include "assembly/engine.h"
#include "config/configstore.h"

namespace Gatehouse::Server {

bool EngineAdminBackend::isRunning() const { return m_engine->isRunning(); }
QString EngineAdminBackend::adminKey() const { return m_engine->adminKey(); }
EventStore *EngineAdminBackend::eventStore() const { return m_engine->eventStore(); }
ReadStore *EngineAdminBackend::readStore() const { return m_engine->readStore(); }
const CollectionCatalog *EngineAdminBackend::collections() const { return m_engine->collections(); }
MetricsRegistry *EngineAdminBackend::metrics() const { return m_engine->metrics(); }
ResourceService *EngineAdminBackend::resources() const { return m_engine->resources(); }
CollectionService *EngineAdminBackend::collectionService() const { return m_engine->collectionService(); }
FunctionService *EngineAdminBackend::functions() const { return m_engine->functions(); }
QList<ProjectionRunner *> EngineAdminBackend::projections() const { return m_engine->projections(); }
Simulation::SimulationService *EngineAdminBackend::simulations() const { return m_engine->simulations(); }

Mqtt::MqttService::EngineSide mqttEngineSide(const Engine &engine)
{
    Mqtt::MqttService::EngineSide side;
    side.store = engine.eventStore();
    side.gateway = engine.gateway();
    side.upsert = engine.upsertProjection();
    side.metrics = engine.metrics();
    side.dataDir = engine.options().dataDir;
    if (engine.options().database) {
        // Several engines: the outbox's owner publishes (see startAll), from a checkpoint every
        // engine can read, so the next owner goes on where the last one stopped.
        ConfigStore *config = engine.configStore();
        side.outboxActive = false;
        side.readOutboxCheckpoint = [config]() -> std::optional<qint64> {
            bool ok = false;
            const qint64 position = config->setting(QStringLiteral("mqtt_outbox_checkpoint")).toLongLong(&ok);
            return ok ? std::optional<qint64>(position) : std::nullopt;
        };
        side.writeOutboxCheckpoint = [config](qint64 position) {
            return config->setSetting(QStringLiteral("mqtt_outbox_checkpoint"), QString::number(position));
        };
    }
    return side;
}

} // namespace Gatehouse::Server
