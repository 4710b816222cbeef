#include "apidescription.h"

#include "apidescription_p.h"

#include <QUrl>

namespace Gatehouse::ApiDescription {

using namespace Qt::StringLiterals;

namespace {
const QJsonObject kInteger = Detail::schemaOfType("integer");
const QJsonObject kString = Detail::schemaOfType("string");
} // namespace

QJsonObject asyncApi(const QList<Collection> &collections, const Context &context)
{
    QJsonObject servers;
    QJsonObject channels;
    QJsonObject operations;
    QJsonObject messages;
    QJsonObject schemas;
    schemas.insert(u"CloudEvent"_s, QJsonObject{
        {u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"specversion"_s, u"id"_s, u"source"_s, u"type"_s}},
        {u"properties"_s, QJsonObject{{u"specversion"_s, QJsonObject{{u"const"_s, u"1.0"_s}}}, {u"id"_s, kString}, {u"source"_s, kString},
                                      {u"type"_s, kString}, {u"subject"_s, kString}, {u"time"_s, kString}, {u"data"_s, QJsonObject()},
                                      {u"position"_s, kInteger}, {u"stream"_s, kString}, {u"streamversion"_s, kInteger}}}});
    schemas.insert(u"Reply"_s, QJsonObject{{u"type"_s, u"object"_s},
                                           {u"description"_s, u"The HTTP 202 body (id, stream, version, position, events), or a problem document."_s}});
    const QJsonObject schemaRef{{u"$ref"_s, u"#/components/schemas/CloudEvent"_s}};

    const QUrl gateway(context.gatewayUrl);
    if (gateway.isValid() && !gateway.host().isEmpty()) {
        const bool tls = gateway.scheme() == u"https"_s;
        servers.insert(u"websocket"_s, QJsonObject{{u"host"_s, QString(gateway.host() + u':' + QString::number(gateway.port(tls ? 443 : 80)))},
                                                  {u"protocol"_s, tls ? u"wss"_s : u"ws"_s},
                                                  {u"description"_s, u"The gateway's WebSocket endpoint (its route's plugins apply)."_s}});
        QJsonObject wsMessages;
        const auto message = [&](const QString &name, const QString &summary, const QJsonObject &payload) {
            messages.insert(name, QJsonObject{{u"name"_s, name}, {u"summary"_s, summary}, {u"contentType"_s, u"application/json"_s}, {u"payload"_s, payload}});
            wsMessages.insert(name, QJsonObject{{u"$ref"_s, QString(u"#/components/messages/"_s + name)}});
        };
        const QJsonObject op{{u"type"_s, u"string"_s}};
        message(u"wsSubscribe"_s, u"Subscribe to the log from a position (or \"live\"), optionally filtered"_s,
                QJsonObject{{u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"op"_s}},
                            {u"properties"_s, QJsonObject{{u"op"_s, QJsonObject{{u"const"_s, u"subscribe"_s}}}, {u"id"_s, kString},
                                                          {u"from"_s, QJsonObject{{u"oneOf"_s, QJsonArray{kInteger, QJsonObject{{u"const"_s, u"live"_s}}}}}},
                                                          {u"filter"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}});
        message(u"wsCommand"_s, u"A command, answered by a result with its request_id"_s,
                QJsonObject{{u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"op"_s, u"collection"_s}},
                            {u"properties"_s, QJsonObject{{u"op"_s, QJsonObject{{u"const"_s, u"command"_s}}}, {u"collection"_s, kString}, {u"id"_s, kString},
                                                          {u"command"_s, kString}, {u"data"_s, QJsonObject{{u"type"_s, u"object"_s}}}, {u"request_id"_s, kString}}}});
        message(u"wsEvent"_s, u"An event of a subscription"_s,
                QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject{{u"op"_s, QJsonObject{{u"const"_s, u"event"_s}}}, {u"id"_s, kString}, {u"event"_s, schemaRef}}}});
        message(u"wsResult"_s, u"The outcome of a command"_s,
                QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject{{u"op"_s, QJsonObject{{u"const"_s, u"result"_s}}}, {u"request_id"_s, kString},
                                                                                    {u"status"_s, kInteger}}}});
        message(u"wsNotice"_s, u"Acknowledgements and errors (subscribed, unsubscribed, error)"_s,
                QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject{{u"op"_s, op}}}});
        channels.insert(u"ws"_s, QJsonObject{{u"address"_s, u"/ws"_s}, {u"servers"_s, QJsonArray{QJsonObject{{u"$ref"_s, u"#/servers/websocket"_s}}}},
                                             {u"messages"_s, wsMessages}});
        operations.insert(u"receiveWsRequests"_s, QJsonObject{{u"action"_s, u"receive"_s}, {u"channel"_s, QJsonObject{{u"$ref"_s, u"#/channels/ws"_s}}},
                                                             {u"summary"_s, u"Subscriptions and commands from clients"_s},
                                                             {u"messages"_s, QJsonArray{QJsonObject{{u"$ref"_s, u"#/channels/ws/messages/wsSubscribe"_s}},
                                                                                        QJsonObject{{u"$ref"_s, u"#/channels/ws/messages/wsCommand"_s}}}}});
        operations.insert(u"sendWsMessages"_s, QJsonObject{{u"action"_s, u"send"_s}, {u"channel"_s, QJsonObject{{u"$ref"_s, u"#/channels/ws"_s}}},
                                                          {u"summary"_s, u"Events, results and notices to clients"_s},
                                                          {u"messages"_s, QJsonArray{QJsonObject{{u"$ref"_s, u"#/channels/ws/messages/wsEvent"_s}},
                                                                                     QJsonObject{{u"$ref"_s, u"#/channels/ws/messages/wsResult"_s}},
                                                                                     QJsonObject{{u"$ref"_s, u"#/channels/ws/messages/wsNotice"_s}}}}});
    }

    const QUrl broker(context.mqttUrl);
    if (!context.mqttUrl.isEmpty() && broker.isValid()) {
        const bool tls = broker.scheme() == u"mqtts"_s || broker.scheme() == u"ssl"_s;
        servers.insert(u"mqtt"_s, QJsonObject{{u"host"_s, QString(broker.host() + u':' + QString::number(broker.port(tls ? 8883 : 1883)))},
                                             {u"protocol"_s, tls ? u"secure-mqtt"_s : u"mqtt"_s}, {u"protocolVersion"_s, u"5"_s},
                                             {u"description"_s, u"QoS 1. Commands may carry an MQTT 5 response topic and correlation data for a reply."_s}});
        const QJsonArray mqttServer{QJsonObject{{u"$ref"_s, u"#/servers/mqtt"_s}}};
        const QString p = context.topicPrefix;
        const QJsonObject idParameter{{u"description"_s, u"The entity id."_s}};
        for (const Collection &c : collections) {
            const QString schemaName = c.name;
            schemas.insert(schemaName, portableSchema(c.schema.toJson()));
            const QJsonObject payload{{u"$ref"_s, QString(u"#/components/schemas/"_s + schemaName)}};
            const auto channel = [&](const QString &key, const QString &address, const QString &messageName, const QString &summary,
                                     const QJsonObject &messagePayload, const QJsonObject &parameters) {
                messages.insert(messageName, QJsonObject{{u"name"_s, messageName}, {u"summary"_s, summary}, {u"contentType"_s, u"application/json"_s},
                                                         {u"payload"_s, messagePayload}});
                QJsonObject ch{{u"address"_s, address}, {u"servers"_s, mqttServer},
                               {u"messages"_s, QJsonObject{{messageName, QJsonObject{{u"$ref"_s, QString(u"#/components/messages/"_s + messageName)}}}}}};
                if (!parameters.isEmpty())
                    ch.insert(u"parameters"_s, parameters);
                channels.insert(key, ch);
            };
            const auto operation = [&](const QString &name, const QString &action, const QString &channelKey, const QString &messageName, const QString &summary) {
                operations.insert(name, QJsonObject{{u"action"_s, action}, {u"summary"_s, summary},
                                                    {u"channel"_s, QJsonObject{{u"$ref"_s, QString(u"#/channels/"_s + channelKey)}}},
                                                    {u"messages"_s, QJsonArray{QJsonObject{{u"$ref"_s, QString(u"#/channels/"_s + channelKey + u"/messages/"_s + messageName)}}}}});
            };
            // Keys by kind, then collection, then command, joined with '.', which neither names
            // may hold: no two channels, messages or operations can meet.
            const QString C = c.name;
            channel(u"commands."_s + C + u".create"_s, p + u"/commands/"_s + C + u"/create"_s, u"command."_s + C + u".create"_s,
                    u"Create a document (the body as for POST /api/%1)"_s.arg(C), payload, {});
            operation(u"receive.commands."_s + C + u".create"_s, u"receive"_s, u"commands."_s + C + u".create"_s,
                      u"command."_s + C + u".create"_s, u"Create %1 documents"_s.arg(C));
            QStringList names{u"update"_s, u"delete"_s};
            names += c.commands.keys();
            for (const QString &name : std::as_const(names)) {
                const QString key = u"commands."_s + C + u'.' + name;
                const QString message = u"command."_s + C + u'.' + name;
                channel(key, p + u"/commands/"_s + C + u"/{id}/"_s + name, message, u"The %1 command %2"_s.arg(C, name),
                        QJsonObject{{u"type"_s, u"object"_s}}, QJsonObject{{u"id"_s, idParameter}});
                operation(u"receive."_s + key, u"receive"_s, key, message, u"The %1 command %2"_s.arg(C, name));
            }
            channel(u"events."_s + C, p + u"/events/"_s + C + u"/{verb}/{id}"_s, u"event."_s + C,
                    u"An event of the log (at least once: dedupe by its id)"_s, schemaRef,
                    QJsonObject{{u"verb"_s, QJsonObject{{u"description"_s, u"created, updated, deleted or a custom command's event."_s}}}, {u"id"_s, idParameter}});
            operation(u"send.events."_s + C, u"send"_s, u"events."_s + C, u"event."_s + C, u"Events of %1 from the outbox"_s.arg(C));
            QJsonObject document = portableSchema(c.schema.toJson()).toObject();
            QJsonObject properties = document.value(u"properties"_s).toObject();
            properties.insert(u"_meta"_s, QJsonObject{{u"type"_s, u"object"_s}});
            document.insert(u"properties"_s, properties);
            channel(u"state."_s + C, p + u"/readmodel/"_s + C + u"/{id}"_s, u"document."_s + C,
                    u"The document as the read model holds it (retained; _meta.deleted once deleted)"_s, document, QJsonObject{{u"id"_s, idParameter}});
            operation(u"send.state."_s + C, u"send"_s, u"state."_s + C, u"document."_s + C, u"Read-model state of %1"_s.arg(C));
        }
    }
    return {{u"asyncapi"_s, u"3.0.0"_s},
            {u"info"_s, QJsonObject{{u"title"_s, u"Gatehouse events and commands"_s},
                                    {u"version"_s, u"%1+config.%2"_s.arg(context.engineVersion).arg(context.configVersion)},
                                    {u"description"_s, u"The engine's MQTT topics and WebSocket operations, from its live configuration."_s}}},
            {u"defaultContentType"_s, u"application/json"_s},
            {u"servers"_s, servers},
            {u"channels"_s, channels},
            {u"operations"_s, operations},
            {u"components"_s, QJsonObject{{u"schemas"_s, schemas}, {u"messages"_s, messages}}}};
}

} // namespace Gatehouse::ApiDescription
