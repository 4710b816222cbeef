// The plugin catalogue: every APISIX plugin Gatehouse ships, with APISIX's names and
// priorities, schemas a form can be built from, and good and bad configurations as the admin
// API would see them (GatewayConfig::build, which validates against the schema and then lets
// each plugin check what a schema cannot).
#include "gateway/gatewayconfig.h"
#include "gateway/pluginregistry.h"
#include "tst_plugin_bench.h"

using namespace Gatehouse;
using namespace Qt::StringLiterals;

class tst_Plugins : public QObject
{
    Q_OBJECT

private slots:
    void catalogue();
    void schemasDescribeEveryField();
    void chainRunsByPriority();
    void routeConfig_data();
    void routeConfig();
    void consumerConfig_data();
    void consumerConfig();
    void brokenRouteFailsClosed_data();
    void brokenRouteFailsClosed();
    void brokenGlobalRuleStopsEverything();
    void undecidedVarsFailClosed();
    void brokenConsumerLogsNobodyIn();
};

void tst_Plugins::catalogue()
{
    const QList<std::pair<QString, int>> expected{
        {u"fault-injection"_s, 11000}, {u"request-id"_s, 12015}, {u"cors"_s, 4000}, {u"basic-auth"_s, 2520}, {u"jwt-auth"_s, 2510}, {u"key-auth"_s, 2500},
        {u"proxy-rewrite"_s, 1008}, {u"api-breaker"_s, 1005}, {u"limit-conn"_s, 1003}, {u"limit-count"_s, 1002},
        {u"limit-req"_s, 1001}};
    for (const auto &[name, priority] : expected) {
        const PluginDescriptor *d = PluginRegistry::find(name);
        QVERIFY2(d, qPrintable(name));
        QCOMPARE(d->priority, priority);
        QVERIFY2(d->create, qPrintable(name));
        QVERIFY2(!d->phase.isEmpty(), qPrintable(name));
    }
    QCOMPARE(PluginRegistry::all().size(), expected.size());
    for (const QString &auth : {u"key-auth"_s, u"basic-auth"_s, u"jwt-auth"_s})
        QVERIFY2(!PluginRegistry::find(auth)->consumerSchema.isEmpty(), qPrintable(auth));
}

void tst_Plugins::schemasDescribeEveryField()
{
    // The GUI builds its forms from these: every field needs a type; closed objects reject typos.
    for (const PluginDescriptor &d : PluginRegistry::all()) {
        for (const QJsonObject &schema : {d.schema, d.consumerSchema}) {
            if (schema.isEmpty())
                continue;
            QCOMPARE(schema.value(u"type"_s).toString(), u"object"_s);
            QCOMPARE(schema.value(u"additionalProperties"_s), QJsonValue(false));
            const QJsonObject properties = schema.value(u"properties"_s).toObject();
            for (auto it = properties.begin(); it != properties.end(); ++it) {
                const QJsonObject p = it.value().toObject();
                QVERIFY2(p.contains(u"type"_s), qPrintable(d.name + u'/' + it.key()));
                if (p.contains(u"default"_s) && p.contains(u"enum"_s))
                    QVERIFY2(p.value(u"enum"_s).toArray().contains(p.value(u"default"_s)), qPrintable(d.name + u'/' + it.key()));
            }
        }
    }
}

void tst_Plugins::chainRunsByPriority()
{
    PluginBench::Bench bench;
    const QByteArray everything = R"json({
        "limit-req": {"rate": 100, "burst": 100}, "cors": {}, "key-auth": {}, "proxy-rewrite": {"uri": "/x"},
        "limit-count": {"count": 10, "time_window": 60}, "api-breaker": {"break_response_code": 502},
        "limit-conn": {"conn": 10, "burst": 0, "default_conn_delay": 0.1}, "request-id": {},
        "fault-injection": {"abort": {"http_status": 500, "percentage": 0}}})json";
    QCOMPARE(bench.apply("[" + PluginBench::route("all", "/all", everything) + "]"), QStringList());
    const auto config = bench.gateway.config();
    const Route *route = config->routeTable().route(u"all"_s);
    QVERIFY(route);
    QStringList names;
    for (const auto &slot : config->chain(route))
        names.append(slot.name);
    QCOMPARE(names, (QStringList{u"request-id"_s, u"fault-injection"_s, u"cors"_s, u"key-auth"_s, u"proxy-rewrite"_s, u"api-breaker"_s,
                                 u"limit-conn"_s, u"limit-count"_s, u"limit-req"_s}));
}

void tst_Plugins::routeConfig_data()
{
    QTest::addColumn<QByteArray>("plugins");
    QTest::addColumn<QStringList>("errors");   // each must appear in one error line; none: valid

    const QStringList valid;
    auto row = [](const char *name, const char *plugins, const QStringList &errors) {
        QTest::newRow(name) << QByteArray(plugins) << errors;
    };

    row("unknown plugin", R"json({"limit-counts": {}})json", {u"/routes/0/plugins/limit-counts: unknown plugin"_s});
    row("config must be an object", R"json({"cors": true})json", {u"/routes/0/plugins/cors: must be an object"_s});

    row("basic-auth defaults", R"json({"basic-auth": {}})json", valid);
    row("basic-auth every field", R"json({"basic-auth": {"hide_credentials": true, "realm": "shop"}})json", valid);
    row("basic-auth unknown field", R"json({"basic-auth": {"hide": true}})json", {u"/routes/0/plugins/basic-auth/hide: is not allowed"_s});
    row("basic-auth realm with a quote", R"json({"basic-auth": {"realm": "a\"b"}})json",
        {u"/routes/0/plugins/basic-auth/realm: must not contain"_s});

    row("jwt-auth defaults", R"json({"jwt-auth": {}})json", valid);
    row("jwt-auth every field", R"json({"jwt-auth": {"header": "x-token", "query": "t", "cookie": "c", "hide_credentials": true, "key_claim_name": "sub"}})json", valid);
    row("jwt-auth empty header", R"json({"jwt-auth": {"header": ""}})json", {u"/routes/0/plugins/jwt-auth/header: must have at least 1 characters"_s});

    row("limit-count minimal", R"json({"limit-count": {"count": 3, "time_window": 60}})json", valid);
    row("limit-count every field", R"json({"limit-count": {"count": 3, "time_window": 60, "key_type": "var_combination",
        "key": "$remote_addr $consumer_name", "rejected_code": 503, "rejected_msg": "slow down", "policy": "local",
        "window_type": "sliding", "window": "sliding", "group": "shop", "show_limit_quota_header": false, "allow_degradation": false}})json", valid);
    row("limit-count header key", R"json({"limit-count": {"count": 3, "time_window": 60, "key": "http_x_user"}})json", valid);
    row("limit-count constant key", R"json({"limit-count": {"count": 3, "time_window": 60, "key_type": "constant", "key": "everyone"}})json", valid);
    row("limit-count without count", R"json({"limit-count": {"time_window": 60}})json", {u"/routes/0/plugins/limit-count/count: is required"_s});
    row("limit-count zero count", R"json({"limit-count": {"count": 0, "time_window": 60}})json", {u"/routes/0/plugins/limit-count/count: must be > 0"_s});
    row("limit-count fractional window", R"json({"limit-count": {"count": 1, "time_window": 1.5}})json", {u"/routes/0/plugins/limit-count/time_window: must be"_s});
    row("limit-count unknown variable", R"json({"limit-count": {"count": 3, "time_window": 60, "key": "server_name"}})json",
        {u"/routes/0/plugins/limit-count/key: unknown variable 'server_name'"_s});
    row("limit-count combination without $", R"json({"limit-count": {"count": 3, "time_window": 60, "key_type": "var_combination", "key": "remote_addr"}})json",
        {u"/routes/0/plugins/limit-count/key: a var_combination names variables with $"_s});
    row("limit-count redis policy", R"json({"limit-count": {"count": 3, "time_window": 60, "policy": "redis"}})json",
        {u"/routes/0/plugins/limit-count/policy: must be one of: local, cluster"_s});
    row("limit-count cluster policy", R"json({"limit-count": {"count": 3, "time_window": 60, "policy": "cluster", "allow_degradation": true}})json", valid);
    row("limit-req cluster policy", R"json({"limit-req": {"rate": 3, "burst": 0, "policy": "cluster"}})json",
        {u"/routes/0/plugins/limit-req/policy: must be one of: local"_s});
    row("limit-count window contradicts window_type", R"json({"limit-count": {"count": 3, "time_window": 60, "window": "fixed", "window_type": "sliding"}})json",
        {u"/routes/0/plugins/limit-count/window: contradicts window_type"_s});
    // Numbers past what the limiters can count with: refused, not turned into 0 or overflowing.
    row("limit-count window past int64", R"json({"limit-count": {"count": 1, "time_window": 1e19}})json",
        {u"/routes/0/plugins/limit-count/time_window: must be <= 31536000"_s});
    row("limit-count window overflowing in ms", R"json({"limit-count": {"count": 1, "time_window": 10000000000000000}})json",
        {u"/routes/0/plugins/limit-count/time_window: must be <= 31536000"_s});
    row("limit-count huge count", R"json({"limit-count": {"count": 1e19, "time_window": 60}})json",
        {u"/routes/0/plugins/limit-count/count: must be <= 1000000000"_s});
    row("limit-count a year", R"json({"limit-count": {"count": 1000000000, "time_window": 31536000}})json", valid);
    row("limit-conn huge numbers", R"json({"limit-conn": {"conn": 1e308, "burst": 1e308, "default_conn_delay": 1e308}})json",
        {u"/routes/0/plugins/limit-conn/conn: must be <= 1000000"_s, u"/routes/0/plugins/limit-conn/burst: must be <= 1000000"_s,
         u"/routes/0/plugins/limit-conn/default_conn_delay: must be <= 3600"_s});
    row("limit-req huge numbers", R"json({"limit-req": {"rate": 1e308, "burst": 1e308}})json",
        {u"/routes/0/plugins/limit-req/rate: must be <= 1000000"_s, u"/routes/0/plugins/limit-req/burst: must be <= 1000000"_s});
    row("limit-count rejected_code out of range", R"json({"limit-count": {"count": 3, "time_window": 60, "rejected_code": 600}})json",
        {u"/routes/0/plugins/limit-count/rejected_code: must be <= 599"_s});

    row("limit-req minimal", R"json({"limit-req": {"rate": 1, "burst": 0}})json", valid);
    row("limit-req every field", R"json({"limit-req": {"rate": 0.5, "burst": 2, "nodelay": true, "key": "consumer_name", "rejected_code": 503, "rejected_msg": "x"}})json", valid);
    row("limit-req without burst", R"json({"limit-req": {"rate": 1}})json", {u"/routes/0/plugins/limit-req/burst: is required"_s});
    row("limit-req zero rate", R"json({"limit-req": {"rate": 0, "burst": 1}})json", {u"/routes/0/plugins/limit-req/rate: must be > 0"_s});
    row("limit-req bare http_", R"json({"limit-req": {"rate": 1, "burst": 1, "key": "http_"}})json", {u"/routes/0/plugins/limit-req/key: unknown variable 'http_'"_s});

    row("limit-conn minimal", R"json({"limit-conn": {"conn": 1, "burst": 0, "default_conn_delay": 0.1}})json", valid);
    row("limit-conn every field", R"json({"limit-conn": {"conn": 2, "burst": 1, "default_conn_delay": 1, "only_use_default_delay": true,
        "key_type": "var", "key": "route_id", "rejected_code": 503, "rejected_msg": "busy"}})json", valid);
    row("limit-conn without delay", R"json({"limit-conn": {"conn": 1, "burst": 0}})json", {u"/routes/0/plugins/limit-conn/default_conn_delay: is required"_s});
    row("limit-conn negative burst", R"json({"limit-conn": {"conn": 1, "burst": -1, "default_conn_delay": 1}})json",
        {u"/routes/0/plugins/limit-conn/burst: must be >= 0"_s});

    row("api-breaker minimal", R"json({"api-breaker": {"break_response_code": 502}})json", valid);
    row("api-breaker every field", R"json({"api-breaker": {"break_response_code": 503, "break_response_body": "down",
        "break_response_headers": [{"key": "X-Client", "value": "$remote_addr"}], "max_breaker_sec": 60, "min_breaker_sec": 0.5,
        "unhealthy": {"http_statuses": [500, 503], "failures": 2}, "healthy": {"http_statuses": [200, 201], "successes": 1},
        "policy": "error_ratio", "error_ratio": 0.25, "min_requests": 4, "window_sec": 30}})json", valid);
    row("api-breaker without code", R"json({"api-breaker": {}})json", {u"/routes/0/plugins/api-breaker/break_response_code: is required"_s});
    row("api-breaker healthy status as unhealthy", R"json({"api-breaker": {"break_response_code": 502, "unhealthy": {"http_statuses": [404]}}})json",
        {u"/routes/0/plugins/api-breaker/unhealthy/http_statuses/0: must be >= 500"_s});
    row("api-breaker headers without body", R"json({"api-breaker": {"break_response_code": 502, "break_response_headers": [{"key": "a", "value": "b"}]}})json",
        {u"/routes/0/plugins/api-breaker/break_response_headers: needs break_response_body"_s});
    row("api-breaker header with unknown variable", R"json({"api-breaker": {"break_response_code": 502, "break_response_body": "x",
        "break_response_headers": [{"key": "a", "value": "$nope"}]}})json",
        {u"/routes/0/plugins/api-breaker/break_response_headers/0/value: unknown variable 'nope'"_s});
    row("api-breaker min above max", R"json({"api-breaker": {"break_response_code": 502, "max_breaker_sec": 5, "min_breaker_sec": 10}})json",
        {u"/routes/0/plugins/api-breaker/min_breaker_sec: must not exceed max_breaker_sec"_s});
    row("api-breaker short max", R"json({"api-breaker": {"break_response_code": 502, "max_breaker_sec": 2}})json",
        {u"/routes/0/plugins/api-breaker/max_breaker_sec: must be >= 3"_s});
    row("api-breaker unknown policy", R"json({"api-breaker": {"break_response_code": 502, "policy": "ratio"}})json",
        {u"/routes/0/plugins/api-breaker/policy: must be one of"_s});
    row("api-breaker ratio above one", R"json({"api-breaker": {"break_response_code": 502, "error_ratio": 1.5}})json",
        {u"/routes/0/plugins/api-breaker/error_ratio: must be <= 1"_s});

    row("cors defaults", R"json({"cors": {}})json", valid);
    row("cors credentials with explicit lists", R"json({"cors": {"allow_origins": "https://a.example,https://b.example", "allow_methods": "GET,POST",
        "allow_headers": "content-type", "expose_headers": "x-request-id", "max_age": 600, "allow_credential": true}})json", valid);
    row("cors credentials with forced wildcards", R"json({"cors": {"allow_origins": "**", "allow_methods": "**", "allow_headers": "**", "allow_credential": true}})json", valid);
    row("cors credentials with wildcards", R"json({"cors": {"allow_credential": true}})json",
        {u"/routes/0/plugins/cors/allow_origins: '*' is not allowed with allow_credential"_s,
         u"/routes/0/plugins/cors/allow_methods: '*' is not allowed"_s, u"/routes/0/plugins/cors/allow_headers: '*' is not allowed"_s});
    row("cors bad origin regex", R"json({"cors": {"allow_origins_by_regex": ["(unclosed"]}})json",
        {u"/routes/0/plugins/cors/allow_origins_by_regex/0: invalid regular expression"_s});
    row("cors max_age below -1", R"json({"cors": {"max_age": -2}})json", {u"/routes/0/plugins/cors/max_age: must be >= -1"_s});

    row("proxy-rewrite uri", R"json({"proxy-rewrite": {"uri": "/v2/items?source=$arg_from"}})json", valid);
    row("proxy-rewrite everything", R"json({"proxy-rewrite": {"regex_uri": ["^/old/(.*)", "/new/$1"], "method": "POST", "host": "backend.local",
        "headers": {"set": {"X-Api": "v2"}, "add": {"X-Via": "gatehouse"}, "remove": ["cookie"]}}})json", valid);
    row("proxy-rewrite flat headers", R"json({"proxy-rewrite": {"headers": {"X-Api": "v2", "Cookie": ""}}})json", valid);
    row("proxy-rewrite odd regex_uri", R"json({"proxy-rewrite": {"regex_uri": ["^/a", "/b", "^/c"]}})json",
        {u"/routes/0/plugins/proxy-rewrite/regex_uri: must hold pairs"_s});
    row("proxy-rewrite bad pattern", R"json({"proxy-rewrite": {"regex_uri": ["^/(a", "/b"]}})json",
        {u"/routes/0/plugins/proxy-rewrite/regex_uri/0: invalid regular expression"_s});
    row("proxy-rewrite unknown method", R"json({"proxy-rewrite": {"method": "FETCH"}})json", {u"/routes/0/plugins/proxy-rewrite/method: must be one of"_s});
    row("proxy-rewrite capture outside regex_uri", R"json({"proxy-rewrite": {"uri": "/x/$1"}})json",
        {u"/routes/0/plugins/proxy-rewrite/uri: $1 is a regex capture"_s});
    row("proxy-rewrite unknown variable", R"json({"proxy-rewrite": {"uri": "/x/$nope"}})json",
        {u"/routes/0/plugins/proxy-rewrite/uri: unknown variable 'nope'"_s});
    row("proxy-rewrite bad header name", R"json({"proxy-rewrite": {"headers": {"set": {"bad name": "x"}}}})json",
        {u"/routes/0/plugins/proxy-rewrite/headers/set/bad name: 'bad name' is not a header name"_s});
    row("proxy-rewrite uri not a path", R"json({"proxy-rewrite": {"uri": "new"}})json", {u"/routes/0/plugins/proxy-rewrite/uri: must match"_s});

    // Header names and values the plugins send on: a line break would start a header of the
    // client's choosing (upstream request or response splitting).
    row("proxy-rewrite header value with CRLF", R"json({"proxy-rewrite": {"headers": {"set": {"X-A": "v\r\nX-Evil: 1"}}}})json",
        {u"/routes/0/plugins/proxy-rewrite/headers/set/X-A: must match"_s});
    row("proxy-rewrite flat header value with LF", R"json({"proxy-rewrite": {"headers": {"X-A": "v\nX-Evil: 1"}}})json",
        {u"/routes/0/plugins/proxy-rewrite/headers/X-A: must match"_s});
    row("proxy-rewrite host with a space", R"json({"proxy-rewrite": {"host": "a b"}})json", {u"/routes/0/plugins/proxy-rewrite/host: must match"_s});
    row("request-id header name with a space", R"json({"request-id": {"header_name": "X Id"}})json",
        {u"/routes/0/plugins/request-id/header_name: must match"_s});
    row("cors expose_headers with CRLF", R"json({"cors": {"expose_headers": "x\r\nSet-Cookie: a=b"}})json",
        {u"/routes/0/plugins/cors/expose_headers: must match"_s});
    row("api-breaker header value with CRLF", R"json({"api-breaker": {"break_response_code": 502, "break_response_body": "x",
        "break_response_headers": [{"key": "X-A", "value": "a\r\nb"}]}})json",
        {u"/routes/0/plugins/api-breaker/break_response_headers/0/value: must match"_s});
}

void tst_Plugins::routeConfig()
{
    QFETCH(QByteArray, plugins);
    QFETCH(QStringList, errors);
    PluginBench::Bench bench;
    const QStringList got = bench.apply("[" + PluginBench::route("r", "/r", plugins) + "]");
    if (errors.isEmpty()) {
        QCOMPARE(got, QStringList());
        return;
    }
    QVERIFY2(!got.isEmpty(), "the configuration was accepted");
    for (const QString &expected : std::as_const(errors)) {
        const bool found = std::any_of(got.cbegin(), got.cend(), [&](const QString &e) { return e.contains(expected); });
        QVERIFY2(found, qPrintable(u"missing \""_s + expected + u"\" in:\n"_s + got.join(u'\n')));
    }
}

void tst_Plugins::consumerConfig_data()
{
    QTest::addColumn<QByteArray>("consumers");
    QTest::addColumn<QStringList>("errors");
    const QStringList valid;
    auto row = [](const char *name, const char *consumers, const QStringList &errors) {
        QTest::newRow(name) << QByteArray(consumers) << errors;
    };
    row("basic-auth", R"json([{"username": "ann", "plugins": {"basic-auth": {"username": "ann", "password": "s3cret"}}}])json", valid);
    row("basic-auth without password", R"json([{"username": "ann", "plugins": {"basic-auth": {"username": "ann"}}}])json",
        {u"/consumers/0/plugins/basic-auth/password: is required"_s});
    row("basic-auth user with a colon", R"json([{"username": "ann", "plugins": {"basic-auth": {"username": "a:b", "password": "x"}}}])json",
        {u"/consumers/0/plugins/basic-auth/username: must match"_s});
    row("jwt-auth HS256", R"json([{"username": "ann", "plugins": {"jwt-auth": {"key": "ann-key", "secret": "s", "algorithm": "HS256",
        "exp": 3600, "base64_secret": false, "lifetime_grace_period": 5}}}])json", valid);
    row("jwt-auth RS256 with only a PEM header", R"json([{"username": "ann", "plugins": {"jwt-auth": {"key": "ann-key", "algorithm": "RS256", "public_key": "-----BEGIN PUBLIC KEY-----"}}}])json",
        {u"/consumers/0/plugins/jwt-auth/public_key: the public key is not an RSA key in PEM form"_s});
    row("jwt-auth without key", R"json([{"username": "ann", "plugins": {"jwt-auth": {"secret": "s"}}}])json",
        {u"/consumers/0/plugins/jwt-auth/key: is required"_s});
    row("jwt-auth unsupported algorithm", R"json([{"username": "ann", "plugins": {"jwt-auth": {"key": "k", "algorithm": "ES256"}}}])json",
        {u"/consumers/0/plugins/jwt-auth/algorithm: must be one of"_s});
    row("jwt-auth negative grace", R"json([{"username": "ann", "plugins": {"jwt-auth": {"key": "k", "secret": "s", "lifetime_grace_period": -1}}}])json",
        {u"/consumers/0/plugins/jwt-auth/lifetime_grace_period: must be >= 0"_s});
    row("limit-count is no credential", R"json([{"username": "ann", "plugins": {"limit-count": {"count": 1, "time_window": 1}}}])json",
        {u"/consumers/0/plugins/limit-count: not a credential plugin"_s});
}

void tst_Plugins::consumerConfig()
{
    QFETCH(QByteArray, consumers);
    QFETCH(QStringList, errors);
    PluginBench::Bench bench;
    const QStringList got = bench.apply("[" + PluginBench::route("r", "/r", "{}") + "]", consumers);
    if (errors.isEmpty()) {
        QCOMPARE(got, QStringList());
        return;
    }
    for (const QString &expected : std::as_const(errors)) {
        const bool found = std::any_of(got.cbegin(), got.cend(), [&](const QString &e) { return e.contains(expected); });
        QVERIFY2(found, qPrintable(u"missing \""_s + expected + u"\" in:\n"_s + got.join(u'\n')));
    }
}

// A stored configuration is applied as well as it can be (Gateway::applyFailClosed, what the
// engine does with config.db): a route whose plugins cannot all be applied answers 503
// "route misconfigured" and never reaches its upstream, nor the lower-priority catch-all
// that would otherwise take its requests.
void tst_Plugins::brokenRouteFailsClosed_data()
{
    QTest::addColumn<QByteArray>("route");
    QTest::addColumn<QString>("problem");   // in GatewayConfig::problems("routes", "r")

    auto row = [](const char *name, const QByteArray &route, const QString &problem) { QTest::newRow(name) << route << problem; };
    row("plugins as an array (defect 4)", PluginBench::route("r", "/r", R"(["key-auth"])"), u"/plugins: must be an object"_s);
    row("plugins as a string (defect 4)", PluginBench::route("r", "/r", R"("key-auth")"), u"/plugins: must be an object"_s);
    row("a plugin this build does not have", PluginBench::route("r", "/r", R"({"key-auth": {}, "teleport": {}})"),
        u"/plugins/teleport: unknown plugin"_s);
    row("a config that no longer validates", PluginBench::route("r", "/r", R"({"key-auth": {"header": 5}})"),
        u"/plugins/key-auth/header: must be a string"_s);
    row("a config the plugin refuses", PluginBench::route("r", "/r", R"({"key-auth": {}, "cors": {"allow_credential": true}})"),
        u"/plugins/cors/allow_origins: '*' is not allowed"_s);
    row("an upstream that is not there",
        R"({"id":"r","uri":"/r","plugins":{"key-auth":{}},"upstream_id":"gone"})", u"/upstream_id: no upstream 'gone'"_s);
    row("a member of the wrong type", PluginBench::route("r", "/r", R"({"key-auth": {}})", R"("priority":"high")"),
        u"/priority: must be an integer"_s);
    row("methods it cannot read", PluginBench::route("r", "/r", R"({"key-auth": {}})", R"("methods":"GET")"),
        u"/methods: must be an array"_s);
    row("vars it cannot read", PluginBench::route("r", "/r", R"({"key-auth": {}})", R"("vars":[["arg_x","~~","(unclosed"]])"),
        u"/vars/0: invalid regular expression"_s);
}

void tst_Plugins::brokenRouteFailsClosed()
{
    QFETCH(QByteArray, route);
    QFETCH(QString, problem);
    PluginBench::Bench bench;
    GatewayResources resources;
    resources.routes = PluginBench::parseJson("[" + route + "," + PluginBench::route("open", "/*", "{}", R"("priority":-10)") + "]").toArray();
    resources.consumers = PluginBench::parseJson(R"([{"username":"ann","plugins":{"key-auth":{"key":"ann-key"}}}])").toArray();

    // Refused as a change...
    QStringList errors;
    QVERIFY(!bench.gateway.apply(resources, &errors));
    QVERIFY2(std::any_of(errors.cbegin(), errors.cend(), [&](const QString &e) { return e.contains(problem); }), qPrintable(errors.join(u'\n')));

    // ...and closed when it is what is stored.
    const auto config = bench.gateway.applyFailClosed(resources);
    const QStringList problems = config->problems(u"routes"_s, u"r"_s);
    QVERIFY2(std::any_of(problems.cbegin(), problems.cend(), [&](const QString &e) { return e.contains(problem); }),
             qPrintable(problems.join(u'\n')));
    QVERIFY(config->problems(u"routes"_s, u"open"_s).isEmpty());
    for (const PluginBench::Headers &headers : {PluginBench::Headers{}, PluginBench::Headers{{"apikey", "ann-key"}}}) {
        const ApiResponse r = bench.get("/r", headers);
        QCOMPARE(r.status, 503);
        QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
        const QJsonObject body = PluginBench::bodyJson(r);
        QCOMPARE(body.value(u"type"_s).toString(), u"urn:gatehouse:problem:route-misconfigured"_s);
        QCOMPARE(body.value(u"route"_s).toString(), u"r"_s);
        QVERIFY2(body.value(u"detail"_s).toString().contains(u"'r'"_s), r.body.constData());
        QVERIFY2(!body.value(u"detail"_s).toString().contains(problem), "the reasons are for the operator, not the client");
    }
    QVERIFY(bench.received.isEmpty());   // not the upstream, not the catch-all
    QCOMPARE(bench.get("/elsewhere").status, 200);   // the rest is served
    QCOMPARE(bench.received.size(), 1);
}

void tst_Plugins::brokenGlobalRuleStopsEverything()
{
    PluginBench::Bench bench;
    GatewayResources resources;
    resources.routes = PluginBench::parseJson("[" + PluginBench::route("r", "/r", "{}") + "]").toArray();
    resources.globalRules = PluginBench::parseJson(R"([{"id":"auth-everywhere","plugins":["key-auth"]}])").toArray();
    const auto config = bench.gateway.applyFailClosed(resources);
    QCOMPARE(config->brokenGlobalRules(), QStringList{u"auth-everywhere"_s});
    QVERIFY(!config->problems(u"global_rules"_s, u"auth-everywhere"_s).isEmpty());
    for (const QByteArray &target : {QByteArray("/r"), QByteArray("/no-route-here")}) {
        const ApiResponse r = bench.get(target);
        QCOMPARE(r.status, 503);
        QCOMPARE(PluginBench::bodyJson(r).value(u"global_rule"_s).toString(), u"auth-everywhere"_s);
    }
    QVERIFY(bench.received.isEmpty());

    // Repaired, everything is served again (with the rule).
    resources.globalRules = PluginBench::parseJson(R"([{"id":"auth-everywhere","plugins":{"key-auth":{}}}])").toArray();
    resources.consumers = PluginBench::parseJson(R"([{"username":"ann","plugins":{"key-auth":{"key":"ann-key"}}}])").toArray();
    QCOMPARE(bench.apply("[" + PluginBench::route("r", "/r", "{}") + "]", R"([{"username":"ann","plugins":{"key-auth":{"key":"ann-key"}}}])",
                         R"([{"id":"auth-everywhere","plugins":{"key-auth":{}}}])"), QStringList());
    QCOMPARE(bench.get("/r").status, 401);
    QCOMPARE(bench.get("/r", {{"apikey", "ann-key"}}).status, 200);
}

void tst_Plugins::undecidedVarsFailClosed()
{
    // A "deny" route on a negated regex, above an open one: a value on which the regex gives up
    // at its match limit must not reach the open route.
    PluginBench::Bench bench;
    QCOMPARE(bench.apply("[" + PluginBench::route("guarded", "/r", "{}", R"("priority":5,"vars":[["arg_q","!","~~","^(a+)+$"]])") + ","
                         + PluginBench::route("open", "/r", "{}") + "]"),
             QStringList());
    QCOMPARE(bench.get("/r?q=b").status, 200);
    QCOMPARE(bench.get("/r?q=aaaa").status, 200);   // the negation does not hold: the open route
    QCOMPARE(bench.received.size(), 2);
    QCOMPARE(bench.received.at(0).routeId, u"guarded"_s);
    QCOMPARE(bench.received.at(1).routeId, u"open"_s);

    const ApiResponse r = bench.get("/r?q=" + QByteArray(40, 'a') + "b");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    const QJsonObject body = PluginBench::bodyJson(r);
    QCOMPARE(body.value(u"type"_s).toString(), u"urn:gatehouse:problem:route-condition-undecided"_s);
    QCOMPARE(body.value(u"route"_s).toString(), u"guarded"_s);
    QCOMPARE(bench.received.size(), 2);   // neither route was reached
}

void tst_Plugins::brokenConsumerLogsNobodyIn()
{
    PluginBench::Bench bench;
    GatewayResources resources;
    resources.routes = PluginBench::parseJson("[" + PluginBench::route("r", "/r", R"({"key-auth": {}})") + "]").toArray();
    resources.consumers = PluginBench::parseJson(R"([
        {"username":"ann","plugins":{"key-auth":{"key":"ann-key"}}},
        {"username":"old","plugins":{"key-auth":{"key":"old-key","scope":"admin"}}},
        {"username":"copy","plugins":{"key-auth":{"key":"ann-key"}}},
        {"username":"shape","plugins":["key-auth"]}])").toArray();
    const auto config = bench.gateway.applyFailClosed(resources);
    QVERIFY(config->problems(u"consumers"_s, u"ann"_s).isEmpty());
    QCOMPARE(config->problems(u"consumers"_s, u"old"_s), QStringList{u"/plugins/key-auth/scope: is not allowed"_s});
    QCOMPARE(config->problems(u"consumers"_s, u"copy"_s),
             QStringList{u"/plugins/key-auth/key: is already the credential of consumer 'ann'"_s});
    QCOMPARE(config->problems(u"consumers"_s, u"shape"_s), QStringList{u"/plugins: must be an object"_s});
    QCOMPARE(bench.get("/r", {{"apikey", "old-key"}}).status, 401);
    const ApiResponse ann = bench.get("/r", {{"apikey", "ann-key"}});
    QCOMPARE(ann.status, 200);
    QCOMPARE(bench.received.size(), 1);
    QCOMPARE(bench.received.constFirst().consumer, u"ann"_s);   // the key names ann, never the copy
}

QTEST_GUILESS_MAIN(tst_Plugins)
#include "tst_plugins.moc"
