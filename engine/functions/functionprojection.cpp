#include "functionprojection.h"

#include "functionstats.h"
#include "functionworker.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSet>
#include <QLoggingCategory>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <latch>
#include <semaphore>
#include <set>

Q_LOGGING_CATEGORY(lcFunctions, "gatehouse.functions")

namespace Gatehouse {

struct FunctionProjection::LaneResult
{
    std::map<qint64, FunctionEffects> effects;
    // The lane's own writes of this batch, newest last, over any it started with: ctx.get
    // sees them before they commit.
    Overlay overlay;
    bool queried = false;   // the function called ctx.query

    // Run ahead: nothing leaves the lane until prepare() takes the work -- no emitted event
    // appended, no dead letter, no stats; the lane stops at the first failure, and what it did
    // not finish is run by prepare() as usual.
    bool ahead = false;
    const std::atomic<bool> *cancelled = nullptr;
    struct Done
    {
        qint64 position = 0;        // the chunk's last event: its key in `effects`
        QString causationId;        // its first event's id and correlation, for its emits
        QString correlationId;
        FunctionOutcome outcome;    // for the stats, without its effects
    };
    std::vector<Done> done;         // in the order they ran
    std::set<qint64> completed;     // every event of those chunks
};

// Lanes at work on a batch; the lanes count `done` down as they finish.
struct FunctionProjection::Ahead
{
    Ahead(size_t lanes, std::ptrdiff_t busy) : results(lanes), done(busy) {}

    qint64 first = 0;            // the batch's first and last position
    qint64 last = 0;
    std::set<qint64> handedOut;  // positions given to the lanes
    std::vector<LaneResult> results;
    std::atomic<bool> cancelled{false};
    std::latch done;
};

// Events handed to handle() in one call (batch_size of them).
struct FunctionProjection::Chunk
{
    RecordedEvents events;
};

FunctionProjection::FunctionProjection(FunctionDefinition definition, std::shared_ptr<FunctionStats> stats, EventStore *store,
                                       ReadStore *readStore, FunctionInstance::Runtime runtime, DeadLetterSink deadLetters,
                                       WritesSink writes)
    : m_definition(std::move(definition))
    , m_stats(std::move(stats))
    , m_store(store)
    , m_readStore(readStore)
    , m_runtime(std::move(runtime))
    , m_deadLetters(std::move(deadLetters))
    , m_writes(std::move(writes))
    // ctx.query reads committed documents only: run ahead, it would miss the batch before.
    , m_runAhead(!m_definition.code.contains(QLatin1String("query")))
{
}

FunctionProjection::~FunctionProjection()
{
    dropAhead();   // the lanes refer to this object until they are done
}

QString FunctionProjection::projectionName(const QString &function)
{
    return QStringLiteral("function:") + function;
}

QString FunctionProjection::name() const
{
    return projectionName(m_definition.name);
}

namespace {
// Emitted events of work taken from ahead handed to the event store at a time.
constexpr int kEmitWindow = 256;
} // namespace

std::vector<RecordedEvents> FunctionProjection::spread(const RecordedEvents &events, bool ahead, qint64 now,
                                                      const std::set<qint64> &taken)
{
    const int laneCount = m_definition.concurrency;
    std::vector<RecordedEvents> perLane(static_cast<size_t>(laneCount));
    for (const RecordedEvent &event : events) {
        if (event.position <= m_preparedUpTo || taken.count(event.position) || !m_definition.wants(event))
            continue;   // prepared before a fault or ahead, or not for this function
        if (now - event.timeMs > qint64(m_definition.maxEventAgeS) * 1000) {
            if (!ahead)
                m_deadLetters(m_definition, event, QStringLiteral("older than max_event_age_s (%1 s)").arg(m_definition.maxEventAgeS), 0);
            continue;
        }
        const size_t lane = laneCount == 1 ? 0 : size_t(qHash(CloudEvent::subjectOf(event)) % uint(laneCount));
        perLane[lane].append(event);
    }
    return perLane;
}

FunctionProjection::Overlay FunctionProjection::uncommittedWrites() const
{
    // The effects prepared for the batch being applied (m_batch); others kept from before a
    // fault belong to events that are not in it (parked), whose writes will never commit.
    Overlay writes;
    for (const RecordedEvent &event : m_batch) {
        const auto it = m_prepared.find(event.position);
        if (it == m_prepared.end())
            continue;
        for (const FunctionEffects::Write &w : it->second.writes)
            writes[{w.collection, w.id}] = w.remove ? std::nullopt : std::optional<QJsonObject>(w.doc);
    }
    return writes;
}

std::shared_ptr<FunctionProjection::Ahead> FunctionProjection::post(std::vector<RecordedEvents> perLane, const Overlay &overlay, bool ahead)
{
    std::ptrdiff_t busy = 0;
    for (const RecordedEvents &lane : perLane)
        busy += lane.isEmpty() ? 0 : 1;
    if (busy == 0)
        return nullptr;
    if (m_lanes.size() < perLane.size())
        m_lanes.resize(perLane.size());
    auto work = std::make_shared<Ahead>(perLane.size(), busy);
    for (size_t i = 0; i < perLane.size(); ++i) {
        if (perLane[i].isEmpty())
            continue;
        for (const RecordedEvent &event : std::as_const(perLane[i]))
            work->handedOut.insert(event.position);
        LaneResult &result = work->results[i];
        result.overlay = overlay;
        result.ahead = ahead;
        result.cancelled = &work->cancelled;
        if (!m_lanes[i])
            m_lanes[i] = std::make_unique<FunctionWorker>(m_definition.name, m_runtime);
        if (!ahead)
            m_stats->queued(perLane[i].size());
        m_lanes[i]->post([this, events = std::move(perLane[i]), work, i](FunctionWorker &worker) {
            runLane(worker, events, work->results[i]);
            work->done.count_down();
        });
    }
    return work;
}

std::shared_ptr<FunctionProjection::Ahead> FunctionProjection::takeAhead()
{
    if (m_ahead)
        m_ahead->done.wait();
    return std::exchange(m_ahead, nullptr);
}

void FunctionProjection::dropAhead()
{
    if (m_ahead)
        m_ahead->cancelled = true;   // the lanes stop after the call they are in
    takeAhead();
}

void FunctionProjection::prepareAhead(const RecordedEvents &next)
{
    dropAhead();
    if (!m_runAhead || next.isEmpty())
        return;
    // ctx.get sees what the store will hold once the batch being committed now is.
    m_ahead = post(spread(next, true, QDateTime::currentMSecsSinceEpoch()), uncommittedWrites(), true);
    if (m_ahead) {
        m_ahead->first = next.first().position;
        m_ahead->last = next.last().position;
    }
}

// What the lanes did ahead, if it is for this batch: its effects join m_prepared, its emitted
// events are appended and its stats counted now, and the positions it finished are returned.
std::set<qint64> FunctionProjection::takeWorkAhead(const RecordedEvents &events, qint64 now)
{
    if (m_ahead && (events.isEmpty() || events.first().position != m_ahead->first))
        dropAhead();   // not the batch it ran ahead on (a fault's shorter batch, a retry)
    const std::shared_ptr<Ahead> ahead = takeAhead();
    if (!ahead)
        return {};
    // Taken when this batch starts where the work ahead did and holds the same events up to
    // its end (parking an event meanwhile changes them); else it is run again.
    std::set<qint64> wanted;   // as the work ahead chose them; those too old are left to spread()
    for (const RecordedEvent &event : events) {
        if (event.position <= ahead->last && event.position > m_preparedUpTo && m_definition.wants(event)
            && now - event.timeMs <= qint64(m_definition.maxEventAgeS) * 1000)
            wanted.insert(event.position);
    }
    bool queried = false;
    for (const LaneResult &r : ahead->results)
        queried = queried || r.queried;
    if (queried) {
        m_runAhead = false;
        qCInfo(lcFunctions) << m_definition.name << "asks ctx.query: its batches are not run ahead any more";
        return {};
    }
    if (wanted != ahead->handedOut)
        return {};
    // The emitted events first, in the order of their triggers, up to kEmitWindow handed to the
    // store at a time (they share its group commits; the window leaves room in its queue for
    // everyone else). If one cannot be appended, no more are handed over, nothing is taken and
    // the batch runs as usual, its failing trigger retried: those appended already are not
    // appended twice (their ids derive from their trigger), but up to a window of them, of
    // later triggers, may then precede the failing trigger's.
    std::vector<std::pair<const LaneResult::Done *, const FunctionEffects *>> done;
    for (const LaneResult &r : ahead->results) {
        for (const LaneResult::Done &d : r.done)
            done.emplace_back(&d, &r.effects.at(d.position));
    }
    std::sort(done.begin(), done.end(), [](const auto &a, const auto &b) { return a.first->position < b.first->position; });
    QList<std::pair<AppendRequest, QString>> emits;   // with the emitted type
    for (const auto &[d, effects] : done) {
        QList<AppendRequest> requests = emitRequests(m_definition.name, *effects, d->causationId, d->correlationId, true);
        for (qsizetype i = 0; i < requests.size(); ++i)
            emits.append({std::move(requests[i]), effects->emits.at(i).type});
    }
    if (!emits.isEmpty()) {
        std::vector<AppendResult> results(size_t(emits.size()));
        std::counting_semaphore<kEmitWindow> window(kEmitWindow);
        std::atomic<bool> refused{false};
        qsizetype handed = 0;
        for (; handed < emits.size() && !refused.load(); ++handed) {
            window.acquire();
            const qsizetype i = handed;
            m_store->append(std::move(emits[i].first), [&results, &window, &refused, i](const AppendResult &result) {
                results[size_t(i)] = result;
                if (!result.ok() && result.status != AppendResult::DuplicateEventId)
                    refused = true;
                window.release();
            });
        }
        for (int i = 0; i < kEmitWindow; ++i)
            window.acquire();   // every one handed over is answered
        for (qsizetype i = 0; i < handed; ++i) {
            QString error;
            if (!emitted(results[size_t(i)], emits.at(i).second, &error)) {
                qCWarning(lcFunctions).noquote() << m_definition.name << error << "- running the batch's events again";
                return {};
            }
        }
    }
    std::set<qint64> taken;
    for (LaneResult &r : ahead->results) {
        for (const LaneResult::Done &d : r.done) {
            m_stats->addLogs(r.effects.at(d.position).logs);
            m_stats->record(d.outcome);
        }
        m_prepared.merge(r.effects);
        taken.merge(r.completed);
    }
    return taken;
}

bool FunctionProjection::prepare(const RecordedEvents &events, ProjectionFault *fault)
{
    Q_UNUSED(fault)
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_batch = events;
    const std::set<qint64> taken = takeWorkAhead(events, now);
    std::vector<RecordedEvents> perLane = spread(events, false, now, taken);
    if (!events.isEmpty())
        m_preparedUpTo = qMax(m_preparedUpTo, events.last().position);
    // The rest sees the writes prepared for this batch so far (ahead, or before a fault).
    if (const std::shared_ptr<Ahead> work = post(std::move(perLane), uncommittedWrites(), false)) {
        work->done.wait();
        for (LaneResult &r : work->results)
            m_prepared.merge(r.effects);
    }
    return true;
}

bool FunctionProjection::accept(const Chunk &chunk, int attempt, FunctionOutcome &&outcome, LaneResult &out, QString *error)
{
    const RecordedEvent &first = chunk.events.first();
    if (out.ahead) {
        if (!outcome.ok)
            return false;   // prepare() runs it again, as usual
        LaneResult::Done done{chunk.events.last().position, first.id, correlationOf(first), {}};
        for (const RecordedEvent &e : chunk.events)
            out.completed.insert(e.position);
        for (const FunctionEffects::Write &w : outcome.effects.writes)
            out.overlay[{w.collection, w.id}] = w.remove ? std::nullopt : std::optional<QJsonObject>(w.doc);
        out.effects[done.position] = std::exchange(outcome.effects, {});
        done.outcome = std::move(outcome);
        out.done.push_back(std::move(done));
        return true;
    }
    m_stats->addLogs(outcome.effects.logs);
    if (outcome.ok && !appendEmits(m_store, m_definition.name, outcome.effects, first.id, correlationOf(first), true, &outcome.error))
        outcome.ok = false;
    m_stats->record(outcome);
    if (!outcome.ok) {
        *error = outcome.describe();
        qCWarning(lcFunctions).noquote() << m_definition.name << "failed on event" << first.position << "attempt" << attempt << *error;
        return false;
    }
    for (const FunctionEffects::Write &w : outcome.effects.writes)
        out.overlay[{w.collection, w.id}] = w.remove ? std::nullopt : std::optional<QJsonObject>(w.doc);
    out.effects[chunk.events.last().position] = std::move(outcome.effects);
    return true;
}

void FunctionProjection::runLane(FunctionWorker &worker, const RecordedEvents &events, LaneResult &out)
{
    if (out.cancelled && out.cancelled->load())
        return;   // run ahead for a function that is gone or for work no longer wanted
    DocumentAccess access = accessFor(m_readStore);
    access.get = [&overlay = out.overlay, committed = access.get](const QString &collection, const QString &id) -> std::optional<QJsonObject> {
        const auto it = overlay.find({collection, id});
        return it != overlay.end() ? it->second : committed(collection, id);
    };
    access.query = [&queried = out.queried, committed = access.query](const QString &collection, const QJsonObject &filter,
                                                                     QJsonArray *items, QString *error) {
        queried = true;
        return committed(collection, filter, items, error);
    };
    const int size = m_definition.batchSize;
    QList<Chunk> chunks;
    for (qsizetype start = 0; start < events.size(); start += size) {
        chunks.append(Chunk{events.mid(start, size)});
    }
    const bool batched = size != 1;
    for (qsizetype next = 0; next < chunks.size();) {
        // First attempts of the remaining chunks in one go, until one fails.
        QList<RecordedEvents> inputs;
        for (qsizetype i = next; i < chunks.size(); ++i)
            inputs.append(chunks.at(i).events);
        qsizetype failed = -1;
        QString lastError;
        if (!worker.ensureHost(m_definition, m_stats, &lastError)) {
            if (!out.ahead)
                m_stats->invoked(0, false, false);
            failed = next;
        } else {
            qsizetype done = next;
            worker.host()->invokeEvents(inputs, batched, access, [&](qsizetype index, FunctionOutcome &&outcome) {
                const qsizetype c = next + index;
                if (!accept(chunks.at(c), 1, std::move(outcome), out, &lastError)) {
                    failed = c;
                    return false;
                }
                if (!out.ahead)
                    m_stats->dequeued(chunks.at(c).events.size());
                done = c + 1;
                return !(out.cancelled && out.cancelled->load());
            });
            worker.dropHostIfUnusable();
            if (failed < 0 && done < chunks.size())
                failed = done;   // not run: the instance stopped without saying why (or cancelled)
        }
        if (failed < 0 || out.ahead)
            break;   // done; or ahead, where a failure is left to prepare()
        // The failed chunk alone, with backoff, before the lane goes on (its subjects keep order).
        const Chunk &chunk = chunks.at(failed);
        int attempt = 2;
        bool ok = false;
        for (; attempt <= m_definition.maxAttempts && !ok; ++attempt) {
            m_stats->retried();
            QThread::msleep(ulong(m_definition.retryDelayMs(attempt)));
            FunctionOutcome outcome;
            if (!worker.ensureHost(m_definition, m_stats, &outcome.error)) {
                lastError = outcome.error;
                m_stats->invoked(0, false, false);
                continue;
            }
            outcome.error = QStringLiteral("the function was not called");
            worker.host()->invokeEvents({chunk.events}, batched, access, [&outcome](qsizetype, FunctionOutcome &&result) {
                outcome = std::move(result);
                return true;
            });
            worker.dropHostIfUnusable();
            ok = accept(chunk, attempt, std::move(outcome), out, &lastError);
        }
        if (!ok) {
            for (const RecordedEvent &e : chunk.events)
                m_deadLetters(m_definition, e, lastError, attempt - 1);
        }
        m_stats->dequeued(chunk.events.size());
        next = failed + 1;
    }
}

bool FunctionProjection::apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault)
{
    QSet<QString> ensured;
    for (qsizetype index = 0; index < events.size(); ++index) {
        const RecordedEvent &event = events.at(index);
        const auto it = m_prepared.find(event.position);
        if (it == m_prepared.end())
            continue;
        QString error;
        if (!applyWrites(it->second, tx, event.position, &error, &ensured)) {
            *fault = {error, event.position, event.id, int(index)};
            return false;
        }
    }
    return true;
}

void FunctionProjection::discarded()
{
    // The batch did not commit (a fault, a storage failure): the work ahead saw its writes.
    dropAhead();
}

void FunctionProjection::committed()
{
    if (m_writes) {
        QHash<QString, QSet<QString>> written;
        for (const auto &[position, effects] : m_prepared) {
            for (const FunctionEffects::Write &w : effects.writes)
                written[w.collection].insert(w.id);
        }
        if (!written.isEmpty())
            m_writes(written);
    }
    m_prepared.clear();
    m_preparedUpTo = 0;
}

bool FunctionProjection::reset(ReadStore::WriteTransaction &tx, QString *error)
{
    // The documents a function wrote are not owned by it alone; a rebuild only rewinds the
    // checkpoint (the runner does that) and re-runs the function over the log.
    Q_UNUSED(tx)
    Q_UNUSED(error)
    dropAhead();
    m_prepared.clear();
    m_preparedUpTo = 0;
    return true;
}

} // namespace Gatehouse
