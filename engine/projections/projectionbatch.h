#pragma once

#include "projection.h"
#include "readmodel/readstore.h"
#include "store/recordedevent.h"

namespace Gatehouse {

class EventStore;

// How a projection runner commits a batch: the projection's changes and its checkpoint in
// one read-store transaction, stopping exactly at a bad event. Used by the runner's thread and
// by the offline rebuild; no state of its own.
namespace ProjectionBatch {

// One batch and the checkpoint; on a fault the events before the failing one are committed on
// their own.
bool apply(Projection &projection, ReadStore &readStore, const RecordedEvents &events, ProjectionFault *fault);

// During a rebuild: the projection folds the batch, perhaps only in memory, and writes what it
// holds (with the checkpoint, then the batch's last event) when it asks to. On a fault nothing
// of the batch stays; the events up to the bad one are replayed and committed.
bool applyBulk(Projection &projection, EventStore &store, ReadStore &readStore, const RecordedEvents &events,
               qint64 *checkpoint, ProjectionFault *fault, const BatchDigest *digest = nullptr);

// Writes what a rebuilding projection holds and moves the checkpoint to `folded`, in `tx`.
bool flushBulk(Projection &projection, ReadStore::WriteTransaction &tx, const QString &name, qint64 folded, QString *error);

} // namespace ProjectionBatch
} // namespace Gatehouse
