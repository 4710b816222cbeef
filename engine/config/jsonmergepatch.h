#pragma once

#include <QJsonObject>
#include <QJsonValue>

namespace Gatehouse {

// JSON Merge Patch (RFC 7386): how an update command's body changes a document. An object
// patch merges member by member, `null` removes a member, anything else (arrays included)
// replaces the target. Pure functions; safe from any thread.
namespace JsonMergePatch {

QJsonValue apply(const QJsonValue &target, const QJsonValue &patch);
// The same merge of an object patch into an object, changing `target` in place: a document
// folded over many updates is not copied for each one.
void applyTo(QJsonObject &target, const QJsonObject &patch);

} // namespace JsonMergePatch
} // namespace Gatehouse
