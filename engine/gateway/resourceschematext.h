#pragma once

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

// The source text of the admin resource schemas (JSON Schema, as served by /admin/schemas),
// with two kinds of placeholder that ResourceSchemas expands: "limit:<name>" (a number from
// ResourceLimits) and "use:<fragment>" (a shared piece: ids, labels, the upstream, the
// plugin maps built from the registry). Kept apart from the code that builds them so the
// schemas read as the documents they are.
namespace Gatehouse::ResourceSchemaText {
QHash<QString, QJsonValue> fragments();
// "routes", "upstreams", "consumers", "global_rules", "config".
QJsonObject resource(const QString &kind);
}
