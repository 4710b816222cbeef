#include "defaultroutes.h"

#include <QUrl>

namespace Gatehouse::DefaultRoutes {

namespace {
Route make(const QString &id, const QString &uri, const QString &method, const QString &upstreamType,
           const QString &collection = {})
{
    Route r;
    r.id = id;
    r.uri = uri;
    r.methods = {method};
    r.upstream.type = upstreamType;
    r.upstream.collection = collection;
    return r;
}
} // namespace

QList<Route> forCollection(const QString &c)
{
    const QString base = QStringLiteral("/api/") + c;
    return {
        make(c + QStringLiteral("-create"), base, QStringLiteral("POST"), QStringLiteral("command"), c),
        make(c + QStringLiteral("-update"), base + QStringLiteral("/:id"), QStringLiteral("POST"), QStringLiteral("command"), c),
        make(c + QStringLiteral("-command"), base + QStringLiteral("/:id/:command"), QStringLiteral("POST"), QStringLiteral("command"), c),
        make(c + QStringLiteral("-list"), base, QStringLiteral("GET"), QStringLiteral("query"), c),
        make(c + QStringLiteral("-get"), base + QStringLiteral("/:id"), QStringLiteral("GET"), QStringLiteral("query"), c),
    };
}

QList<Route> system()
{
    Route ws = make(QStringLiteral("websocket"), QStringLiteral("/ws"), QStringLiteral("GET"), QStringLiteral("websocket"));
    ws.enableWebsocket = true;
    return {make(QStringLiteral("events"), QStringLiteral("/events"), QStringLiteral("GET"), QStringLiteral("events")),
            make(QStringLiteral("events-stream"), QStringLiteral("/events/stream"), QStringLiteral("GET"), QStringLiteral("sse")),
            ws};
}

QByteArray commandPath(const QString &collection, const QString &id, const QString &command)
{
    QByteArray path = "/api/" + QUrl::toPercentEncoding(collection);
    if (command == QLatin1String("create"))
        return path;
    path += '/' + QUrl::toPercentEncoding(id);
    if (command != QLatin1String("update"))
        path += '/' + QUrl::toPercentEncoding(command);
    return path;
}

} // namespace Gatehouse::DefaultRoutes
