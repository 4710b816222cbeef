#include "eventlogquery.h"

#include "base/sqliteglob.h"
#include "config/ecmaregex.h"
#include "queryworkerpool.h"
#include "readproblem.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QDateTime>
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

// Milliseconds since the epoch, or an RFC 3339 date-time with a zone (Z or +hh:mm).
bool parseTime(const QString &text, qint64 *out)
{
    if (!text.isEmpty() && text.size() <= 16 && std::all_of(text.begin(), text.end(), [](QChar c) { return c.isDigit(); }))
        return parseInt(text, 0, std::numeric_limits<qint64>::max() / 2, out);
    static const QRegularExpression rfc3339(QStringLiteral(
        R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$)"));
    if (text.size() > 40 || !rfc3339.match(text).hasMatch())
        return false;
    QString normal = text;
    normal[10] = u'T';
    if (normal.endsWith(u'z'))
        normal.back() = u'Z';
    // Qt reads at most milliseconds: finer digits are cut.
    static const QRegularExpression fraction(QStringLiteral(R"(\.(\d{1,3})\d*)"));
    normal.replace(fraction, QStringLiteral(".\\1"));
    const QDateTime t = QDateTime::fromString(normal, Qt::ISODateWithMs);
    if (!t.isValid())
        return false;
    *out = t.toMSecsSinceEpoch();
    return true;
}

// What a search keeps, besides the type glob the store applies.
struct SearchFilter
{
    QString type;                 // a glob (SqliteGlob), applied here, not by the store, while searching (bounded scans)
    QRegularExpression subject;   // invalid: any
    qint64 since = -1;            // ms; -1: no bound
    qint64 until = -1;
    QString text;

    bool active() const { return !subject.pattern().isEmpty() || since >= 0 || until >= 0 || !text.isEmpty(); }
    bool matches(const RecordedEvent &e) const
    {
        if (since >= 0 && e.timeMs < since)
            return false;
        if (until >= 0 && e.timeMs >= until)
            return false;
        if (!type.isEmpty() && !SqliteGlob::match(type, e.type))
            return false;
        const bool needSubject = !subject.pattern().isEmpty() || !text.isEmpty();
        const QString subjectText = needSubject ? CloudEvent::subjectOf(e) : QString();
        if (!subject.pattern().isEmpty() && !subject.match(subjectText).hasMatch())
            return false;
        if (!text.isEmpty() && !e.type.contains(text, Qt::CaseInsensitive) && !subjectText.contains(text, Qt::CaseInsensitive)
            && !QString::fromUtf8(e.data).contains(text, Qt::CaseInsensitive))
            return false;
        return true;
    }
};
} // namespace

void EventLogQuery::handle(ApiRequest &&request, ApiResponder &&respond) const
{
    auto answer = std::make_shared<ApiResponder>(std::move(respond));
    if (!m_workers->tryStart([this, request = std::move(request), answer] { (*answer)(handle(request)); }))
        (*answer)(ReadProblem::busy(*m_workers));
}

qint64 EventLogQuery::firstAtOrAfter(qint64 timeMs, qint64 head, ReadStatus *status, int budgetMs) const
{
    // Bisects positions 1..head+1 by the time of the event there.
    qint64 lo = 1;
    qint64 hi = head + 1;
    while (lo < hi && status->ok()) {
        const qint64 mid = lo + (hi - lo) / 2;
        const RecordedEvents at = m_store->readAll(mid, 1, {}, status, budgetMs);
        if (at.isEmpty() || at.first().timeMs >= timeMs)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

ApiResponse EventLogQuery::handle(const ApiRequest &request) const
{
    qint64 from = 1;
    qint64 before = 0;   // 0: not given
    qint64 limit = kDefaultLimit;
    QString type;
    QString stream;
    SearchFilter filter;
    const auto bad = [](const QString &detail) { return ApiResponse::problem(400, detail, QStringLiteral("bad-parameter")); };
    if (QString error; !request.checkQuery(&error))
        return ApiResponse::problem(400, error, QStringLiteral("bad-parameter"));
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
            if (value.size() > kMaxTextLength)
                return bad(QStringLiteral("type is a glob of at most %1 characters").arg(kMaxTextLength));
            type = value;
        } else if (key == QLatin1String("stream")) {
            stream = value;
        } else if (key == QLatin1String("subject")) {
            if (value.isEmpty() || value.size() > kMaxTextLength)
                return bad(QStringLiteral("subject is a glob of 1 to %1 characters").arg(kMaxTextLength));
            // Without regard to case, as the console's filter of its rows.
            filter.subject = QRegularExpression(EcmaRegex::withMatchLimit(QRegularExpression::wildcardToRegularExpression(value)), QRegularExpression::CaseInsensitiveOption);
            if (!filter.subject.isValid())
                return bad(QStringLiteral("subject is not a valid glob: '%1'").arg(value.left(64)));
        } else if (key == QLatin1String("since") || key == QLatin1String("until")) {
            qint64 ms = 0;
            if (!parseTime(value, &ms))
                return bad(QStringLiteral("%1 must be an RFC 3339 date-time (2026-12-06T10:00:00Z) or milliseconds since the epoch, got '%2'")
                               .arg(key, value.left(64)));
            (key == QLatin1String("since") ? filter.since : filter.until) = ms;
        } else if (key == QLatin1String("q")) {
            if (value.trimmed().isEmpty() || value.size() > kMaxTextLength)
                return bad(QStringLiteral("q is a text of 1 to %1 characters").arg(kMaxTextLength));
            filter.text = value;
        } else {
            return bad(QStringLiteral("unknown parameter '%1' (known: from, before, type, stream, subject, since, until, q, limit)").arg(key.left(64)));
        }
    }
    if (filter.since >= 0 && filter.until >= 0 && filter.since >= filter.until)
        return bad(QStringLiteral("since must be before until"));
    if (before > 0 && (!stream.isEmpty() || request.hasQueryItem(QStringLiteral("from"))))
        return ApiResponse::problem(400, QStringLiteral("before pages backwards through the whole log; it does not combine with from or stream"),
                                    QStringLiteral("bad-parameter"));
    RecordedEvents events;
    ReadStatus status;
    const int budgetMs = m_budgetMs ? m_budgetMs() : 0;
    const bool searching = filter.active();
    // A search reads the log without the type glob and applies it here: the store's filtered
    // read could scan the whole log for a rare type in one statement, past the bound.
    const QString storeType = searching ? QString() : type;
    if (searching)
        filter.type = type;   // the same GLOB the store applies
    const qint64 head = m_store->headPosition();
    bool complete = false;   // a search reached the head (or the start of the log)
    qint64 next = 0;         // where the next request goes on
    if (!stream.isEmpty()) {
        // One entity's events in stream order; `from`, `type` and the filters still apply.
        const RecordedEvents all = m_store->readStream(stream, 0, 100000, &status, budgetMs);
        for (const RecordedEvent &e : all) {
            if (e.position < from || (!type.isEmpty() && !SqliteGlob::match(type, e.type)) || (searching && !filter.matches(e)))
                continue;
            events.append(e);
            if (events.size() >= limit)
                break;
        }
        next = events.isEmpty() ? qMax<qint64>(from, 1) : events.last().position + 1;
        complete = true;
    } else if (before > 0) {
        // The page just below `before`, still in ascending order.
        if (!searching) {
            events = m_store->readBackward(before, int(limit), type, &status, budgetMs);
            next = events.isEmpty() ? 0 : (events.first().position > 1 ? events.first().position : 0);
        } else {
            qint64 end = qMin(before, head + 1);   // exclusive
            if (filter.until >= 0)
                end = qMin(end, firstAtOrAfter(filter.until, head, &status, budgetMs));
            qint64 scanned = 0;
            RecordedEvents found;   // newest first
            while (status.ok() && end > 1 && scanned < kMaxScan && found.size() < limit) {
                const int chunk = int(qMin<qint64>(kMaxLimit, kMaxScan - scanned));
                const RecordedEvents page = m_store->readBackward(end, chunk, storeType, &status, budgetMs);
                if (!status.ok())
                    break;
                // Examined: every position from the page's first event to end; an empty page means
                // nothing below end.
                scanned += qMax<qint64>(page.size(), page.isEmpty() ? 0 : end - page.first().position);
                if (page.isEmpty()) {
                    end = 1;
                    break;
                }
                qint64 i = page.size() - 1;
                for (; i >= 0 && found.size() < limit; --i) {
                    if (filter.since >= 0 && page.at(i).timeMs < filter.since) {
                        end = 1;   // older than since from here on
                        break;
                    }
                    if (filter.matches(page.at(i)))
                        found.append(page.at(i));
                }
                if (end == 1)
                    break;
                end = i >= 0 ? page.at(i + 1).position : page.first().position;
                if (page.size() < chunk && i < 0)
                    end = 1;   // the store had nothing more
            }
            events = RecordedEvents(found.crbegin(), found.crend());
            complete = end <= 1;
            next = complete ? 0 : end;
        }
    } else if (!searching) {
        events = m_store->readAll(qMax<qint64>(from, 1), int(limit), type, &status, budgetMs);
        next = events.isEmpty() ? qMax<qint64>(from, 1) : events.last().position + 1;
    } else {
        qint64 start = qMax<qint64>(from, 1);
        if (filter.since >= 0 && !request.hasQueryItem(QStringLiteral("from")))
            start = firstAtOrAfter(filter.since, head, &status, budgetMs);
        qint64 scanned = 0;
        while (status.ok() && start <= head && scanned < kMaxScan && events.size() < limit) {
            const int chunk = int(qMin<qint64>(kMaxLimit, kMaxScan - scanned));
            const RecordedEvents page = m_store->readAll(start, chunk, storeType, &status, budgetMs);
            if (!status.ok())
                break;
            if (page.isEmpty()) {
                start = head + 1;
                break;
            }
            scanned += qMax<qint64>(page.size(), page.last().position - start + 1);
            qsizetype i = 0;
            bool pastUntil = false;
            for (; i < page.size() && events.size() < limit; ++i) {
                if (filter.until >= 0 && page.at(i).timeMs >= filter.until) {
                    pastUntil = true;
                    break;
                }
                if (filter.matches(page.at(i)))
                    events.append(page.at(i));
            }
            if (pastUntil) {
                start = head + 1;   // nothing later can match
                break;
            }
            start = i < page.size() ? page.at(i).position : page.last().position + 1;
            if (page.size() < chunk && i >= page.size())
                start = qMax(head + 1, start);   // the store had nothing more (events appended since head was read: next time)
        }
        complete = start > head;
        next = complete ? qMax(start, head + 1) : start;
    }
    if (!status.ok())
        return ReadProblem::of(status);
    ApiResponse r = ApiResponse::json(200, CloudEvent::batchToJsonBytes(events),
                                      QByteArrayLiteral("application/cloudevents-batch+json"));
    r.setHeader(QByteArrayLiteral("x-head-position"), QByteArray::number(head));
    // Backward: the next page ends below this one (0 at the log's start). Forward: it starts
    // after it; with nothing returned and no search, the same place (never skip ahead).
    r.setHeader(before > 0 ? QByteArrayLiteral("x-next-before") : QByteArrayLiteral("x-next-from"), QByteArray::number(next));
    if (searching)
        r.setHeader(QByteArrayLiteral("x-scan-complete"), complete ? QByteArrayLiteral("true") : QByteArrayLiteral("false"));
    return r;
}

} // namespace Gatehouse
