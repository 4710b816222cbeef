#pragma once

#include "config/projectconfig.h"
#include "engineoptions.h"

#include <QHash>
#include <QJsonArray>
#include <QString>

#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class CollectionService;
class PgNotificationListener;
class PgOwnership;
class PgSharedCounters;
struct StorageTarget;
class CommandService;
class ConfigStore;
class DataDirLock;
class EventLogQuery;
class EventStore;
class FunctionService;
class Gateway;
class HttpUpstream;
class MetricsRegistry;
class ParkedEvents;
class ProjectionRunner;
class QueryService;
class QueryWorkerPool;
class ReadStore;
class ResourceService;
class UpsertProjection;
namespace Simulation {
class SimulationService;
}

// The parts of one engine over one data directory, and the steps that build and wire them:
// the one place where a store is found, opened and configured and where the parts are
// connected. Engine::start runs every step in this order (each needs those before it); the
// offline tools (OfflineTools) run the first few on the same files. A step that fails returns
// false with the reason and leaves what it built to stop(), which tears down in reverse order
// after any step. Not thread-safe; lives on the thread that runs the steps.
struct EngineParts final
{
    explicit EngineParts(EngineOptions options);
    ~EngineParts();
    EngineParts(const EngineParts &) = delete;
    EngineParts &operator=(const EngineParts &) = delete;

    QString filePath(const QString &fileName) const;   // in the data directory
    // Where a store lives: its SQLite file in the data directory, or the shared PostgreSQL
    // database (--database) that holds every store.
    StorageTarget storageTarget(const QString &fileName) const;
    bool isClustered() const { return options.database.has_value(); }

    bool lockDataDirectory(QString *error);   // created owner-only if missing, then flock'ed
    bool openConfig(QString *error);          // config.db
    bool resolveAdminKey(QString *error);     // given, kept in config.db, or generated there
    bool loadProject(QString *error);         // the project file or the embedded catalog
    bool openEventStore(QString *error);      // events.db
    bool openReadStore(QString *error);       // readmodel.db, with a table per declared collection
    bool markFunctionDocumentsFromBefore(QString *error);   // once, for a read model from before origins
    bool startProjections(QString *error);    // the upsert projection, honouring parked events
    bool buildCommandsAndQueries(QString *error);
    bool buildGateway(QString *error);        // metrics, the gateway and its upstream handlers
    bool startFunctions(QString *error);      // event triggers as projections, HTTP triggers as a handler
    bool registerMetrics(QString *error);
    bool loadResources(QString *error);       // routes and the rest from config.db; defaults the first time
    // The resource service over config.db, creating `defaults` the first time (part of
    // loadResources; the import tool calls it with none). Without buildGateway, resources are
    // checked by a gateway of their own that serves nothing.
    bool openResources(const QHash<QString, QJsonArray> &defaults, QString *error);
    bool openSimulations(QString *error);     // stored scenarios (config.db), past runs (simulation.db)
    // On PostgreSQL: shared rate-limit counters, notifications (configuration changes,
    // checkpoints other engines commit) and ownership of the projection, the functions' triggers
    // and the MQTT outbox. Nothing on SQLite.
    bool joinCluster(QString *error);

    void stop();

    EngineOptions options;
    ProjectConfig project;
    QString adminKey;
    bool adminKeyGenerated = false;

    std::unique_ptr<DataDirLock> lock;
    std::unique_ptr<ConfigStore> config;
    std::unique_ptr<CollectionCatalog> catalog;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<ReadStore> readStore;
    std::shared_ptr<UpsertProjection> upsert;
    std::unique_ptr<ParkedEvents> parked;
    std::unique_ptr<ProjectionRunner> upsertRunner;
    std::unique_ptr<CommandService> commands;
    std::unique_ptr<QueryWorkerPool> queryWorkers;
    std::unique_ptr<QueryService> queries;
    std::unique_ptr<EventLogQuery> eventLog;
    std::unique_ptr<MetricsRegistry> metrics;
    std::unique_ptr<Gateway> gateway;
    std::unique_ptr<FunctionService> functions;
    std::unique_ptr<HttpUpstream> httpUpstream;   // the gateway's "http" handler uses it
    std::unique_ptr<ResourceService> resources;
    std::unique_ptr<CollectionService> collections;
    std::unique_ptr<Simulation::SimulationService> simulations;
    std::shared_ptr<PgSharedCounters> sharedCounters;
    std::unique_ptr<PgNotificationListener> listener;
    std::unique_ptr<PgOwnership> ownership;
    std::unique_ptr<QObject> clusterContext;   // receives the listener's and ownership's signals on this thread
};

} // namespace Gatehouse
