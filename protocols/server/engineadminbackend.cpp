#include "engineadminbackend.h"

#include "assembly/engine.h"

namespace Gatehouse::Server {

bool EngineAdminBackend::isRunning() const { return m_engine->isRunning(); }
QString EngineAdminBackend::adminKey() const { return m_engine->adminKey(); }
EventStore *EngineAdminBackend::eventStore() const { return m_engine->eventStore(); }
ReadStore *EngineAdminBackend::readStore() const { return m_engine->readStore(); }
const CollectionCatalog *EngineAdminBackend::collections() const { return m_engine->collections(); }
MetricsRegistry *EngineAdminBackend::metrics() const { return m_engine->metrics(); }
ResourceService *EngineAdminBackend::resources() const { return m_engine->resources(); }
FunctionService *EngineAdminBackend::functions() const { return m_engine->functions(); }
QList<ProjectionRunner *> EngineAdminBackend::projections() const { return m_engine->projections(); }

} // namespace Gatehouse::Server
