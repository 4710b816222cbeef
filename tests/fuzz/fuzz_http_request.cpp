// Bytes from a client connection (protocols/http/httprequestparser.*), split as TCP might
// deliver them (the first input byte picks the piece size), then every complete request as the
// gateway serves it: route match (trie, methods, hosts, vars), the plugin chain (key-auth,
// jwt-auth, basic-auth, cors, request-id, proxy-rewrite, limit-count), the WebSocket handshake
// for upgrades, and the answer serialised for the wire. Checked besides memory safety:
//  - refusals are 400/413/417/431 problems, requests stay within the limits;
//  - a route with an auth plugin never reaches its upstream without a consumer (fail closed);
//  - every answer is a valid status whose serialisation reads back, with the engine's own
//    upstream response parser, as exactly that status and body (no response splitting);
//  - If-Match lines, joined as the command side joins them, parse without tripping a sanitizer.

#include "api/apirequest.h"
#include "commands/ifmatch.h"
#include "fuzzsupport.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "gateway/routetable.h"
#include "http/httprequestparser.h"
#include "http/httpresponse.h"
#include "http/httpwire.h"
#include "upstreams/http/httpupstreamresponseparser.h"
#include "websocket/websockethandshake.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdint>
#include <memory>
#include <optional>

using namespace Gatehouse;

namespace {

const char *const kRoutes = R"json([
  {"id": "secure", "uri": "/api/secure/*", "plugins": {"key-auth": {}},
   "upstream": {"type": "query", "collection": "secure"}},
  {"id": "jwt", "uri": "/api/jwt/:id", "methods": ["GET", "POST"], "plugins": {"jwt-auth": {}},
   "upstream": {"type": "function", "function": "echo"}},
  {"id": "basic", "uri": "/private/*", "hosts": ["*.example.com", "api.test"], "plugins": {"basic-auth": {}},
   "upstream": {"type": "events"}},
  {"id": "vars", "uri": "/v/:a/:b", "priority": 3,
   "vars": [["arg_version", "==", "2"], ["http_x_region", "~~", "^eu-"], ["cookie_beta", "!", "==", "1"]],
   "plugins": {"cors": {"allow_origins": "https://a.example,https://b.example"}, "request-id": {},
               "proxy-rewrite": {"regex_uri": ["^/v/([^/]+)/(.*)", "/api/$1/$2"], "headers": {"x-rewritten": "yes"}}},
   "upstream": {"type": "query", "collection": "products"}},
  {"id": "limited", "uri": "/limited", "methods": ["GET", "HEAD"],
   "plugins": {"limit-count": {"count": 1000000000, "time_window": 60, "key": "remote_addr"}},
   "upstream": {"type": "events"}}
])json";

const char *const kConsumers = R"json([
  {"username": "alice", "plugins": {"key-auth": {"key": "alice-key"}}},
  {"username": "bob", "plugins": {"basic-auth": {"username": "bob", "password": "b0b-pass"}}},
  {"username": "carol", "plugins": {"jwt-auth": {"key": "carol-key", "secret": "fuzz-secret"}}}
])json";

const char *const kGlobalRules = R"json([{"id": "g", "plugins": {"request-id": {"header_name": "X-Trace"}}}])json";

const QStringList kAuthPlugins{QStringLiteral("key-auth"), QStringLiteral("jwt-auth"), QStringLiteral("basic-auth")};

Gateway *gateway()
{
    static Gateway *instance = [] {
        auto *g = new Gateway;
        GatewayResources resources;
        QJsonArray routes = QJsonDocument::fromJson(kRoutes).array();
        for (const Route &r : DefaultRoutes::forCollection(QStringLiteral("products")) + DefaultRoutes::system())
            routes.append(r.toJson());
        resources.routes = routes;
        resources.consumers = QJsonDocument::fromJson(kConsumers).array();
        resources.globalRules = QJsonDocument::fromJson(kGlobalRules).array();
        QStringList errors;
        if (!g->apply(resources, &errors))
            Fuzz::fail(__FILE__, __LINE__, "apply", errors.join(QLatin1Char('\n')));
        // The plugins of each route, by id: a handler sees only the upstream and request.routeId.
        QHash<QString, QJsonObject> pluginsOf;
        for (const QJsonValue &r : std::as_const(routes))
            pluginsOf.insert(r[QLatin1String("id")].toString(), r[QLatin1String("plugins")].toObject());
        for (const char *type : {"command", "query", "events", "function", "http", "websocket", "sse"}) {
            g->setUpstreamHandler(QString::fromLatin1(type), [pluginsOf](const RouteUpstream &, ApiRequest &&request, ApiResponder &&respond) {
                const QJsonObject plugins = pluginsOf.value(request.routeId);
                for (const QString &name : kAuthPlugins)
                    FUZZ_CHECK(!plugins.contains(name) || !request.consumer.isEmpty(),
                               QStringLiteral("route %1 reached its upstream past %2 without a consumer").arg(request.routeId, name));
                ApiResponse answer = ApiResponse::json(200, QByteArrayLiteral("{\"ok\":true}"));
                answer.setHeader(QByteArrayLiteral("x-route"), request.routeId.toUtf8());
                if (request.hasHeader("x-echo"))
                    answer.setHeader(QByteArrayLiteral("x-echo"), request.header("x-echo"));
                respond(std::move(answer));
            });
        }
        return g;
    }();
    return instance;
}

ApiRequest toApiRequest(const Http::HttpRequest &http)
{
    // As the HTTP adapter does (protocols/http/gatewayhttphandler.cpp).
    ApiRequest r;
    r.method = http.method;
    r.path = http.path;
    r.query = http.query;
    r.headers = http.headers;
    r.body = http.body;
    r.remoteAddress = QStringLiteral("127.0.0.1");
    r.remotePort = 40000;
    return r;
}

void checkWire(const ApiResponse &answer, bool head, bool close)
{
    FUZZ_CHECK(answer.status >= 100 && answer.status <= 599, QStringLiteral("status %1").arg(answer.status));
    Http::HttpResponse http;
    http.status = answer.status;
    http.headers = answer.headers;
    http.body = answer.body;
    const QByteArray wire = Http::HttpWire::encodeResponse(http, head, close);
    if (answer.status < 200)
        return;   // interim answers are the functions' part of issue 12, not the gateway's
    HttpUpstreamResponseParser reader;
    reader.reset(head);
    auto status = reader.feed(wire);
    if (status == HttpUpstreamResponseParser::Status::NeedMore && close)
        status = reader.finish();
    FUZZ_CHECK(status == HttpUpstreamResponseParser::Status::Complete,
               QStringLiteral("our own answer does not parse: %1\n%2").arg(reader.errorString(), Fuzz::printable(wire)));
    FUZZ_CHECK(reader.status() == answer.status, QStringLiteral("answer %1 reads back as %2").arg(answer.status).arg(reader.status()));
    FUZZ_CHECK(head || reader.takeBody() == answer.body, QStringLiteral("answer body reads back differently"));
}

void serve(const Http::HttpRequest &request)
{
    ApiRequest api = toApiRequest(request);
    (void)api.queryItems();
    (void)RouteTable::splitPath(api.path);
    if (request.upgrade) {
        const ApiResponse answer = Live::WebSocketHandshake::answer(api);
        FUZZ_CHECK(answer.status == 101 || answer.status == 400 || answer.status == 426,
                   QStringLiteral("handshake answered %1").arg(answer.status));
    }
    std::optional<ApiResponse> answer;
    gateway()->handle(std::move(api), [&answer](ApiResponse r) { answer = std::move(r); });
    FUZZ_CHECK(answer.has_value(), QStringLiteral("the gateway did not answer synchronously"));
    checkWire(*answer, request.method == "HEAD", !request.keepAlive);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    Fuzz::quietLogs();
    gateway();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const qsizetype piece = data[0];   // 0: everything at once
    const QByteArray stream(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    Http::HttpLimits limits;
    limits.maxHeaderBytes = 2048;   // small, so fuzzing reaches them
    limits.maxBodyBytes = 4096;
    Http::HttpRequestParser parser(limits);
    qsizetype fed = 0;
    for (int requests = 0; requests < limits.maxPipelined;) {
        const auto status = parser.parse();
        if (status == Http::HttpRequestParser::Status::Failed) {
            const int code = parser.errorStatus();
            FUZZ_CHECK(code == 400 || code == 413 || code == 417 || code == 431 || code == 501 || code == 505,
                       QStringLiteral("refused with %1").arg(code));
            FUZZ_CHECK(!parser.errorDetail().isEmpty(), QStringLiteral("refusal without a detail"));
            break;
        }
        if (status == Http::HttpRequestParser::Status::NeedMore) {
            if (fed == stream.size())
                break;
            const qsizetype n = piece == 0 ? stream.size() - fed : qMin(piece, stream.size() - fed);
            parser.append(stream.mid(fed, n));
            fed += n;
            continue;
        }
        ++requests;
        const Http::HttpRequest request = parser.takeRequest();
        const QByteArray raw = parser.takeRawMessage();
        FUZZ_CHECK(!request.method.isEmpty(), QStringLiteral("request without a method"));
        FUZZ_CHECK(request.body.size() <= limits.maxBodyBytes, QStringLiteral("body over the limit"));
        FUZZ_CHECK(request.target.startsWith(request.path), QStringLiteral("path is not the start of the target"));
        FUZZ_CHECK(!request.upgrade || !raw.isEmpty(), QStringLiteral("upgrade without its raw bytes"));
        // A command's If-Match, as the command side reads it: its lines joined into one list.
        if (const std::optional<QByteArray> ifMatch = IfMatch::joinLines(request.headers))
            (void)IfMatch::parse(*ifMatch);
        serve(request);
        if (request.upgrade)
            break;   // the connection is handed over; what follows is WebSocket frames
    }
    return 0;
}
