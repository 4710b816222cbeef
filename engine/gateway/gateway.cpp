#include "gateway.h"

#include "routetable.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcGateway, "gatehouse.gateway")

namespace Gatehouse {

Gateway::Gateway()
    : m_table(std::make_shared<RouteTable>())
{
}

Gateway::~Gateway() = default;

void Gateway::setUpstreamHandler(const QString &type, UpstreamHandler handler)
{
    m_handlers.insert(type, std::move(handler));
}

void Gateway::setRoutes(QList<Route> routes)
{
    auto table = std::make_shared<const RouteTable>(std::move(routes));
    QMutexLocker lock(&m_tableMutex);
    m_table = std::move(table);
}

std::shared_ptr<const RouteTable> Gateway::routeTable() const
{
    QMutexLocker lock(&m_tableMutex);
    return m_table;
}

void Gateway::handle(ApiRequest request, ApiResponder respond) const
{
    const std::shared_ptr<const RouteTable> table = routeTable();
    RouteTable::Match m = table->match(request.method, request.path);
    if (m.outcome == RouteTable::Match::NotFound) {
        respond(ApiResponse::problem(404, QStringLiteral("no route matches %1 %2")
                                              .arg(QString::fromLatin1(request.method), QString::fromUtf8(request.path)),
                                     QStringLiteral("no-route")));
        return;
    }
    if (m.outcome == RouteTable::Match::MethodNotAllowed) {
        ApiResponse r = ApiResponse::problem(405, QStringLiteral("%1 is not allowed here; allowed: %2")
                                                      .arg(QString::fromLatin1(request.method),
                                                           m.allowedMethods.join(QStringLiteral(", "))),
                                             QStringLiteral("method-not-allowed"));
        r.setHeader(QByteArrayLiteral("allow"), m.allowedMethods.join(QStringLiteral(", ")).toLatin1());
        respond(std::move(r));
        return;
    }
    const Route &route = *m.route;
    const auto handler = m_handlers.constFind(route.upstream.type);
    if (handler == m_handlers.cend()) {
        respond(ApiResponse::problem(501, QStringLiteral("upstream type '%1' is not available in this build")
                                              .arg(route.upstream.type),
                                     QStringLiteral("upstream-unavailable")));
        return;
    }
    request.routeId = route.id;
    request.params = std::move(m.params);
    // Keep the table alive while the handler reads the route; handlers finish with the
    // configuration they started with even if routes change meanwhile.
    (*handler)(route, std::move(request), [table, respond = std::move(respond)](ApiResponse r) mutable {
        respond(std::move(r));
    });
}

} // namespace Gatehouse
