#pragma once

#include <QByteArray>
#include <QString>

namespace Gatehouse {

struct ApiRequest;

// A command as every protocol delivers it (HTTP POST, WebSocket "command", MQTT topic).
struct CommandRequest
{
    QString collection;
    QString id;                 // empty for create: taken from the body or generated
    QString command;            // "create", "update", "delete" or a custom command name
    QByteArray body;            // JSON text (may be empty for delete)
    QByteArray contentType;     // empty when the protocol has none (MQTT/WS carry JSON)
    QByteArray ifMatch;         // If-Match as sent, its lines joined with ", " (see IfMatch)
    bool ifMatchGiven = false;  // the header was there, even empty (which is refused)
    QString idempotencyKey;
    bool idempotencyKeyGiven = false;   // the header was there, even empty (which is refused)
    QString correlationId;
    QString user;               // authenticated consumer
    QString origin;             // "http 127.0.0.1", "websocket 127.0.0.1", "mqtt <session>"

    // The route's params decide the command: /api/{c} create, /{id} update, /{id}/{name}.
    static CommandRequest fromApiRequest(const QString &collection, const ApiRequest &request);
};

} // namespace Gatehouse
