#pragma once

#include <QList>
#include <QString>

namespace Gatehouse {
class CollectionCatalog;
class CollectionService;
class EventStore;
class FunctionService;
class MetricsRegistry;
class ProjectionRunner;
class ReadStore;
class ResourceService;
namespace Simulation {
class SimulationService;
}
} // namespace Gatehouse

namespace Gatehouse::Admin {

// What the admin API reads and changes in the engine, and nothing else. The listener set
// implements it over the running engine (protocols/server). The engine may be stopped and
// started again under a live admin API: a part is looked up for each request and is null
// while the engine is not running.
class AdminBackend
{
public:
    virtual ~AdminBackend() = default;

    virtual bool isRunning() const = 0;
    virtual QString adminKey() const = 0;
    virtual EventStore *eventStore() const = 0;
    virtual ReadStore *readStore() const = 0;
    virtual const CollectionCatalog *collections() const = 0;
    virtual MetricsRegistry *metrics() const = 0;
    virtual ResourceService *resources() const = 0;
    virtual CollectionService *collectionService() const = 0;
    virtual FunctionService *functions() const = 0;
    virtual QList<ProjectionRunner *> projections() const = 0;   // the upsert projection, then functions'
    virtual Simulation::SimulationService *simulations() const = 0;
};

} // namespace Gatehouse::Admin
