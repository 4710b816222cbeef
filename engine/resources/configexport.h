#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Gatehouse {

// The gateway configuration as a file: our own JSON form, and an APISIX standalone
// `apisix.yaml` so a deployment can put APISIX in front of the engine. Internal upstreams
// (command, query, events, function) become APISIX nodes pointing at this engine's gateway
// listener; labels keep what they were, so importing the YAML back is lossless.
namespace ConfigExport {
using Resources = QHash<QString, QJsonArray>;   // routes, upstreams, consumers, global_rules

// `scenarios` (the simulation scenarios, each with its "name") and `collections` (each with
// its "name") are written as sections of their own; the APISIX form has no place for them.
QByteArray toJson(const Resources &resources, qint64 version, const QJsonArray &scenarios = {},
                  const QJsonArray &collections = {});
QByteArray toApisixYaml(const Resources &resources, const QString &engineAddress);
// Reads either form (detected from the content: JSON starts with "{") into a configuration
// document ({"routes": [...], "upstreams": [...], ...}): the JSON form as it is, apisix.yaml's
// sections with the APISIX shapes turned back into ours. Timestamps are dropped. Only the
// form is checked here (syntax, the line form, known sections); what the document says is
// checked against the configuration schema by ResourceService::replaceAll.
std::optional<QJsonObject> readDocument(const QByteArray &content, QString *error);
// The sections of a document, for callers that hold resources by kind.
Resources sections(const QJsonObject &document);
}

} // namespace Gatehouse
