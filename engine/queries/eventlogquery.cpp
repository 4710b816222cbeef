#include "eventlogquery.h"

#include "store/cloudevent.h"
#include "store/eventstore.h"

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

ApiResponse EventLogQuery::handle(const ApiRequest &request) const
{
    qint64 from = 1;
    qint64 limit = kDefaultLimit;
    QString type;
    for (const auto &[key, value] : request.queryItems()) {
        if (key == QLatin1String("from")) {
            if (!parseInt(value, 0, std::numeric_limits<qint64>::max(), &from))
                return ApiResponse::problem(400, QStringLiteral("from must be a position >= 0, got '%1'").arg(value),
                                            QStringLiteral("bad-parameter"));
        } else if (key == QLatin1String("limit")) {
            if (!parseInt(value, 1, kMaxLimit, &limit))
                return ApiResponse::problem(400, QStringLiteral("limit must be 1..%1, got '%2'").arg(kMaxLimit).arg(value),
                                            QStringLiteral("bad-parameter"));
        } else if (key == QLatin1String("type")) {
            type = value;
        } else {
            return ApiResponse::problem(400, QStringLiteral("unknown parameter '%1' (known: from, type, limit)").arg(key),
                                        QStringLiteral("bad-parameter"));
        }
    }
    const RecordedEvents events = m_store->readAll(qMax<qint64>(from, 1), int(limit), type);
    ApiResponse r = ApiResponse::json(200, CloudEvent::batchToJsonBytes(events),
                                      QByteArrayLiteral("application/cloudevents-batch+json"));
    const qint64 head = m_store->headPosition();
    r.setHeader(QByteArrayLiteral("x-head-position"), QByteArray::number(head));
    // Where the next page starts; with nothing returned, the same place (never skip ahead).
    const qint64 next = events.isEmpty() ? qMax<qint64>(from, 1) : events.last().position + 1;
    r.setHeader(QByteArrayLiteral("x-next-from"), QByteArray::number(next));
    return r;
}

} // namespace Gatehouse
