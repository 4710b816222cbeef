// cors and proxy-rewrite through a real Gateway: preflights answered by the gateway with the
// Access-Control-* headers a browser checks, CORS headers on ordinary (and error) answers,
// nothing for origins that are not allowed; and what the upstream receives after a rewrite.
#include "tst_plugin_bench.h"

using namespace Gatehouse;
using namespace PluginBench;
using namespace Qt::StringLiterals;

namespace {
using HeaderMap = QMap<QByteArray, QByteArray>;   // expected headers; an empty value: must be absent

QByteArray valuesOf(const ApiRequest &r, const QByteArray &name)
{
    QList<QByteArray> values;
    for (const auto &[n, v] : r.headers) {
        if (n == name)
            values.append(v);
    }
    return values.join(", ");
}
} // namespace

class tst_PluginTransform : public QObject
{
    Q_OBJECT

private slots:
    void cors_data();
    void cors();
    void corsOnErrorAnswers();
    void proxyRewrite_data();
    void proxyRewrite();
    void proxyRewriteRefusesLineBreaksInHeaders();
    void proxyRewriteRefusesDotSegments();
    void proxyRewritePassesArgsAsSent();
};

void tst_PluginTransform::cors_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("upstream");
    QTest::addColumn<HeaderMap>("expected");

    const QByteArray defaults = "{}";
    const QByteArray listed = R"json({"allow_origins": "https://a.example,https://b.example", "allow_methods": "GET,POST",
        "allow_headers": "content-type,x-api", "expose_headers": "x-request-id", "max_age": 600, "allow_credential": true})json";
    auto preflight = [](const QByteArray &origin, const QByteArray &requestHeaders = {}) {
        Headers h{{"origin", origin}, {"access-control-request-method", "POST"}};
        if (!requestHeaders.isEmpty())
            h.append({"access-control-request-headers", requestHeaders});
        return h;
    };
    const QByteArray none;

    QTest::newRow("preflight, defaults") << defaults << QByteArray("OPTIONS") << preflight("https://any.example") << 204 << false
        << HeaderMap{{"access-control-allow-origin", "*"}, {"access-control-allow-methods", "GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS,CONNECT,TRACE"},
                     {"access-control-allow-headers", "*"}, {"access-control-max-age", "5"}, {"access-control-allow-credentials", none},
                     {"vary", none}};
    QTest::newRow("simple request, defaults") << defaults << QByteArray("GET") << Headers{{"origin", "https://any.example"}} << 200 << true
        << HeaderMap{{"access-control-allow-origin", "*"}, {"access-control-expose-headers", none}, {"vary", none}};
    QTest::newRow("no origin, no CORS") << defaults << QByteArray("GET") << Headers{} << 200 << true
        << HeaderMap{{"access-control-allow-origin", none}};
    QTest::newRow("OPTIONS that is no preflight goes upstream") << defaults << QByteArray("OPTIONS") << Headers{{"origin", "https://x.example"}}
        << 200 << true << HeaderMap{{"access-control-allow-origin", "*"}, {"access-control-allow-methods", none}};
    QTest::newRow("preflight, listed origin") << listed << QByteArray("OPTIONS") << preflight("https://b.example") << 204 << false
        << HeaderMap{{"access-control-allow-origin", "https://b.example"}, {"vary", "Origin"}, {"access-control-allow-methods", "GET,POST"},
                     {"access-control-allow-headers", "content-type,x-api"}, {"access-control-max-age", "600"},
                     {"access-control-allow-credentials", "true"}};
    QTest::newRow("simple request, listed origin") << listed << QByteArray("GET") << Headers{{"origin", "https://a.example"}} << 200 << true
        << HeaderMap{{"access-control-allow-origin", "https://a.example"}, {"vary", "Origin"}, {"access-control-allow-credentials", "true"},
                     {"access-control-expose-headers", "x-request-id"}};
    QTest::newRow("origins compare without case") << listed << QByteArray("GET") << Headers{{"origin", "HTTPS://A.EXAMPLE"}} << 200 << true
        << HeaderMap{{"access-control-allow-origin", "HTTPS://A.EXAMPLE"}};
    QTest::newRow("preflight, other origin") << listed << QByteArray("OPTIONS") << preflight("https://evil.example") << 204 << false
        << HeaderMap{{"access-control-allow-origin", none}, {"access-control-allow-methods", none}, {"access-control-allow-headers", none},
                     {"access-control-max-age", none}, {"access-control-allow-credentials", none}};
    QTest::newRow("simple request, other origin") << listed << QByteArray("GET") << Headers{{"origin", "https://a.example.evil"}} << 200 << true
        << HeaderMap{{"access-control-allow-origin", none}, {"access-control-allow-credentials", none}, {"access-control-expose-headers", none}};
    const QByteArray regex = R"json({"allow_origins": "https://x.example", "allow_origins_by_regex": ["^https://[a-z]+\\.shop\\.example$"]})json";
    QTest::newRow("origin by regex") << regex << QByteArray("OPTIONS") << preflight("https://api.shop.example") << 204 << false
        << HeaderMap{{"access-control-allow-origin", "https://api.shop.example"}, {"vary", "Origin"}};
    QTest::newRow("origin not matching the regex") << regex << QByteArray("OPTIONS") << preflight("https://api.shop.example.com") << 204 << false
        << HeaderMap{{"access-control-allow-origin", none}};
    QTest::newRow("listed besides the regex") << regex << QByteArray("GET") << Headers{{"origin", "https://x.example"}} << 200 << true
        << HeaderMap{{"access-control-allow-origin", "https://x.example"}};
    QTest::newRow("** echoes the requested headers") << QByteArray(R"json({"allow_origins": "**", "allow_headers": "**"})json")
        << QByteArray("OPTIONS") << preflight("https://z.example", "x-a, x-b") << 204 << false
        << HeaderMap{{"access-control-allow-origin", "https://z.example"}, {"access-control-allow-headers", "x-a, x-b"}};
}

void tst_PluginTransform::cors()
{
    QFETCH(QByteArray, config);
    QFETCH(QByteArray, method);
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(bool, upstream);
    QFETCH(HeaderMap, expected);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", "{\"cors\":" + config + "}") + "]"), QStringList());
    const ApiResponse r = bench.send(request(method, "/r", headers));
    QCOMPARE(r.status, status);
    QCOMPARE(bench.received.size(), upstream ? 1 : 0);
    for (auto it = expected.cbegin(); it != expected.cend(); ++it)
        QVERIFY2(r.header(it.key()) == it.value(), QByteArray(it.key() + ": " + r.header(it.key())).constData());
}

void tst_PluginTransform::corsOnErrorAnswers()
{
    // cors (4000) runs before key-auth (2500), so a browser can read the 401 too.
    Bench bench;
    const QByteArray plugins = R"json({"cors": {"allow_origins": "https://a.example"}, "key-auth": {}})json";
    QCOMPARE(bench.apply("[" + route("r", "/r", plugins) + "]"), QStringList());
    const ApiResponse r = bench.get("/r", {{"origin", "https://a.example"}});
    QCOMPARE(r.status, 401);
    QCOMPARE(r.header("access-control-allow-origin"), QByteArray("https://a.example"));
    // A preflight carries no credentials; it is answered before authentication.
    QCOMPARE(bench.send(request("OPTIONS", "/r", {{"origin", "https://a.example"}, {"access-control-request-method", "GET"}})).status, 204);
}

void tst_PluginTransform::proxyRewrite_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<HeaderMap>("expected");   // header -> all its values, joined by ", "

    const Headers none;
    QTest::newRow("uri") << QByteArray(R"json({"uri": "/v2/items"})json") << QByteArray("/r/abc?x=1") << none
                         << QByteArray("/v2/items") << QByteArray("x=1") << QByteArray("GET") << HeaderMap{};
    QTest::newRow("uri with query and variables") << QByteArray(R"json({"uri": "/v2/items?from=$arg_src&ip=${remote_addr}"})json")
        << QByteArray("/r/abc?src=web") << none << QByteArray("/v2/items") << QByteArray("from=web&ip=127.0.0.1&src=web") << QByteArray("GET") << HeaderMap{};
    QTest::newRow("regex_uri with captures") << QByteArray(R"json({"regex_uri": ["^/r/(\\w+)/(\\w+)$", "/items/$2/$1"]})json")
        << QByteArray("/r/a/b?q=1") << none << QByteArray("/items/b/a") << QByteArray("q=1") << QByteArray("GET") << HeaderMap{};
    QTest::newRow("first matching pair wins") << QByteArray(R"json({"regex_uri": ["^/nomatch", "/x", "^/r/(.*)", "/second/${1}", "^/r", "/third"]})json")
        << QByteArray("/r/a/b") << none << QByteArray("/second/a/b") << QByteArray() << QByteArray("GET") << HeaderMap{};
    QTest::newRow("only the match is replaced") << QByteArray(R"json({"regex_uri": ["/old/", "/new/"]})json")
        << QByteArray("/r/old/x") << none << QByteArray("/r/new/x") << QByteArray() << QByteArray("GET") << HeaderMap{};
    QTest::newRow("no match keeps the path") << QByteArray(R"json({"regex_uri": ["^/nomatch/(.*)", "/x/$1"]})json")
        << QByteArray("/r/a") << none << QByteArray("/r/a") << QByteArray() << QByteArray("GET") << HeaderMap{};
    QTest::newRow("uri wins over regex_uri") << QByteArray(R"json({"uri": "/fixed", "regex_uri": ["^/r/(.*)", "/x/$1"]})json")
        << QByteArray("/r/a") << none << QByteArray("/fixed") << QByteArray() << QByteArray("GET") << HeaderMap{};
    // Decoded values are encoded again on their way into the target: they cannot end the path,
    // start a query, add parameters or put a space on the request line. Values that are still
    // encoded (captures of the request's path, $request_uri, $args) go in as they are.
    QTest::newRow("decoded $uri encoded again") << QByteArray(R"json({"uri": "/v2$uri"})json")
        << QByteArray("/r/a%20b%3Fx=1%23f%25/%E2%82%AC") << none << QByteArray("/v2/r/a%20b%3Fx=1%23f%25/%E2%82%AC") << QByteArray()
        << QByteArray("GET") << HeaderMap{};
    QTest::newRow("a query variable cannot add parameters") << QByteArray(R"json({"uri": "/v2/items?from=$arg_src"})json")
        << QByteArray("/r/abc?src=a%26admin%3Dtrue") << none << QByteArray("/v2/items")
        << QByteArray("from=a%26admin%3Dtrue&src=a%26admin%3Dtrue") << QByteArray("GET") << HeaderMap{};
    QTest::newRow("a header in the path stays in its segment") << QByteArray(R"json({"uri": "/u/$http_x_user/x"})json")
        << QByteArray("/r/a") << Headers{{"x-user", "ann/b?q #"}} << QByteArray("/u/ann%2Fb%3Fq%20%23/x") << QByteArray()
        << QByteArray("GET") << HeaderMap{};
    QTest::newRow("$uri keeps its slashes") << QByteArray(R"json({"uri": "/v2$uri/$arg_p"})json")
        << QByteArray("/r/a/b?p=c/d") << none << QByteArray("/v2/r/a/b/c%2Fd") << QByteArray("p=c/d")
        << QByteArray("GET") << HeaderMap{};
    QTest::newRow("captures stay as sent") << QByteArray(R"json({"regex_uri": ["^/r/(.*)$", "/items/$1"]})json")
        << QByteArray("/r/a%2Fb%20c") << none << QByteArray("/items/a%2Fb%20c") << QByteArray() << QByteArray("GET") << HeaderMap{};
    QTest::newRow("request_uri as sent") << QByteArray(R"json({"uri": "/base$request_uri"})json")
        << QByteArray("/r/a%20b?q=%26") << none << QByteArray("/base/r/a%20b") << QByteArray("q=%26&q=%26") << QByteArray("GET")
        << HeaderMap{};
    QTest::newRow("a variable after $request_uri's query") << QByteArray(R"json({"uri": "$request_uri&u=$http_x_user"})json")
        << QByteArray("/r/a?q=1") << Headers{{"x-user", "bob&admin=1"}} << QByteArray("/r/a") << QByteArray("q=1&u=bob%26admin%3D1&q=1")
        << QByteArray("GET") << HeaderMap{};
    QTest::newRow("method and host") << QByteArray(R"json({"method": "POST", "host": "backend.local"})json")
        << QByteArray("/r/a") << Headers{{"host", "gateway.example"}} << QByteArray("/r/a") << QByteArray() << QByteArray("POST")
        << HeaderMap{{"host", "backend.local"}};
    QTest::newRow("header verbs") << QByteArray(R"json({"headers": {"add": {"X-Multi": "b"}, "remove": ["x-old"],
            "set": {"X-Api": "v2", "X-Client": "$remote_addr", "X-Multi-Set": "only"}}})json")
        << QByteArray("/r/a") << Headers{{"x-old", "1"}, {"x-multi", "a"}, {"x-multi-set", "1"}, {"x-multi-set", "2"}}
        << QByteArray("/r/a") << QByteArray() << QByteArray("GET")
        << HeaderMap{{"x-old", ""}, {"x-multi", "a, b"}, {"x-api", "v2"}, {"x-client", "127.0.0.1"}, {"x-multi-set", "only"}};
    QTest::newRow("flat headers") << QByteArray(R"json({"headers": {"X-Api": "v2", "X-Old": "", "X-From": "$http_x_user"}})json")
        << QByteArray("/r/a") << Headers{{"x-old", "1"}, {"x-user", "ann"}} << QByteArray("/r/a") << QByteArray() << QByteArray("GET")
        << HeaderMap{{"x-old", ""}, {"x-api", "v2"}, {"x-from", "ann"}};
}

void tst_PluginTransform::proxyRewriteRefusesLineBreaksInHeaders()
{
    for (const QByteArray &config : {QByteArray(R"json({"headers": {"set": {"X-User": "$arg_user"}}})json"),
                                    QByteArray(R"json({"host": "$arg_user"})json")}) {
        Bench bench;
        QCOMPARE(bench.apply("[" + route("r", "/r/*", "{\"proxy-rewrite\":" + config + "}") + "]"), QStringList());
        QCOMPARE(bench.send(request("GET", "/r/a?user=ann%0D%0AX-Admin:%201", {})).status, 400);
        QCOMPARE(bench.send(request("GET", "/r/a?user=ann%00", {})).status, 400);
        QCOMPARE(bench.received.size(), 0);
        QCOMPARE(bench.send(request("GET", "/r/a?user=ann", {})).status, 200);
    }
}

void tst_PluginTransform::proxyRewriteRefusesDotSegments()
{
    // A variable cannot climb out of the path the template names.
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r/*", R"json({"proxy-rewrite": {"uri": "/u/$arg_p/x?k=$arg_k"}})json") + "]"), QStringList());
    for (const QByteArray &p : {QByteArray(".."), QByteArray("."), QByteArray("%2E%2E"), QByteArray("%2e."), QByteArray("%2E"),
                                QByteArray("..%2Fadmin"), QByteArray("a%2F..%2Fb"), QByteArray("..%5Cadmin"),
                                QByteArray("..%00"), QByteArray(".%00."), QByteArray("..%0D%0AX-Inj:%201"), QByteArray("..%7F"),
                                QByteArray("..;"), QByteArray("..;jsessionid=1")}) {
        const ApiResponse r = bench.send(request("GET", "/r/a?p=" + p, {}));
        QVERIFY2(r.status == 400, p.constData());
        QCOMPARE(bodyJson(r).value(u"type"_s).toString(), u"urn:gatehouse:problem:malformed-path"_s);
    }
    QCOMPARE(bench.received.size(), 0);
    // In the query a dot is only a dot; as part of a name it is one too.
    QCOMPARE(bench.send(request("GET", "/r/a?p=a..b&k=..", {})).status, 200);
    QCOMPARE(bench.send(request("GET", "/r/a?p=...", {})).status, 200);
    QCOMPARE(bench.received.size(), 2);
    QCOMPARE(bench.received.at(0).path, QByteArrayLiteral("/u/a..b/x"));
    QCOMPARE(bench.received.at(1).path, QByteArrayLiteral("/u/.../x"));
}

void tst_PluginTransform::proxyRewritePassesArgsAsSent()
{
    // A parameter passed on is one value, as the client sent it: two of them, a malformed
    // %-escape or bytes that are not UTF-8 are a 400, not a guess or U+FFFD.
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r/*", R"json({"proxy-rewrite": {"uri": "/u/$arg_p", "headers": {"set": {"X-K": "$arg_k"}}}})json")
                         + "]"),
             QStringList());
    for (const QByteArray &query : {QByteArray("p=%zz"), QByteArray("p=a%2"), QByteArray("p=%u002e"), QByteArray("p=%FF"),
                                    QByteArray("p=%C3"), QByteArray("p=a&p=b"), QByteArray("p=a&k=%E2%82"), QByteArray("k=1&p=x&k=2"),
                                    QByteArray("p=a&%6B=1&k=2")}) {
        const ApiResponse r = bench.send(request("GET", "/r/a?" + query, {}));
        QVERIFY2(r.status == 400, query.constData());
        QCOMPARE(bodyJson(r).value(u"type"_s).toString(), u"urn:gatehouse:problem:bad-parameter"_s);
    }
    QCOMPARE(bench.received.size(), 0);
    // Other parameters are not the rewrite's business; a proper escape is decoded and passed on.
    QCOMPARE(bench.send(request("GET", "/r/a?p=caf%C3%A9+x&k=1&other=%zz&other=2", {})).status, 200);
    QCOMPARE(bench.received.size(), 1);
    QCOMPARE(bench.received.at(0).path, QByteArrayLiteral("/u/caf%C3%A9%20x"));
    QCOMPARE(valuesOf(bench.received.at(0), "x-k"), QByteArray("1"));
}

void tst_PluginTransform::proxyRewrite()
{
    QFETCH(QByteArray, config);
    QFETCH(QByteArray, target);
    QFETCH(Headers, headers);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, method);
    QFETCH(HeaderMap, expected);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r/*", "{\"proxy-rewrite\":" + config + "}") + "]"), QStringList());
    QCOMPARE(bench.send(request("GET", target, headers)).status, 200);
    QCOMPARE(bench.received.size(), 1);
    const ApiRequest &seen = bench.received.first();
    QCOMPARE(seen.path, path);
    QCOMPARE(seen.query, query);
    QCOMPARE(seen.method, method);
    QCOMPARE(seen.routeId, u"r"_s);   // matched on the path as it came in
    for (auto it = expected.cbegin(); it != expected.cend(); ++it)
        QVERIFY2(valuesOf(seen, it.key()) == it.value(), QByteArray(it.key() + ": " + valuesOf(seen, it.key())).constData());
}

QTEST_GUILESS_MAIN(tst_PluginTransform)
#include "tst_plugin_transform.moc"
