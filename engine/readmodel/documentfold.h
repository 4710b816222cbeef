#pragma once

#include "storeddocument.h"
#include "store/recordedevent.h"

#include <optional>

namespace Gatehouse {

// How one collection event changes a read-model record -- the upsert service's rule, shared
// by the live projection, rebuilds and time travel so all three agree:
//   <c>.created  the event data is the document
//   <c>.updated  the event data is a JSON merge patch (an update of a missing record creates it)
//   <c>.deleted  the record is kept and marked deleted
// Other verbs leave the record as it is. Returns false (with a reason) on data that is not a
// JSON object.
namespace DocumentFold {
enum class Verb { Created, Updated, Deleted, Other };
Verb verbOf(const RecordedEvent &event);
bool apply(std::optional<StoredDocument> &record, const RecordedEvent &event, const QString &collection,
           const QString &id, QString *error);
}

} // namespace Gatehouse
