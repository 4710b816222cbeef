#include "offlinetools.h"

#include "base/datadirlock.h"
#include "config/configstore.h"
#include "engine.h"
#include "engineparts.h"
#include "projections/parkedevents.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "resources/configexport.h"
#include "resources/resourceservice.h"
#include "simulation/scenariostore.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>

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
    if (!QDir(options.dataDir).exists(QStringLiteral("config.db"))) {
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

} // namespace Gatehouse::OfflineTools
