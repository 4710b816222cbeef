#pragma once

#include "api/apirequest.h"
#include "httphandler.h"
#include "httpresponder.h"
#include "httprequest.h"
#include "httpresponse.h"

#include <functional>
#include <memory>

namespace Gatehouse {
class Gateway;
struct Route;
}

namespace Gatehouse::Http {

class HttpExchange;

// Serves, for one listening port, the routes whose upstream is the client connection itself
// (upstream types "websocket" and "sse"). serve() runs on the network thread once the route's
// plugins have let the request through; it answers through `respond` like any upstream and may
// first register a continuation on the exchange to keep the connection.
class ConnectionUpstream
{
public:
    virtual ~ConnectionUpstream() = default;
    virtual void serve(const RouteUpstream &upstream, ApiRequest &&request, const std::shared_ptr<HttpExchange> &exchange,
                       ApiResponder &&respond) = 0;
};

// The HTTP side of one GET (or HEAD) request, attached to its gateway request as ApiRequest::connection.
// An upstream that needs more than one response (a protocol switch, an event stream) calls
// continueWith() before answering: when the answer, after the plugins' response phase, still
// has that status, the continuation gets the response head and the responder (to takeOver() or
// beginStream()) instead of the head being sent as an ordinary response.
class HttpExchange final : public ApiConnection, public std::enable_shared_from_this<HttpExchange>
{
public:
    using Continuation = std::function<void(const HttpResponse &head, const HttpResponder &responder)>;

    // `sent`: the request as the client sent it (the gateway's plugins may change their copy).
    HttpExchange(HttpResponder responder, std::shared_ptr<ConnectionUpstream> upstream, const ApiRequest &sent);

    // The client's headers and query string before any plugin ran (a WebSocket connection's
    // identity: credentials a plugin hid from the upstream still belong to it).
    const QList<std::pair<QByteArray, QByteArray>> &sentHeaders() const { return m_sentHeaders; }
    const QByteArray &sentQuery() const { return m_sentQuery; }

    void serve(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond) override;
    void continueWith(int status, Continuation continuation);
    // The gateway's final answer: continued or sent.
    void answer(HttpResponse response);

private:
    HttpResponder m_responder;
    std::shared_ptr<ConnectionUpstream> m_upstream;
    QList<std::pair<QByteArray, QByteArray>> m_sentHeaders;   // implicitly shared with the request's
    QByteArray m_sentQuery;
    int m_continueStatus = 0;
    Continuation m_continuation;
};

// Turns HTTP requests into gateway requests and gateway answers back into HTTP responses.
// The returned handler runs on the network thread; the gateway may answer from any thread.
// With `connectionUpstream`, GET and HEAD requests can be served by websocket and sse routes.
// With `documents`, a GET or HEAD it answers (a non-null body) is answered with that
// JSON before any route is matched: the engine's descriptions of itself (/openapi.json and
// /asyncapi.json), which no route can take over.
using BuiltinDocuments = std::function<QByteArray(const HttpRequest &request)>;
HttpHandler makeGatewayHandler(Gateway *gateway, std::shared_ptr<ConnectionUpstream> connectionUpstream = {},
                               BuiltinDocuments documents = {});

} // namespace Gatehouse::Http
