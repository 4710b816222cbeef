#pragma once

#include "recordedevent.h"

#include <QString>

namespace Gatehouse {

class PgConnection;

// Copies recorded events into a PostgreSQL event log as they are -- positions, stream versions,
// ids and commit times kept -- for `gatehouse migrate`. A batch goes in only where the log ends
// (its first position is the log's end + 1, its positions consecutive), in one transaction
// under the append lock, so it can neither leave a gap nor meet an engine's appends; it is
// announced on gatehouse_events like any commit. Not for a log engines are writing to: migrate
// refuses a target that is not empty.
namespace PgEventImport {
bool append(PgConnection &db, const RecordedEvents &events, QString *error);
}

} // namespace Gatehouse
