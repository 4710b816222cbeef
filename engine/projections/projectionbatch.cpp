#include "projectionbatch.h"

#include "projectionrunner.h"
#include "store/eventstore.h"

namespace Gatehouse::ProjectionBatch {

namespace {
bool replayBulk(Projection &projection, EventStore &store, ReadStore &readStore, qint64 upTo, qint64 *checkpoint,
                ProjectionFault *fault);
} // namespace

// One batch and the checkpoint in one transaction; on a fault the events before the failing
// one are applied on their own, so the projection stops exactly at the bad event.
bool apply(Projection &projection, ReadStore &readStore, const RecordedEvents &events, ProjectionFault *fault,
           const RecordedEvents &next)
{
    if (events.isEmpty())
        return true;
    if (!projection.prepare(events, fault))
        return false;
    if (!next.isEmpty())
        projection.prepareAhead(next);
    auto tx = readStore.begin();
    if (!tx) {
        *fault = {readStore.errorString(), events.first().position, events.first().id, 0};
        return false;
    }
    ProjectionFault f;
    if (!projection.apply(events, *tx, &f)) {
        tx.reset();
        projection.discarded();
        if (f.index > 0) {
            ProjectionFault ignored;
            apply(projection, readStore, events.mid(0, f.index), &ignored);
        }
        *fault = f;
        return false;
    }
    // Fenced: if another engine took the projection over and applied these events meanwhile,
    // the transaction fails instead of applying them a second time. What the batch wrote is
    // derived from the events after the checkpoint it commits with, so the commit need not
    // wait for the disk (a function's emitted events are appended under ids derived from their
    // trigger, and are not appended twice when it runs again).
    const bool checkpointed = tx->setCheckpointAfter(projection.name(), events.last().position, events.first().position)
        && tx->relaxDurability();
    QString error;
    if (!finish(projection, std::move(tx), checkpointed, &error)) {
        *fault = {error, events.last().position, events.last().id, int(events.size() - 1)};
        return false;
    }
    return true;
}

// Writes what a rebuilding projection holds in memory and moves the checkpoint to `folded`,
// in the transaction `tx`.
bool flushBulk(Projection &projection, ReadStore::WriteTransaction &tx, const QString &name, qint64 folded, QString *error)
{
    if (!projection.flushBulk(tx, error))
        return false;
    if (!tx.setCheckpoint(name, folded)) {
        *error = tx.errorString();
        return false;
    }
    return true;
}

// A rebuild's batch: the projection folds it, perhaps only in memory; when it asks to, what it
// holds is written in the same transaction as the checkpoint (*checkpoint is then the last
// event of the batch). On a fault nothing of the batch stays: the projection drops what it
// held, and the events from the checkpoint up to the bad one are replayed and committed, so
// the projection stops exactly at the bad event, as outside a rebuild.
bool applyBulk(Projection &projection, EventStore &store, ReadStore &readStore, const RecordedEvents &events,
               qint64 *checkpoint, ProjectionFault *fault, const BatchDigest *digest)
{
    if (events.isEmpty())
        return true;
    const auto failed = [&](const ProjectionFault &f) {
        projection.discarded();
        if (f.index >= 0) {
            const qint64 upTo = f.index > 0 ? events.at(f.index - 1).position : events.first().position - 1;
            ProjectionFault ignored;
            if (upTo > *checkpoint)
                replayBulk(projection, store, readStore, upTo, checkpoint, &ignored);
        }
        *fault = f;
        return false;
    };
    ProjectionFault f;
    if (!projection.prepare(events, &f))
        return failed(f);
    auto tx = readStore.begin();
    if (!tx)
        return failed({readStore.errorString(), events.first().position, events.first().id, -1});
    if (!projection.applyDigested(events, digest, *tx, &f)) {
        tx.reset();
        return failed(f);
    }
    const bool flush = projection.bulkNeedsFlush();
    QString error;
    const bool flushed = !flush || flushBulk(projection, *tx, projection.name(), events.last().position, &error);
    if (!finish(projection, std::move(tx), flushed, &error)) {
        *fault = {error, events.last().position, events.last().id, -1};
        return false;
    }
    if (flush)
        *checkpoint = events.last().position;
    return true;
}

bool resetForRebuild(Projection &projection, ReadStore &readStore, QString *error)
{
    auto tx = readStore.begin();
    if (!tx) {
        *error = readStore.errorString();
        return false;
    }
    const bool reset = projection.reset(*tx, error) && tx->setCheckpoint(projection.name(), 0);
    return finish(projection, std::move(tx), reset, error);
}

bool finishRebuild(Projection &projection, ReadStore &readStore, qint64 folded, QString *error)
{
    auto tx = readStore.begin();
    if (!tx) {
        *error = readStore.errorString();
        projection.discarded();
        return false;
    }
    const bool ended = flushBulk(projection, *tx, projection.name(), folded, error) && projection.endBulk(*tx, error);
    return finish(projection, std::move(tx), ended, error);
}

bool finish(Projection &projection, std::unique_ptr<ReadStore::WriteTransaction> tx, bool ok, QString *error)
{
    ok = ok && tx->commit();
    if (!ok && error->isEmpty())
        *error = tx->errorString();
    tx.reset();   // rolls back unless committed, and lets go of the write lock
    if (ok)
        projection.committed();
    else
        projection.discarded();
    return ok;
}

namespace {
// Folds (checkpoint, upTo] from the log again and commits it with the checkpoint at upTo.
bool replayBulk(Projection &projection, EventStore &store, ReadStore &readStore, qint64 upTo, qint64 *checkpoint,
                ProjectionFault *fault)
{
    qint64 folded = *checkpoint;
    while (folded < upTo) {
        const RecordedEvents events = store.readAll(folded + 1, int(qMin<qint64>(ProjectionRunner::kCatchUpBatch, upTo - folded)));
        if (events.isEmpty())
            break;
        if (!applyBulk(projection, store, readStore, events, checkpoint, fault))
            return false;
        folded = events.last().position;
    }
    if (*checkpoint == folded)
        return true;
    auto tx = readStore.begin();
    QString error;
    if (!tx) {
        *fault = {readStore.errorString(), folded, QString(), -1};
        projection.discarded();
        return false;
    }
    const bool flushed = flushBulk(projection, *tx, projection.name(), folded, &error);
    if (!finish(projection, std::move(tx), flushed, &error)) {
        *fault = {error, folded, QString(), -1};
        return false;
    }
    *checkpoint = folded;
    return true;
}
} // namespace

} // namespace Gatehouse::ProjectionBatch
