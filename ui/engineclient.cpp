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

EngineStatus EngineStatus::fromJson(const QJsonObject &sample)
{
    const auto integer = [&](const char *key) { return sample.value(QLatin1String(key)).toInteger(); };
    const auto number = [&](const char *key) { return sample.value(QLatin1String(key)).toDouble(); };
    EngineStatus s;
    s.sampledAtMs = integer("sampled_at_ms");
    s.headPosition = integer("head_position");
    s.worstLagProjection = sample.value(QLatin1String("worst_lag_projection")).toString();
    s.worstLagEvents = integer("worst_lag_events");
    s.worstLagMs = integer("worst_lag_ms");
    s.projectionFaults = int(integer("projection_faults"));
    s.mqttEnabled = sample.value(QLatin1String("mqtt_enabled")).toBool();
    s.mqttConnected = sample.value(QLatin1String("mqtt_connected")).toBool();
    s.mqttBroker = sample.value(QLatin1String("mqtt_broker")).toString();
    s.mqttOutboxPosition = integer("mqtt_outbox_position");
    s.mqttOutboxLag = integer("mqtt_outbox_lag");
    s.mqttInFlight = int(integer("mqtt_in_flight"));
    s.mqttCommandsReceived = quint64(integer("mqtt_commands_received"));
    s.httpRequests = number("http_requests");
    s.httpErrors = number("http_errors");
    s.httpRejected = number("http_rejected");
    s.httpP99Ms = number("http_p99_ms");
    s.liveClients = number("live_clients");
    s.mqttPublished = number("mqtt_published");
    s.functionInvocations = number("function_invocations");
    s.functionErrors = number("function_errors");
    s.deadLetters = integer("dead_letters");
    return s;
}

RecordedEvents EngineClient::parseEventBatch(const QByteArray &body)
{
    RecordedEvents out;
    const QJsonArray array = QJsonDocument::fromJson(body).array();
    out.reserve(array.size());
    for (const QJsonValue &v : array)
        out.append(eventFromCloudEvent(v.toObject()));
    return out;
}

RecordedEvent EngineClient::eventFromCloudEvent(const QJsonObject &ce)
{
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
    return e;
}

QByteArray EngineClient::encode(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

} // namespace Gatehouse::Ui
