#include "gatewayhttphandler.h"

#include "gateway/gateway.h"
#include "httprequest.h"
#include "httpresponder.h"
#include "httpresponse.h"

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

HttpHandler makeGatewayHandler(Gateway *gateway)
{
    return [gateway](const HttpRequest &request, const HttpResponder &responder) {
        gateway->handle(toApiRequest(request), [responder](ApiResponse api) {
            HttpResponse http;
            http.status = api.status;
            http.headers = std::move(api.headers);
            http.body = std::move(api.body);
            responder.respond(std::move(http));
        });
    };
}

} // namespace Gatehouse::Http
