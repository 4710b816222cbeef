#pragma once

#include "route.h"

#include <QList>

namespace Gatehouse {

// The routes every project starts with: per collection, POST to the command side and GET
// to the query side; and the event log. They are ordinary routes, editable like any other.
namespace DefaultRoutes {
QList<Route> forCollection(const QString &collection);
QList<Route> system();
// The path of the default route a command goes to, for protocols that name commands rather
// than paths (WebSocket, MQTT): create -> /api/{collection}, update -> /api/{collection}/{id},
// any other -> /api/{collection}/{id}/{command}; each segment percent-encoded.
QByteArray commandPath(const QString &collection, const QString &id, const QString &command);
}

} // namespace Gatehouse
