#pragma once

// A real Gateway with a test upstream, for the plugin tests (tst_plugin*.cpp): routes are
// given as the JSON an admin would PUT, with "upstream": {"type": "events"} served by a
// handler that records what it receives and answers with queued statuses -- or holds the
// answers until the test releases them. Routes with "upstream": {"type": "http", ...} reach
// the same handler, for what plugins do differently for external upstreams.

#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <memory>
#include <optional>

namespace PluginBench {

inline QJsonValue parseJson(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON (%s): %s", qPrintable(error.errorString()), json.constData());
    return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
}

// A route on `uri` served by the test upstream.
inline QByteArray route(const char *id, const char *uri, const QByteArray &plugins, const QByteArray &extra = {})
{
    return "{\"id\":\"" + QByteArray(id) + "\",\"uri\":\"" + QByteArray(uri) + "\",\"upstream\":{\"type\":\"events\"},\"plugins\":"
        + plugins + (extra.isEmpty() ? QByteArray() : "," + extra) + "}";
}

using Headers = QList<std::pair<QByteArray, QByteArray>>;

inline Gatehouse::ApiRequest request(const QByteArray &method, const QByteArray &target, const Headers &headers = {},
                                     const QString &remote = QStringLiteral("127.0.0.1"))
{
    Gatehouse::ApiRequest r;
    r.method = method;
    const auto question = target.indexOf('?');
    r.path = question < 0 ? target : target.left(question);
    r.query = question < 0 ? QByteArray() : target.mid(question + 1);
    for (const auto &[name, value] : headers)
        r.headers.append({name.toLower(), value});
    r.remoteAddress = remote;
    r.remotePort = 40000;
    return r;
}

class Bench
{
public:
    using Slot = std::shared_ptr<std::optional<Gatehouse::ApiResponse>>;

    Bench()
    {
        // "events" stands for the engine's own upstreams, "http" for an external one.
        for (const QString &type : {QStringLiteral("events"), QStringLiteral("http")}) {
            gateway.setUpstreamHandler(type,
                                       [this](const Gatehouse::RouteUpstream &, Gatehouse::ApiRequest &&r, Gatehouse::ApiResponder &&respond) {
                                           received.append(r);
                                           if (hold) {
                                               held.append(std::move(respond));
                                               return;
                                           }
                                           respond(Gatehouse::ApiResponse::json(statuses.isEmpty() ? 200 : statuses.takeFirst(),
                                                                                QByteArrayLiteral("{\"ok\":true}")));
                                       });
        }
    }

    // Applies routes, consumers and global rules (JSON arrays); returns the errors.
    QStringList apply(const QByteArray &routes, const QByteArray &consumers = "[]", const QByteArray &globalRules = "[]")
    {
        Gatehouse::GatewayResources resources;
        resources.routes = parseJson(routes).toArray();
        resources.consumers = parseJson(consumers).toArray();
        resources.globalRules = parseJson(globalRules).toArray();
        QStringList errors;
        gateway.apply(resources, &errors);
        return errors;
    }

    // Starts a request; the answer lands in the slot (at once, or later for delayed ones).
    Slot start(Gatehouse::ApiRequest r)
    {
        auto slot = std::make_shared<std::optional<Gatehouse::ApiResponse>>();
        gateway.handle(std::move(r), [slot](Gatehouse::ApiResponse response) { *slot = std::move(response); });
        return slot;
    }

    // Sends and waits for the answer (status 0 when none came within 30 s).
    Gatehouse::ApiResponse send(Gatehouse::ApiRequest r)
    {
        return wait(start(std::move(r)));
    }
    Gatehouse::ApiResponse get(const QByteArray &target, const Headers &headers = {},
                               const QString &remote = QStringLiteral("127.0.0.1"))
    {
        return send(request(QByteArrayLiteral("GET"), target, headers, remote));
    }

    static Gatehouse::ApiResponse wait(const Slot &slot, int timeoutMs = 30000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!slot->has_value() && !deadline.hasExpired())
            QTest::qWait(5);
        if (!slot->has_value()) {
            Gatehouse::ApiResponse none;
            none.status = 0;
            return none;
        }
        return **slot;
    }

    // Answers the held upstream requests, oldest first.
    void release(int status = 200)
    {
        const QList<Gatehouse::ApiResponder> responders = std::exchange(held, {});
        for (const Gatehouse::ApiResponder &respond : responders)
            respond(Gatehouse::ApiResponse::json(status, QByteArrayLiteral("{\"ok\":true}")));
    }

    Gatehouse::Gateway gateway;
    QList<Gatehouse::ApiRequest> received;   // what the upstream saw, in order
    QList<int> statuses;                     // the upstream's next answers; 200 when empty
    bool hold = false;                       // keep answers back until release()
    QList<Gatehouse::ApiResponder> held;
};

inline QJsonObject bodyJson(const Gatehouse::ApiResponse &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

} // namespace PluginBench
