#include "offlinetools.h"

#include "base/datadirlock.h"
#include "config/collection.h"
#include "config/collectioncatalog.h"
#include "config/configstore.h"
#include "engine.h"
#include "engineparts.h"
#include "functions/functionservice.h"
#include "projections/parkedevents.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "readmodel/readstore.h"
#include "resources/configexport.h"
#include "resources/resourceservice.h"
#include "simulation/scenariostore.h"
#include "sql/pgconnection.h"
#include "store/eventstore.h"
#include "store/pgeventimport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Gatehouse::OfflineTools {

namespace {
EngineOptions withDataDir(EngineOptions options)
{
    if (options.dataDir.isEmpty())
        options.dataDir = Engine::defaultDataDir();
    return options;
}
} // namespace

std::optional<RebuildResult> rebuild(const EngineOptions &engineOptions, const QString &projection, const Progress &progress,
                                     QString *error)
{
    const EngineOptions options = withDataDir(engineOptions);
    if (projection != QLatin1String("upsert")) {
        *error = QStringLiteral("unknown projection '%1' (known: upsert)").arg(projection);
        return std::nullopt;
    }
    if (!QDir(options.dataDir).exists(QStringLiteral("events.db"))) {
        *error = QStringLiteral("no event log in %1").arg(options.dataDir);
        return std::nullopt;
    }
    EngineParts parts(options);
    if (!parts.lockDataDirectory(error)) {
        *error = QStringLiteral("%1 is in use by a running engine (%2); rebuild through it instead: "
                                "POST /admin/projections/%3/rebuild on the admin API")
                     .arg(options.dataDir, parts.lock ? parts.lock->errorString() : *error, projection);
        return std::nullopt;
    }
    // Events an operator parked stay out of the rebuild, as in the running engine.
    if (!parts.openConfig(error) || !parts.loadProject(error) || !parts.openEventStore(error) || !parts.openReadStore(error))
        return std::nullopt;
    const ParkedEvents parked(parts.config.get());
    UpsertProjection upsert(parts.catalog.get());
    if (!ProjectionRunner::rebuildOffline(upsert, *parts.store, *parts.readStore, progress, error, parked.positions(upsert.name()))) {
        *error = QStringLiteral("rebuild of %1 failed: %2").arg(projection, *error);
        return std::nullopt;
    }
    return RebuildResult{parts.store->headPosition()};
}

std::optional<QByteArray> exportConfig(const EngineOptions &engineOptions, const QString &format, const QString &engineAddress,
                                       QString *error)
{
    const EngineOptions options = withDataDir(engineOptions);
    if (format != QLatin1String("json") && format != QLatin1String("apisix")) {
        *error = QStringLiteral("--format is json or apisix, got '%1'").arg(format);
        return std::nullopt;
    }
    if (!options.database && !QDir(options.dataDir).exists(QStringLiteral("config.db"))) {
        *error = QStringLiteral("no configuration in %1").arg(options.dataDir);
        return std::nullopt;
    }
    EngineParts parts(options);
    if (!parts.openConfig(error))
        return std::nullopt;
    ConfigExport::Resources resources;
    for (const QString &kind : ResourceService::kinds()) {
        QJsonArray items;
        for (const auto &r : parts.config->resources(kind))
            items.append(QJsonDocument::fromJson(r.body).object());
        resources.insert(kind, items);
    }
    QJsonArray scenarios;
    for (const auto &r : parts.config->resources(QStringLiteral("scenarios"))) {
        QJsonObject scenario = QJsonDocument::fromJson(r.body).object();
        scenario.insert(QStringLiteral("name"), r.id);
        scenarios.append(scenario);
    }
    return format == QLatin1String("json") ? ConfigExport::toJson(resources, parts.config->configVersion(), scenarios)
                                           : ConfigExport::toApisixYaml(resources, engineAddress);
}

std::optional<qint64> importConfig(const EngineOptions &engineOptions, const QJsonObject &document, const QString &source,
                                   QString *error)
{
    const EngineOptions options = withDataDir(engineOptions);
    EngineParts parts(options);
    if (!parts.lockDataDirectory(error)) {
        *error = QStringLiteral("%1 is in use by a running engine; stop it first, or PUT the resources through its admin API")
                     .arg(options.dataDir);
        return std::nullopt;
    }
    // The same validation and storage path as the admin API, on the same files; no default
    // routes: the document says what there is.
    if (!parts.openConfig(error) || !parts.loadProject(error) || !parts.openResources({}, error))
        return std::nullopt;
    QJsonObject rest = document;
    const QJsonValue scenarios = rest.take(QStringLiteral("scenarios"));
    Simulation::ScenarioStore scenarioStore(parts.config.get(), parts.catalog.get());
    if (!scenarios.isUndefined()) {
        const QStringList errors = scenarios.isArray() ? scenarioStore.check(scenarios.toArray())
                                                       : QStringList{QStringLiteral("/scenarios: must be an array")};
        if (!errors.isEmpty()) {
            *error = QStringLiteral("%1 was not imported:\n  %2").arg(source, errors.join(QStringLiteral("\n  ")));
            return std::nullopt;
        }
    }
    const ResourceService::Result result = parts.resources->replaceAll(rest);
    if (result.status >= 400) {
        *error = QStringLiteral("%1 was not imported:\n  %2")
                     .arg(source, result.errors.isEmpty() ? result.detail : result.errors.join(QStringLiteral("\n  ")));
        return std::nullopt;
    }
    if (scenarios.isArray()) {
        const Simulation::ScenarioStore::Result stored = scenarioStore.replaceAll(scenarios.toArray());
        if (stored.status >= 400) {
            *error = QStringLiteral("%1: the scenarios were not stored: %2").arg(source, stored.detail);
            return std::nullopt;
        }
    }
    return parts.config->configVersion();
}

namespace {
constexpr int kImportBatch = 5000;

bool copyConfiguration(ConfigStore &from, ConfigStore &to, const QString &dataDir, int *resources, QString *error)
{
    const auto kinds = from.kinds();
    const auto settings = from.settings();
    const auto seeded = from.seededKeys();
    if (!kinds || !settings || !seeded) {
        *error = QStringLiteral("cannot read the configuration in %1").arg(dataDir);
        return false;
    }
    for (const QString &kind : *kinds) {
        const QList<ConfigStore::Resource> items = from.resources(kind);
        if (!items.isEmpty() && !to.commitChange(kind, items, {})) {
            *error = QStringLiteral("cannot store the %1 in the target database").arg(kind);
            return false;
        }
        *resources += int(items.size());
    }
    for (const auto &[key, value] : *settings) {
        if (!to.setSetting(key, value)) {
            *error = QStringLiteral("cannot store the setting %1 in the target database").arg(key);
            return false;
        }
    }
    for (const QString &key : *seeded)
        to.markSeeded(key);
    // The MQTT outbox's checkpoint moves from its file to where every engine sees it.
    QFile outbox(QDir(dataDir).filePath(QStringLiteral("mqtt/outbox.checkpoint")));
    if (outbox.open(QIODevice::ReadOnly)) {
        const QJsonValue position = QJsonDocument::fromJson(outbox.readAll()).object().value(QLatin1String("position"));
        if (position.isDouble())
            to.setSetting(QStringLiteral("mqtt_outbox_checkpoint"), QString::number(position.toInteger()));
    }
    return true;
}

// The documents functions wrote into a collection, page by page, as they are: all of them in a
// collection no projection of the project fills, else those marked so (StoredDocument::byFunction).
bool copyCollection(const ReadStore &from, ReadStore &to, const QString &collection, bool projected, int *documents, QString *error)
{
    bool written = true;
    const bool read = from.forEachPage(collection, projected, [&](QList<StoredDocument> &items) {
        if (items.isEmpty() && projected)
            return false;   // nothing of the functions' here; the rebuild made the table
        for (StoredDocument &doc : items)
            doc.byFunction = true;
        auto tx = to.begin();
        if (!tx || !tx->ensureCollection(collection, {}) || !tx->put(items) || !tx->commit()) {
            *error = tx ? tx->errorString() : to.errorString();
            return written = false;
        }
        *documents += int(items.size());
        return true;
    }, error);
    return read && written;
}
} // namespace

std::optional<MigrateResult> migrate(const EngineOptions &fromOptions, const PostgresUrl &to, const Progress &copied,
                                     const Progress &rebuilt, QString *error)
{
    EngineOptions source = withDataDir(fromOptions);
    source.database.reset();
    if (!QDir(source.dataDir).exists(QStringLiteral("events.db"))) {
        *error = QStringLiteral("no event log in %1").arg(source.dataDir);
        return std::nullopt;
    }
    EngineParts from(source);
    if (!from.lockDataDirectory(error)) {
        *error = QStringLiteral("%1 is in use by a running engine (%2); stop it before migrating")
                     .arg(source.dataDir, from.lock ? from.lock->errorString() : *error);
        return std::nullopt;
    }
    if (!from.openConfig(error) || !from.loadProject(error) || !from.openEventStore(error) || !from.openReadStore(error))
        return std::nullopt;

    EngineOptions target = source;
    target.database = to;
    EngineParts into(target);
    if (!into.openConfig(error) || !into.loadProject(error) || !into.openEventStore(error)) {
        *error = QStringLiteral("the target database: ") + *error;
        return std::nullopt;
    }
    const auto targetKinds = into.config->kinds();
    const auto targetSettings = into.config->settings();
    if (into.store->headPosition() > 0 || !targetKinds || !targetKinds->isEmpty() || !targetSettings || !targetSettings->isEmpty()) {
        *error = QStringLiteral("%1 is not empty (%2 events, %3 kinds of configuration); migrate only into a new database")
                     .arg(to.redacted()).arg(into.store->headPosition()).arg(targetKinds ? targetKinds->size() : -1);
        return std::nullopt;
    }

    MigrateResult result;
    if (!copyConfiguration(*from.config, *into.config, source.dataDir, &result.resources, error))
        return std::nullopt;

    // The log, in batches that each go in only where the target's log ends.
    PgConnection writer;
    if (!writer.open(to, QStringLiteral("migrate"), error))
        return std::nullopt;
    const qint64 total = from.store->headPosition();
    RecordedEvents batch;
    bool ok = true;
    const auto flush = [&] {
        if (batch.isEmpty())
            return true;
        if (!PgEventImport::append(writer, batch, error))
            return false;
        result.events = batch.last().position;
        batch.clear();
        if (copied)
            copied(result.events, total);
        return true;
    };
    from.store->scan(1, [&](const RecordedEvent &e) {
        batch.append(e);
        if (batch.size() >= kImportBatch && !flush()) {
            ok = false;
            return false;
        }
        return true;
    });
    if (!ok || !flush())
        return std::nullopt;
    if (result.events != total) {
        *error = QStringLiteral("copied %1 of %2 events; the source log could not be read to its end").arg(result.events).arg(total);
        return std::nullopt;
    }

    // The read models: the upsert projection rebuilt from the copied log (leaving out parked
    // events, whose list came with the configuration); the functions' collections and
    // checkpoints as they were.
    into.store.reset();
    if (!into.openEventStore(error) || !into.openReadStore(error))
        return std::nullopt;
    const ParkedEvents parked(into.config.get());
    UpsertProjection upsert(into.catalog.get());
    if (!ProjectionRunner::rebuildOffline(upsert, *into.store, *into.readStore, rebuilt, error, parked.positions(upsert.name()))) {
        *error = QStringLiteral("rebuild of upsert failed: ") + *error;
        return std::nullopt;
    }
    // Declared ones, by the project file, the admin API or a function's first write.
    QStringList projected;
    for (const Collection &c : from.catalog->snapshot()->collections())
        projected.append(c.name);
    ReadStatus status;
    for (const QString &collection : from.readStore->collections(&status)) {
        if (!copyCollection(*from.readStore, *into.readStore, collection, projected.contains(collection), &result.documents, error))
            return std::nullopt;
    }
    if (!status.ok()) {
        *error = QStringLiteral("cannot list the read model's collections: ") + status.detail;
        return std::nullopt;
    }
    auto tx = into.readStore->begin();
    if (!tx) {
        *error = into.readStore->errorString();
        return std::nullopt;
    }
    for (const ConfigStore::Resource &f : from.config->resources(QStringLiteral("functions"))) {
        const QString name = FunctionService::checkpointName(f.id);
        tx->setCheckpoint(name, from.readStore->checkpoint(name));
    }
    if (!tx->commit()) {
        *error = tx->errorString();
        return std::nullopt;
    }
    return result;
}

} // namespace Gatehouse::OfflineTools
