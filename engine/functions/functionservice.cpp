#include "functionservice.h"

#include "config/configstore.h"
#include "functionprojection.h"
#include "functionservice_p.h"
#include "readmodel/readstore.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <atomic>

Q_DECLARE_LOGGING_CATEGORY(lcFunctionRuntime)

namespace Gatehouse {

namespace {
const QString kFunctions = QStringLiteral("functions");
const QString kVersions = QStringLiteral("function_versions");
constexpr char kWritesSetting[] = "functions.writes.";

ConfigStore::Resource resourceOf(const QString &id, const QJsonObject &body)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    return {id, QJsonDocument(body).toJson(QJsonDocument::Compact), now, now};
}
} // namespace

QString functionVersionId(const QString &name, qint64 version)
{
    return name + u'#' + QString::number(version).rightJustified(8, u'0');
}

std::shared_ptr<FunctionEntry> FunctionService::Private::entry(const QString &name) const
{
    QMutexLocker lock(&mutex);
    const auto it = functions.find(name);
    return it == functions.end() ? nullptr : it->second;
}

void FunctionService::Private::startRunner(FunctionEntry &entry)
{
    if (!entry.definition.hasEventTriggers())
        return;
    auto projection = std::make_shared<FunctionProjection>(
        entry.definition, entry.stats, store, readStore, runtime,
        [this](const FunctionDefinition &def, const RecordedEvent &event, const QString &error, int attempts) {
            storeDeadLetter(def, event, error, attempts);
        },
        [this, name = entry.definition.name](const QHash<QString, QSet<QString>> &written) { notifyWrites(name, written); });
    entry.runner = std::make_unique<ProjectionRunner>(projection, store, readStore);
    entry.runner->setStandby(!runsTriggersOf(entry.definition.name));
    entry.runner->start();
}

bool FunctionService::Private::runsTriggersOf(const QString &name) const
{
    QMutexLocker lock(&mutex);
    return !clustered || owned.contains(name);
}

void FunctionService::Private::announce(const QString &name, bool deployed)
{
    DeployListener listener;
    {
        QMutexLocker lock(&listenerMutex);
        listener = deployListener;
    }
    if (listener)
        listener(name, deployed);
}

void FunctionService::Private::notifyWrites(const QString &function, const QHash<QString, QSet<QString>> &idsByCollection)
{
    CollectionListener collections;
    QStringList firstWritten;
    {
        QMutexLocker lock(&listenerMutex);
        for (auto it = idsByCollection.cbegin(); it != idsByCollection.cend(); ++it) {
            QSet<QString> &by = writers[it.key()];
            if (!by.contains(function)) {
                by.insert(function);
                config->setSetting(QLatin1String(kWritesSetting) + it.key() + u'/' + function, QStringLiteral("1"));
            }
        }
        collections = collectionListener;
        if (collections) {
            for (auto it = idsByCollection.cbegin(); it != idsByCollection.cend(); ++it) {
                if (!collectionsWritten.contains(it.key())) {
                    collectionsWritten.insert(it.key());
                    firstWritten.append(it.key());
                }
            }
        }
    }
    for (const QString &collection : std::as_const(firstWritten))
        collections(collection);
    QMutexLocker lock(&writesMutex);
    if (writesListeners.empty())
        return;
    for (auto it = idsByCollection.cbegin(); it != idsByCollection.cend(); ++it) {
        const QStringList ids(it->cbegin(), it->cend());
        for (const auto &entry : writesListeners)
            entry.second(it.key(), ids);
    }
}

void FunctionService::addWritesListener(const void *owner, WritesListener listener)
{
    QMutexLocker lock(&d->writesMutex);
    d->writesListeners.emplace_back(owner, std::move(listener));
}

void FunctionService::removeWritesListener(const void *owner)
{
    QMutexLocker lock(&d->writesMutex);
    std::erase_if(d->writesListeners, [owner](const auto &entry) { return entry.first == owner; });
}

void FunctionService::setCollectionListener(CollectionListener listener)
{
    QMutexLocker lock(&d->listenerMutex);
    d->collectionListener = std::move(listener);
}

QJsonObject FunctionService::Private::describe(const FunctionEntry &entry, bool withCode) const
{
    QJsonObject o = entry.definition.toJson();
    if (!withCode)
        o.remove(QStringLiteral("code"));
    o.insert(QStringLiteral("stats"), entry.stats->toJson(deadLetterCount(entry.definition.name)));
    if (entry.runner) {
        const ProjectionRunner::Stats s = entry.runner->stats();
        QJsonObject runner{{QStringLiteral("status"), ProjectionRunner::statusName(s.status)},
                           {QStringLiteral("position"), s.position},
                           {QStringLiteral("lag_events"), s.lagEvents},
                           {QStringLiteral("concurrency"), entry.definition.concurrency}};
        if (!s.error.isEmpty())
            runner.insert(QStringLiteral("error"), s.error);
        o.insert(QStringLiteral("projection"), runner);
    }
    return o;
}

FunctionService::FunctionService(ConfigStore *config, EventStore *store, ReadStore *readStore, const QString &workerExecutable)
    : d(std::make_unique<Private>())
{
    d->config = config;
    d->store = store;
    d->readStore = readStore;
    d->runtime.workerExecutable = workerExecutable.isEmpty() ? QCoreApplication::applicationFilePath() : workerExecutable;
}

FunctionService::~FunctionService()
{
    stop();
}

bool FunctionService::start(QString *error)
{
    // Which functions wrote which collections (X-Min-Position waits for them): from before.
    if (const auto settings = d->config->settings()) {
        QMutexLocker lock(&d->listenerMutex);
        for (const auto &[key, value] : *settings) {
            if (!key.startsWith(QLatin1String(kWritesSetting)))
                continue;
            const QString pair = key.mid(qsizetype(qstrlen(kWritesSetting)));
            const qsizetype slash = pair.indexOf(u'/');
            if (slash > 0)
                d->writers[pair.left(slash)].insert(pair.mid(slash + 1));
        }
    }
    for (const ConfigStore::Resource &r : d->config->resources(kFunctions)) {
        FunctionDefinition def;
        QStringList errors;
        if (!FunctionDefinition::parse(r.id, QJsonDocument::fromJson(r.body).object(), &def, &errors)) {
            *error = QStringLiteral("stored function '%1' is invalid: %2").arg(r.id, errors.join(QStringLiteral("; ")));
            return false;
        }
        auto entry = std::make_shared<FunctionEntry>();
        entry->definition = def;
        entry->worker = std::make_shared<FunctionWorker>(def.name, d->runtime);
        d->startRunner(*entry);
        d->startIntervals(*entry);
        QMutexLocker lock(&d->mutex);
        d->functions[def.name] = entry;
    }
    return true;
}

void FunctionService::whenWritersReached(const QString &collection, qint64 position, int timeoutMs,
                                         std::function<void(bool reached)> done) const
{
    QSet<QString> names;
    {
        QMutexLocker lock(&d->listenerMutex);
        names = d->writers.value(collection);
    }
    // The entries stay alive while their runners are waited for (a redeploy or removal stops
    // a runner, which answers its waiters).
    QList<std::shared_ptr<FunctionEntry>> entries;
    {
        QMutexLocker lock(&d->mutex);
        for (const QString &name : std::as_const(names)) {
            const auto it = d->functions.find(name);
            if (it != d->functions.end() && it->second->runner && !it->second->runner->isStandby()
                && it->second->runner->position() < position)
                entries.append(it->second);
        }
    }
    if (entries.isEmpty()) {
        done(true);
        return;
    }
    struct Wait
    {
        std::atomic<int> remaining;
        std::atomic<bool> reached{true};
        std::function<void(bool)> done;
    };
    auto wait = std::make_shared<Wait>();
    wait->remaining = int(entries.size());
    wait->done = std::move(done);
    for (const std::shared_ptr<FunctionEntry> &entry : std::as_const(entries)) {
        entry->runner->whenReached(position, timeoutMs, [wait, entry](bool reached) {
            if (!reached)
                wait->reached = false;
            if (--wait->remaining == 0)
                wait->done(wait->reached);
        });
    }
}

void FunctionService::stop()
{
    std::map<QString, std::shared_ptr<FunctionEntry>> all;
    {
        QMutexLocker lock(&d->mutex);
        all.swap(d->functions);
    }
    {
        QMutexLocker lock(&d->mutex);
        for (auto &[key, entry] : d->inlineDeciders)
            all.emplace(u'/' + key, std::move(entry));
        d->inlineDeciders.clear();
    }
    for (auto &[name, entry] : all) {
        if (entry->runner)
            entry->runner->stop();
        entry->runner.reset();
        entry->worker.reset();
    }
}

QJsonArray FunctionService::list() const
{
    QList<std::shared_ptr<FunctionEntry>> entries;
    {
        QMutexLocker lock(&d->mutex);
        for (const auto &[name, entry] : d->functions)
            entries.append(entry);
    }
    QJsonArray items;
    for (const auto &entry : entries)
        items.append(d->describe(*entry, false));
    return items;
}

std::optional<QJsonObject> FunctionService::get(const QString &name) const
{
    const auto entry = d->entry(name);
    if (!entry)
        return std::nullopt;
    return d->describe(*entry, true);
}

FunctionService::Result FunctionService::deploy(const QString &name, const QJsonObject &body)
{
    FunctionDefinition def;
    QStringList errors;
    QJsonObject input = body;
    input.remove(QStringLiteral("version"));
    input.remove(QStringLiteral("deployed_at_ms"));
    if (!FunctionDefinition::parse(name, input, &def, &errors))
        return {400, {}, QStringLiteral("the function definition is invalid"), errors};
    QString error;
    int line = 0;
    if (!FunctionInstance::check(def, d->runtime, &error, &line)) {
        Result r{400, {}, line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(error) : error, {}};
        r.body = QJsonObject{{QStringLiteral("line"), line}, {QStringLiteral("message"), error}};
        return r;
    }
    qint64 latest = 0;
    for (const ConfigStore::Resource &r : d->config->resources(kVersions)) {
        if (r.id.startsWith(name + u'#'))
            latest = qMax(latest, r.id.mid(name.size() + 1).toLongLong());
    }
    def.version = latest + 1;
    def.deployedAtMs = QDateTime::currentMSecsSinceEpoch();
    const QJsonObject stored = def.toJson();
    if (!d->config->commitChange(kVersions, {resourceOf(functionVersionId(name, def.version), stored)}, {})
        || !d->config->commitChange(kFunctions, {resourceOf(name, stored)}, {}))
        return {500, {}, QStringLiteral("cannot store the function in config.db"), {}};

    bool created = false;
    const std::shared_ptr<FunctionEntry> entry = d->install(def, true, &created);
    d->announce(name, true);
    Result r{created ? 201 : 200, d->describe(*entry, true), {}, {}};
    return r;
}

std::shared_ptr<FunctionEntry> FunctionService::Private::install(const FunctionDefinition &def, bool newCheckpoint, bool *created)
{
    QMutexLocker installing(&installMutex);
    // A published entry is never changed (HTTP calls and listings read it without a lock): the
    // new version gets a new entry that keeps the stats and the worker thread.
    const QString name = def.name;
    const std::shared_ptr<FunctionEntry> old = entry(name);
    *created = !old;
    auto next = std::make_shared<FunctionEntry>();
    if (old) {
        next->stats = old->stats;
        next->worker = old->worker;
        if (old->runner)
            old->runner->stop();   // the new version continues from the old one's checkpoint
    } else {
        next->worker = std::make_shared<FunctionWorker>(name, runtime);
        // A new function starts where its triggers say: "now" is the current head.
        qint64 from = store->headPosition();
        for (const FunctionEventTrigger &t : def.eventTriggers) {
            if (t.fromPosition > 0)
                from = qMin(from, t.fromPosition - 1);
        }
        if (newCheckpoint) {
            if (auto tx = readStore->begin()) {
                tx->setCheckpoint(FunctionProjection::projectionName(name), from);
                tx->commit();
            }
        }
    }
    next->definition = def;
    startRunner(*next);
    {
        QMutexLocker lock(&mutex);
        functions[name] = next;
    }
    startIntervals(*next);   // replaces the old version's timers
    return next;
}

std::shared_ptr<FunctionEntry> FunctionService::Private::uninstall(const QString &name)
{
    QMutexLocker installing(&installMutex);
    std::shared_ptr<FunctionEntry> gone;
    {
        QMutexLocker lock(&mutex);
        const auto it = functions.find(name);
        if (it == functions.end())
            return nullptr;
        gone = it->second;
        functions.erase(it);
    }
    if (gone->runner)
        gone->runner->stop();
    gone->worker->post([](FunctionWorker &worker) { worker.setIntervals({}, {}); });
    return gone;
}

QString FunctionService::checkpointName(const QString &function)
{
    return FunctionProjection::projectionName(function);
}

void FunctionService::setDeployListener(DeployListener listener)
{
    QMutexLocker lock(&d->listenerMutex);
    d->deployListener = std::move(listener);
}

void FunctionService::setClustered(bool clustered)
{
    QMutexLocker lock(&d->mutex);
    d->clustered = clustered;
}

void FunctionService::setOwned(const QString &name, bool owned)
{
    std::shared_ptr<FunctionEntry> entry;
    {
        QMutexLocker lock(&d->mutex);
        if (owned)
            d->owned.insert(name);
        else
            d->owned.remove(name);
        const auto it = d->functions.find(name);
        if (it != d->functions.end())
            entry = it->second;
    }
    if (entry && entry->runner)
        entry->runner->setStandby(!owned);
}

QStringList FunctionService::names() const
{
    QMutexLocker lock(&d->mutex);
    QStringList out;
    for (const auto &[name, entry] : d->functions)
        out.append(name);
    return out;
}

int FunctionService::reloadFromStore()
{
    int changed = 0;
    QSet<QString> stored;
    for (const ConfigStore::Resource &r : d->config->resources(kFunctions)) {
        FunctionDefinition def;
        QStringList errors;
        if (!FunctionDefinition::parse(r.id, QJsonDocument::fromJson(r.body).object(), &def, &errors)) {
            qCWarning(lcFunctionRuntime).noquote() << "stored function" << r.id << "is invalid:" << errors.join(QStringLiteral("; "));
            continue;
        }
        stored.insert(def.name);
        const std::shared_ptr<FunctionEntry> current = d->entry(def.name);
        if (current && current->definition.version == def.version)
            continue;
        bool created = false;
        d->install(def, false, &created);
        d->announce(def.name, true);
        ++changed;
    }
    for (const QString &name : names()) {
        if (stored.contains(name))
            continue;
        d->uninstall(name);
        d->announce(name, false);
        ++changed;
    }
    return changed;
}

FunctionService::Result FunctionService::versions(const QString &name) const
{
    QJsonArray items;
    for (const ConfigStore::Resource &r : d->config->resources(kVersions)) {
        if (!r.id.startsWith(name + u'#'))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        items.append(QJsonObject{{QStringLiteral("version"), o.value(QStringLiteral("version"))},
                                 {QStringLiteral("deployed_at_ms"), o.value(QStringLiteral("deployed_at_ms"))},
                                 {QStringLiteral("rolled_back_from"), o.value(QStringLiteral("rolled_back_from"))},
                                 {QStringLiteral("code"), o.value(QStringLiteral("code"))}});
    }
    if (items.isEmpty() && !d->entry(name))
        return {404, {}, QStringLiteral("no function '%1'").arg(name), {}};
    return {200, QJsonObject{{QStringLiteral("total"), items.size()}, {QStringLiteral("items"), items}}, {}, {}};
}

FunctionService::Result FunctionService::rollback(const QString &name, qint64 version)
{
    if (!d->entry(name))
        return {404, {}, QStringLiteral("no function '%1'").arg(name), {}};
    for (const ConfigStore::Resource &r : d->config->resources(kVersions)) {
        if (r.id != functionVersionId(name, version))
            continue;
        QJsonObject old = QJsonDocument::fromJson(r.body).object();
        old.insert(QStringLiteral("rolled_back_from"), version);
        return deploy(name, old);   // a rollback is a new version with the old definition
    }
    return {404, {}, QStringLiteral("function '%1' has no version %2").arg(name).arg(version), {}};
}

FunctionService::Result FunctionService::remove(const QString &name)
{
    if (!d->uninstall(name))
        return {404, {}, QStringLiteral("no function '%1'").arg(name), {}};
    QStringList versionIds;
    for (const ConfigStore::Resource &r : d->config->resources(kVersions)) {
        if (r.id.startsWith(name + u'#'))
            versionIds.append(r.id);
    }
    d->config->commitChange(kVersions, {}, versionIds);
    d->config->commitChange(kFunctions, {}, {name});
    if (auto tx = d->readStore->begin()) {
        tx->setCheckpoint(FunctionProjection::projectionName(name), 0);
        tx->commit();
    }
    d->announce(name, false);
    return {204, {}, {}, {}};
}

QList<ProjectionRunner *> FunctionService::runners() const
{
    QMutexLocker lock(&d->mutex);
    QList<ProjectionRunner *> out;
    for (const auto &[name, entry] : d->functions) {
        if (entry->runner)
            out.append(entry->runner.get());
    }
    return out;
}

bool FunctionService::setFault(const QString &name, double errorRate, qint64 latencyMs)
{
    const std::shared_ptr<FunctionEntry> e = d->entry(name);
    if (!e)
        return false;
    e->stats->fault().set(errorRate, latencyMs);   // the stats, and with them the fault, outlive redeploys
    return true;
}

qint64 FunctionService::queueDepth() const
{
    QMutexLocker lock(&d->mutex);
    qint64 n = 0;
    for (const auto &[name, entry] : d->functions)
        n += entry->stats->queueDepth();
    return n;
}

} // namespace Gatehouse
