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
// their own. `next`, when given, is the batch the runner will apply after this one: handed to
// Projection::prepareAhead() once this batch is prepared, before it is applied.
bool apply(Projection &projection, ReadStore &readStore, const RecordedEvents &events, ProjectionFault *fault,
           const RecordedEvents &next = {});

// During a rebuild: the projection folds the batch, perhaps only in memory, and writes what it
// holds (with the checkpoint, then the batch's last event) when it asks to. On a fault nothing
// of the batch stays; the events up to the bad one are replayed and committed.
bool applyBulk(Projection &projection, EventStore &store, ReadStore &readStore, const RecordedEvents &events,
               qint64 *checkpoint, ProjectionFault *fault, const BatchDigest *digest = nullptr);

// Writes what a rebuilding projection holds and moves the checkpoint to `folded`, in `tx`.
bool flushBulk(Projection &projection, ReadStore::WriteTransaction &tx, const QString &name, qint64 folded, QString *error);

// The start of a rebuild: the projection drops its read model, the checkpoint goes to 0.
bool resetForRebuild(Projection &projection, ReadStore &readStore, QString *error);

// The end of a rebuild: what the projection still holds, the checkpoint at `folded` and its
// deferred work (endBulk(), e.g. indexes) in one transaction.
bool finishRebuild(Projection &projection, ReadStore &readStore, qint64 folded, QString *error);

// Ends a transaction: commits it when `ok` (the steps in it succeeded), else rolls it back;
// then, with the write lock released, tells the projection that its changes are visible
// (committed()) or gone (discarded()). On failure *error says why unless a step already did.
bool finish(Projection &projection, std::unique_ptr<ReadStore::WriteTransaction> tx, bool ok, QString *error);

} // namespace ProjectionBatch
} // namespace Gatehouse
