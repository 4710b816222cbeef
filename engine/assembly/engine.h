#pragma once

#include "engineoptions.h"

#include <QObject>

#include <memory>

namespace Gatehouse {

class CollectionCatalog;
class CollectionService;
class CommandService;
class ConfigStore;
class FunctionService;
class Gateway;
class HttpUpstream;
class MetricsRegistry;
class PgOwnership;
class ProjectionRunner;
class QueryService;
class ResourceService;
class UpsertProjection;
namespace Simulation {
class SimulationService;
}

// The headless engine: owns the stores, the projections, the command and query sides and the
// gateway (EngineParts), and starts them in order (data directory lock -> config -> project ->
// event store -> read store -> projections -> commands/queries -> gateway -> functions ->
// resources -> simulations) and stops them in reverse, flushing pending appends. Holds an exclusive lock on the data directory while running, so a
// second engine or an offline tool cannot write the same files. Lives on the thread that created it; its parts document their own threads.
// Protocol servers and the GUI attach to it from outside.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    explicit Engine(QObject *parent = nullptr);
    ~Engine() override;

    bool start(const EngineOptions &options);
    void stop();
    bool isRunning() const;
    QString errorString() const;
    // The last start() failed because the PostgreSQL database (--database) could not be reached.
    bool databaseUnreachable() const;

    EngineOptions options() const;
    EventStore *eventStore() const;
    Gateway *gateway() const;
    CommandService *commands() const;
    const CollectionCatalog *collections() const;
    ConfigStore *configStore() const;
    ReadStore *readStore() const;
    MetricsRegistry *metrics() const;
    HttpUpstream *httpUpstream() const;
    ResourceService *resources() const;
    CollectionService *collectionService() const;
    Simulation::SimulationService *simulations() const;
    // Several engines on one PostgreSQL database: who runs what (null on SQLite).
    PgOwnership *ownership() const;
    QueryService *queries() const;
    UpsertProjection *upsertProjection() const;
    FunctionService *functions() const;
    QList<ProjectionRunner *> projections() const;
    ProjectionRunner *projection(const QString &name) const;

    QString adminKey() const;
    bool adminKeyWasGenerated() const;   // true on the start that created it (print it once)

    static QString defaultDataDir();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
