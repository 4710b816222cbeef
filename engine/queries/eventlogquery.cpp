#include "eventlogquery.h"

#include "queryworkerpool.h"
#include "readproblem.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QRegularExpression>

#include <limits>

namespace Gatehouse {

namespace {
bool parseInt(const QString &text, qint64 min, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < min || v > max)
        return false;
    *out = v;
    return true;
}
} // namespace

void EventLogQuery::handle(ApiRequest &&request, ApiResponder &&respond) const
{
    auto answer = std::make_shared<ApiResponder>(std::move(respond));
    if (!m_workers->tryStart([this, request = std::move(request), answer] { (*answer)(handle(request)); }))
        (*answer)(ReadProblem::busy(*m_workers));
}

ApiResponse EventLogQuery::handle(const ApiRequest &request) const
{
    qint64 from = 1;
    qint64 before = 0;   // 0: not given
    qint64 limit = kDefaultLimit;
    QString type;
    QString stream;
    for (const auto &[key, value] : request.queryItems()) {
        if (key == QLatin1String("from")) {
            if (!parseInt(value, 0, std::numeric_limits<qint64>::max(), &from))
                return ApiResponse::problem(400, QStringLiteral("from must be a position >= 0, got '%1'").arg(value.left(64)),
                                            QStringLiteral("bad-parameter"));
        } else if (key == QLatin1String("before")) {
            if (!parseInt(value, 1, std::numeric_limits<qint64>::max(), &before))
                return ApiResponse::problem(400, QStringLiteral("before must be a position >= 1, got '%1'").arg(value.left(64)),
                                            QStringLiteral("bad-parameter"));
        } else if (key == QLatin1String("limit")) {
            if (!parseInt(value, 1, kMaxLimit, &limit))
                return ApiResponse::problem(400, QStringLiteral("limit must be 1..%1, got '%2'").arg(kMaxLimit).arg(value.left(64)),
                                            QStringLiteral("bad-parameter"));
        } else if (key == QLatin1String("type")) {
            type = value;
        } else if (key == QLatin1String("stream")) {
            stream = value;
        } else {
            return ApiResponse::problem(400, QStringLiteral("unknown parameter '%1' (known: from, before, type, stream, limit)").arg(key.left(64)),
                                        QStringLiteral("bad-parameter"));
        }
    }
    if (before > 0 && (!stream.isEmpty() || request.hasQueryItem(QStringLiteral("from"))))
        return ApiResponse::problem(400, QStringLiteral("before pages backwards through the whole log; it does not combine with from or stream"),
                                    QStringLiteral("bad-parameter"));
    RecordedEvents events;
    ReadStatus status;
    const int budgetMs = m_budgetMs ? m_budgetMs() : 0;
    if (before > 0) {
        // The page just below `before`, still in ascending order.
        events = m_store->readBackward(before, int(limit), type, &status, budgetMs);
    } else if (!stream.isEmpty()) {
        // One entity's events in stream order; `from` and `type` still apply.
        const RecordedEvents all = m_store->readStream(stream, 0, 100000, &status, budgetMs);
        const QRegularExpression glob = type.isEmpty() ? QRegularExpression()
                                                       : QRegularExpression(QRegularExpression::wildcardToRegularExpression(type));
        for (const RecordedEvent &e : all) {
            if (e.position < from || (!type.isEmpty() && !glob.match(e.type).hasMatch()))
                continue;
            events.append(e);
            if (events.size() >= limit)
                break;
        }
    } else {
        events = m_store->readAll(qMax<qint64>(from, 1), int(limit), type, &status, budgetMs);
    }
    if (!status.ok())
        return ReadProblem::of(status);
    ApiResponse r = ApiResponse::json(200, CloudEvent::batchToJsonBytes(events),
                                      QByteArrayLiteral("application/cloudevents-batch+json"));
    const qint64 head = m_store->headPosition();
    r.setHeader(QByteArrayLiteral("x-head-position"), QByteArray::number(head));
    if (before > 0) {
        // The next page back ends below the first event returned (0 when the log's start is reached).
        const qint64 next = events.isEmpty() ? 0 : (events.first().position > 1 ? events.first().position : 0);
        r.setHeader(QByteArrayLiteral("x-next-before"), QByteArray::number(next));
    } else {
        // Where the next page starts; with nothing returned, the same place (never skip ahead).
        const qint64 next = events.isEmpty() ? qMax<qint64>(from, 1) : events.last().position + 1;
        r.setHeader(QByteArrayLiteral("x-next-from"), QByteArray::number(next));
    }
    return r;
}

} // namespace Gatehouse
