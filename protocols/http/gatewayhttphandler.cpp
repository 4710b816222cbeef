#include "gatewayhttphandler.h"

#include "gateway/gateway.h"
#include "httprequest.h"
#include "httpresponder.h"
#include "httpresponse.h"

#include <utility>

namespace Gatehouse::Http {

namespace {
ApiRequest toApiRequest(const HttpRequest &http)
{
    ApiRequest r;
    r.method = http.method;
    r.path = http.path;
    r.query = http.query;
    r.headers = http.headers;
    r.body = http.body;
    r.remoteAddress = http.peerAddress.toString();
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
