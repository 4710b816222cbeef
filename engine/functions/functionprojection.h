#pragma once

#include "functiondefinition.h"
#include "projections/projection.h"
#include "scriptcontext.h"

#include <QJsonObject>

#include <functional>
#include <memory>

namespace Gatehouse {

class EventStore;
class FunctionStats;
class ScriptHost;

// A function with event triggers, run by its own ProjectionRunner (name "function:<name>"):
// the documents it upserts and the checkpoint commit in one read-store transaction, so each
// event takes effect once. A failing event is retried with backoff on the runner's thread; after
// the last attempt, or when it is older than max_event_age_s, it becomes a dead letter and the
// projection moves on. Emitted events get ids derived from (function, input event, index), so a
// replay after a crash cannot append them twice (the store refuses a duplicate id).
class FunctionProjection final : public Projection
{
public:
    using DeadLetterSink = std::function<void(const FunctionDefinition &, const RecordedEvent &, const QString &error, int attempts)>;

    FunctionProjection(FunctionDefinition definition, std::shared_ptr<FunctionStats> stats, EventStore *store,
                       DeadLetterSink deadLetters);
    ~FunctionProjection() override;

    static QString projectionName(const QString &function);
    QString name() const override;
    bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) override;
    bool reset(ReadStore::WriteTransaction &tx, QString *error) override;

    // Shared with HTTP invocations and dead-letter replays.
    static bool applyWrites(const FunctionEffects &effects, ReadStore::WriteTransaction &tx, qint64 position, QString *error);
    static bool appendEmits(EventStore *store, const QString &function, const FunctionEffects &effects,
                            const QString &causationId, const QString &correlationId, bool deterministicIds, QString *error);
    static DocumentReader readerFor(ReadStore::WriteTransaction &tx);
    static QString correlationOf(const RecordedEvent &event);

private:
    FunctionDefinition m_definition;
    std::shared_ptr<FunctionStats> m_stats;
    EventStore *m_store;
    DeadLetterSink m_deadLetters;
    std::unique_ptr<ScriptHost> m_host;   // created on the runner's thread at the first event
};

} // namespace Gatehouse
