#include "engine.h"

#include "engineparts.h"
#include "functions/functionservice.h"
#include "projections/projectionrunner.h"
#include "store/eventstore.h"

#include <QDir>
#include <QLoggingCategory>
#include <QStandardPaths>

Q_LOGGING_CATEGORY(lcEngine, "gatehouse.engine")

namespace Gatehouse {

struct Engine::Private
{
    std::unique_ptr<EngineParts> parts;
    EngineOptions options;
    bool running = false;
    QString error;
    QString adminKey;                 // kept after stop(), as the console shows it
    bool adminKeyGenerated = false;
    bool databaseUnreachable = false;
};

Engine::Engine(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
}

Engine::~Engine()
{
    stop();
}

QString Engine::defaultDataDir()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base.isEmpty() ? QDir::homePath() : base).filePath(QStringLiteral("gatehouse"));
}

bool Engine::start(const EngineOptions &options)
{
    stop();
    d->options = options;
    if (d->options.dataDir.isEmpty())
        d->options.dataDir = defaultDataDir();
    d->parts = std::make_unique<EngineParts>(d->options);
    EngineParts &parts = *d->parts;
    // Each step needs the ones before it; the first that fails stops the start (stop() takes
    // down what was built).
    using Step = bool (EngineParts::*)(QString *);
    static constexpr Step steps[] = {
        &EngineParts::lockDataDirectory, &EngineParts::openConfig,      &EngineParts::resolveAdminKey,
        &EngineParts::loadProject,       &EngineParts::openEventStore,  &EngineParts::openReadStore,
        &EngineParts::startProjections,  &EngineParts::buildCommandsAndQueries,
        &EngineParts::buildGateway,      &EngineParts::startFunctions,  &EngineParts::registerMetrics,
        &EngineParts::loadResources,     &EngineParts::openSimulations, &EngineParts::joinCluster,
    };
    for (const Step step : steps) {
        QString error;
        const bool ok = (parts.*step)(&error);
        if (step == &EngineParts::resolveAdminKey) {
            d->adminKey = parts.adminKey;
            d->adminKeyGenerated = parts.adminKeyGenerated;
        }
        if (!ok) {
            // The first step that reaches PostgreSQL: failing there, the database is not there.
            d->databaseUnreachable = d->options.database && step == &EngineParts::openConfig;
            d->error = error;
            qCCritical(lcEngine).noquote() << error;
            return false;
        }
    }
    d->running = true;
    qCInfo(lcEngine) << "engine started in" << (d->options.database ? d->options.database->redacted() : d->options.dataDir)
                     << "with" << parts.project.collections().size()
                     << "collections; log at position" << parts.store->headPosition();
    return true;
}

void Engine::stop()
{
    d->running = false;
    if (d->parts)
        d->parts->stop();
    d->parts.reset();
}

bool Engine::isRunning() const { return d->running; }
QString Engine::errorString() const { return d->error; }
EngineOptions Engine::options() const { return d->options; }
EventStore *Engine::eventStore() const { return d->parts ? d->parts->store.get() : nullptr; }
Gateway *Engine::gateway() const { return d->parts ? d->parts->gateway.get() : nullptr; }
CommandService *Engine::commands() const { return d->parts ? d->parts->commands.get() : nullptr; }
const CollectionCatalog *Engine::collections() const { return d->parts ? d->parts->catalog.get() : nullptr; }
ConfigStore *Engine::configStore() const { return d->parts ? d->parts->config.get() : nullptr; }
ReadStore *Engine::readStore() const { return d->parts ? d->parts->readStore.get() : nullptr; }
MetricsRegistry *Engine::metrics() const { return d->parts ? d->parts->metrics.get() : nullptr; }
HttpUpstream *Engine::httpUpstream() const { return d->parts ? d->parts->httpUpstream.get() : nullptr; }
ResourceService *Engine::resources() const { return d->parts ? d->parts->resources.get() : nullptr; }
CollectionService *Engine::collectionService() const { return d->parts ? d->parts->collections.get() : nullptr; }
Simulation::SimulationService *Engine::simulations() const { return d->parts ? d->parts->simulations.get() : nullptr; }
PgOwnership *Engine::ownership() const { return d->parts ? d->parts->ownership.get() : nullptr; }
bool Engine::databaseUnreachable() const { return d->databaseUnreachable; }
QueryService *Engine::queries() const { return d->parts ? d->parts->queries.get() : nullptr; }
UpsertProjection *Engine::upsertProjection() const { return d->parts ? d->parts->upsert.get() : nullptr; }
FunctionService *Engine::functions() const { return d->parts ? d->parts->functions.get() : nullptr; }

QList<ProjectionRunner *> Engine::projections() const
{
    QList<ProjectionRunner *> all;
    if (!d->parts)
        return all;
    if (d->parts->upsertRunner)
        all.append(d->parts->upsertRunner.get());
    if (d->parts->functions)
        all.append(d->parts->functions->runners());   // "function:<name>", one per event-triggered function
    return all;
}

ProjectionRunner *Engine::projection(const QString &name) const
{
    for (ProjectionRunner *r : projections()) {
        if (r->name() == name)
            return r;
    }
    return nullptr;
}

QString Engine::adminKey() const { return d->adminKey; }
bool Engine::adminKeyWasGenerated() const { return d->adminKeyGenerated; }

} // namespace Gatehouse
