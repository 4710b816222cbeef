#pragma once

#include "apirequest.h"
#include "apiresponse.h"
#include "route.h"

#include <QHash>
#include <QMutex>

#include <functional>
#include <memory>

namespace Gatehouse {

class RouteTable;

// The one place requests are dispatched: match the route, (later: run its plugin chain),
// hand the request to the upstream handler registered for the route's upstream type.
// handle() may be called from any thread; the route table is swapped atomically, so a
// request in flight finishes on the table it started with.
class Gateway final
{
public:
    using UpstreamHandler = std::function<void(const Route &route, ApiRequest &&request, ApiResponder &&respond)>;

    Gateway();
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Register before serving; not synchronised with handle().
    void setUpstreamHandler(const QString &type, UpstreamHandler handler);

    void setRoutes(QList<Route> routes);
    std::shared_ptr<const RouteTable> routeTable() const;

    void handle(ApiRequest request, ApiResponder respond) const;

private:
    QHash<QString, UpstreamHandler> m_handlers;
    mutable QMutex m_tableMutex;
    std::shared_ptr<const RouteTable> m_table;
};

} // namespace Gatehouse
