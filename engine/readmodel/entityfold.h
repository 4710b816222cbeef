#pragma once

#include "sql/readstatus.h"
#include "storeddocument.h"

#include <QString>

#include <limits>
#include <optional>

namespace Gatehouse {

class EventStore;
struct Collection;
class ReadStore;

// The state of one entity (collection/id) at a position of the log, folded from its stream by
// the upsert rule (DocumentFold) -- what custom commands decide on and what time travel
// (?at_position=N) answers. It starts from the entity's nearest snapshot at or before the
// position (ReadStore::snapshot, kept by the upsert projection every N events of a stream)
// and reads only the events after it, so the cost follows the events since the snapshot, not
// the stream's length. Without a read store, or when its snapshot cannot be read, the stream
// is folded from its start: a snapshot saves work and never changes the answer. Events written
// under an older schema version are upcast to the collection's current one as they are folded
// (Collection::upcast); snapshots are kept per set of upcasters (Collection::snapshotKey).
namespace EntityFold {

struct Result
{
    std::optional<StoredDocument> record;   // nullopt: the entity had no created/updated event yet
    qint64 streamVersion = -1;              // version of the stream's last event at or before the position
    ReadStatus status;                      // a failed or timed-out read of the log
    QString unreadable;                     // the first event whose data is not a JSON object (it changed nothing)
    bool fromSnapshot = false;
    qint64 eventsFolded = 0;                // events read after the snapshot (or from the stream's start)
};

// budgetMs > 0 bounds the reads of the log, all of them together (then status is TimedOut).
Result fold(const EventStore &store, const ReadStore *readStore, const Collection &collection, const QString &id,
            qint64 atPosition = std::numeric_limits<qint64>::max(), int budgetMs = 0);

} // namespace EntityFold

} // namespace Gatehouse
