#pragma once

#include "engineoptions.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>

namespace Gatehouse::OfflineTools {

// `gatehouse rebuild|export|import`: work on a data directory without serving, through the
// same EngineParts steps as a running engine (the same files, options and checks). Each
// returns false (or nullopt) with a message for the operator in *error.

struct RebuildResult
{
    qint64 events = 0;   // the log's head when the rebuild finished
};
using Progress = std::function<void(qint64 done, qint64 total)>;

// Rebuilds the read model of `projection` (only "upsert") from the event log, leaving out
// parked events. Refuses while an engine holds the data directory.
std::optional<RebuildResult> rebuild(const EngineOptions &options, const QString &projection, const Progress &progress,
                                     QString *error);

// The gateway configuration as JSON or APISIX YAML (`format` "json" or "apisix"). Reads
// config.db without the lock, so it works beside a running engine.
std::optional<QByteArray> exportConfig(const EngineOptions &options, const QString &format, const QString &engineAddress,
                                       QString *error);

// Replaces every resource with those of `document`, read from `source` (all or nothing, the
// admin API's checks). Refuses while an engine holds the data directory. On success, the
// configuration version.
std::optional<qint64> importConfig(const EngineOptions &options, const QJsonObject &document, const QString &source,
                                   QString *error);

// `gatehouse migrate --from DATA_DIR --to postgresql://...`: copies an engine's SQLite data
// directory into an empty PostgreSQL database -- the configuration (every resource kind, the
// settings, what was seeded), then the event log as it is (positions, versions, ids, times) --
// then rebuilds the upsert read model there and carries the functions' collections and
// checkpoints over, so functions do not run again on events they already saw. Refuses a target
// that holds events or configuration, and a data directory an engine is running on.
struct MigrateResult
{
    qint64 events = 0;
    int resources = 0;
    int documents = 0;   // copied from the functions' collections
};
std::optional<MigrateResult> migrate(const EngineOptions &from, const PostgresUrl &to, const Progress &copied,
                                     const Progress &rebuilt, QString *error);

} // namespace Gatehouse::OfflineTools
