#include "cloudevent.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

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

QString subjectOf(const RecordedEvent &event)
{
    // collectionOf() without the copy: this runs for every event a projection folds.
    const auto dot = event.type.lastIndexOf(QLatin1Char('.'));
    const QStringView collection = dot < 0 ? QStringView(event.type) : QStringView(event.type).left(dot);
    if (event.stream.size() > collection.size() && QStringView(event.stream).startsWith(collection)
        && event.stream.at(collection.size()) == QLatin1Char('-'))
        return event.stream.mid(collection.size() + 1);
    return event.stream;
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
    // `data` is any JSON value; parse it wrapped so scalars survive too.
    const QJsonDocument wrapped = QJsonDocument::fromJson("[" + event.data + "]");
    ce.insert(QStringLiteral("data"), wrapped.array().isEmpty() ? QJsonValue() : wrapped.array().first());
    for (const char *key : {"correlationid", "causationid"}) {
        const QString k = QString::fromLatin1(key);
        const QJsonValue v = meta.value(k);
        if (v.isString() && !v.toString().isEmpty())
            ce.insert(k, v);
    }
    return ce;
}

QByteArray toJsonBytes(const RecordedEvent &event)
{
    return QJsonDocument(toJson(event)).toJson(QJsonDocument::Compact);
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
