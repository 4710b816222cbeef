#pragma once

#include "route.h"

#include <QList>

namespace Gatehouse {

// The routes every project starts with: per collection, POST to the command side and GET
// to the query side; and the event log. They are ordinary routes, editable like any other.
namespace DefaultRoutes {
QList<Route> forCollection(const QString &collection);
QList<Route> system();
}

} // namespace Gatehouse
