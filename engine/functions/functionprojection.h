#pragma once

#include "functiondefinition.h"
#include "functioninstance.h"
#include "projections/projection.h"
#include "scriptcontext.h"
#include "store/appendrequest.h"
#include "store/appendresult.h"

#include <QJsonObject>
#include <QSet>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace Gatehouse {

class EventStore;
class FunctionStats;
class FunctionWorker;

// A function with event triggers, run by its own ProjectionRunner (name "function:<name>").
//
// Concurrency: prepare() spreads the batch's matching events over up to `concurrency` lanes by
// a hash of their subject, so the events of one subject run in order on one lane and different
// subjects run in parallel. Each lane is a FunctionWorker whose instance starts on the first
// event it gets (a cold start) and is reclaimed when idle. The JavaScript runs there, outside
// the read store's write transaction; apply() then writes every event's upserts in position
// order, in one transaction with the checkpoint (the batch's last position, below which every
// event is done). So a function's upserts and its checkpoint still commit together, and a crash
// re-runs the batch. A lane reads its own earlier writes of the batch (ctx.get), others' once
// they are committed.
//
// Catching up, the next batch's JavaScript runs while this batch's writes are applied and
// committed (prepareAhead): its ctx.get sees the committed documents with this batch's writes
// over them, which is what they are once the commit is done. Nothing of it leaves the lanes
// (emitted events, dead letters, stats) until prepare() of that batch takes it; a lane running
// ahead stops at its first failure and leaves the rest to prepare(). A function whose code
// asks ctx.query (which reads committed documents only) is not run ahead; one seen to ask it
// while running ahead has that work run again, and is not run ahead any more. Every lane,
// ahead or not, also sees the writes prepared for its batch before it (ahead, or before a
// fault) that are not committed yet.
//
// A lane hands its events to its instance all at once (one round trip to a worker process)
// and the instance runs them in order until one fails. A failing event is retried with
// backoff on its lane, alone, before the lane goes on; after the last attempt, or when it is
// older than max_event_age_s, it becomes a dead letter and the projection moves on. Emitted
// events get ids derived from (function, input event, index), so a re-run after a crash cannot
// append them twice (the store refuses a duplicate id).
class FunctionProjection final : public Projection
{
public:
    using DeadLetterSink = std::function<void(const FunctionDefinition &, const RecordedEvent &, const QString &error, int attempts)>;
    // Told, after each commit on the runner's thread, which documents the batch wrote.
    using WritesSink = std::function<void(const QHash<QString, QSet<QString>> &idsByCollection)>;

    FunctionProjection(FunctionDefinition definition, std::shared_ptr<FunctionStats> stats, EventStore *store,
                       ReadStore *readStore, FunctionInstance::Runtime runtime, DeadLetterSink deadLetters, WritesSink writes = {});
    ~FunctionProjection() override;

    static QString projectionName(const QString &function);
    QString name() const override;
    bool prepare(const RecordedEvents &events, ProjectionFault *fault) override;
    bool preparesAhead() const override { return m_runAhead; }
    void prepareAhead(const RecordedEvents &next) override;
    bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) override;
    bool reset(ReadStore::WriteTransaction &tx, QString *error) override;
    void committed() override;
    void discarded() override;

    // Shared with HTTP invocations, intervals and dead-letter replays.
    // `ensured`: collections already created in this transaction.
    static bool applyWrites(const FunctionEffects &effects, ReadStore::WriteTransaction &tx, qint64 position, QString *error,
                            QSet<QString> *ensured = nullptr);
    static bool appendEmits(EventStore *store, const QString &function, const FunctionEffects &effects,
                            const QString &causationId, const QString &correlationId, bool deterministicIds, QString *error);
    static DocumentAccess accessFor(ReadStore *readStore);
    static QString correlationOf(const RecordedEvent &event);
    // (These four are in functionstores.cpp.)

private:
    // One append per emitted event, its id derived from (function, trigger, index) when
    // `deterministicIds`, so that running the trigger again appends nothing new.
    static QList<AppendRequest> emitRequests(const QString &function, const FunctionEffects &effects,
                                             const QString &causationId, const QString &correlationId, bool deterministicIds);
    // Whether an emitted event is in the log (appended now, or before a crash); else why not.
    static bool emitted(const AppendResult &result, const QString &type, QString *error);

    struct LaneResult;
    struct Chunk;
    struct Ahead;
    using Overlay = std::map<std::pair<QString, QString>, std::optional<QJsonObject>>;
    // The batch's events the function wants, by lane; positions prepared before are left out.
    // Events older than max_event_age_s become dead letters, or when `ahead` is set are only
    // left out (prepare() comes to them).
    std::vector<RecordedEvents> spread(const RecordedEvents &events, bool ahead, qint64 now,
                                       const std::set<qint64> &taken = {});
    // The writes prepared for the batch being applied, not committed yet.
    Overlay uncommittedWrites() const;
    // Starts `perLane` on the lanes; each lane's ctx.get sees `overlay` over the read store.
    std::shared_ptr<Ahead> post(std::vector<RecordedEvents> perLane, const Overlay &overlay, bool ahead);
    // Waits for the work started by prepareAhead(), if any, and hands it over; dropAhead()
    // cancels it first.
    std::shared_ptr<Ahead> takeAhead();
    void dropAhead();
    std::set<qint64> takeWorkAhead(const RecordedEvents &events, qint64 now);
    void runLane(FunctionWorker &worker, const RecordedEvents &events, LaneResult &out);
    // The chunk's outcome of one attempt: emits appended, effects kept; false when it failed.
    bool accept(const Chunk &chunk, int attempt, FunctionOutcome &&outcome, LaneResult &out, QString *error);

    FunctionDefinition m_definition;
    std::shared_ptr<FunctionStats> m_stats;
    EventStore *m_store;
    ReadStore *m_readStore;
    FunctionInstance::Runtime m_runtime;
    DeadLetterSink m_deadLetters;
    WritesSink m_writes;
    std::vector<std::unique_ptr<FunctionWorker>> m_lanes;   // created on demand, runner thread
    std::map<qint64, FunctionEffects> m_prepared;           // by position of the (last) event
    qint64 m_preparedUpTo = 0;
    RecordedEvents m_batch;                                 // the batch last prepared
    std::shared_ptr<Ahead> m_ahead;                         // the next batch, started early
    bool m_runAhead;
};

} // namespace Gatehouse
