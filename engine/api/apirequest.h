#pragma once

#include "apiresponse.h"
#include "routeupstream.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <memory>
#include <utility>

namespace Gatehouse {

struct ApiRequest;

// A protocol adapter's handle on the connection a request arrived on, for routes whose upstream
// is that connection itself (types "websocket" and "sse"): the gateway runs the route's plugins
// as for any request, then hands the request to serve(). Opaque to the engine.
class ApiConnection
{
public:
    virtual ~ApiConnection() = default;
    virtual void serve(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond) = 0;
};

// A protocol-neutral request as the gateway sees it. Protocol adapters (HTTP, and the WebSocket
// `command` op and MQTT commands as POSTs to the command routes) fill it in; the route match adds
// `routeId` and `params`.
struct ApiRequest
{
    QByteArray method;                                   // upper case: "GET", "POST"
    QByteArray path;                                     // raw, not percent-decoded, no query
    QByteArray query;                                    // raw query string, without '?'
    QList<std::pair<QByteArray, QByteArray>> headers;   // names lower case
    QByteArray body;
    QString remoteAddress;
    quint16 remotePort = 0;
    QString protocol;                                    // "websocket", "mqtt"; empty: HTTP
    std::shared_ptr<ApiConnection> connection;           // set by adapters that can serve websocket/sse routes

    // Set by the gateway.
    QString routeId;
    QHash<QString, QString> params;                      // ":id" -> value, "*" -> rest of the path
    QString consumer;                                    // authenticated consumer, if any (see Gateway::handle)
    // Set by an auth plugin whose credential runs out (jwt-auth: the token's exp, with the
    // consumer's grace), in ms since the epoch; 0: it does not. A live connection ends there.
    qint64 credentialExpiresAtMs = 0;

    QByteArray header(QByteArrayView lowerCaseName) const;
    bool hasHeader(QByteArrayView lowerCaseName) const;
    // Decoded query parameters in order ("a=1&b=x%20y" -> (a,1),(b,x y)); '+' means space.
    QList<std::pair<QString, QString>> queryItems() const;
    QString queryItem(const QString &name, const QString &fallback = {}) const;
    bool hasQueryItem(const QString &name) const;
    void removeQueryItem(const QString &name);   // every occurrence, keeping the rest as sent
    // For handlers that read parameters: false with a message when a parameter appears twice
    // (which value counts would be a guess), a %-escape is malformed, or a name or value does
    // not decode to UTF-8 (it would read as U+FFFD).
    bool checkQuery(QString *error) const;
    // The same for the path, whose segments become route parameters (entity ids): false when a
    // %-escape is malformed or escapes a control character, or -- with `asText`, for routes that
    // read the segments as text -- the path does not decode to UTF-8: two different paths would
    // otherwise name the same entity (both as U+FFFD). A proxied path may carry such bytes.
    // Also refused: a "." or ".." segment (or one spelt with %2E) and a raw backslash.
    bool checkPath(QString *error, bool asText) const;
    static bool hasDotSegment(QByteArrayView path);
};

} // namespace Gatehouse
