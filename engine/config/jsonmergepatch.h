#pragma once

#include <QJsonValue>

namespace Gatehouse {

// JSON Merge Patch (RFC 7386): how an update command's body changes a document. An object
// patch merges member by member, `null` removes a member, anything else (arrays included)
// replaces the target. Pure functions; safe from any thread.
namespace JsonMergePatch {

QJsonValue apply(const QJsonValue &target, const QJsonValue &patch);

} // namespace JsonMergePatch
} // namespace Gatehouse
