#include "functionprojection.h"

#include "functionstats.h"
#include "scripthost.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QThread>
#include <QUuid>

#include <algorithm>

Q_LOGGING_CATEGORY(lcFunctions, "gatehouse.functions")

namespace Gatehouse {

FunctionProjection::FunctionProjection(FunctionDefinition definition, std::shared_ptr<FunctionStats> stats, EventStore *store,
                                       DeadLetterSink deadLetters)
    : m_definition(std::move(definition))
    , m_stats(std::move(stats))
    , m_store(store)
    , m_deadLetters(std::move(deadLetters))
{
}

FunctionProjection::~FunctionProjection() = default;

QString FunctionProjection::projectionName(const QString &function)
{
    return QStringLiteral("function:") + function;
}

QString FunctionProjection::name() const
{
    return projectionName(m_definition.name);
}

QString FunctionProjection::correlationOf(const RecordedEvent &event)
{
    const QString id = QJsonDocument::fromJson(event.metadata).object().value(QLatin1String("correlationid")).toString();
    return id.isEmpty() ? event.id : id;
}

DocumentReader FunctionProjection::readerFor(ReadStore::WriteTransaction &tx)
{
    return [&tx](const QString &collection, const QString &id) -> std::optional<QJsonObject> {
        if (!tx.ensureCollection(collection, {}))
            return std::nullopt;
        const std::optional<StoredDocument> doc = tx.get(collection, id);
        if (!doc || doc->deleted)
            return std::nullopt;
        return QJsonDocument::fromJson(doc->doc).object();
    };
}

bool FunctionProjection::applyWrites(const FunctionEffects &effects, ReadStore::WriteTransaction &tx, qint64 position, QString *error)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const FunctionEffects::Write &w : effects.writes) {
        bool ok = tx.ensureCollection(w.collection, {});
        if (ok && w.remove) {
            ok = tx.remove(w.collection, w.id);
        } else if (ok) {
            const std::optional<StoredDocument> old = tx.get(w.collection, w.id);
            StoredDocument doc;
            doc.collection = w.collection;
            doc.id = w.id;
            doc.doc = QJsonDocument(w.doc).toJson(QJsonDocument::Compact);
            doc.version = old ? old->version + 1 : 0;
            doc.position = position;
            doc.updatedAtMs = now;
            ok = tx.put(doc);
        }
        if (!ok) {
            *error = tx.errorString();
            return false;
        }
    }
    return true;
}

bool FunctionProjection::appendEmits(EventStore *store, const QString &function, const FunctionEffects &effects,
                                     const QString &causationId, const QString &correlationId, bool deterministicIds, QString *error)
{
    static const QUuid ns = QUuid::fromString(QLatin1String("{6f1c7a52-3d0e-4b8e-9a51-0c2f7d9e4b13}"));
    for (qsizetype i = 0; i < effects.emits.size(); ++i) {
        const FunctionEffects::Emit &e = effects.emits.at(i);
        NewEvent event;
        if (deterministicIds)
            event.id = QUuid::createUuidV5(ns, function + u'/' + causationId + u'/' + QString::number(i)).toString(QUuid::WithoutBraces);
        event.type = e.type;
        event.data = e.data.isObject() ? QJsonDocument(e.data.toObject()).toJson(QJsonDocument::Compact)
                   : e.data.isArray()  ? QJsonDocument(e.data.toArray()).toJson(QJsonDocument::Compact)
                                       : QJsonDocument(QJsonObject{{QStringLiteral("value"), e.data}}).toJson(QJsonDocument::Compact);
        event.metadata = QJsonDocument(QJsonObject{{QStringLiteral("causationid"), causationId},
                                                   {QStringLiteral("correlationid"), correlationId},
                                                   {QStringLiteral("function"), function}})
                             .toJson(QJsonDocument::Compact);
        AppendRequest request;
        request.stream = CloudEvent::streamName(CloudEvent::collectionOf(e.type), e.subject);
        request.events.append(event);
        const AppendResult result = store->appendAndWait(std::move(request));
        if (!result.ok() && result.status != AppendResult::DuplicateEventId) {   // a duplicate: emitted before a crash
            *error = QStringLiteral("ctx.emit(%1): %2").arg(e.type, result.error);
            return false;
        }
    }
    return true;
}

bool FunctionProjection::apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault)
{
    for (qsizetype index = 0; index < events.size(); ++index) {
        const RecordedEvent &event = events.at(index);
        const bool wanted = std::any_of(m_definition.eventTriggers.cbegin(), m_definition.eventTriggers.cend(),
                                        [&](const FunctionEventTrigger &t) { return t.matches(event); });
        if (!wanted)
            continue;
        if (QDateTime::currentMSecsSinceEpoch() - event.timeMs > qint64(m_definition.maxEventAgeS) * 1000) {
            m_deadLetters(m_definition, event, QStringLiteral("older than max_event_age_s (%1 s)").arg(m_definition.maxEventAgeS), 0);
            continue;
        }
        if (!m_host || m_host->version() != m_definition.version) {
            m_host = std::make_unique<ScriptHost>();
            QString error;
            int line = 0;
            if (!m_host->load(m_definition, &error, &line)) {
                m_host.reset();
                m_deadLetters(m_definition, event, error, 0);
                continue;
            }
            m_stats->coldStart(m_host->initUs());
        }
        const QJsonObject input = CloudEvent::toJson(event);
        QString lastError;
        int attempt = 1;
        bool done = false;
        for (; attempt <= m_definition.maxAttempts && !done; ++attempt) {
            if (attempt > 1) {
                m_stats->retried();
                QThread::msleep(ulong(m_definition.retryDelayMs(attempt)));
            }
            ScriptHost::Outcome outcome = m_host->invoke(input, readerFor(tx));
            m_stats->addLogs(outcome.effects.logs);
            if (outcome.ok && !appendEmits(m_store, m_definition.name, outcome.effects, event.id, correlationOf(event), true, &outcome.error))
                outcome.ok = false;
            m_stats->invoked(outcome.durationUs, outcome.ok, outcome.timedOut);
            if (!outcome.ok) {
                lastError = outcome.line > 0 ? QStringLiteral("line %1: %2").arg(outcome.line).arg(outcome.error) : outcome.error;
                qCWarning(lcFunctions).noquote() << m_definition.name << "failed on event" << event.position << "attempt" << attempt << lastError;
                continue;
            }
            QString error;
            if (!applyWrites(outcome.effects, tx, event.position, &error)) {
                *fault = {error, event.position, event.id, int(index)};
                return false;
            }
            done = true;
        }
        if (!done)
            m_deadLetters(m_definition, event, lastError, attempt - 1);
    }
    return true;
}

bool FunctionProjection::reset(ReadStore::WriteTransaction &tx, QString *error)
{
    // The documents a function wrote are not owned by it alone; a rebuild only rewinds the
    // checkpoint (the runner does that) and re-runs the function over the log.
    Q_UNUSED(tx)
    Q_UNUSED(error)
    return true;
}

} // namespace Gatehouse
