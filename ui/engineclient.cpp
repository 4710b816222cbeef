#include "engineclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QUrl>

namespace Gatehouse::Ui {

QByteArray ClientReply::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name.compare(lowerCaseName, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QJsonDocument ClientReply::json() const
{
    return QJsonDocument::fromJson(body);
}

QJsonObject ClientReply::object() const
{
    return json().object();
}

QString ClientReply::errorText() const
{
    if (status == 0)
        return error.isEmpty() ? QObject::tr("no answer") : error;
    const QJsonObject problem = object();
    QString text = problem.value(QStringLiteral("detail")).toString();
    if (text.isEmpty())
        text = problem.value(QStringLiteral("title")).toString();
    if (text.isEmpty())
        text = QString::fromUtf8(body.left(200)).trimmed();
    QString line = QString::number(status);
    if (!text.isEmpty())
        line += QStringLiteral(": ") + text;
    for (const QJsonValue &e : problem.value(QStringLiteral("errors")).toArray()) {
        if (e.isString())
            line += QStringLiteral("\n• ") + e.toString();
        else if (e.isObject())
            line += QStringLiteral("\n• ") + QString::fromUtf8(QJsonDocument(e.toObject()).toJson(QJsonDocument::Compact));
    }
    return line;
}

void EngineClient::command(const QString &collection, const QString &id, const QString &name, const QJsonObject &data,
                           QObject *context, ReplyCallback callback)
{
    QByteArray target = "/api/" + encode(collection);
    if (!id.isEmpty())
        target += '/' + encode(id);
    if (!name.isEmpty())
        target += '/' + encode(name);
    request(QByteArrayLiteral("POST"), target, QJsonDocument(data).toJson(QJsonDocument::Compact),
            {{QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")}}, context, std::move(callback));
}

RecordedEvents EngineClient::parseEventBatch(const QByteArray &body)
{
    RecordedEvents out;
    const QJsonArray array = QJsonDocument::fromJson(body).array();
    out.reserve(array.size());
    for (const QJsonValue &v : array) {
        const QJsonObject ce = v.toObject();
        RecordedEvent e;
        e.position = ce.value(QStringLiteral("position")).toInteger();
        e.stream = ce.value(QStringLiteral("stream")).toString();
        e.version = ce.value(QStringLiteral("streamversion")).toInteger();
        e.id = ce.value(QStringLiteral("id")).toString();
        e.type = ce.value(QStringLiteral("type")).toString();
        const QJsonValue data = ce.value(QStringLiteral("data"));
        e.data = data.isObject() ? QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact)
               : data.isArray()  ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact)
                                 : QJsonDocument(QJsonArray{data}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
        QJsonObject meta;
        for (const char *key : {"correlationid", "causationid"}) {
            const QString k = QString::fromLatin1(key);
            if (ce.contains(k))
                meta.insert(k, ce.value(k));
        }
        e.metadata = QJsonDocument(meta).toJson(QJsonDocument::Compact);
        e.timeMs = QDateTime::fromString(ce.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs).toMSecsSinceEpoch();
        out.append(std::move(e));
    }
    return out;
}

QByteArray EngineClient::encode(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

} // namespace Gatehouse::Ui
