#include "pgappendplan.h"

#include "eventid.h"

namespace Gatehouse {

namespace {
AppendResult refusal(const AppendRequest &request, AppendResult::Status status, const QString &error)
{
    AppendResult r;
    r.status = status;
    r.stream = request.stream;
    r.error = error;
    return r;
}

bool storable(const QString &text)
{
    return !text.contains(QChar(0));
}
} // namespace

bool PgAppendPlan::storableText(QByteArrayView bytes)
{
    return !bytes.contains('\0') && bytes.isValidUtf8();
}

void PgAppendPlan::collect(const AppendRequest &request)
{
    m_wantedStreams.insert(request.stream.toUtf8());
    if (!request.idempotencyKey.isEmpty())
        m_wantedKeys.insert(request.idempotencyKey.toUtf8());
    for (const NewEvent &e : request.events) {
        if (!e.id.isEmpty())
            m_wantedIds.insert(e.id.toUtf8());
    }
}

void PgAppendPlan::setStreamHead(const QString &stream, qint64 version, const QString &lastType)
{
    m_heads.insert(stream, {version, lastType});
}

void PgAppendPlan::setKey(const QString &key, const QByteArray &requestHash, qint64 firstPosition, qint64 lastPosition,
                          qint64 version, const QString &eventTypes)
{
    m_keys.insert(key, {requestHash, firstPosition, lastPosition, version, eventTypes});
}

void PgAppendPlan::setEventId(const QString &id, const QString &stream, qint64 version, qint64 position)
{
    m_ids.insert(id, {stream, version, position});
}

AppendResult PgAppendPlan::decide(const AppendRequest &request, qint64 timeMs)
{
    if (request.stream.isEmpty() || request.events.isEmpty())
        return refusal(request, AppendResult::InvalidRequest, QStringLiteral("an append needs a stream and at least one event"));
    bool textOk = storable(request.stream) && storable(request.idempotencyKey);
    for (const NewEvent &e : request.events) {
        textOk = textOk && storable(e.id) && storable(e.type) && storableText(e.data) && storableText(e.metadata);
    }
    if (!textOk)
        return refusal(request, AppendResult::InvalidRequest,
                       QStringLiteral("an event's stream, id, type, data or metadata holds a NUL character or invalid UTF-8"));

    if (!request.idempotencyKey.isEmpty()) {
        const auto key = m_keys.constFind(request.idempotencyKey);
        if (key != m_keys.cend()) {
            if (key->hash != request.requestHash)
                return refusal(request, AppendResult::IdempotencyConflict,
                               QStringLiteral("Idempotency-Key was already used with a different request"));
            AppendResult r;
            r.status = AppendResult::Ok;
            r.replayed = true;
            r.stream = request.stream;
            r.firstPosition = key->first;
            r.lastPosition = key->last;
            r.version = key->version;
            r.eventTypes = key->types.split(QLatin1Char(','), Qt::SkipEmptyParts);
            return r;
        }
    }

    AppendResult result;
    result.stream = request.stream;
    if (!request.events.first().id.isEmpty() && replayByEventId(request, result))
        return result;

    const Head head = m_heads.value(request.stream);
    const qint64 current = head.version;
    if (!request.expected.accepts(current)) {
        result.status = AppendResult::WrongExpectedVersion;
        result.currentVersion = current;
        result.error = QStringLiteral("expected version %1 but the stream is at %2")
                           .arg(request.expected.toString(), current < 0 ? QStringLiteral("no_stream") : QString::number(current));
        return result;
    }
    if (request.precondition) {
        QString message;
        if (!request.precondition(current, head.lastType, &message)) {
            result.status = AppendResult::PreconditionFailed;
            result.currentVersion = current;
            result.error = message;
            return result;
        }
    }

    // A given id already in the log (or twice in this request) refuses the whole append, as
    // the unique index does on SQLite.
    QSet<QString> ids;
    for (const NewEvent &e : request.events) {
        if (e.id.isEmpty())
            continue;
        if (m_ids.contains(e.id) || ids.contains(e.id))
            return refusal(request, AppendResult::DuplicateEventId,
                           QStringLiteral("event id %1 is already in the log").arg(e.id));
        ids.insert(e.id);
    }

    const qint64 first = m_lastPosition + 1;
    qint64 version = current;
    for (const NewEvent &ev : request.events) {
        RecordedEvent rec;
        rec.position = ++m_lastPosition;
        rec.stream = request.stream;
        rec.version = ++version;
        rec.id = ev.id.isEmpty() ? EventId::generate() : ev.id;
        rec.type = ev.type;
        rec.data = ev.data.isEmpty() ? QByteArrayLiteral("null") : ev.data;
        rec.metadata = ev.metadata.isEmpty() ? QByteArrayLiteral("{}") : ev.metadata;
        rec.timeMs = timeMs;
        m_ids.insert(rec.id, {rec.stream, rec.version, rec.position});
        result.eventTypes.append(rec.type);
        committed.append(std::move(rec));
    }
    m_heads.insert(request.stream, {version, request.events.last().type});
    result.status = AppendResult::Ok;
    result.firstPosition = first;
    result.lastPosition = m_lastPosition;
    result.version = version;

    if (!request.idempotencyKey.isEmpty()) {
        const QString types = result.eventTypes.join(QLatin1Char(','));
        m_keys.insert(request.idempotencyKey, {request.requestHash, first, m_lastPosition, version, types});
        keyRows.keys.append(request.idempotencyKey.toUtf8());
        keyRows.hashes.append(request.requestHash);
        keyRows.streams.append(request.stream.toUtf8());
        keyRows.types.append(types.toUtf8());
        keyRows.first.append(first);
        keyRows.last.append(m_lastPosition);
        keyRows.versions.append(version);
        keyRows.created.append(timeMs);
    }
    return result;
}

void PgAppendPlan::rebase(qint64 shift, std::vector<AppendResult> *results)
{
    if (shift == 0)
        return;
    for (RecordedEvent &e : committed)
        e.position += shift;
    for (AppendResult &r : *results) {
        if (r.ok() && r.firstPosition > m_readEnd) {
            r.firstPosition += shift;
            r.lastPosition += shift;
        }
    }
    m_readEnd += shift;
    m_lastPosition += shift;
}

// Appending events whose ids are already in the log at the same place is a repeat, not an
// error: answer with where they stand (as EventStoreDB does).
bool PgAppendPlan::replayByEventId(const AppendRequest &request, AppendResult &result) const
{
    const auto first = m_ids.constFind(request.events.first().id);
    if (first == m_ids.cend())
        return false;
    bool samePlace = first->stream == request.stream;
    qint64 lastPosition = first->position;
    for (qsizetype i = 1; samePlace && i < request.events.size(); ++i) {
        const auto other = m_ids.constFind(request.events.at(i).id);
        samePlace = other != m_ids.cend() && other->stream == first->stream && other->version == first->version + i;
        if (samePlace)
            lastPosition = other->position;
    }
    if (!samePlace) {
        result.status = AppendResult::DuplicateEventId;
        result.error = QStringLiteral("event id %1 is already in the log at another place").arg(request.events.first().id);
        return true;
    }
    result.status = AppendResult::Ok;
    result.replayed = true;
    result.firstPosition = first->position;
    result.lastPosition = lastPosition;
    result.version = first->version + request.events.size() - 1;
    for (const NewEvent &e : request.events)
        result.eventTypes.append(e.type);
    return true;
}

} // namespace Gatehouse
