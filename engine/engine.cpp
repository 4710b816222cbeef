#include "engine.h"

#include "commands/commandservice.h"
#include "config/collectioncatalog.h"
#include "config/configstore.h"
#include "config/embeddedresources.h"
#include "functions/functionservice.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "gateway/httpupstream.h"
#include "gateway/plugins/breakerstate.h"
#include "gateway/resourceservice.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "queries/eventlogquery.h"
#include "queries/queryservice.h"
#include "readmodel/readstore.h"
#include "datadirlock.h"
#include "metrics/metricsregistry.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QStandardPaths>

Q_LOGGING_CATEGORY(lcEngine, "gatehouse.engine")

namespace Gatehouse {

struct Engine::Private
{
    EngineOptions options;
    bool running = false;
    QString error;
    QString adminKey;
    bool adminKeyGenerated = false;
    std::unique_ptr<DataDirLock> lock;
    std::unique_ptr<MetricsRegistry> metrics;
    std::unique_ptr<ConfigStore> config;
    std::unique_ptr<EventStore> store;
    std::unique_ptr<ReadStore> readStore;
    std::shared_ptr<UpsertProjection> upsert;
    std::unique_ptr<ParkedEvents> parked;
    std::unique_ptr<ProjectionRunner> upsertRunner;
    std::unique_ptr<QueryWorkerPool> queryWorkers;
    std::unique_ptr<QueryService> queries;
    std::unique_ptr<CollectionCatalog> catalog;
    std::unique_ptr<CommandService> commands;
    std::unique_ptr<EventLogQuery> eventLog;
    std::unique_ptr<HttpUpstream> httpUpstream;   // the gateway's "http" handler uses it
    std::unique_ptr<Gateway> gateway;
    std::unique_ptr<ResourceService> resources;
    std::unique_ptr<FunctionService> functions;

    bool fail(const QString &message)
    {
        error = message;
        qCCritical(lcEngine).noquote() << message;
        return false;
    }
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
    QDir dir(d->options.dataDir);
    if (!dir.mkpath(QStringLiteral(".")))
        return d->fail(QStringLiteral("cannot create the data directory %1").arg(d->options.dataDir));
    QFile::setPermissions(dir.absolutePath(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    d->lock = std::make_unique<DataDirLock>(dir.absolutePath());
    if (!d->lock->tryLock())
        return d->fail(QStringLiteral("the data directory %1 is in use by another gatehouse process (%2)")
                           .arg(d->options.dataDir, d->lock->errorString()));

    // 1. Configuration and the admin key.
    d->config = std::make_unique<ConfigStore>();
    QString error;
    if (!d->config->open(dir.filePath(QStringLiteral("config.db")), &error))
        return d->fail(error);
    d->adminKeyGenerated = false;
    if (!options.adminKey.isEmpty()) {
        d->adminKey = options.adminKey;
    } else {
        d->adminKey = d->config->setting(QStringLiteral("admin_key"));
        if (d->adminKey.isEmpty()) {
            QByteArray bytes(24, Qt::Uninitialized);
            QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
            d->adminKey = QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
            d->config->setSetting(QStringLiteral("admin_key"), d->adminKey);
            d->adminKeyGenerated = true;
        }
    }

    // 2. The project: which collections exist.
    initEmbeddedResources();
    QStringList problems;
    ProjectConfig project = options.projectFile.isEmpty() ? ProjectConfig::embeddedDefault()
                                                          : ProjectConfig::fromFile(options.projectFile, &problems);
    if (!problems.isEmpty())
        return d->fail(QStringLiteral("project %1 is invalid:\n  %2").arg(options.projectFile, problems.join(QStringLiteral("\n  "))));
    d->catalog = std::make_unique<CollectionCatalog>();
    d->catalog->replace(project);

    // 3. The event store.
    d->store = std::make_unique<EventStore>();
    EventStore::Options so;
    so.path = dir.filePath(QStringLiteral("events.db"));
    so.durability = options.durability;
    if (!d->store->open(so))
        return d->fail(d->store->errorString());

    // 4. The read store and its projections (they catch up in the background).
    d->readStore = std::make_unique<ReadStore>();
    if (!d->readStore->open(dir.filePath(QStringLiteral("readmodel.db")), &error))
        return d->fail(error);
    d->readStore->setCacheBudget(options.readCacheBytes);
    d->readStore->setQueryBudgetMs(options.queryTimeoutMs);
    // Every declared collection has its table from the start, so reads of one that has no
    // documents yet are plain empty answers.
    if (auto tx = d->readStore->begin()) {
        for (const Collection &c : project.collections()) {
            if (!tx->ensureCollection(c.name, c.indexedFields))
                return d->fail(tx->errorString());
        }
        if (!tx->commit())
            return d->fail(tx->errorString());
    } else {
        return d->fail(d->readStore->errorString());
    }
    d->upsert = std::make_shared<UpsertProjection>(d->catalog.get());
    d->upsertRunner = std::make_unique<ProjectionRunner>(d->upsert, d->store.get(), d->readStore.get());
    d->parked = std::make_unique<ParkedEvents>(d->config.get());
    d->upsertRunner->setParkedEvents(d->parked.get());
    d->upsertRunner->start();

    // 5. Command side, queries, gateway.
    d->commands = std::make_unique<CommandService>(d->store.get(), d->catalog.get());
    d->queryWorkers = std::make_unique<QueryWorkerPool>(options.queryThreads, options.queryQueue);
    d->queries = std::make_unique<QueryService>(d->readStore.get(), d->store.get(), d->catalog.get(), d->upsertRunner.get(),
                                                d->queryWorkers.get());
    d->queries->setMaxWaitMs(options.queryWaitMs);
    QueryService *queries = d->queries.get();
    ReadStore *budgetSource = d->readStore.get();
    d->eventLog = std::make_unique<EventLogQuery>(d->store.get(), d->queryWorkers.get(),
                                                  [budgetSource] { return budgetSource->queryBudgetMs(); });
    d->metrics = std::make_unique<MetricsRegistry>();
    d->gateway = std::make_unique<Gateway>(d->metrics.get());
    CommandService *commands = d->commands.get();
    EventLogQuery *eventLog = d->eventLog.get();
    d->gateway->setUpstreamHandler(QStringLiteral("command"), [commands](const Route &route, ApiRequest &&req, ApiResponder &&respond) {
        commands->execute(CommandRequest::fromApiRequest(route.upstream.collection, req), std::move(respond));
    });
    d->gateway->setUpstreamHandler(QStringLiteral("query"), [queries](const Route &route, ApiRequest &&req, ApiResponder &&respond) {
        queries->handle(route, std::move(req), std::move(respond));
    });
    d->gateway->setUpstreamHandler(QStringLiteral("events"), [eventLog](const Route &, ApiRequest &&req, ApiResponder &&respond) {
        eventLog->handle(std::move(req), std::move(respond));
    });
    // Functions: event triggers run as projections, HTTP triggers behind "function" upstreams.
    d->functions = std::make_unique<FunctionService>(d->config.get(), d->store.get(), d->readStore.get(), options.functionWorker);
    if (!d->functions->start(&error))
        return d->fail(error);
    FunctionService *functions = d->functions.get();
    d->commands->setDecider(functions);
    functions->registerMetrics(d->metrics.get());
    d->gateway->setUpstreamHandler(QStringLiteral("function"), [functions](const Route &route, ApiRequest &&req, ApiResponder &&respond) {
        functions->handleHttp(route, std::move(req), std::move(respond));
    });
    d->httpUpstream = std::make_unique<HttpUpstream>();
    HttpUpstream *httpUpstream = d->httpUpstream.get();
    d->gateway->setUpstreamHandler(QStringLiteral("http"), [httpUpstream](const Route &route, ApiRequest &&req, ApiResponder &&respond) {
        httpUpstream->handle(route, std::move(req), std::move(respond));
    });
    // WebSocket and SSE routes are served by the protocol connection the request came in on.
    for (const QString &type : {QStringLiteral("websocket"), QStringLiteral("sse")}) {
        d->gateway->setUpstreamHandler(type, [](const Route &route, ApiRequest &&req, ApiResponder &&respond) {
            if (const std::shared_ptr<ApiConnection> connection = req.connection)
                connection->serve(route, std::move(req), std::move(respond));
            else
                respond(ApiResponse::problem(501, QStringLiteral("a %1 route needs a protocol that can keep the connection open")
                                                      .arg(route.upstream.type), QStringLiteral("upstream-unavailable")));
        });
    }
    // Routes live in config.db; the defaults (per collection, and the event log) are created
    // once and are then ordinary routes, editable and deletable.
    QJsonArray defaultRoutes;
    for (const Collection &c : project.collections()) {
        for (const Route &r : DefaultRoutes::forCollection(c.name))
            defaultRoutes.append(r.toJson());
    }
    for (const Route &r : DefaultRoutes::system())
        defaultRoutes.append(r.toJson());
    EventStore *store = d->store.get();
    ProjectionRunner *upsertRunner = d->upsertRunner.get();
    d->metrics->describe("gatehouse_events_appended_total", MetricsRegistry::Type::Counter, "Events in the log (the last position).");
    d->metrics->describe("gatehouse_projection_position", MetricsRegistry::Type::Gauge, "Last event applied by each projection.");
    d->metrics->describe("gatehouse_projection_lag_events", MetricsRegistry::Type::Gauge, "Events in the log not yet applied, by projection.");
    d->metrics->describe("gatehouse_projection_lag_seconds", MetricsRegistry::Type::Gauge, "Age of the oldest event not yet applied, by projection.");
    d->metrics->describe("gatehouse_config_version", MetricsRegistry::Type::Gauge, "Version of the gateway configuration.");
    d->metrics->describe("gatehouse_breaker_state", MetricsRegistry::Type::Gauge, "api-breaker state by scope: 0 closed, 1 open, 2 half-open.");
    d->metrics->describe("gatehouse_read_cache_hits_total", MetricsRegistry::Type::Counter, "Reads by id answered from the document cache.");
    d->metrics->describe("gatehouse_read_cache_misses_total", MetricsRegistry::Type::Counter, "Reads by id that went to readmodel.db.");
    d->metrics->describe("gatehouse_read_cache_bytes", MetricsRegistry::Type::Gauge, "Approximate bytes held by the document cache (its budget: --read-cache-mb).");
    Private *p = d.get();
    ReadStore *readStore = d->readStore.get();
    d->metrics->addCollector([store, upsertRunner, readStore, p](MetricsRegistry &m) {
        m.set("gatehouse_events_appended_total", {}, double(store->headPosition()));
        const DocumentCache::Stats cache = readStore->cacheStats();
        m.set("gatehouse_read_cache_hits_total", {}, double(cache.hits));
        m.set("gatehouse_read_cache_misses_total", {}, double(cache.misses));
        m.set("gatehouse_read_cache_bytes", {}, double(cache.bytes));
        const auto s = upsertRunner->stats();
        const QByteArray label = MetricsRegistry::label("projection", s.name);
        m.set("gatehouse_projection_position", label, double(s.position));
        m.set("gatehouse_projection_lag_events", label, double(s.lagEvents));
        m.set("gatehouse_projection_lag_seconds", label, double(s.lagMs) / 1000.0);
        if (p->resources)
            m.set("gatehouse_config_version", {}, double(p->resources->version()));
        if (p->gateway) {
            for (const BreakerStatus &b : breakerStatuses(p->gateway->pluginState().get())) {
                const double state = b.state == QLatin1String("open") ? 1 : b.state == QLatin1String("half_open") ? 2 : 0;
                m.set("gatehouse_breaker_state", MetricsRegistry::label("scope", b.scope), state);
            }
        }
        if (p->httpUpstream) {
            for (const auto &n : p->httpUpstream->status())
                m.set("gatehouse_upstream_node_healthy",
                      MetricsRegistry::label("upstream", n.upstream) + ',' + MetricsRegistry::label("node", n.node), n.healthy ? 1 : 0);
        }
    });
    d->resources = std::make_unique<ResourceService>(d->config.get(), d->gateway.get());
    if (!d->resources->load({{QStringLiteral("routes"), defaultRoutes}}, &error))
        return d->fail(error);

    d->running = true;
    qCInfo(lcEngine) << "engine started in" << d->options.dataDir << "with" << project.collections().size()
                     << "collections; log at position" << d->store->headPosition();
    return true;
}

void Engine::stop()
{
    if (!d->running && !d->store && !d->config && !d->lock)
        return;
    d->running = false;
    // Functions first: they append (ctx.emit) while the store is still open.
    if (d->functions)
        d->functions->stop();
    // Reverse order: nothing new reaches the store, the store commits what is queued, the
    // projections finish the batch in hand (its checkpoint commits with it).
    if (d->store)
        d->store->close();
    if (d->upsertRunner)
        d->upsertRunner->stop();
    // Queries still running answer through the gateway: let them finish before it goes.
    if (d->queryWorkers)
        d->queryWorkers->close();
    d->resources.reset();
    d->gateway.reset();
    d->functions.reset();
    d->httpUpstream.reset();   // answers proxied requests still in flight, joins its thread
    d->eventLog.reset();
    d->queries.reset();
    d->queryWorkers.reset();
    d->commands.reset();
    d->upsertRunner.reset();
    d->upsert.reset();
    d->metrics.reset();
    if (d->readStore)
        d->readStore->close();
    d->readStore.reset();
    d->store.reset();
    d->catalog.reset();
    if (d->config)
        d->config->close();
    d->config.reset();
    d->lock.reset();
}

bool Engine::isRunning() const { return d->running; }
QString Engine::errorString() const { return d->error; }
EngineOptions Engine::options() const { return d->options; }
EventStore *Engine::eventStore() const { return d->store.get(); }
Gateway *Engine::gateway() const { return d->gateway.get(); }
CommandService *Engine::commands() const { return d->commands.get(); }
const CollectionCatalog *Engine::collections() const { return d->catalog.get(); }
ConfigStore *Engine::configStore() const { return d->config.get(); }
ReadStore *Engine::readStore() const { return d->readStore.get(); }
MetricsRegistry *Engine::metrics() const { return d->metrics.get(); }
HttpUpstream *Engine::httpUpstream() const { return d->httpUpstream.get(); }
ResourceService *Engine::resources() const { return d->resources.get(); }
QueryService *Engine::queries() const { return d->queries.get(); }
UpsertProjection *Engine::upsertProjection() const { return d->upsert.get(); }
FunctionService *Engine::functions() const { return d->functions.get(); }

QList<ProjectionRunner *> Engine::projections() const
{
    QList<ProjectionRunner *> all;
    if (d->upsertRunner)
        all.append(d->upsertRunner.get());
    if (d->functions)
        all.append(d->functions->runners());   // "function:<name>", one per event-triggered function
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
