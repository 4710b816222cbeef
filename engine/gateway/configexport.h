#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// The gateway configuration as a file: our own JSON form, and an APISIX standalone
// `apisix.yaml` so a deployment can put APISIX in front of the engine. Internal upstreams
// (command, query, events, function) become APISIX nodes pointing at this engine's gateway
// listener; labels keep what they were, so importing the YAML back is lossless.
namespace ConfigExport {
using Resources = QHash<QString, QJsonArray>;   // routes, upstreams, consumers, global_rules

QByteArray toJson(const Resources &resources, qint64 version);
QByteArray toApisixYaml(const Resources &resources, const QString &engineAddress);
// Reads either form (detected from the content). Timestamps are dropped.
bool parse(const QByteArray &content, Resources *out, QString *error);
}

} // namespace Gatehouse
