#include "cloudevent.h"

#include "config/strictjson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Gatehouse::CloudEvent {

QString collectionOf(const QString &type)
{
    const auto dot = type.lastIndexOf(QLatin1Char('.'));
    return dot < 0 ? type : type.left(dot);
}

QString verbOf(const QString &type)
{
    const auto dot = type.lastIndexOf(QLatin1Char('.'));
    return dot < 0 ? QString() : type.mid(dot + 1);
}

QString streamName(const QString &collection, const QString &id)
{
    return collection + QLatin1Char('-') + id;
}

QStringView subjectViewOf(const RecordedEvent &event)
{
    // collectionOf() without the copy: this runs for every event a projection folds.
    const auto dot = event.type.lastIndexOf(QLatin1Char('.'));
    const QStringView collection = dot < 0 ? QStringView(event.type) : QStringView(event.type).left(dot);
    if (event.stream.size() > collection.size() && QStringView(event.stream).startsWith(collection)
        && event.stream.at(collection.size()) == QLatin1Char('-'))
        return QStringView(event.stream).mid(collection.size() + 1);
    return event.stream;
}

QString subjectOf(const RecordedEvent &event)
{
    const QStringView subject = subjectViewOf(event);
    return subject.size() == event.stream.size() ? event.stream : subject.toString();
}

QJsonObject toJson(const RecordedEvent &event)
{
    const QJsonObject meta = QJsonDocument::fromJson(event.metadata).object();
    QJsonObject ce{
        {QStringLiteral("specversion"), QStringLiteral("1.0")},
        {QStringLiteral("id"), event.id},
        {QStringLiteral("source"), QString(QStringLiteral("/gatehouse/") + collectionOf(event.type))},
        {QStringLiteral("type"), event.type},
        {QStringLiteral("subject"), subjectOf(event)},
        {QStringLiteral("time"), QDateTime::fromMSecsSinceEpoch(event.timeMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {QStringLiteral("datacontenttype"), QStringLiteral("application/json")},
        {QStringLiteral("position"), event.position},
        {QStringLiteral("stream"), event.stream},
        {QStringLiteral("streamversion"), event.version},
    };
    // `data` is any JSON value. Data that is not strict JSON (written by an older version that
    // stored a client's bytes) is passed on losslessly as data_base64 instead.
    if (std::optional<QJsonValue> data = StrictJson::parse(event.data)) {
        ce.insert(QStringLiteral("data"), *data);
    } else {
        ce.insert(QStringLiteral("datacontenttype"), QStringLiteral("application/octet-stream"));
        ce.insert(QStringLiteral("data_base64"), QString::fromLatin1(event.data.toBase64()));
    }
    for (const char *key : {"dataschema", "correlationid", "causationid"}) {
        const QString k = QString::fromLatin1(key);
        const QJsonValue v = meta.value(k);
        if (v.isString() && !v.toString().isEmpty())
            ce.insert(k, v);
    }
    return ce;
}

namespace {

void appendJsonString(QByteArray &out, const QByteArray &utf8)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            switch (c) {
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            }
        } else {
            out += c;   // UTF-8 passes through
        }
    }
    out += '"';
}

void appendJsonString(QByteArray &out, const QString &text)
{
    appendJsonString(out, text.toUtf8());
}

void appendDigits(QByteArray &out, qint64 value, int width)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = char('0' + value % 10);
        value /= 10;
    } while (value > 0 || n < width);
    while (n > 0)
        out += buf[--n];
}

} // namespace

// "2026-11-27T09:19:17.475Z": what QDateTime gives for Qt::ISODateWithMs in UTC, without
// building a QDateTime (days to civil date as in H. Hinnant's algorithm).
void appendTime(QByteArray &out, qint64 ms)
{
    // QDateTime writes no ISO text outside the years 1 to 9999 (and none at all for what it
    // cannot hold); neither does this, which also keeps the arithmetic below from overflowing.
    constexpr qint64 kFirstMs = -62135596800000;   // 0001-01-01T00:00:00.000Z
    constexpr qint64 kLastMs = 253402300799999;    // 9999-12-31T23:59:59.999Z
    if (ms < kFirstMs || ms > kLastMs)
        return;
    qint64 days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    qint64 rest = ms - days * 86400000;
    days += 719468;
    const qint64 era = (days >= 0 ? days : days - 146096) / 146097;
    const qint64 doe = days - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const qint64 day = doy - (153 * mp + 2) / 5 + 1;
    const qint64 month = mp < 10 ? mp + 3 : mp - 9;
    const qint64 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    appendDigits(out, year, 4);
    out += '-';
    appendDigits(out, month, 2);
    out += '-';
    appendDigits(out, day, 2);
    out += 'T';
    appendDigits(out, rest / 3600000, 2);
    rest %= 3600000;
    out += ':';
    appendDigits(out, rest / 60000, 2);
    rest %= 60000;
    out += ':';
    appendDigits(out, rest / 1000, 2);
    out += '.';
    appendDigits(out, rest % 1000, 3);
    out += 'Z';
}

namespace {


// The correlation and causation ids from the stored metadata, without a full parse when the
// metadata is the engine's own compact object.
QByteArray metaString(const QByteArray &metadata, const char *key)
{
    const QByteArray needle = QByteArray("\"") + key + "\":\"";
    const qsizetype at = metadata.indexOf(needle);
    if (at < 0)
        return {};
    const qsizetype start = at + needle.size();
    const qsizetype end = metadata.indexOf('"', start);
    if (end < 0)
        return {};
    const QByteArray value = metadata.mid(start, end - start);
    // Escapes, and bytes outside printable ASCII (which may not even be UTF-8 in a damaged
    // row): leave them to the slow path, which only passes on what parses.
    const bool plain = std::all_of(value.cbegin(), value.cend(), [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; });
    return plain ? value : QByteArray();
}

} // namespace

int schemaVersionOf(const QByteArray &metadata)
{
    const QByteArray schema = metaString(metadata, "dataschema");
    const qsizetype slash = schema.lastIndexOf('/');
    if (slash < 0)
        return 0;
    bool ok = false;
    const int version = schema.mid(slash + 1).toInt(&ok);
    return ok && version > 0 ? version : 0;
}

QByteArray toJsonBytes(const RecordedEvent &event)
{
    const QString collection = collectionOf(event.type);
    const QByteArray dataschema = metaString(event.metadata, "dataschema");
    QByteArray correlation = metaString(event.metadata, "correlationid");
    QByteArray causation = metaString(event.metadata, "causationid");
    if ((correlation.isEmpty() && event.metadata.contains("\"correlationid\""))
        || (causation.isEmpty() && event.metadata.contains("\"causationid\""))) {
        const QJsonObject meta = QJsonDocument::fromJson(event.metadata).object();
        correlation = meta.value(QLatin1String("correlationid")).toString().toUtf8();
        causation = meta.value(QLatin1String("causationid")).toString().toUtf8();
    }
    QByteArray out;
    out.reserve(320 + event.data.size() + event.stream.size() * 2);
    out += "{\"specversion\":\"1.0\",\"id\":";
    appendJsonString(out, event.id);
    out += ",\"source\":";
    appendJsonString(out, QString(QStringLiteral("/gatehouse/") + collection));
    out += ",\"type\":";
    appendJsonString(out, event.type);
    out += ",\"subject\":";
    appendJsonString(out, subjectOf(event));
    out += ",\"time\":\"";
    appendTime(out, event.timeMs);
    if (!dataschema.isEmpty()) {
        out += "\",\"dataschema\":\"";
        out += dataschema;   // plain printable ASCII without quotes or escapes (metaString)
    }
    // The stored data is the compact JSON the command side or a function wrote. Anything else
    // (an older version stored clients' bytes) is passed on losslessly as data_base64, so a
    // batch of events is always valid JSON.
    const bool jsonData = StrictJson::check(event.data);
    out += jsonData ? QByteArrayLiteral("\",\"datacontenttype\":\"application/json\",\"position\":")
                    : QByteArrayLiteral("\",\"datacontenttype\":\"application/octet-stream\",\"position\":");
    out += QByteArray::number(event.position);
    out += ",\"stream\":";
    appendJsonString(out, event.stream);
    out += ",\"streamversion\":";
    out += QByteArray::number(event.version);
    if (!correlation.isEmpty()) {
        out += ",\"correlationid\":";
        appendJsonString(out, correlation);
    }
    if (!causation.isEmpty()) {
        out += ",\"causationid\":";
        appendJsonString(out, causation);
    }
    if (jsonData) {
        out += ",\"data\":";
        out += event.data;
    } else {
        out += ",\"data_base64\":\"";
        out += event.data.toBase64();
        out += '"';
    }
    out += '}';
    return out;
}

QByteArray batchToJsonBytes(const RecordedEvents &events)
{
    QByteArray out;
    out.reserve(events.size() * 400);
    out += '[';
    for (qsizetype i = 0; i < events.size(); ++i) {
        if (i)
            out += ',';
        out += toJsonBytes(events.at(i));
    }
    out += ']';
    return out;
}

} // namespace Gatehouse::CloudEvent
