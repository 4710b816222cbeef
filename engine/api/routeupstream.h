#pragma once

#include <QJsonObject>
#include <QString>

namespace Gatehouse {

// Where a matched request goes: what an upstream handler learns of the route (the route's id
// travels in ApiRequest::routeId). `type` is one of command, query, events, function, http,
// websocket, sse.
struct RouteUpstream
{
    QString type;
    QString collection;     // command / query
    QJsonObject config;     // the whole upstream object as given (function name, nodes, ...)
};

} // namespace Gatehouse
