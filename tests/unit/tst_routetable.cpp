// RouteTable: which route a request reaches (exact literal > :param > trailing *, with
// backtracking; priority among routes of the same path; methods, HEAD, 405 and 404), and
// Route::fromJson's validation of APISIX-shaped route objects.
#include "api/apirequest.h"
#include "gateway/route.h"
#include "gateway/routetable.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// Routes for a row, written as the JSON array an admin would PUT. fromJson must accept them.
QList<Route> routesFrom(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray())
        qFatal("bad test JSON: %s", json.constData());
    QList<Route> routes;
    for (const QJsonValue &value : document.array()) {
        QJsonObject object = value.toObject();
        if (!object.contains(QStringLiteral("upstream")))
            object.insert(QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("query")}});
        QStringList errors;
        routes.append(Route::fromJson(object, &errors));
        if (!errors.isEmpty())
            qFatal("bad test route %s: %s", QJsonDocument(object).toJson(QJsonDocument::Compact).constData(),
                   qPrintable(errors.join(QStringLiteral("; "))));
    }
    return routes;
}

QVariantMap toVariantMap(const QHash<QString, QString> &params)
{
    QVariantMap map;
    for (auto it = params.cbegin(); it != params.cend(); ++it)
        map.insert(it.key(), it.value());
    return map;
}

QVariantMap params(std::initializer_list<std::pair<const char *, const char *>> items)
{
    QVariantMap map;
    for (const auto &[key, value] : items)
        map.insert(QString::fromUtf8(key), QString::fromUtf8(value));
    return map;
}

QString outcomeName(RouteTable::Match::Outcome outcome)
{
    switch (outcome) {
    case RouteTable::Match::Found: return QStringLiteral("found");
    case RouteTable::Match::NotFound: return QStringLiteral("404");
    case RouteTable::Match::MethodNotAllowed: return QStringLiteral("405");
    case RouteTable::Match::Undecided: return QStringLiteral("undecided");
    }
    return QStringLiteral("?");
}

// The default routes of the product catalog plus the event log, as the engine installs them.
const QByteArray kCatalogRoutes = R"([
    {"id":"products-create","uri":"/api/products","methods":["POST"],"upstream":{"type":"command","collection":"products"}},
    {"id":"products-update","uri":"/api/products/:id","methods":["POST"],"upstream":{"type":"command","collection":"products"}},
    {"id":"products-command","uri":"/api/products/:id/:command","methods":["POST"],"upstream":{"type":"command","collection":"products"}},
    {"id":"products-list","uri":"/api/products","methods":["GET"],"upstream":{"type":"query","collection":"products"}},
    {"id":"products-get","uri":"/api/products/:id","methods":["GET"],"upstream":{"type":"query","collection":"products"}},
    {"id":"events","uri":"/events","methods":["GET"],"upstream":{"type":"events"}}
])";

} // namespace

class tst_RouteTable : public QObject
{
    Q_OBJECT

private slots:
    void match_data();
    void match();
    void routeLookupById();
    void hostsAndVars_data();
    void hostsAndVars();
    void splitPath_data();
    void splitPath();
    void allowsMethod_data();
    void allowsMethod();
    void fromJsonErrors_data();
    void fromJsonErrors();
    void fromJsonReadsEveryField();
    void toJsonRoundTrips();
    void brokenRouteMatchesWidely_data();
    void brokenRouteMatchesWidely();
};

void tst_RouteTable::match_data()
{
    QTest::addColumn<QByteArray>("routes");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("outcome");        // found / 404 / 405
    QTest::addColumn<QString>("routeId");        // when found
    QTest::addColumn<QVariantMap>("params");     // when found
    QTest::addColumn<QStringList>("allowed");    // when 405

    const QStringList none;

    // Path precedence: an exact literal beats a :param, whatever the definition order.
    const QByteArray paramThenLiteral = R"([
        {"id":"by-id","uri":"/api/products/:id","methods":["GET"]},
        {"id":"new","uri":"/api/products/new","methods":["GET"]}])";
    QTest::newRow("exact beats param (param defined first)")
        << paramThenLiteral << QByteArray("GET") << QByteArray("/api/products/new")
        << u"found"_s << u"new"_s << QVariantMap() << none;
    QTest::newRow("param takes what the literal does not")
        << paramThenLiteral << QByteArray("GET") << QByteArray("/api/products/42")
        << u"found"_s << u"by-id"_s << params({{"id", "42"}}) << none;
    QTest::newRow("exact beats param (literal defined first)")
        << QByteArray(R"([{"id":"new","uri":"/api/products/new"},{"id":"by-id","uri":"/api/products/:id"}])")
        << QByteArray("GET") << QByteArray("/api/products/new")
        << u"found"_s << u"new"_s << QVariantMap() << none;

    // A :param beats a trailing *, which takes the rest (also several segments, or none).
    const QByteArray wildcardAndParam = R"([
        {"id":"rest","uri":"/files/*"},
        {"id":"one","uri":"/files/:name"}])";
    QTest::newRow("param beats wildcard")
        << wildcardAndParam << QByteArray("GET") << QByteArray("/files/a.txt")
        << u"found"_s << u"one"_s << params({{"name", "a.txt"}}) << none;
    QTest::newRow("wildcard takes several segments")
        << wildcardAndParam << QByteArray("GET") << QByteArray("/files/a/b/c.txt")
        << u"found"_s << u"rest"_s << params({{"*", "a/b/c.txt"}}) << none;
    QTest::newRow("wildcard takes no segment")
        << wildcardAndParam << QByteArray("GET") << QByteArray("/files")
        << u"found"_s << u"rest"_s << params({{"*", ""}}) << none;
    QTest::newRow("exact beats wildcard")
        << QByteArray(R"([{"id":"rest","uri":"/static/*"},{"id":"index","uri":"/static/index.html"}])")
        << QByteArray("GET") << QByteArray("/static/index.html")
        << u"found"_s << u"index"_s << QVariantMap() << none;
    QTest::newRow("wildcard after a param keeps the param")
        << QByteArray(R"([{"id":"r","uri":"/u/:user/files/*"}])")
        << QByteArray("GET") << QByteArray("/u/ann/files/x/y")
        << u"found"_s << u"r"_s << params({{"user", "ann"}, {"*", "x/y"}}) << none;
    QTest::newRow("root wildcard catches everything")
        << QByteArray(R"([{"id":"all","uri":"/*"},{"id":"e","uri":"/events"}])")
        << QByteArray("GET") << QByteArray("/anything/at/all")
        << u"found"_s << u"all"_s << params({{"*", "anything/at/all"}}) << none;

    // Backtracking: a literal branch that dead-ends gives way to the param or * branch.
    QTest::newRow("backtrack from literal to param")
        << QByteArray(R"([{"id":"abc","uri":"/a/b/c"},{"id":"axd","uri":"/a/:x/d"}])")
        << QByteArray("GET") << QByteArray("/a/b/d")
        << u"found"_s << u"axd"_s << params({{"x", "b"}}) << none;
    QTest::newRow("backtrack from literal to a shallower wildcard")
        << QByteArray(R"([{"id":"deep","uri":"/a/b/c"},{"id":"rest","uri":"/a/*"}])")
        << QByteArray("GET") << QByteArray("/a/b/x")
        << u"found"_s << u"rest"_s << params({{"*", "b/x"}}) << none;
    QTest::newRow("backtrack from param to wildcard drops the param value")
        << QByteArray(R"([{"id":"p","uri":"/a/:x/y"},{"id":"rest","uri":"/a/*"}])")
        << QByteArray("GET") << QByteArray("/a/1/z")
        << u"found"_s << u"rest"_s << params({{"*", "1/z"}}) << none;
    QTest::newRow("backtrack when the literal route refuses the method")
        << QByteArray(R"([{"id":"lit","uri":"/a/b","methods":["POST"]},{"id":"par","uri":"/a/:id","methods":["GET"]}])")
        << QByteArray("GET") << QByteArray("/a/b")
        << u"found"_s << u"par"_s << params({{"id", "b"}}) << none;

    // Priority among routes of the same path: highest first, then definition order.
    const QByteArray prioritised = R"([
        {"id":"low","uri":"/p","methods":["GET","POST"],"priority":0},
        {"id":"high","uri":"/p","methods":["GET"],"priority":10},
        {"id":"mid","uri":"/p","methods":["GET"],"priority":5}])";
    QTest::newRow("highest priority wins")
        << prioritised << QByteArray("GET") << QByteArray("/p")
        << u"found"_s << u"high"_s << QVariantMap() << none;
    QTest::newRow("priority only among routes that take the method")
        << prioritised << QByteArray("POST") << QByteArray("/p")
        << u"found"_s << u"low"_s << QVariantMap() << none;
    QTest::newRow("equal priority keeps definition order")
        << QByteArray(R"([{"id":"first","uri":"/p","priority":3},{"id":"second","uri":"/p","priority":3}])")
        << QByteArray("GET") << QByteArray("/p")
        << u"found"_s << u"first"_s << QVariantMap() << none;
    QTest::newRow("negative priority loses to the default")
        << QByteArray(R"([{"id":"neg","uri":"/p","priority":-1},{"id":"zero","uri":"/p"}])")
        << QByteArray("GET") << QByteArray("/p")
        << u"found"_s << u"zero"_s << QVariantMap() << none;
    QTest::newRow("priority does not override path precedence")
        << QByteArray(R"([{"id":"param","uri":"/p/:id","priority":100},{"id":"exact","uri":"/p/x","priority":0}])")
        << QByteArray("GET") << QByteArray("/p/x")
        << u"found"_s << u"exact"_s << QVariantMap() << none;

    // Methods.
    QTest::newRow("POST reaches the command route")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/api/products")
        << u"found"_s << u"products-create"_s << QVariantMap() << none;
    QTest::newRow("GET reaches the query route")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products")
        << u"found"_s << u"products-list"_s << QVariantMap() << none;
    QTest::newRow("two params")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/api/products/42/delete")
        << u"found"_s << u"products-command"_s << params({{"id", "42"}, {"command", "delete"}}) << none;
    QTest::newRow("HEAD is allowed by a GET route")
        << kCatalogRoutes << QByteArray("HEAD") << QByteArray("/api/products/42")
        << u"found"_s << u"products-get"_s << params({{"id", "42"}}) << none;
    QTest::newRow("no methods listed takes any method")
        << QByteArray(R"([{"id":"any","uri":"/any"}])") << QByteArray("DELETE") << QByteArray("/any")
        << u"found"_s << u"any"_s << QVariantMap() << none;
    QTest::newRow("no methods listed takes an unknown method")
        << QByteArray(R"([{"id":"any","uri":"/any"}])") << QByteArray("PURGE") << QByteArray("/any")
        << u"found"_s << u"any"_s << QVariantMap() << none;

    // 405 lists what the path would accept (GET brings HEAD along).
    QTest::newRow("405 lists GET, HEAD and POST")
        << kCatalogRoutes << QByteArray("PUT") << QByteArray("/api/products")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"GET"_s, u"HEAD"_s, u"POST"_s};
    QTest::newRow("405 for POST on a GET-only path")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/events")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"GET"_s, u"HEAD"_s};
    QTest::newRow("405 for GET on a POST-only path")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products/42/delete")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"POST"_s};
    QTest::newRow("HEAD is not allowed by a POST route")
        << kCatalogRoutes << QByteArray("HEAD") << QByteArray("/api/products/42/delete")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"POST"_s};
    QTest::newRow("405 gathers every route that matches the path")
        << QByteArray(R"([{"id":"lit","uri":"/a/b","methods":["POST"]},{"id":"par","uri":"/a/:id","methods":["PUT"]},
                          {"id":"rest","uri":"/a/*","methods":["DELETE"]}])")
        << QByteArray("GET") << QByteArray("/a/b")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"POST"_s, u"PUT"_s, u"DELETE"_s};
    QTest::newRow("unknown method on a listed path is 405")
        << kCatalogRoutes << QByteArray("PURGE") << QByteArray("/events")
        << u"405"_s << QString() << QVariantMap() << QStringList{u"GET"_s, u"HEAD"_s};

    // 404.
    QTest::newRow("unknown path")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/nope")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("unknown collection")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/api/nope")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("deeper than any route")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/api/products/1/delete/more")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("a prefix of a route is not the route")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("root without a root route")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("empty table")
        << QByteArray("[]") << QByteArray("GET") << QByteArray("/")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("literals are case-sensitive")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/API/products")
        << u"404"_s << QString() << QVariantMap() << none;
    QTest::newRow("a root route matches /")
        << QByteArray(R"([{"id":"root","uri":"/"}])") << QByteArray("GET") << QByteArray("/")
        << u"found"_s << u"root"_s << QVariantMap() << none;

    // Params are percent-decoded, after the path is split: %2F stays inside its segment.
    QTest::newRow("param with an encoded space")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products/a%20b")
        << u"found"_s << u"products-get"_s << params({{"id", "a b"}}) << none;
    QTest::newRow("param with an encoded slash")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products/a%2Fb")
        << u"found"_s << u"products-get"_s << params({{"id", "a/b"}}) << none;
    QTest::newRow("param with encoded UTF-8")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products/caf%C3%A9")
        << u"found"_s << u"products-get"_s << params({{"id", "caf\xc3\xa9"}}) << none;
    QTest::newRow("a plus stays a plus in the path")
        << kCatalogRoutes << QByteArray("GET") << QByteArray("/api/products/a+b")
        << u"found"_s << u"products-get"_s << params({{"id", "a+b"}}) << none;
    QTest::newRow("trailing slash is the same path")
        << kCatalogRoutes << QByteArray("POST") << QByteArray("/api/products/")
        << u"found"_s << u"products-create"_s << QVariantMap() << none;

    // Disabled routes ("status": 0) are not in the table.
    QTest::newRow("disabled exact route gives way to the param route")
        << QByteArray(R"([{"id":"off","uri":"/p/new","status":0},{"id":"by-id","uri":"/p/:id"}])")
        << QByteArray("GET") << QByteArray("/p/new")
        << u"found"_s << u"by-id"_s << params({{"id", "new"}}) << none;
    QTest::newRow("disabled high-priority route gives way")
        << QByteArray(R"([{"id":"off","uri":"/p","priority":9,"status":0},{"id":"on","uri":"/p"}])")
        << QByteArray("GET") << QByteArray("/p")
        << u"found"_s << u"on"_s << QVariantMap() << none;
    QTest::newRow("only a disabled route: 404, not 405")
        << QByteArray(R"([{"id":"off","uri":"/p","methods":["POST"],"status":0}])")
        << QByteArray("GET") << QByteArray("/p")
        << u"404"_s << QString() << QVariantMap() << none;

    // Params at the same position named differently on different routes.
    const QByteArray differentNames = R"([
        {"id":"list","uri":"/api/:collection/list"},
        {"id":"show","uri":"/api/:name/show"},
        {"id":"deep","uri":"/api/:kind/:id/x"}])";
    QTest::newRow("param name of the first route")
        << differentNames << QByteArray("GET") << QByteArray("/api/books/list")
        << u"found"_s << u"list"_s << params({{"collection", "books"}}) << none;
    QTest::newRow("param name of the second route")
        << differentNames << QByteArray("GET") << QByteArray("/api/books/show")
        << u"found"_s << u"show"_s << params({{"name", "books"}}) << none;
    QTest::newRow("param names of the third route")
        << differentNames << QByteArray("GET") << QByteArray("/api/books/7/x")
        << u"found"_s << u"deep"_s << params({{"kind", "books"}, {"id", "7"}}) << none;
}

void tst_RouteTable::match()
{
    QFETCH(QByteArray, routes);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QString, outcome);
    QFETCH(QString, routeId);
    QFETCH(QVariantMap, params);
    QFETCH(QStringList, allowed);

    const RouteTable table(routesFrom(routes));
    const RouteTable::Match m = table.match(method, path);

    QCOMPARE(outcomeName(m.outcome), outcome);
    if (m.outcome == RouteTable::Match::Found) {
        QVERIFY(m.route);
        QCOMPARE(m.route->id, routeId);
        QCOMPARE(toVariantMap(m.params), params);
    } else {
        QVERIFY(!m.route);
        QCOMPARE(m.allowedMethods, allowed);
    }
}

void tst_RouteTable::hostsAndVars_data()
{
    QTest::addColumn<QByteArray>("routes");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QByteArray>("headers");    // "name: value" lines
    QTest::addColumn<QString>("expected");      // route id, or "404"

    const QByteArray hosts = R"([
        {"id":"exact","uri":"/a","hosts":["api.example.com"],"upstream":{"type":"events"}},
        {"id":"wild","uri":"/a","hosts":["*.example.com"],"upstream":{"type":"events"}},
        {"id":"any","uri":"/b","upstream":{"type":"events"}}])";
    QTest::newRow("exact host") << hosts << QByteArray("/a") << QByteArray("api.example.com") << QByteArray() << QByteArray() << QStringLiteral("exact");
    QTest::newRow("host with port") << hosts << QByteArray("/a") << QByteArray("API.example.com:9080") << QByteArray() << QByteArray() << QStringLiteral("exact");
    QTest::newRow("wildcard host") << hosts << QByteArray("/a") << QByteArray("eu.example.com") << QByteArray() << QByteArray() << QStringLiteral("wild");
    QTest::newRow("wildcard needs a subdomain") << hosts << QByteArray("/a") << QByteArray("example.com") << QByteArray() << QByteArray() << QStringLiteral("404");
    QTest::newRow("other host") << hosts << QByteArray("/a") << QByteArray("evil.com") << QByteArray() << QByteArray() << QStringLiteral("404");
    QTest::newRow("route without hosts") << hosts << QByteArray("/b") << QByteArray("evil.com") << QByteArray() << QByteArray() << QStringLiteral("any");

    const QByteArray vars = R"([
        {"id":"v2","uri":"/api","priority":10,"vars":[["arg_version","==","2"]],"upstream":{"type":"events"}},
        {"id":"eu","uri":"/api","priority":5,"vars":[["http_x_region","~~","^eu-"]],"upstream":{"type":"events"}},
        {"id":"beta","uri":"/api","priority":4,"vars":[["cookie_beta","==","1"],["arg_debug","!","==","1"]],"upstream":{"type":"events"}},
        {"id":"big","uri":"/api","priority":3,"vars":[["arg_n",">",100]],"upstream":{"type":"events"}},
        {"id":"listed","uri":"/api","priority":2,"vars":[["arg_tier","in",["gold","silver"]]],"upstream":{"type":"events"}},
        {"id":"fallback","uri":"/api","upstream":{"type":"events"}}])";
    QTest::newRow("arg ==") << vars << QByteArray("/api") << QByteArray() << QByteArray("version=2") << QByteArray() << QStringLiteral("v2");
    QTest::newRow("arg == other value") << vars << QByteArray("/api") << QByteArray() << QByteArray("version=3") << QByteArray() << QStringLiteral("fallback");
    QTest::newRow("header regex") << vars << QByteArray("/api") << QByteArray() << QByteArray() << QByteArray("x-region: eu-west") << QStringLiteral("eu");
    QTest::newRow("header regex miss") << vars << QByteArray("/api") << QByteArray() << QByteArray() << QByteArray("x-region: us-east") << QStringLiteral("fallback");
    QTest::newRow("cookie and negation") << vars << QByteArray("/api") << QByteArray() << QByteArray() << QByteArray("cookie: a=b; beta=1") << QStringLiteral("beta");
    QTest::newRow("negation blocks") << vars << QByteArray("/api") << QByteArray() << QByteArray("debug=1") << QByteArray("cookie: beta=1") << QStringLiteral("fallback");
    QTest::newRow("numeric >") << vars << QByteArray("/api") << QByteArray() << QByteArray("n=101") << QByteArray() << QStringLiteral("big");
    QTest::newRow("numeric > not a number") << vars << QByteArray("/api") << QByteArray() << QByteArray("n=abc") << QByteArray() << QStringLiteral("fallback");
    QTest::newRow("in list") << vars << QByteArray("/api") << QByteArray() << QByteArray("tier=silver") << QByteArray() << QStringLiteral("listed");
    // A regex that gives up at the match limit (catastrophic backtracking) decides nothing:
    // no route of lower priority is chosen instead ("undecided"), negated or not.
    const QByteArray evil = R"json([
        {"id":"not-evil","uri":"/api","priority":5,"vars":[["arg_q","!","~~","^(a+)+$"]],"upstream":{"type":"events"}},
        {"id":"fallback","uri":"/api","upstream":{"type":"events"}}])json";
    QTest::newRow("negated regex, plain miss") << evil << QByteArray("/api") << QByteArray() << QByteArray("q=b") << QByteArray() << QStringLiteral("not-evil");
    QTest::newRow("negated regex, match") << evil << QByteArray("/api") << QByteArray() << QByteArray("q=aaa") << QByteArray() << QStringLiteral("fallback");
    QTest::newRow("negated regex gives up") << evil << QByteArray("/api") << QByteArray() << QByteArray("q=" + QByteArray(40, 'a') + "b")
                                            << QByteArray() << QStringLiteral("undecided:not-evil");
    const QByteArray evilPlain = R"json([
        {"id":"evil","uri":"/api","priority":5,"vars":[["arg_q","~~","^(a+)+$"]],"upstream":{"type":"events"}},
        {"id":"fallback","uri":"/api","upstream":{"type":"events"}}])json";
    QTest::newRow("regex gives up") << evilPlain << QByteArray("/api") << QByteArray() << QByteArray("q=" + QByteArray(40, 'a') + "b")
                                    << QByteArray() << QStringLiteral("undecided:evil");
    const QByteArray evilAndNo = R"json([
        {"id":"evil","uri":"/api","priority":5,"vars":[["arg_q","~~","^(a+)+$"],["arg_tier","==","gold"]],"upstream":{"type":"events"}},
        {"id":"evil-post","uri":"/api","priority":4,"methods":["POST"],"vars":[["arg_q","~~","^(a+)+$"]],"upstream":{"type":"events"}},
        {"id":"fallback","uri":"/api","upstream":{"type":"events"}}])json";
    QTest::newRow("regex that gives up beside a term that says no") << evilAndNo << QByteArray("/api") << QByteArray()
        << QByteArray("q=" + QByteArray(40, 'a') + "b&tier=free") << QByteArray() << QStringLiteral("fallback");
    QTest::newRow("regex that gives up beside a term that says yes") << evilAndNo << QByteArray("/api") << QByteArray()
        << QByteArray("q=" + QByteArray(40, 'a') + "b&tier=gold") << QByteArray() << QStringLiteral("undecided:evil");
    QTest::newRow("regex that gives up, other path") << evilPlain << QByteArray("/other") << QByteArray()
                                                     << QByteArray("q=" + QByteArray(40, 'a') + "b") << QByteArray() << QStringLiteral("404");
    // A route of higher priority that is chosen first never asks the one that would give up.
    const QByteArray evilBelow = R"json([
        {"id":"first","uri":"/api","priority":9,"upstream":{"type":"events"}},
        {"id":"evil","uri":"/api","priority":5,"vars":[["arg_q","~~","^(a+)+$"]],"upstream":{"type":"events"}}])json";
    QTest::newRow("regex below the chosen route") << evilBelow << QByteArray("/api") << QByteArray()
                                                  << QByteArray("q=" + QByteArray(40, 'a') + "b") << QByteArray() << QStringLiteral("first");
    QTest::newRow("priority among matching vars") << vars << QByteArray("/api") << QByteArray() << QByteArray("version=2&n=500") << QByteArray("x-region: eu-1") << QStringLiteral("v2");
}

void tst_RouteTable::hostsAndVars()
{
    QFETCH(QByteArray, routes);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, host);
    QFETCH(QByteArray, query);
    QFETCH(QByteArray, headers);
    QFETCH(QString, expected);
    RouteTable table(routesFrom(routes));
    ApiRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    if (!host.isEmpty())
        request.headers.append({"host", host});
    for (const QByteArray &line : headers.split('\n')) {
        const auto colon = line.indexOf(':');
        if (colon > 0)
            request.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    const RouteTable::Match m = table.match(request);
    if (expected == QLatin1String("404")) {
        QCOMPARE(m.outcome, RouteTable::Match::NotFound);
    } else if (expected.startsWith(QLatin1String("undecided:"))) {
        QCOMPARE(m.outcome, RouteTable::Match::Undecided);
        QCOMPARE(m.route->id, expected.mid(10));
    } else {
        QCOMPARE(m.outcome, RouteTable::Match::Found);
        QCOMPARE(m.route->id, expected);
    }
}

void tst_RouteTable::routeLookupById()
{
    const RouteTable table(routesFrom(kCatalogRoutes));
    QCOMPARE(table.routes().size(), 6);
    const Route *route = table.route(u"products-command"_s);
    QVERIFY(route);
    QCOMPARE(route->uri, u"/api/products/:id/:command"_s);
    QCOMPARE(route->upstream.collection, u"products"_s);
    QVERIFY(!table.route(u"nope"_s));

    // The matched route is the table's own, so its id and upstream can be read after matching.
    const RouteTable::Match m = table.match("POST", "/api/products/1/delete");
    QCOMPARE(m.route, route);
}

void tst_RouteTable::splitPath_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QStringList>("segments");

    QTest::newRow("root") << QByteArray("/") << QStringList();
    QTest::newRow("empty") << QByteArray("") << QStringList();
    QTest::newRow("two") << QByteArray("/a/b") << QStringList{u"a"_s, u"b"_s};
    QTest::newRow("trailing and doubled slashes") << QByteArray("//a//b/") << QStringList{u"a"_s, u"b"_s};
    QTest::newRow("decoded per segment") << QByteArray("/a%2Fb/c%20d") << QStringList{u"a/b"_s, u"c d"_s};
}

void tst_RouteTable::splitPath()
{
    QFETCH(QByteArray, path);
    QFETCH(QStringList, segments);
    QCOMPARE(RouteTable::splitPath(path), segments);
}

void tst_RouteTable::allowsMethod_data()
{
    QTest::addColumn<QStringList>("methods");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<bool>("allowed");

    QTest::newRow("listed") << QStringList{u"GET"_s, u"POST"_s} << QByteArray("POST") << true;
    QTest::newRow("not listed") << QStringList{u"GET"_s} << QByteArray("POST") << false;
    QTest::newRow("HEAD by GET") << QStringList{u"GET"_s} << QByteArray("HEAD") << true;
    QTest::newRow("HEAD not by POST") << QStringList{u"POST"_s} << QByteArray("HEAD") << false;
    QTest::newRow("none listed: any") << QStringList() << QByteArray("PATCH") << true;
}

void tst_RouteTable::allowsMethod()
{
    QFETCH(QStringList, methods);
    QFETCH(QByteArray, method);
    QFETCH(bool, allowed);
    Route route;
    route.uri = u"/x"_s;
    route.methods = methods;
    QCOMPARE(route.allowsMethod(method), allowed);
}

void tst_RouteTable::fromJsonErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("pointers");   // the JSON Pointer each error starts with, in order

    const QByteArray upstream = R"("upstream":{"type":"query","collection":"products"})";
    QTest::newRow("valid") << QByteArray(R"({"id":"r","uri":"/api/products/:id","methods":["GET"],)" + upstream + "}")
                           << QStringList();
    QTest::newRow("valid wildcard") << QByteArray(R"({"id":"r","uri":"/static/*",)" + upstream + "}")
                                    << QStringList();
    QTest::newRow("every method name") << QByteArray(R"({"uri":"/x","methods":["GET","POST","PUT","PATCH","DELETE","HEAD","OPTIONS"],)"
                                                     + upstream + "}")
                                       << QStringList();
    QTest::newRow("function upstream")
        << QByteArray(R"({"uri":"/x","upstream":{"type":"function","function":"f"}})") << QStringList();
    QTest::newRow("no uri") << QByteArray(R"({"id":"r",)" + upstream + "}") << QStringList{u"/uri"_s};
    QTest::newRow("relative uri") << QByteArray(R"({"uri":"api/products",)" + upstream + "}") << QStringList{u"/uri"_s};
    QTest::newRow("* in the middle") << QByteArray(R"({"uri":"/api/*/x",)" + upstream + "}") << QStringList{u"/uri"_s};
    QTest::newRow("unknown method") << QByteArray(R"({"uri":"/x","methods":["GET","FETCH"],)" + upstream + "}")
                                    << QStringList{u"/methods"_s};
    QTest::newRow("lower-case method") << QByteArray(R"({"uri":"/x","methods":["get"],)" + upstream + "}")
                                       << QStringList{u"/methods"_s};
    // A string where the list belongs must not quietly become "every method".
    QTest::newRow("methods not a list") << QByteArray(R"({"uri":"/x","methods":"GET",)" + upstream + "}")
                                        << QStringList{u"/methods"_s};
    QTest::newRow("no upstream") << QByteArray(R"({"uri":"/x"})") << QStringList{u"/upstream/type"_s};
    QTest::newRow("unknown upstream type") << QByteArray(R"({"uri":"/x","upstream":{"type":"grpc"}})")
                                           << QStringList{u"/upstream/type"_s};
    QTest::newRow("every problem at once")
        << QByteArray(R"({"uri":"x*y","methods":["BREW"],"upstream":{"type":"teapot"}})")
        << QStringList{u"/uri"_s, u"/uri"_s, u"/methods"_s, u"/upstream/type"_s};
}

void tst_RouteTable::fromJsonErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, pointers);

    QStringList errors;
    errors.append(u"earlier"_s);   // kept: fromJson appends
    Route::fromJson(QJsonDocument::fromJson(json).object(), &errors);
    QCOMPARE(errors.takeFirst(), u"earlier"_s);
    QStringList got;
    for (const QString &e : std::as_const(errors))
        got.append(e.section(QLatin1Char(':'), 0, 0));
    QCOMPARE(got, pointers);
    for (const QString &e : std::as_const(errors))
        QVERIFY2(e.section(QLatin1Char(':'), 1).trimmed().size() > 3, qPrintable(e));   // says what is wrong

    // Without an error list it neither crashes nor invents one.
    Route::fromJson(QJsonDocument::fromJson(json).object(), nullptr);
}

void tst_RouteTable::fromJsonReadsEveryField()
{
    const QByteArray json = R"({"id":"products-get","name":"Get a product","uri":"/api/products/:id",
        "methods":["GET"],"priority":7,"hosts":["api.example.com"],"status":0,
        "upstream":{"type":"query","collection":"products"},
        "plugins":{"limit-count":{"count":100,"time_window":60,"rejected_code":429}}})";
    QStringList errors;
    const Route r = Route::fromJson(QJsonDocument::fromJson(json).object(), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
    QCOMPARE(r.id, u"products-get"_s);
    QCOMPARE(r.name, u"Get a product"_s);
    QCOMPARE(r.uri, u"/api/products/:id"_s);
    QCOMPARE(r.methods, QStringList{u"GET"_s});
    QCOMPARE(r.priority, 7);
    QCOMPARE(r.hosts, QStringList{u"api.example.com"_s});
    QCOMPARE(r.enabled, false);
    QCOMPARE(r.upstream.type, u"query"_s);
    QCOMPARE(r.upstream.collection, u"products"_s);
    QCOMPARE(r.plugins.value(u"limit-count"_s).toObject().value(u"count"_s).toInt(), 100);

    // Defaults: enabled, priority 0, every method.
    const Route d = Route::fromJson(QJsonObject{{u"uri"_s, u"/x"_s},
                                                {u"upstream"_s, QJsonObject{{u"type"_s, u"events"_s}}}}, &errors);
    QVERIFY(errors.isEmpty());
    QCOMPARE(d.enabled, true);
    QCOMPARE(d.priority, 0);
    QVERIFY(d.methods.isEmpty());
    QVERIFY(d.allowsMethod("DELETE"));
}

void tst_RouteTable::toJsonRoundTrips()
{
    Route r;
    r.id = u"r1"_s;
    r.name = u"named"_s;
    r.uri = u"/api/products/:id/:command"_s;
    r.methods = {u"POST"_s};
    r.priority = -3;
    r.enabled = false;
    r.hosts = {u"a.example"_s, u"b.example"_s};
    r.plugins = QJsonObject{{u"key-auth"_s, QJsonObject()}};
    r.upstream.type = u"command"_s;
    r.upstream.collection = u"products"_s;

    const QJsonObject json = r.toJson();
    QCOMPARE(json.value(u"status"_s).toInt(), 0);
    QCOMPARE(json.value(u"upstream"_s).toObject().value(u"type"_s).toString(), u"command"_s);

    QStringList errors;
    const Route back = Route::fromJson(json, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; "_s)));
    QCOMPARE(back.id, r.id);
    QCOMPARE(back.name, r.name);
    QCOMPARE(back.uri, r.uri);
    QCOMPARE(back.methods, r.methods);
    QCOMPARE(back.priority, r.priority);
    QCOMPARE(back.enabled, r.enabled);
    QCOMPARE(back.hosts, r.hosts);
    QCOMPARE(back.plugins, r.plugins);
    QCOMPARE(back.upstream.type, r.upstream.type);
    QCOMPARE(back.upstream.collection, r.upstream.collection);
    QCOMPARE(back.toJson(), json);
}

// A stored route with a member it cannot read still takes every request it was meant to
// (and more), so the gateway answers them 503 instead of handing them to a route below it
// (a catch-all, or a lower-priority route on the same path).
void tst_RouteTable::brokenRouteMatchesWidely_data()
{
    QTest::addColumn<QByteArray>("broken");     // members of route "broken" besides id and upstream
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("host");

    auto row = [](const char *name, const char *broken, const char *method, const char *path, const char *host = "api.example.com") {
        QTest::newRow(name) << QByteArray(broken) << QByteArray(method) << QByteArray(path) << QByteArray(host);
    };
    row("methods as a string", R"("uri":"/r","methods":"GET")", "DELETE", "/r");
    row("an unknown method", R"("uri":"/r","methods":["GET","FETCH"])", "PUT", "/r");
    row("priority not a number", R"("uri":"/r","priority":"high")", "GET", "/r");
    row("hosts as a string", R"("uri":"/r","hosts":"api.example.com")", "GET", "/r", "other.example.com");
    row("a host that is not a string", R"("uri":"/r","hosts":["api.example.com",7])", "GET", "/r", "other.example.com");
    row("vars with a broken regex", R"("uri":"/r","vars":[["arg_v","~~","(unclosed"]])", "GET", "/r");
    row("vars not a list", R"("uri":"/r","vars":"arg_v == 1")", "GET", "/r");
    row("a * in the middle", R"("uri":"/a/*/b")", "GET", "/a/x/y");
    row("status not 0 or 1", R"("uri":"/r","status":"off")", "GET", "/r");
}

void tst_RouteTable::brokenRouteMatchesWidely()
{
    QFETCH(QByteArray, broken);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, host);
    const QByteArray upstream = R"("upstream":{"type":"events"})";
    QStringList errors;
    QList<Route> routes;
    routes.append(Route::fromJson(QJsonDocument::fromJson("{\"id\":\"broken\"," + broken + "," + upstream + "}").object(), &errors));
    QVERIFY2(!errors.isEmpty(), "the broken member is reported");
    routes.append(Route::fromJson(QJsonDocument::fromJson(R"({"id":"below","uri":"/*","priority":5,)" + upstream + "}").object(), nullptr));
    routes.append(Route::fromJson(QJsonDocument::fromJson(R"({"id":"same-path","uri":"/r","priority":-1,"methods":["GET"],)"
                                                          + upstream + "}").object(), nullptr));
    const RouteTable table(routes);
    ApiRequest request;
    request.method = method;
    request.path = path;
    request.headers.append({"host", host});
    const RouteTable::Match m = table.match(request);
    QCOMPARE(m.outcome, RouteTable::Match::Found);
    QCOMPARE(m.route->id, u"broken"_s);
}

QTEST_APPLESS_MAIN(tst_RouteTable)

#include "tst_routetable.moc"
