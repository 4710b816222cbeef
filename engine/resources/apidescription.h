#pragma once

#include "config/collection.h"
#include "gateway/route.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Gatehouse {

// Machine-readable descriptions of what the engine serves right now, made from the live
// configuration (routes, global rules, collections) on every request, so they change when it
// does:
//   openApi()  OpenAPI 3.1: every enabled route with its methods, by upstream type -- a
//              collection's commands (create, update, delete, each custom command) with the
//              collection's JSON Schema as body, its queries (one document, pages with filters),
//              the log (/events, SSE), functions, proxied upstreams -- the problem documents
//              each can answer, and the security schemes of the auth plugins on each route
//              (key-auth: apiKey in its header or query parameter, basic-auth: HTTP basic,
//              jwt-auth: bearer JWT) and in global rules;
//   asyncApi() AsyncAPI 3.0: the MQTT topics (commands in, events and read-model state out) and
//              the WebSocket operations on /ws.
// Schemas are the collections' own, less Gatehouse's "index" annotations.
namespace ApiDescription {
struct Context
{
    QString engineVersion;
    qint64 configVersion = 0;
    QString gatewayUrl;     // "https://10.0.0.5:9443": the server clients reach
    QString mqttUrl;        // "mqtt://127.0.0.1:1883"; empty: MQTT is off
    QString topicPrefix = QStringLiteral("gatehouse");
};

QJsonObject openApi(const QList<Route> &routes, const QJsonArray &globalRules, const QList<Collection> &collections,
                    const Context &context);
QJsonObject asyncApi(const QList<Collection> &collections, const Context &context);

// A JSON Schema without Gatehouse's own annotations ("index": true), for other tools.
QJsonValue portableSchema(const QJsonValue &schema);
}

} // namespace Gatehouse
