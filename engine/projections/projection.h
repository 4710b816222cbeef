#pragma once

#include "readmodel/readstore.h"
#include "store/recordedevent.h"

#include <QString>

#include <memory>

namespace Gatehouse {

struct ProjectionFault
{
    QString error;
    qint64 position = 0;      // the event that failed
    QString eventId;
    int index = -1;           // its index in the batch
};

// What a projection works out from a batch of events alone (parsed event data), ahead of
// applying it; see Projection::digest().
struct BatchDigest
{
    virtual ~BatchDigest() = default;
};

// A read model derived from the log. A ProjectionRunner feeds it batches of events in
// position order; everything apply() writes commits in the same transaction as the
// projection's checkpoint, so each event takes effect exactly once across crashes.
// apply() and reset() run on the runner's thread.
class Projection
{
public:
    virtual ~Projection() = default;
    virtual QString name() const = 0;
    // Before the batch's transaction opens: slow work that needs no write lock (running a
    // function's JavaScript) goes here, so other projections keep writing meanwhile. It may be
    // called again for events it has already prepared (after a fault); false stops the runner.
    virtual bool prepare(const RecordedEvents &events, ProjectionFault *fault) { Q_UNUSED(events) Q_UNUSED(fault) return true; }
    // While catching up, the runner may read the batch after the current one before it applies
    // and commits the current one, and hand it here (after prepare() of the current batch): a
    // projection whose prepare() is slow may start on it meanwhile, and its prepare() of a batch
    // that starts with these events then takes what was done. Only asked of a projection that
    // says so; on the runner's thread.
    virtual bool preparesAhead() const { return false; }
    virtual void prepareAhead(const RecordedEvents &next) { Q_UNUSED(next) }
    // Returns false and fills `fault` when an event cannot be applied; the transaction is
    // then rolled back.
    virtual bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) = 0;
    // Work on a batch that needs nothing but the events, such as parsing their data. A rebuild
    // reads the log ahead on another thread and calls this there, so it overlaps apply() of the
    // batch before; applyDigested() then receives the result. Must be thread-safe:
    // it may run while apply() runs on the projection's thread.
    virtual std::shared_ptr<const BatchDigest> digest(const RecordedEvents &events) const { Q_UNUSED(events) return nullptr; }
    virtual bool applyDigested(const RecordedEvents &events, const BatchDigest *digest, ReadStore::WriteTransaction &tx,
                               ProjectionFault *fault)
    {
        Q_UNUSED(digest)
        return apply(events, tx, fault);
    }
    // Drops everything this projection wrote (for a rebuild).
    virtual bool reset(ReadStore::WriteTransaction &tx, QString *error) = 0;
    // After the transaction of the last apply() committed / was rolled back.
    virtual void committed() {}
    virtual void discarded() {}
    // A rebuild replays the whole log: a projection may defer work that is cheaper done once
    // at the end (secondary indexes), which endBulk() then does. Between beginBulk() and
    // endBulk() apply() may also keep what it folds in memory instead of writing it: the runner
    // moves the checkpoint only in a transaction where flushBulk() has written everything
    // applied so far, so documents and checkpoint still commit together. It flushes when
    // bulkNeedsFlush() says so (a memory budget) and once more right before endBulk(), in the
    // same transaction. After a rolled-back apply() (discarded()) the runner replays from the
    // checkpoint. A projection that writes in apply() keeps the defaults: every batch commits.
    virtual void beginBulk() {}
    virtual bool bulkNeedsFlush() const { return true; }
    virtual bool flushBulk(ReadStore::WriteTransaction &tx, QString *error) { Q_UNUSED(tx) Q_UNUSED(error) return true; }
    virtual bool endBulk(ReadStore::WriteTransaction &tx, QString *error) { Q_UNUSED(tx) Q_UNUSED(error) return true; }
};

} // namespace Gatehouse
