#include "engineparts.h"

#include "base/datadirlock.h"
#include "commands/commandservice.h"
#include "config/collectioncatalog.h"
#include "config/configstore.h"
#include "config/embeddedresources.h"
#include "functions/functionservice.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "gateway/pluginstate.h"
#include "gateway/plugins/breakerstate.h"
#include "metrics/metricsregistry.h"
#include "projections/parkedevents.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "queries/eventlogquery.h"
#include "queries/queryservice.h"
#include "readmodel/documentfold.h"
#include "readmodel/readstore.h"
#include "resources/collectionservice.h"
#include "resources/resourceservice.h"
#include "simulation/simulationservice.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"
#include "sql/pgnotificationlistener.h"
#include "sql/pgownership.h"
#include "sql/pgsharedcounters.h"
#include "sql/storagetarget.h"
#include "upstreams/http/httpupstream.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>

namespace Gatehouse {

namespace {
bool failed(QString *error, const QString &message)
{
    *error = message;
    return false;
}
} // namespace

EngineParts::EngineParts(EngineOptions engineOptions)
    : options(std::move(engineOptions))
{
}

EngineParts::~EngineParts()
{
    stop();
}

QString EngineParts::filePath(const QString &fileName) const
{
    return QDir(options.dataDir).filePath(fileName);
}

StorageTarget EngineParts::storageTarget(const QString &fileName) const
{
    return options.database ? StorageTarget::postgresql(*options.database) : StorageTarget::sqlite(filePath(fileName));
}

bool EngineParts::lockDataDirectory(QString *error)
{
    QDir dir(options.dataDir);
    if (!dir.mkpath(QStringLiteral(".")))
        return failed(error, QStringLiteral("cannot create the data directory %1").arg(options.dataDir));
    QFile::setPermissions(dir.absolutePath(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    lock = std::make_unique<DataDirLock>(dir.absolutePath());
    if (!lock->tryLock())
        return failed(error, QStringLiteral("the data directory %1 is in use by another gatehouse process (%2)")
                                 .arg(options.dataDir, lock->errorString()));
    return true;
}

bool EngineParts::openConfig(QString *error)
{
    config = std::make_unique<ConfigStore>();
    if (!config->open(storageTarget(QStringLiteral("config.db")), error)) {
        if (options.database)
            *error = QStringLiteral("cannot open the database %1: %2").arg(options.database->redacted(), *error);
        return false;
    }
    return true;
}

bool EngineParts::resolveAdminKey(QString *)
{
    adminKeyGenerated = false;
    if (!options.adminKey.isEmpty()) {
        adminKey = options.adminKey;
        return true;
    }
    adminKey = config->setting(QStringLiteral("admin_key"));
    if (adminKey.isEmpty()) {
        QByteArray bytes(24, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        adminKey = QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
        config->setSetting(QStringLiteral("admin_key"), adminKey);
        adminKeyGenerated = true;
    }
    return true;
}

bool EngineParts::loadProject(QString *error)
{
    initEmbeddedResources();
    QStringList problems;
    project = options.projectFile.isEmpty() ? ProjectConfig::embeddedDefault() : ProjectConfig::fromFile(options.projectFile, &problems);
    if (!problems.isEmpty())
        return failed(error, QStringLiteral("project %1 is invalid:\n  %2").arg(options.projectFile, problems.join(QStringLiteral("\n  "))));
    catalog = std::make_unique<CollectionCatalog>();
    catalog->replace(project);
    return true;
}

bool EngineParts::openEventStore(QString *error)
{
    store = std::make_unique<EventStore>();
    EventStore::Options so;
    so.target = storageTarget(QStringLiteral("events.db"));
    so.durability = options.durability;
    if (!store->open(so))
        return failed(error, store->errorString());
    return true;
}

bool EngineParts::openReadStore(QString *error)
{
    readStore = std::make_unique<ReadStore>();
    if (!readStore->open(storageTarget(QStringLiteral("readmodel.db")), error))
        return false;
    readStore->setCacheBudget(options.readCacheBytes);
    readStore->setQueryBudgetMs(options.queryTimeoutMs);
    // The collections served: the project file's (seeded into config.db) and those declared
    // through the admin API, each with its table from the start, so reads of one that has no
    // documents yet are plain empty answers. Loaded before the projections start, which fold
    // events by the catalog. Its default routes come with the resources (loadResources()).
    collections = std::make_unique<CollectionService>(config.get(), catalog.get(), nullptr);
    ReadStore *rs = readStore.get();
    // The table at once; its indexes in the background (IndexBuilder), so a new index on a
    // large collection does not hold the change -- or the queries -- until it is built.
    collections->setTableHook([rs](const Collection &c, QString *why) {
        auto tx = rs->begin();
        if (!tx) {
            *why = rs->errorString();
            return false;
        }
        // Snapshots folded through upcasters that have changed since are another state: they go.
        // And indexes the collection no longer declares go (they would cost every write).
        if (!tx->ensureCollection(c.name, {}) || !tx->dropSnapshots(c.name, c.snapshotKey())
            || !tx->dropIndexesExcept(c.name, c.indexedFields) || !tx->commit()) {
            *why = tx->errorString();
            return false;
        }
        tx.reset();
        rs->buildIndexes(c.name, c.indexedFields);
        return true;
    });
    collections->setDropHook([rs](const QString &name) {
        auto tx = rs->begin();
        return tx && tx->dropCollection(name) && tx->commit();
    });
    collections->setUsageHook([rs](const QString &name) {
        ReadStatus status;
        const qint64 n = rs->count(name, true, &status);
        return status.ok() ? n : -1;
    });
    return collections->load(project, error) && markFunctionDocumentsFromBefore(error);
}

bool EngineParts::markFunctionDocumentsFromBefore(QString *error)
{
    // A read model written before documents remembered their writer counts every one as the
    // upsert projection's, and a rebuild would drop what functions wrote. Once: a document of
    // a declared collection that no event of the log derives (no event of that collection with
    // its id as subject) can only be a function's, and is marked so. One a function wrote over
    // a command's stays the projection's.
    static const QString kDone = QStringLiteral("readmodel_origins_marked");
    if (config->setting(kDone) == QLatin1String("1"))
        return true;
    QHash<QString, QSet<QString>> unexplained;   // collection -> ids no event derives
    qsizetype documents = 0;
    // The declared collections, and the tables of those a function wrote without declaring
    // them (before functions declared what they write, HTTP-triggered ones did not): a later
    // write or declaration puts them in the catalog.
    QStringList names;
    for (const Collection &c : catalog->snapshot()->collections())
        names.append(c.name);
    ReadStatus listed;
    const QStringList tables = readStore->collections(&listed);
    if (!listed.ok()) {
        *error = QStringLiteral("cannot list the read model's collections: ") + listed.detail;
        return false;
    }
    for (const QString &table : tables) {
        if (!names.contains(table))
            names.append(table);
    }
    for (const QString &name : std::as_const(names)) {
        QSet<QString> &ids = unexplained[name];
        const bool read = readStore->forEachPage(name, false, [&](QList<StoredDocument> &items) {
            for (const StoredDocument &d : std::as_const(items))
                ids.insert(d.id);
            documents += items.size();
            return true;
        }, error);
        if (!read)
            return false;
    }
    if (documents > 0) {
        const bool scanned = store->scan(1, [&unexplained](const RecordedEvent &e) {
            if (DocumentFold::verbOf(e) == DocumentFold::Verb::Other)
                return true;   // derives no document
            const auto it = unexplained.find(CloudEvent::collectionOf(e.type));
            if (it != unexplained.end())
                it->remove(CloudEvent::subjectOf(e));
            return true;
        });
        if (!scanned) {
            *error = QStringLiteral("cannot read the event log to mark the documents functions wrote");
            return false;   // not marked as done: the next start tries again
        }
        auto tx = readStore->begin();
        bool ok = bool(tx);
        for (auto it = unexplained.cbegin(); ok && it != unexplained.cend(); ++it) {
            if (!it->isEmpty())
                ok = tx->markByFunction(it.key(), QStringList(it->cbegin(), it->cend()));
        }
        if (!ok || !tx->commit()) {
            *error = QStringLiteral("cannot mark the documents functions wrote: ") + (tx ? tx->errorString() : readStore->errorString());
            return false;
        }
    }
    config->setSetting(kDone, QStringLiteral("1"));
    return true;
}

bool EngineParts::startProjections(QString *)
{
    upsert = std::make_shared<UpsertProjection>(catalog.get());
    upsertRunner = std::make_unique<ProjectionRunner>(upsert, store.get(), readStore.get());
    parked = std::make_unique<ParkedEvents>(config.get());
    upsertRunner->setParkedEvents(parked.get());
    // Several engines: the owner runs it (joinCluster); until then this one follows.
    upsertRunner->setStandby(isClustered());
    upsertRunner->start();
    return true;
}

bool EngineParts::buildCommandsAndQueries(QString *)
{
    commands = std::make_unique<CommandService>(store.get(), catalog.get());
    commands->setSnapshots(readStore.get());
    queryWorkers = std::make_unique<QueryWorkerPool>(options.queryThreads, options.queryQueue);
    queries = std::make_unique<QueryService>(readStore.get(), store.get(), catalog.get(), upsertRunner.get(), queryWorkers.get());
    queries->setMaxWaitMs(options.queryWaitMs);
    ReadStore *budgetSource = readStore.get();
    eventLog = std::make_unique<EventLogQuery>(store.get(), queryWorkers.get(), [budgetSource] { return budgetSource->queryBudgetMs(); });
    return true;
}

bool EngineParts::buildGateway(QString *)
{
    metrics = std::make_unique<MetricsRegistry>();
    gateway = std::make_unique<Gateway>(metrics.get());
    CommandService *commandService = commands.get();
    gateway->setUpstreamHandler(QStringLiteral("command"), [commandService](const RouteUpstream &upstream, ApiRequest &&req, ApiResponder &&respond) {
        commandService->execute(CommandRequest::fromApiRequest(upstream.collection, req), std::move(respond));
    });
    QueryService *queryService = queries.get();
    gateway->setUpstreamHandler(QStringLiteral("query"), [queryService](const RouteUpstream &upstream, ApiRequest &&req, ApiResponder &&respond) {
        queryService->handle(upstream, std::move(req), std::move(respond));
    });
    EventLogQuery *log = eventLog.get();
    gateway->setUpstreamHandler(QStringLiteral("events"), [log](const RouteUpstream &, ApiRequest &&req, ApiResponder &&respond) {
        log->handle(std::move(req), std::move(respond));
    });
    httpUpstream = std::make_unique<HttpUpstream>();
    HttpUpstream *proxy = httpUpstream.get();
    gateway->setUpstreamHandler(QStringLiteral("http"), [proxy](const RouteUpstream &upstream, ApiRequest &&req, ApiResponder &&respond) {
        proxy->handle(upstream, std::move(req), std::move(respond));
    });
    // WebSocket and SSE routes are served by the protocol connection the request came in on.
    for (const QString &type : {QStringLiteral("websocket"), QStringLiteral("sse")}) {
        gateway->setUpstreamHandler(type, [](const RouteUpstream &upstream, ApiRequest &&req, ApiResponder &&respond) {
            if (const std::shared_ptr<ApiConnection> connection = req.connection)
                connection->serve(upstream, std::move(req), std::move(respond));
            else
                respond(ApiResponse::problem(501, QStringLiteral("a %1 route needs a protocol that can keep the connection open")
                                                      .arg(upstream.type), QStringLiteral("upstream-unavailable")));
        });
    }
    return true;
}

bool EngineParts::startFunctions(QString *error)
{
    functions = std::make_unique<FunctionService>(config.get(), store.get(), readStore.get(), options.functionWorker);
    functions->setClustered(isClustered());
    if (!functions->start(error))
        return false;
    FunctionService *functionService = functions.get();
    commands->setDecider(functionService);
    collections->setCodeHook([functionService](const QString &collection, const QString &command, const QJsonObject &spec, QString *why) {
        return functionService->checkInlineDecide(collection, command, spec, why);
    });
    // X-Min-Position on a collection that functions write waits for them as well.
    queries->setWritersWait([functionService](const QString &collection, qint64 position, int timeoutMs, std::function<void(bool)> done) {
        functionService->whenWritersReached(collection, position, timeoutMs, std::move(done));
    });
    functionService->registerMetrics(metrics.get());
    gateway->setUpstreamHandler(QStringLiteral("function"), [functionService](const RouteUpstream &upstream, ApiRequest &&req, ApiResponder &&respond) {
        functionService->handleHttp(upstream, std::move(req), std::move(respond));
    });
    return true;
}

bool EngineParts::registerMetrics(QString *)
{
    metrics->describe("gatehouse_events_appended_total", MetricsRegistry::Type::Counter, "Events in the log (the last position).");
    metrics->describe("gatehouse_projection_position", MetricsRegistry::Type::Gauge, "Last event applied by each projection.");
    metrics->describe("gatehouse_projection_lag_events", MetricsRegistry::Type::Gauge, "Events in the log not yet applied, by projection.");
    metrics->describe("gatehouse_projection_lag_seconds", MetricsRegistry::Type::Gauge, "Age of the oldest event not yet applied, by projection.");
    metrics->describe("gatehouse_config_version", MetricsRegistry::Type::Gauge, "Version of the gateway configuration.");
    metrics->describe("gatehouse_breaker_state", MetricsRegistry::Type::Gauge, "api-breaker state by scope: 0 closed, 1 open, 2 half-open.");
    metrics->describe("gatehouse_read_cache_hits_total", MetricsRegistry::Type::Counter, "Reads by id answered from the document cache.");
    metrics->describe("gatehouse_read_cache_misses_total", MetricsRegistry::Type::Counter, "Reads by id that went to readmodel.db.");
    metrics->describe("gatehouse_read_cache_bytes", MetricsRegistry::Type::Gauge, "Approximate bytes held by the document cache (its budget: --read-cache-mb).");
    metrics->describe("gatehouse_snapshot_folds_total", MetricsRegistry::Type::Counter,
                      "Entity folds (custom commands, time travel) by collection and whether they started from a snapshot (result=\"snapshot\") or from the stream's start (result=\"full\").");
    metrics->describe("gatehouse_snapshot_events_folded_total", MetricsRegistry::Type::Counter,
                      "Events read and folded by entity folds after their snapshot (or from the stream's start), by collection.");
    // Collected when /metrics is read; the parts that come and go are looked up then.
    metrics->addCollector([this](MetricsRegistry &m) {
        m.set("gatehouse_events_appended_total", {}, double(store->headPosition()));
        const DocumentCache::Stats cache = readStore->cacheStats();
        m.set("gatehouse_read_cache_hits_total", {}, double(cache.hits));
        m.set("gatehouse_read_cache_misses_total", {}, double(cache.misses));
        m.set("gatehouse_read_cache_bytes", {}, double(cache.bytes));
        const QHash<QString, ReadStore::SnapshotUse> folds = readStore->snapshotUse();
        for (auto it = folds.cbegin(); it != folds.cend(); ++it) {
            const QByteArray collection = MetricsRegistry::label("collection", it.key());
            m.set("gatehouse_snapshot_folds_total", collection + ",result=\"snapshot\"", double(it->hits));
            m.set("gatehouse_snapshot_folds_total", collection + ",result=\"full\"", double(it->misses));
            m.set("gatehouse_snapshot_events_folded_total", collection, double(it->eventsFolded));
        }
        const auto s = upsertRunner->stats();
        const QByteArray label = MetricsRegistry::label("projection", s.name);
        m.set("gatehouse_projection_position", label, double(s.position));
        m.set("gatehouse_projection_lag_events", label, double(s.lagEvents));
        m.set("gatehouse_projection_lag_seconds", label, double(s.lagMs) / 1000.0);
        if (resources)
            m.set("gatehouse_config_version", {}, double(resources->version()));
        if (gateway) {
            for (const BreakerStatus &b : breakerStatuses(gateway->pluginState().get())) {
                const double state = b.state == QLatin1String("open") ? 1 : b.state == QLatin1String("half_open") ? 2 : 0;
                m.set("gatehouse_breaker_state", MetricsRegistry::label("scope", b.scope), state);
            }
        }
        if (httpUpstream) {
            for (const auto &n : httpUpstream->status())
                m.set("gatehouse_upstream_node_healthy",
                      MetricsRegistry::label("upstream", n.upstream) + ',' + MetricsRegistry::label("node", n.node), n.healthy ? 1 : 0);
        }
    });
    return true;
}

bool EngineParts::loadResources(QString *error)
{
    // Routes live in config.db; the defaults (per collection, and the event log) are created
    // once and are then ordinary routes, editable and deletable.
    QJsonArray defaultRoutes;
    for (const Collection &c : project.collections()) {
        for (const Route &r : DefaultRoutes::forCollection(c.name))
            defaultRoutes.append(r.toJson());
    }
    for (const Route &r : DefaultRoutes::system())
        defaultRoutes.append(r.toJson());
    return openResources({{QStringLiteral("routes"), defaultRoutes}}, error);
}

bool EngineParts::openResources(const QHash<QString, QJsonArray> &defaults, QString *error)
{
    if (!gateway)
        gateway = std::make_unique<Gateway>();
    resources = std::make_unique<ResourceService>(config.get(), gateway.get());
    if (!resources->load(defaults, error))
        return false;
    if (collections) {
        collections->setResources(resources.get());
        // What functions write is served as soon as they write it (set here, once the routes
        // can be created; a write before is told again on the next one).
        if (functions) {
            CollectionService *declared = collections.get();
            functions->setCollectionListener([declared](const QString &name) { declared->declareWritten(name); });
        }
    }
    return true;
}

bool EngineParts::openSimulations(QString *error)
{
    simulations = std::make_unique<Simulation::SimulationService>(config.get(), catalog.get());
    return simulations->open(filePath(QStringLiteral("simulation.db")), error);
}

bool EngineParts::joinCluster(QString *error)
{
    if (!isClustered())
        return true;
    const PostgresUrl &url = *options.database;
    clusterContext = std::make_unique<QObject>();
    sharedCounters = std::make_shared<PgSharedCounters>();
    if (!sharedCounters->open(url, error))
        return failed(error, QStringLiteral("the cluster's rate-limit counters cannot be opened: ") + *error);
    gateway->pluginState()->setSharedCounters(sharedCounters);

    // The runners by their checkpoint's name: the upsert projection and the functions' triggers.
    const auto runners = [this] {
        QList<ProjectionRunner *> all{upsertRunner.get()};
        all += functions->runners();
        return all;
    };
    // What other engines did while this one was not listening (before it started, or while its
    // listening connection was away): NOTIFYs sent then are lost, so everything is read again.
    const auto reloadConfiguration = [this] {
        collections->reloadIfChanged();
        resources->reloadIfChanged();
        functions->reloadFromStore();
    };
    const auto catchUp = [this, runners, reloadConfiguration] {
        reloadConfiguration();
        for (ProjectionRunner *r : runners()) {
            if (r->isStandby())
                r->followCheckpoint(readStore->checkpoint(r->name()));
        }
    };
    listener = std::make_unique<PgNotificationListener>(
        url, QStringList{QString::fromLatin1(ConfigStore::kNotifyChannel), QString::fromLatin1(ReadStore::kCheckpointChannel)},
        QStringLiteral("engine"));
    QObject::connect(listener.get(), &PgNotificationListener::notification, clusterContext.get(),
                     [runners, reloadConfiguration](const QString &channel, const QString &payload) {
        if (channel == QLatin1String(ConfigStore::kNotifyChannel)) {
            reloadConfiguration();
            return;
        }
        // "<projection> <position>": another engine committed a checkpoint.
        const qsizetype space = payload.lastIndexOf(QLatin1Char(' '));
        bool ok = false;
        const qint64 position = payload.mid(space + 1).toLongLong(&ok);
        if (space <= 0 || !ok)
            return;
        const QString name = payload.left(space);
        for (ProjectionRunner *r : runners()) {
            if (r->name() == name)
                r->followCheckpoint(position);
        }
    });
    QObject::connect(listener.get(), &PgNotificationListener::reconnected, clusterContext.get(), catchUp);
    if (!listener->start(error))
        return failed(error, QStringLiteral("cannot listen for the other engines' changes: ") + *error);

    ownership = std::make_unique<PgOwnership>();
    const auto owned = [this](const QString &name, bool owns) {
        if (name == QLatin1String("projection:upsert"))
            upsertRunner->setStandby(!owns);
        else if (name.startsWith(QLatin1String("function:")))
            functions->setOwned(name.mid(9), owns);
    };
    QObject::connect(ownership.get(), &PgOwnership::acquired, clusterContext.get(), [owned](const QString &name) { owned(name, true); });
    QObject::connect(ownership.get(), &PgOwnership::lost, clusterContext.get(), [owned](const QString &name) { owned(name, false); });
    if (!ownership->start(url, error))
        return failed(error, QStringLiteral("cannot take part in the engines' ownership: ") + *error);
    PgOwnership *owners = ownership.get();
    functions->setDeployListener([owners](const QString &name, bool deployed) {
        if (deployed)
            owners->want(QStringLiteral("function:") + name);
        else
            owners->release(QStringLiteral("function:") + name);
    });
    owners->want(QStringLiteral("projection:upsert"));
    for (const QString &name : functions->names())
        owners->want(QStringLiteral("function:") + name);
    catchUp();
    return true;
}

void EngineParts::stop()
{
    // Several engines: nothing more arrives from the others while this one winds down.
    if (listener)
        listener->stop();
    // A run first: it switches its faults off while every part it touched is still there.
    simulations.reset();
    // Functions first: they append (ctx.emit) while the store is still open.
    if (functions)
        functions->stop();
    // Reverse order: nothing new reaches the store, the store commits what is queued, the
    // projections finish the batch in hand (its checkpoint commits with it).
    if (store)
        store->close();
    if (upsertRunner)
        upsertRunner->stop();
    // Every batch in hand has committed: hand the projection, the functions' triggers and the
    // outbox over to another engine at once (instead of when this session ends).
    if (ownership)
        ownership->stop();
    // Queries still running answer through the gateway: let them finish before it goes.
    if (queryWorkers)
        queryWorkers->close();
    if (functions)
        functions->setCollectionListener({});
    if (collections) {
        collections->setResources(nullptr);
        collections->setCodeHook({});
    }
    resources.reset();
    gateway.reset();
    functions.reset();
    httpUpstream.reset();   // answers proxied requests still in flight, joins its thread
    eventLog.reset();
    queries.reset();
    queryWorkers.reset();
    commands.reset();
    upsertRunner.reset();
    upsert.reset();
    parked.reset();
    metrics.reset();
    if (readStore)
        readStore->close();
    collections.reset();
    readStore.reset();
    store.reset();
    catalog.reset();
    if (config)
        config->close();
    config.reset();
    ownership.reset();
    listener.reset();
    clusterContext.reset();
    sharedCounters.reset();
    lock.reset();
}

} // namespace Gatehouse
