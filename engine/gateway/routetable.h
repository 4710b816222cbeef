#pragma once

#include "route.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <memory>

namespace Gatehouse {

struct ApiRequest;

// An immutable index of routes: a trie over path segments, so matching costs the same for
// ten routes or ten thousand. At each segment an exact literal beats a `:param`, which beats
// a trailing `*`; among routes of the same path the highest priority that accepts the method
// wins. Built once per configuration version and shared read-only between threads.
class RouteTable final
{
public:
    struct Match
    {
        // Undecided: a route consulted before the choice was made could not tell whether its
        // vars hold (RouteVars::Verdict::Undecided); `route` is that route. Choosing a route of
        // lower priority instead would let a request past a negated condition, so no route is.
        enum Outcome { Found, NotFound, MethodNotAllowed, Undecided };
        Outcome outcome = NotFound;
        const Route *route = nullptr;
        QHash<QString, QString> params;
        QStringList allowedMethods;   // for 405: what the path would accept
    };

    explicit RouteTable(QList<Route> routes = {});
    ~RouteTable();
    RouteTable(const RouteTable &) = delete;
    RouteTable &operator=(const RouteTable &) = delete;

    // Path and method only (routes that need a host or vars never match).
    Match match(QByteArrayView method, QByteArrayView path) const;
    // The full match: path, method, Host header and the routes' vars.
    Match match(const ApiRequest &request) const;
    const QList<Route> &routes() const { return m_routes; }
    const Route *route(const QString &id) const;

    // Splits a raw path into percent-decoded segments ("/a/b%20c/" -> ["a", "b c"]).
    static QStringList splitPath(QByteArrayView path);

private:
    struct Node;
    struct Entry;
    QList<Route> m_routes;
    std::unique_ptr<Node> m_root;
};

} // namespace Gatehouse
