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

} // namespace Gatehouse::OfflineTools
