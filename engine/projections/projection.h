#pragma once

#include "readmodel/readstore.h"
#include "store/recordedevent.h"

#include <QString>

namespace Gatehouse {

struct ProjectionFault
{
    QString error;
    qint64 position = 0;      // the event that failed
    QString eventId;
    int index = -1;           // its index in the batch
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
    // Returns false and fills `fault` when an event cannot be applied; the transaction is
    // then rolled back.
    virtual bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) = 0;
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
