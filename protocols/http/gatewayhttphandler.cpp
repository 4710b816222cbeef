#include "gatewayhttphandler.h"

#include "gateway/gateway.h"
#include "httprequest.h"
#include "httpresponder.h"
#include "httpresponse.h"

#include <optional>
#include <utility>

namespace Gatehouse::Http {

namespace {
struct Authority
{
    QByteArray host;   // lower case
    int port = 0;      // the scheme's default when none is given
    int defaultPort = 0;
};

// The authority of a "scheme://host[:port]" Origin.
std::optional<Authority> originAuthority(QByteArrayView origin)
{
    const qsizetype sep = origin.indexOf("://");
    if (sep <= 0)
        return std::nullopt;   // "null" (a sandboxed or file page) and anything malformed
    const QByteArray scheme = origin.first(sep).toByteArray().toLower();
    const bool secure = scheme == "https" || scheme == "wss";
    if (!secure && scheme != "http" && scheme != "ws")
        return std::nullopt;
    QByteArray authority = origin.sliced(sep + 3).toByteArray().toLower();
    if (authority.isEmpty() || authority.contains('/') || authority.contains('@'))
        return std::nullopt;
    const int defaultPort = secure ? 443 : 80;
    int port = defaultPort;
    const qsizetype colon = authority.lastIndexOf(':');
    if (colon > 0 && !authority.endsWith(']')) {
        bool ok = false;
        port = authority.mid(colon + 1).toInt(&ok);
        if (!ok)
            return std::nullopt;
        authority.truncate(colon);
    }
    return Authority{authority, port, defaultPort};
}

// Whether a page of `origin` is the gateway's own (same host and port as the request's Host).
bool sameOrigin(QByteArrayView origin, QByteArrayView hostHeader)
{
    const std::optional<Authority> page = originAuthority(origin);
    if (!page)
        return false;
    QByteArray host = hostHeader.trimmed().toByteArray().toLower();
    int port = page->defaultPort;   // a Host without a port names the scheme's default one
    const qsizetype colon = host.lastIndexOf(':');
    if (colon > 0 && !host.endsWith(']')) {
        bool ok = false;
        port = host.mid(colon + 1).toInt(&ok);
        if (!ok)
            return false;
        host.truncate(colon);
    }
    return host == page->host && port == page->port;
}

ApiRequest toApiRequest(const HttpRequest &http)
{
    ApiRequest r;
    r.method = http.method;
    r.path = http.path;
    r.query = http.query;
    r.headers = http.headers;
    // Cross-site WebSocket hijacking: a browser sends the user's cookies with an upgrade that
    // any page opens, and no CORS check stands between that page and what the socket may do.
    // An upgrade from another origin is passed on without its cookies, so a cookie-held
    // credential (jwt-auth's cookie) does not log it in; such a page sends its token itself.
    if (http.upgrade) {
        const QByteArray origin = r.header("origin");
        if (!origin.isEmpty() && !sameOrigin(origin, r.header("host")))
            r.headers.removeIf([](const auto &h) { return h.first == "cookie"; });
    }
    r.body = http.body;
    r.remoteAddress = http.peerAddressText.isNull() ? http.peerAddress.toString() : http.peerAddressText;
    r.remotePort = http.peerPort;
    return r;
}
} // namespace

HttpExchange::HttpExchange(HttpResponder responder, std::shared_ptr<ConnectionUpstream> upstream, const ApiRequest &sent)
    : m_responder(std::move(responder))
    , m_upstream(std::move(upstream))
    , m_sentHeaders(sent.headers)
    , m_sentQuery(sent.query)
{
}

void HttpExchange::serve(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond)
{
    m_upstream->serve(upstream, std::move(request), shared_from_this(), std::move(respond));
}

void HttpExchange::continueWith(int status, Continuation continuation)
{
    m_continueStatus = status;
    m_continuation = std::move(continuation);
}

void HttpExchange::answer(HttpResponse response)
{
    if (m_continuation && response.status == m_continueStatus)
        std::exchange(m_continuation, nullptr)(response, m_responder);
    else
        m_responder.respond(std::move(response));
}

HttpHandler makeGatewayHandler(Gateway *gateway, std::shared_ptr<ConnectionUpstream> connectionUpstream, BuiltinDocuments documents)
{
    return [gateway, connectionUpstream, documents](const HttpRequest &request, const HttpResponder &responder) {
        if (documents && (request.method == "GET" || request.method == "HEAD")) {
            if (QByteArray body = documents(request); !body.isNull()) {
                HttpResponse http = HttpResponse::json(200, body);
                http.setHeader("cache-control", "no-cache");
                responder.respond(std::move(http));
                return;
            }
        }
        ApiRequest api = toApiRequest(request);
        std::shared_ptr<HttpExchange> exchange;
        if (connectionUpstream && (request.method == "GET" || request.method == "HEAD")) {
            exchange = std::make_shared<HttpExchange>(responder, connectionUpstream, api);
            api.connection = exchange;
        }
        gateway->handle(std::move(api), [responder, exchange](ApiResponse response) {
            HttpResponse http;
            http.status = response.status;
            http.headers = std::move(response.headers);
            http.body = std::move(response.body);
            if (exchange)
                exchange->answer(std::move(http));
            else
                responder.respond(std::move(http));
        });
    };
}

} // namespace Gatehouse::Http
