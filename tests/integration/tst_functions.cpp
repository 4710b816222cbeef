// Serverless JavaScript functions (engine/functions) over real sockets: an Engine on a temporary
// data directory with the real gateway and admin listeners. Tests assert what an operator or a
// client sees: admin status codes and bodies, documents served by the query API, events in the
// log, dead letters, and HTTP answers of function routes. The whole class runs once per
// isolation mode ("process", the default, and "thread"): every definition it deploys gets it.
#include "assembly/engine.h"
#include "projections/projectionrunner.h"
#include "readmodel/readstore.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <future>
#include <vector>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 15000;
const QByteArray kAdminKey = "fn-test-key-3b9d1c";

QByteArray toJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject eventTrigger(const QJsonObject &filter)
{
    return QJsonObject{{u"type"_s, u"event"_s}, {u"filter"_s, filter}};
}

} // namespace

class tst_Functions : public QObject
{
    Q_OBJECT

public:
    explicit tst_Functions(QString isolation) : m_isolation(std::move(isolation)) {}

private slots:
    void initTestCase();
    void cleanupTestCase();

    void deployRedeployRollbackDelete();
    void badDefinitionsAreRefused_data();
    void badDefinitionsAreRefused();
    void triggerFilters_data();
    void triggerFilters();
    void upsertIsServedByTheQueryApi();
    void aRebuildKeepsWhatFunctionsWrote();
    void testRunWritesNothing();
    void retriesThenDeadLetterThenReplay();
    void timeoutStopsAnEndlessLoop();
    void valuesCrossIntoAndOutOfScriptsAsJson();
    void httpTriggerThroughARoute();
    void emitAppendsAnEventWithCausation();
    void concurrencyKeepsEachSubjectInOrder();
    void batchesAndIdleInstancesAreReclaimed();
    void catchUpRunsTheNextBatchAheadOnTheWritesBeforeIt();
    void aFunctionThatQueriesIsNotRunAhead();
    void customCommandsRunDecide();
    void queryFromAnIntervalTrigger();
    void statsInAdminApiAndMetrics();
    void memoryCeilingStopsAnEndlessAllocation();
    void replayAfterACrashDoesNotEmitTwice();
    void functionsSurviveARestart();

private:
    void startEngine();
    TestHttpResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
        return client.request(method, path, body, {{"X-API-KEY", kAdminKey}});
    }
    TestHttpResponse deploy(const QString &name, QJsonObject definition)
    {
        if (!definition.contains(u"isolation"_s))
            definition.insert(u"isolation"_s, m_isolation);
        return admin("PUT", "/admin/functions/" + name.toUtf8(), toJson(definition));
    }
    TestHttpResponse gateway(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient client(u"127.0.0.1"_s, m_port);
        return client.request(method, path, body);
    }
    qint64 append(const QString &type, const QString &subject, const QJsonObject &data = {})
    {
        AppendRequest request;
        request.stream = type.section(u'.', 0, -2) + u'-' + subject;
        request.events.append(NewEvent{{}, type, toJson(data), "{}"});
        const AppendResult r = m_engine.eventStore()->appendAndWait(std::move(request));
        return r.ok() ? r.lastPosition : -1;
    }
    // `count` events {"n": 0..count-1} of one stream, appended several to a request; the
    // positions of the first and the last. False when an append failed.
    bool appendNumbered(const QString &stream, const QString &type, int count, qint64 *first, qint64 *last)
    {
        constexpr int kPerAppend = 500;
        *first = 0;
        for (int n = 0; n < count; n += kPerAppend) {
            AppendRequest request;
            request.stream = stream;
            const int end = qMin(count, n + kPerAppend);
            for (int i = n; i < end; ++i)
                request.events.append(NewEvent{{}, type, toJson(QJsonObject{{u"n"_s, i}}), "{}"});
            const AppendResult r = m_engine.eventStore()->appendAndWait(std::move(request));
            if (!r.ok())
                return false;
            *first = *first ? *first : r.lastPosition - (end - n) + 1;
            *last = r.lastPosition;
        }
        return true;
    }
    // An event trigger on `type` from `position`.
    static QJsonArray triggeredBy(const QString &type, qint64 position)
    {
        return QJsonArray{QJsonObject{{u"type"_s, u"event"_s}, {u"filter"_s, QJsonObject{{u"type"_s, type}}}, {u"from"_s, position}}};
    }
    // Waits until the function's projection has passed `position`.
    bool reached(const QString &name, qint64 position)
    {
        QDeadlineTimer deadline(kWaitMs);
        while (!deadline.hasExpired()) {
            const QJsonObject f = admin("GET", "/admin/functions/" + name.toUtf8()).json();
            if (f.value(u"projection"_s).toObject().value(u"position"_s).toInteger() >= position)
                return true;
            QTest::qWait(20);
        }
        return false;
    }

    QString m_isolation;
    QTemporaryDir m_dir;
    QString m_projectFile;
    Engine m_engine;
    Server::Listeners m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
};

void tst_Functions::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // The product catalog plus two collections the functions write (so the query API serves them).
    QFile source(QStringLiteral(GATEHOUSE_SOURCE_DIR "/resources/default-project.json"));
    QVERIFY(source.open(QIODevice::ReadOnly));
    QJsonObject project = QJsonDocument::fromJson(source.readAll()).object();
    QJsonObject collections = project.value(u"collections"_s).toObject();
    for (const QString &name : {u"fn_hits"_s, u"product_stats"_s})
        collections.insert(name, QJsonObject{{u"schema"_s, QJsonObject{{u"type"_s, u"object"_s}}}});
    // Custom commands: one by a deployed function's decide(), one inline.
    QJsonObject products = collections.value(u"products"_s).toObject();
    products.insert(u"commands"_s, QJsonObject{
        {u"discount"_s, QJsonObject{{u"function"_s, u"discounter"_s}}},
        {u"retire"_s, QJsonObject{{u"decide"_s, u"function (state, command) {\n"
                                                 "  if (!state) throw new Error('nothing to retire');\n"
                                                 "  return [{type: 'retired', data: {reason: command.data.reason || 'none'}}];\n}"_s}}},
        {u"ghost"_s, QJsonObject{{u"function"_s, u"not-deployed"_s}}}});
    collections.insert(u"products"_s, products);
    project.insert(u"collections"_s, collections);
    QFile projectFile(m_dir.filePath(u"project.json"_s));
    QVERIFY(projectFile.open(QIODevice::WriteOnly));
    projectFile.write(QJsonDocument(project).toJson());
    projectFile.close();
    m_projectFile = projectFile.fileName();
    startEngine();
}

void tst_Functions::startEngine()
{
    EngineOptions options;
    options.dataDir = m_dir.filePath(u"data"_s);
    options.durability = EventStore::Durability::Normal;
    options.adminKey = QString::fromLatin1(kAdminKey);
    options.projectFile = m_projectFile;
    options.functionWorker = QStringLiteral(GATEHOUSE_BINARY);   // this test's own executable is no worker
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
}

void tst_Functions::cleanupTestCase()
{
    m_listeners.close();
    m_engine.stop();
}

void tst_Functions::deployRedeployRollbackDelete()
{
    const QString v1 = u"function handle(input, ctx) { return {status: 200, body: 'one'}; }"_s;
    const QString v2 = u"function handle(input, ctx) { return {status: 200, body: 'two'}; }"_s;
    TestHttpResponse r = deploy(u"versioned"_s, {{u"code"_s, v1}});
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(u"version"_s).toInt(), 1);
    QCOMPARE(r.json().value(u"timeout_ms"_s).toInt(), 3000);   // defaults filled in
    QCOMPARE(r.json().value(u"retry"_s).toObject().value(u"max_attempts"_s).toInt(), 3);
    r = deploy(u"versioned"_s, {{u"code"_s, v2}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"version"_s).toInt(), 2);

    r = admin("GET", "/admin/functions/versioned/versions");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"total"_s).toInt(), 2);

    r = admin("POST", "/admin/functions/versioned/rollback", R"({"version":1})");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"version"_s).toInt(), 3);
    QCOMPARE(r.json().value(u"code"_s).toString(), v1);
    QCOMPARE(admin("GET", "/admin/functions/versioned").json().value(u"code"_s).toString(), v1);
    QCOMPARE(admin("POST", "/admin/functions/versioned/rollback", R"({"version":9})").status, 404);

    r = admin("GET", "/admin/functions");
    QCOMPARE(r.status, 200);
    bool listed = false;
    for (const QJsonValue &v : r.json().value(u"items"_s).toArray())
        listed = listed || (v.toObject().value(u"name"_s) == u"versioned"_s && v.toObject().contains(u"stats"_s));
    QVERIFY(listed);

    QCOMPARE(admin("DELETE", "/admin/functions/versioned").status, 204);
    QCOMPARE(admin("GET", "/admin/functions/versioned").status, 404);
    QCOMPARE(admin("DELETE", "/admin/functions/versioned").status, 404);
}

void tst_Functions::badDefinitionsAreRefused_data()
{
    QTest::addColumn<QJsonObject>("definition");
    QTest::addColumn<int>("line");       // 0: no line expected
    QTest::addColumn<QString>("error");  // one of the listed errors contains it; empty: not checked

    const QString code = u"function handle(){}"_s;
    QTest::newRow("syntax error on line 3")
        << QJsonObject{{u"code"_s, u"// a comment\nfunction handle(input, ctx) {\n  return 1 +;\n}"_s}} << 3 << QString();
    QTest::newRow("no handle") << QJsonObject{{u"code"_s, u"function other() {}"_s}} << 0 << QString();
    QTest::newRow("only decide, but triggered")
        << QJsonObject{{u"code"_s, u"function decide(s, c) { return []; }"_s},
                       {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"x.y"_s}})}}} << 0 << QString();
    QTest::newRow("throws at load") << QJsonObject{{u"code"_s, u"\nthrow new Error('nope');"_s}} << 2 << QString();
    QTest::newRow("deep value at load, not a crash")
        << QJsonObject{{u"code"_s, u"var o = {}; for (var k = 0; k < 200000; k++) o = {a: o};\nthrow new Error('deep ' + JSON.stringify(o));"_s}}
        << 0 << QString();
    QTest::newRow("no code") << QJsonObject{{u"runtime"_s, u"js"_s}} << 0 << u"/code: is required"_s;
    QTest::newRow("code not a string") << QJsonObject{{u"code"_s, 5}} << 0 << u"/code: is required"_s;
    QTest::newRow("bad timeout") << QJsonObject{{u"code"_s, code}, {u"timeout_ms"_s, -5}} << 0 << u"/timeout_ms: must be an integer"_s;
    QTest::newRow("timeout as a string") << QJsonObject{{u"code"_s, code}, {u"timeout_ms"_s, u"100"_s}} << 0 << u"/timeout_ms: must be an integer"_s;
    QTest::newRow("fractional batch") << QJsonObject{{u"code"_s, code}, {u"batch_size"_s, 1.5}} << 0 << u"/batch_size: must be an integer"_s;
    QTest::newRow("bad filter")
        << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, QJsonObject{{u"glob"_s, u"x"_s}}}})}}}
        << 0 << u"/triggers/0/filter/type"_s;
    QTest::newRow("unknown member") << QJsonObject{{u"code"_s, code}, {u"timeout"_s, 5}} << 0 << u"/timeout: unknown member"_s;
    QTest::newRow("misspelt retry member")
        << QJsonObject{{u"code"_s, code}, {u"retry"_s, QJsonObject{{u"max_atempts"_s, 5}}}} << 0 << u"/retry/max_atempts: unknown member"_s;
    QTest::newRow("retry not an object") << QJsonObject{{u"code"_s, code}, {u"retry"_s, 3}} << 0 << u"/retry: must be an object"_s;
    QTest::newRow("backoff not a string")
        << QJsonObject{{u"code"_s, code}, {u"retry"_s, QJsonObject{{u"backoff"_s, 2}}}} << 0 << u"/retry/backoff: must be one of"_s;
    QTest::newRow("unknown isolation") << QJsonObject{{u"code"_s, code}, {u"isolation"_s, u"vm"_s}} << 0 << u"/isolation: must be one of"_s;
    QTest::newRow("isolation not a string") << QJsonObject{{u"code"_s, code}, {u"isolation"_s, true}} << 0 << u"/isolation: must be one of"_s;
    QTest::newRow("runtime not js") << QJsonObject{{u"code"_s, code}, {u"runtime"_s, 5}} << 0 << u"/runtime: must be one of"_s;
    QTest::newRow("env not an object") << QJsonObject{{u"code"_s, code}, {u"env"_s, u"x"_s}} << 0 << u"/env: must be an object"_s;
    QTest::newRow("triggers not an array") << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonObject()}} << 0 << u"/triggers: must be an array"_s;
    QTest::newRow("trigger not an object") << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{u"event"_s}}} << 0 << u"/triggers/0: must be an object"_s;
    QTest::newRow("trigger without type") << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{QJsonObject()}}} << 0 << u"/triggers/0/type: is required"_s;
    QTest::newRow("unknown trigger member")
        << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{QJsonObject{{u"type"_s, u"http"_s}, {u"path"_s, u"/x"_s}}}}}
        << 0 << u"/triggers/0/path: unknown member"_s;
    QTest::newRow("unknown filter member")
        << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{eventTrigger({{u"types"_s, u"a.b"_s}})}}} << 0 << u"/triggers/0/filter/types: unknown member"_s;
    QTest::newRow("fractional from")
        << QJsonObject{{u"code"_s, code}, {u"triggers"_s, QJsonArray{QJsonObject{{u"type"_s, u"event"_s}, {u"from"_s, 2.5}}}}}
        << 0 << u"/triggers/0/from: must be an integer"_s;
    QTest::newRow("another name") << QJsonObject{{u"code"_s, code}, {u"name"_s, u"other"_s}} << 0 << u"/name: must be the name in the path"_s;
}

void tst_Functions::badDefinitionsAreRefused()
{
    QFETCH(QJsonObject, definition);
    QFETCH(int, line);
    QFETCH(QString, error);
    const TestHttpResponse r = deploy(u"broken"_s, definition);
    QVERIFY2(r.status == 400, r.body.constData());
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    QVERIFY(!r.json().value(u"detail"_s).toString().isEmpty());
    if (line > 0) {
        QCOMPARE(r.json().value(u"line"_s).toInt(), line);
        QVERIFY(r.json().value(u"detail"_s).toString().contains(u"line %1"_s.arg(line)));
    }
    if (!error.isEmpty()) {
        bool listed = false;
        for (const QJsonValue &e : r.json().value(u"errors"_s).toArray())
            listed = listed || e.toString().contains(error);
        QVERIFY2(listed, r.body.constData());
    }
    QCOMPARE(admin("GET", "/admin/functions/broken").status, 404);
}

void tst_Functions::triggerFilters_data()
{
    QTest::addColumn<QJsonObject>("filter");
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("subject");
    QTest::addColumn<bool>("fires");

    const QJsonObject exact{{u"type"_s, u"products.created"_s}};
    const QJsonObject prefix{{u"type"_s, QJsonObject{{u"prefix"_s, u"products."_s}}}};
    const QJsonObject suffix{{u"type"_s, QJsonObject{{u"suffix"_s, u".deleted"_s}}}};
    QTest::newRow("exact, same") << exact << u"products.created"_s << u"a"_s << true;
    QTest::newRow("exact, other") << exact << u"products.updated"_s << u"a"_s << false;
    QTest::newRow("prefix, in") << prefix << u"products.updated"_s << u"a"_s << true;
    QTest::newRow("prefix, out") << prefix << u"orders.created"_s << u"a"_s << false;
    QTest::newRow("suffix, in") << suffix << u"orders.deleted"_s << u"a"_s << true;
    QTest::newRow("suffix, out") << suffix << u"orders.created"_s << u"a"_s << false;
    QTest::newRow("subject, in") << QJsonObject{{u"subject"_s, u"vip"_s}} << u"orders.created"_s << u"vip"_s << true;
    QTest::newRow("subject, out") << QJsonObject{{u"subject"_s, u"vip"_s}} << u"orders.created"_s << u"x"_s << false;
    QTest::newRow("source, in") << QJsonObject{{u"source"_s, u"/gatehouse/orders"_s}} << u"orders.created"_s << u"a"_s << true;
    QTest::newRow("source, out") << QJsonObject{{u"source"_s, u"/gatehouse/orders"_s}} << u"products.created"_s << u"a"_s << false;
}

void tst_Functions::triggerFilters()
{
    QFETCH(QJsonObject, filter);
    QFETCH(QString, type);
    QFETCH(QString, subject);
    QFETCH(bool, fires);
    static int n = 0;
    const QString name = u"filter-%1"_s.arg(++n);
    const QJsonObject def{{u"code"_s, u"function handle(e, ctx) { ctx.upsert('fn_hits', ctx.env.name + '-' + e.subject, {type: e.type}); }"_s},
                          {u"env"_s, QJsonObject{{u"name"_s, name}}},
                          {u"triggers"_s, QJsonArray{eventTrigger(filter)}}};
    QCOMPARE(deploy(name, def).status, 201);
    const qint64 position = append(type, subject);
    QVERIFY(position > 0);
    QVERIFY(reached(name, position));
    const auto doc = m_engine.readStore()->document(u"fn_hits"_s, name + u'-' + subject);
    QCOMPARE(doc.has_value(), fires);
    QCOMPARE(admin("DELETE", "/admin/functions/" + name.toUtf8()).status, 204);
}

void tst_Functions::testRunWritesNothing()
{
    const QJsonObject def{
        {u"code"_s, u"function handle(e, ctx) {\n"
                    "  var p = ctx.get('products', e.subject);\n"
                    "  ctx.upsert('dry_out', e.subject, {price: p ? p.price : null, type: e.type});\n"
                    "  ctx.emit('dry.seen', e.subject, {seen: true});\n"
                    "  console.log('saw', e.subject);\n"
                    "  return 'done ' + e.subject;\n}"_s},
        {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"gadgets.made"_s}})}}};
    QCOMPARE(deploy(u"dry"_s, def).status, 201);
    TestHttpResponse r = gateway("POST", "/api/products", R"({"id":"p-dry","name":"Dry","price":21})");
    QVERIFY2(r.status == 202, r.body.constData());
    const qint64 position = r.header("x-event-position").toLongLong();
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/api/products/p-dry").status, 200, kWaitMs);
    const qint64 head = m_engine.eventStore()->headPosition();

    // On an event of the log, with the deployed code: what it would do, nothing done.
    r = admin("POST", "/admin/functions/dry/test", toJson({{u"position"_s, position}}));
    QVERIFY2(r.status == 200, r.body.constData());
    QJsonObject run = r.json();
    QCOMPARE(run.value(u"ok"_s).toBool(), true);
    QCOMPARE(run.value(u"code"_s).toString(), u"deployed"_s);
    QCOMPARE(run.value(u"result"_s).toString(), u"done p-dry"_s);
    const QJsonArray writes = run.value(u"writes"_s).toArray();
    QCOMPARE(writes.size(), 1);
    QCOMPARE(writes.at(0)[u"collection"_s].toString(), u"dry_out"_s);
    QCOMPARE(writes.at(0)[u"doc"_s][u"price"_s].toInt(), 21);   // it read the read store
    QCOMPARE(writes.at(0)[u"doc"_s][u"type"_s].toString(), u"products.created"_s);
    QCOMPARE(run.value(u"emits"_s).toArray().size(), 1);
    QCOMPARE(run.value(u"emits"_s).toArray().at(0)[u"type"_s].toString(), u"dry.seen"_s);
    QVERIFY(run.value(u"logs"_s).toArray().contains(u"saw p-dry"_s));
    QVERIFY(run.value(u"duration_ms"_s).toDouble() >= 0);
    QCOMPARE(gateway("GET", "/api/dry_out/p-dry").status, 404);
    QCOMPARE(m_engine.eventStore()->headPosition(), head);
    QCOMPARE(admin("GET", "/admin/functions/dry").json().value(u"stats"_s).toObject().value(u"invocations"_s).toInt(), 0);

    // A sample event, and code from the editor that is not deployed: its error at its line.
    r = admin("POST", "/admin/functions/dry/test",
              toJson({{u"event"_s, QJsonObject{{u"type"_s, u"gadgets.made"_s}, {u"subject"_s, u"g1"_s}, {u"data"_s, QJsonObject{{u"n"_s, 1}}}}},
                      {u"code"_s, u"function handle(e, ctx) {\n  throw new Error('no ' + e.data.n);\n}"_s}}));
    QVERIFY2(r.status == 200, r.body.constData());
    run = r.json();
    QCOMPARE(run.value(u"ok"_s).toBool(), false);
    QCOMPARE(run.value(u"code"_s).toString(), u"given"_s);
    QVERIFY2(run.value(u"error"_s).toString().contains(u"no 1"_s), r.body.constData());
    QCOMPARE(run.value(u"line"_s).toInt(), 2);
    QCOMPARE(admin("GET", "/admin/functions/dry").json().value(u"version"_s).toInt(), 1);   // not deployed
    QCOMPARE(admin("GET", "/admin/dead-letters").json().value(u"total"_s).toInt(), 0);
    // Code that does not compile: 422 with the line.
    r = admin("POST", "/admin/functions/dry/test", toJson({{u"position"_s, position}, {u"code"_s, u"function handle(e, ctx) {\n  return (;\n}"_s}}));
    QVERIFY2(r.status == 422, r.body.constData());
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    QCOMPARE(r.json().value(u"line"_s).toInt(), 2);

    // Bad requests.
    QCOMPARE(admin("POST", "/admin/functions/dry/test", "{}").status, 400);
    QCOMPARE(admin("POST", "/admin/functions/dry/test", R"({"position":0})").status, 400);
    QCOMPARE(admin("POST", "/admin/functions/dry/test", R"({"position":1.5})").status, 400);
    QCOMPARE(admin("POST", "/admin/functions/dry/test", R"({"position":999999})").status, 404);
    QCOMPARE(admin("POST", "/admin/functions/dry/test", R"({"event":{"subject":"x"}})").status, 400);
    QCOMPARE(admin("POST", "/admin/functions/dry/test", R"({"position":1,"colour":"red"})").status, 400);
    QCOMPARE(admin("POST", "/admin/functions/nobody/test", R"({"position":1})").status, 404);
    QCOMPARE(admin("GET", "/admin/functions/dry/test").status, 405);
    QCOMPARE(admin("DELETE", "/admin/functions/dry").status, 204);
}

void tst_Functions::upsertIsServedByTheQueryApi()
{
    const QJsonObject def{
        {u"code"_s, u"function handle(e, ctx) {\n"
                    "  if (e.subject === 'p-slow') { var t = Date.now(); while (Date.now() - t < 400) {} }\n"
                    "  var old = ctx.get('product_stats', e.subject);\n"
                    "  ctx.upsert('product_stats', e.subject, {name: e.data.name || (old && old.name), seen: (old ? old.seen : 0) + 1});\n"
                    "  ctx.upsert('undeclared_tally', e.subject, {seen: true});\n"
                    "  console.log('counted', e.subject);\n}"_s},
        {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, QJsonObject{{u"prefix"_s, u"products."_s}}}})}}};
    QCOMPARE(deploy(u"stats"_s, def).status, 201);
    TestHttpResponse r = gateway("POST", "/api/products", R"({"id":"p-77","name":"Lamp","price":12})");
    QVERIFY2(r.status == 202, r.body.constData());
    r = gateway("POST", "/api/products/p-77", R"({"price":13})");
    QVERIFY2(r.status == 202, r.body.constData());
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/api/product_stats/p-77").json().value(u"seen"_s).toInt(), 2, kWaitMs);
    r = gateway("GET", "/api/product_stats/p-77");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"name"_s).toString(), u"Lamp"_s);
    const QJsonObject stats = admin("GET", "/admin/functions/stats").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"invocations"_s).toInt(), 2);
    QCOMPARE(stats.value(u"errors"_s).toInt(), 0);
    QCOMPARE(stats.value(u"cold_starts"_s).toInt(), 1);
    QVERIFY(stats.value(u"recent_logs"_s).toArray().contains(u"counted p-77"_s));
    // A collection it writes without a declaration is declared by that write (no schema, read
    // routes only) and served by the query API at once: by id and in lists.
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/api/undeclared_tally/p-77").status, 200, kWaitMs);
    QCOMPARE(gateway("GET", "/api/undeclared_tally/p-77").json().value(u"seen"_s).toBool(), true);
    QCOMPARE(gateway("GET", "/api/undeclared_tally").json().value(u"items"_s).toArray().size(), 1);
    QCOMPARE(admin("GET", "/admin/routes/undeclared_tally-get").status, 200);
    QCOMPARE(admin("GET", "/admin/routes/undeclared_tally-list").status, 200);
    QCOMPARE(admin("GET", "/admin/routes/undeclared_tally-create").status, 404);   // its documents are the function's
    QCOMPARE(gateway("POST", "/api/undeclared_tally", R"({"seen":false})").status, 405);   // read only
    const QJsonObject written = admin("GET", "/admin/collections/undeclared_tally").json();
    QCOMPARE(written.value(u"count"_s).toInteger(), 1);
    QVERIFY(written.contains(u"schema"_s));
    QStringList listed;
    for (const QJsonValue &c : admin("GET", "/admin/collections").json().value(u"items"_s).toArray())
        listed.append(c.toObject().value(u"name"_s).toString());
    QVERIFY(listed.contains(u"undeclared_tally"_s));
    QCOMPARE(listed.count(u"product_stats"_s), 1);   // declared: listed once, with its schema
    QCOMPARE(gateway("GET", "/api/product_stats").json().value(u"items"_s).toArray().size(), 1);

    // Read-your-writes covers what functions write: X-Min-Position waits for the function too,
    // which is 400 ms behind the upsert projection on this event.
    r = gateway("POST", "/api/products", R"({"id":"p-slow","name":"Slow","price":1})");
    QVERIFY2(r.status == 202, r.body.constData());
    const QByteArray position = r.header("x-event-position");
    TestHttpClient reader(u"127.0.0.1"_s, m_port);
    r = reader.get("/api/product_stats/p-slow", {{"X-Min-Position", position}});
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"name"_s).toString(), u"Slow"_s);
    r = reader.get("/api/undeclared_tally/p-slow", {{"X-Min-Position", position}});
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(admin("DELETE", "/admin/functions/stats").status, 204);
}

void tst_Functions::aRebuildKeepsWhatFunctionsWrote()
{
    // The documents upsertIsServedByTheQueryApi's function wrote -- into a declared collection
    // and into one its first write declared -- are not the upsert projection's: rebuilding it
    // leaves them. A declared collection nothing wrote yet still answers an empty list.
    const QByteArray stats = gateway("GET", "/api/product_stats/p-77").body;
    const QByteArray tally = gateway("GET", "/api/undeclared_tally/p-77").body;
    QVERIFY2(!stats.isEmpty() && !tally.isEmpty(), "run after upsertIsServedByTheQueryApi");
    QCOMPARE(gateway("GET", "/api/product_stats/p-77").status, 200);
    QCOMPARE(admin("PUT", "/admin/collections/nothing_yet", R"({"schema":{"type":"object"}})").status, 201);
    QCOMPARE(gateway("GET", "/api/nothing_yet").status, 200);
    const QByteArray product = gateway("GET", "/api/products/p-77").body;
    // Commands and a function writing the same ids, in both orders: the function's write
    // replaces the document, events after it go on top, and a rebuild ends where the live
    // model is.
    const QJsonObject writer{{u"code"_s, u"function handle(req, ctx) {\n"
                                         "  if (req.body.remove) ctx.remove('products', req.body.id); else ctx.upsert('products', req.body.id, req.body.doc);\n"
                                         "  return {};\n}"_s}};
    QCOMPARE(deploy(u"writer"_s, writer).status, 201);
    TestHttpResponse r = admin("PUT", "/admin/routes/writer", R"({"uri":"/fn/writer","methods":["POST"],"upstream":{"type":"function","function":"writer"}})");
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    QCOMPARE(gateway("POST", "/api/products", R"({"id":"fw-1","name":"By command","price":1})").status, 202);
    QCOMPARE(gateway("POST", "/api/products", R"({"id":"fw-2","name":"By command","price":2})").status, 202);
    QCOMPARE(gateway("POST", "/api/products/fw-2/delete", "{}").status, 202);
    QCOMPARE(gateway("POST", "/api/products", R"({"id":"fw-3","name":"By command","price":3})").status, 202);
    QCOMPARE(gateway("POST", "/api/products", R"({"id":"fw-4","name":"By command","price":4})").status, 202);
    for (const char *id : {"fw-1", "fw-2", "fw-3", "fw-4"}) {
        const QByteArray min = QByteArray::number(m_engine.eventStore()->headPosition());
        QTRY_VERIFY_WITH_TIMEOUT(TestHttpClient(u"127.0.0.1"_s, m_port).get("/api/products/" + QByteArray(id) + "?include_deleted=true",
                                                                              {{"X-Min-Position", min}}).status == 200, kWaitMs);
        r = gateway("POST", "/fn/writer", QByteArray(id) == "fw-4" ? QByteArray(R"({"id":"fw-4","remove":true})")
                                                                    : "{\"id\":\"" + QByteArray(id) + "\",\"doc\":{\"id\":\"" + QByteArray(id)
                                                                          + "\",\"name\":\"By function\",\"price\":10}}");
        QVERIFY2(r.status == 200, r.body.constData());
    }
    r = gateway("POST", "/api/products/fw-3", R"({"price":33})");   // after the function's write: on top of it
    QVERIFY2(r.status == 202, r.body.constData());
    const QByteArray afterUpdate = r.header("x-event-position");
    QTRY_COMPARE_WITH_TIMEOUT(TestHttpClient(u"127.0.0.1"_s, m_port).get("/api/products/fw-3", {{"X-Min-Position", afterUpdate}}).json()
                                  .value(u"price"_s).toInt(), 33, kWaitMs);
    QCOMPARE(gateway("GET", "/api/products/fw-4").status, 404);   // removed by the function
    // Removed before the upsert projection made the document: it does not come back when the
    // projection gets to the events before the removal.
    QCOMPARE(admin("POST", "/admin/projections/upsert/pause").status / 100, 2);
    QCOMPARE(gateway("POST", "/api/products", R"({"id":"fw-5","name":"By command","price":5})").status, 202);
    r = gateway("POST", "/fn/writer", R"({"id":"fw-5","remove":true})");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(admin("POST", "/admin/projections/upsert/resume").status / 100, 2);
    {
        const QByteArray min = QByteArray::number(m_engine.eventStore()->headPosition());
        const TestHttpResponse removed = TestHttpClient(u"127.0.0.1"_s, m_port).get("/api/products/fw-5?include_deleted=true", {{"X-Min-Position", min}});
        QVERIFY2(removed.status == 200, removed.body.constData());
        QCOMPARE(removed.json().value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), true);
        QVERIFY(!removed.json().contains(u"name"_s));   // nothing of what it held
        QCOMPARE(gateway("GET", "/api/products/fw-5").status, 404);
    }
    QHash<QByteArray, QByteArray> mixed;
    for (const char *id : {"fw-1", "fw-2", "fw-3", "fw-4"})
        mixed.insert(id, gateway("GET", "/api/products/" + QByteArray(id) + "?include_deleted=true").body);
    QCOMPARE(QJsonDocument::fromJson(mixed.value("fw-1")).object().value(u"name"_s).toString(), u"By function"_s);
    QCOMPARE(QJsonDocument::fromJson(mixed.value("fw-2")).object().value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), false);
    QCOMPARE(QJsonDocument::fromJson(mixed.value("fw-3")).object().value(u"name"_s).toString(), u"By function"_s);
    QCOMPARE(QJsonDocument::fromJson(mixed.value("fw-4")).object().value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), true);

    ProjectionRunner *runner = m_engine.projection(u"upsert"_s);
    QVERIFY(runner);
    std::atomic<bool> sawRebuilding{false};
    const QMetaObject::Connection watch = connect(runner, &ProjectionRunner::statsChanged, runner, [runner, &sawRebuilding] {
        if (runner->stats().status == ProjectionRunner::Status::Rebuilding)
            sawRebuilding = true;
    }, Qt::DirectConnection);
    QCOMPARE(admin("POST", "/admin/projections/upsert/rebuild").status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(sawRebuilding.load(), kWaitMs);
    disconnect(watch);
    const qint64 head = m_engine.eventStore()->headPosition();
    QTRY_VERIFY_WITH_TIMEOUT(runner->stats().status == ProjectionRunner::Status::Running && runner->position() == head, kWaitMs);

    r = gateway("GET", "/api/products/p-77");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, product);
    for (auto it = mixed.cbegin(); it != mixed.cend(); ++it)
        QCOMPARE(gateway("GET", "/api/products/" + it.key() + "?include_deleted=true").body, it.value());
    QCOMPARE(gateway("GET", "/api/products/fw-4").status, 404);   // still removed
    r = gateway("GET", "/api/product_stats/p-77");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.body, stats);
    r = gateway("GET", "/api/undeclared_tally/p-77");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.body, tally);
    r = gateway("GET", "/api/nothing_yet");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"items"_s).toArray().size(), 0);
    QCOMPARE(gateway("GET", "/api/nothing_yet/x").status, 404);
    QCOMPARE(admin("DELETE", "/admin/collections/nothing_yet").status, 204);
    QCOMPARE(admin("DELETE", "/admin/routes/writer").status, 204);
    QCOMPARE(admin("DELETE", "/admin/functions/writer").status, 204);
}

void tst_Functions::retriesThenDeadLetterThenReplay()
{
    QJsonObject def{{u"code"_s, u"function handle(e, ctx) { throw new Error('boom ' + e.subject); }"_s},
                    {u"retry"_s, QJsonObject{{u"max_attempts"_s, 3}, {u"delay_ms"_s, 10}}},
                    {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"orders.placed"_s}})}}};
    QCOMPARE(deploy(u"flaky"_s, def).status, 201);
    append(u"orders.placed"_s, u"o1"_s, {{u"total"_s, 5}});
    const qint64 position = append(u"orders.placed"_s, u"o2"_s);
    QVERIFY(reached(u"flaky"_s, position));

    TestHttpResponse r = admin("GET", "/admin/dead-letters?function=flaky");
    QCOMPARE(r.status, 200);
    const QJsonArray letters = r.json().value(u"items"_s).toArray();
    QCOMPARE(letters.size(), 2);
    QString o1;
    QString o2;
    for (const QJsonValue &v : letters) {
        const QJsonObject letter = v.toObject();
        QCOMPARE(letter.value(u"attempts"_s).toInt(), 3);
        QVERIFY(letter.value(u"error"_s).toString().contains(u"boom"_s));
        (letter.value(u"event"_s).toObject().value(u"subject"_s) == u"o1"_s ? o1 : o2) = letter.value(u"id"_s).toString();
    }
    QVERIFY(!o1.isEmpty() && !o2.isEmpty());
    const QJsonObject stats = admin("GET", "/admin/functions/flaky").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"invocations"_s).toInt(), 6);
    QCOMPARE(stats.value(u"retries"_s).toInt(), 4);
    QCOMPARE(stats.value(u"dead_letters"_s).toInt(), 2);

    // Still broken: the replay fails and the letter stays.
    QCOMPARE(admin("POST", "/admin/dead-letters/" + o1.toUtf8() + "/replay").status, 422);
    // Fixed: the replay runs the new version and the letter goes.
    def.insert(u"code"_s, u"function handle(e, ctx) { ctx.upsert('fn_hits', 'replayed-' + e.subject, {total: e.data.total}); }"_s);
    QCOMPARE(deploy(u"flaky"_s, def).status, 200);
    r = admin("POST", "/admin/dead-letters/" + o1.toUtf8() + "/replay");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(admin("GET", "/admin/dead-letters/" + o1.toUtf8()).status, 404);
    r = gateway("GET", "/api/fn_hits/replayed-o1");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"total"_s).toInt(), 5);

    QCOMPARE(admin("DELETE", "/admin/dead-letters/" + o2.toUtf8()).status, 204);
    QCOMPARE(admin("DELETE", "/admin/dead-letters/" + o2.toUtf8()).status, 404);
    QCOMPARE(admin("DELETE", "/admin/functions/flaky").status, 204);
}

void tst_Functions::timeoutStopsAnEndlessLoop()
{
    // Behind a route: the caller gets 504 and the engine answers others meanwhile.
    QCOMPARE(deploy(u"spin"_s, {{u"code"_s, u"function handle() { while (true) {} }"_s}, {u"timeout_ms"_s, 1500}}).status, 201);
    const QJsonObject route{{u"uri"_s, u"/fn/spin"_s}, {u"methods"_s, QJsonArray{u"GET"_s}},
                            {u"upstream"_s, QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, u"spin"_s}}}};
    TestHttpResponse r = admin("PUT", "/admin/routes/spin", toJson(route));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    const quint16 port = m_port;
    std::future<int> spinning = std::async(std::launch::async, [port] {
        TestHttpClient client(u"127.0.0.1"_s, port);
        return client.get("/fn/spin").status;
    });
    QTest::qWait(300);
    QCOMPARE(admin("GET", "/health").status, 200);
    QCOMPARE(gateway("GET", "/api/products?limit=1").status, 200);
    QCOMPARE(spinning.wait_for(std::chrono::seconds(0)), std::future_status::timeout);   // still spinning
    QCOMPARE(spinning.get(), 504);
    QCOMPARE(admin("GET", "/admin/functions/spin").json().value(u"stats"_s).toObject().value(u"timeouts"_s).toInt(), 1);

    // Triggered by an event: the loop is interrupted and the event becomes a dead letter.
    const QJsonObject def{{u"code"_s, u"function handle() { for (;;) {} }"_s},
                          {u"timeout_ms"_s, 300},
                          {u"retry"_s, QJsonObject{{u"max_attempts"_s, 1}}},
                          {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"loops.started"_s}})}}};
    QCOMPARE(deploy(u"spin-events"_s, def).status, 201);
    const qint64 position = append(u"loops.started"_s, u"l1"_s);
    QVERIFY(reached(u"spin-events"_s, position));
    const QJsonArray letters = admin("GET", "/admin/dead-letters?function=spin-events").json().value(u"items"_s).toArray();
    QCOMPARE(letters.size(), 1);
    QVERIFY(letters.first().toObject().value(u"error"_s).toString().contains(u"timed out"_s));
    QCOMPARE(admin("DELETE", "/admin/routes/spin").status, 204);
}

// What a client sends reaches a function as JSON means it (a member "__proto__" is a member,
// not the object's prototype), and what a function returns must be JSON: a string holding half
// of a character fails the call instead of being stored where no reader could take it back.
void tst_Functions::valuesCrossIntoAndOutOfScriptsAsJson()
{
    const QString code = u"function handle(req) {\n"
                         "  if (req.query.half) return {status: 200, body: {s: 'ab\\uD83D'}};\n"
                         "  return {status: 200, body: {own: Object.prototype.hasOwnProperty.call(req.body, '__proto__'),\n"
                         "                 admin: req.body.isAdmin === true, a: req.body.a}};\n}"_s;
    QCOMPARE(deploy(u"jsonish"_s, {{u"code"_s, code}, {u"isolation"_s, u"thread"_s}}).status, 201);
    const QJsonObject route{{u"uri"_s, u"/fn/jsonish"_s}, {u"methods"_s, QJsonArray{u"POST"_s}},
                            {u"upstream"_s, QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, u"jsonish"_s}}}};
    TestHttpResponse r = admin("PUT", "/admin/routes/jsonish", toJson(route));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    r = client.post("/fn/jsonish", R"({"__proto__":{"isAdmin":true},"a":1})");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json(), (QJsonObject{{u"own"_s, true}, {u"admin"_s, false}, {u"a"_s, 1}}));
    r = client.post("/fn/jsonish?half=1", "{}");
    QVERIFY2(r.status == 500 && r.body.contains("unpaired surrogate"), r.body.constData());
    QCOMPARE(admin("DELETE", "/admin/routes/jsonish").status, 204);
    QCOMPARE(admin("DELETE", "/admin/functions/jsonish").status, 204);
}

void tst_Functions::httpTriggerThroughARoute()
{
    const QJsonObject def{{u"code"_s, u"function handle(req, ctx) {\n"
                                      "  ctx.upsert('fn_hits', 'http-' + req.params.id, {via: req.method});\n"
                                      "  ctx.upsert('http_written', req.params.id, {via: req.method});\n"
                                      "  return {status: 201, headers: {'X-Fn': ctx.env.tag},\n"
                                      "          body: {method: req.method, id: req.params.id, q: req.query.x, got: req.body}};\n}"_s},
                          {u"env"_s, QJsonObject{{u"tag"_s, u"echoed"_s}}}};
    QCOMPARE(deploy(u"echo"_s, def).status, 201);
    const QJsonObject route{{u"uri"_s, u"/fn/echo/:id"_s}, {u"methods"_s, QJsonArray{u"POST"_s}},
                            {u"upstream"_s, QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, u"echo"_s}}}};
    TestHttpResponse r = admin("PUT", "/admin/routes/echo", toJson(route));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    r = gateway("POST", "/fn/echo/42?x=7", R"({"a":1})");
    QVERIFY2(r.status == 201, r.body.constData());
    QCOMPARE(r.header("x-fn"), QByteArrayLiteral("echoed"));
    const QJsonObject body = r.json();
    QCOMPARE(body.value(u"method"_s).toString(), u"POST"_s);
    QCOMPARE(body.value(u"id"_s).toString(), u"42"_s);
    QCOMPARE(body.value(u"q"_s).toString(), u"7"_s);
    QCOMPARE(body.value(u"got"_s).toObject().value(u"a"_s).toInt(), 1);
    QCOMPARE(gateway("GET", "/api/fn_hits/http-42").json().value(u"via"_s).toString(), u"POST"_s);
    // A collection only an HTTP-triggered function writes is declared by that write and served,
    // as an event-triggered function's is (upsertIsServedByTheQueryApi).
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/api/http_written/42").status, 200, kWaitMs);
    QCOMPARE(gateway("GET", "/api/http_written/42").json().value(u"via"_s).toString(), u"POST"_s);
    QCOMPARE(admin("GET", "/admin/routes/http_written-list").status, 200);
    QCOMPARE(admin("DELETE", "/admin/routes/echo").status, 204);
}

void tst_Functions::emitAppendsAnEventWithCausation()
{
    const QJsonObject def{{u"code"_s, u"function handle(e, ctx) { ctx.emit('audits.recorded', e.subject, {of: e.type}); }"_s},
                          {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"products.created"_s}})}}};
    QCOMPARE(deploy(u"auditor"_s, def).status, 201);
    TestHttpResponse r = gateway("POST", "/api/products", R"({"id":"p-emit","name":"Desk","price":99})");
    QVERIFY2(r.status == 202, r.body.constData());
    const qint64 position = r.json().value(u"position"_s).toInteger();
    QVERIFY(reached(u"auditor"_s, position));
    const RecordedEvent created = m_engine.eventStore()->readAll(position, 1).value(0);
    QCOMPARE(created.type, u"products.created"_s);
    RecordedEvents audits;
    QTRY_VERIFY_WITH_TIMEOUT(!(audits = m_engine.eventStore()->readAll(1, 1000, u"audits.*"_s)).isEmpty(), kWaitMs);
    QCOMPARE(audits.size(), 1);
    QCOMPARE(audits.first().stream, u"audits-p-emit"_s);
    const QJsonObject meta = QJsonDocument::fromJson(audits.first().metadata).object();
    QCOMPARE(meta.value(u"causationid"_s).toString(), created.id);
    QCOMPARE(meta.value(u"correlationid"_s).toString(),
             QJsonDocument::fromJson(created.metadata).object().value(u"correlationid"_s).toString());
    QCOMPARE(QJsonDocument::fromJson(audits.first().data).object().value(u"of"_s).toString(), u"products.created"_s);
    QCOMPARE(admin("DELETE", "/admin/functions/auditor").status, 204);
}

void tst_Functions::concurrencyKeepsEachSubjectInOrder()
{
    // The log first, then the function from its first position: the catch-up batch is spread
    // over four lanes at once. Every third event spins a little, so a subject whose events ran
    // on two lanes, or out of order, would show in its sequence.
    constexpr int kSubjects = 16;
    constexpr int kPerSubject = 25;
    qint64 first = 0;
    qint64 last = 0;
    for (int n = 0; n < kPerSubject; ++n) {
        for (int s = 0; s < kSubjects; ++s) {
            last = append(u"sequences.stepped"_s, u"s%1"_s.arg(s), {{u"n"_s, n}});
            QVERIFY(last > 0);
            first = first ? first : last;
        }
    }
    const QJsonObject def{
        {u"code"_s, u"function handle(e, ctx) {\n"
                    "  var until = Date.now() + (e.data.n % 3 === 0 ? 2 : 0);\n"
                    "  while (Date.now() < until) {}\n"
                    "  var d = ctx.get('fn_hits', 'seq-' + e.subject) || {seq: []};\n"
                    "  d.seq.push(e.data.n);\n"
                    "  ctx.upsert('fn_hits', 'seq-' + e.subject, d);\n}"_s},
        {u"concurrency"_s, 4},
        {u"triggers"_s, triggeredBy(u"sequences.stepped"_s, first)}};
    QCOMPARE(deploy(u"sequencer"_s, def).status, 201);
    QVERIFY(reached(u"sequencer"_s, last));
    QJsonArray expected;
    for (int n = 0; n < kPerSubject; ++n)
        expected.append(n);
    for (int s = 0; s < kSubjects; ++s) {
        const TestHttpResponse r = gateway("GET", "/api/fn_hits/seq-s" + QByteArray::number(s));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(u"seq"_s).toArray(), expected);
    }
    const QJsonObject stats = admin("GET", "/admin/functions/sequencer").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"invocations"_s).toInt(), kSubjects * kPerSubject);
    QCOMPARE(stats.value(u"errors"_s).toInt(), 0);
    // Sixteen subjects on four lanes: more than one instance ran (each lane starts its own).
    QVERIFY2(stats.value(u"cold_starts"_s).toInt() >= 2, qPrintable(QString::number(stats.value(u"cold_starts"_s).toInt())));
    QVERIFY(stats.value(u"cold_starts"_s).toInt() <= 4);
    QCOMPARE(stats.value(u"queue_depth"_s).toInt(), 0);
    QCOMPARE(admin("DELETE", "/admin/functions/sequencer").status, 204);
}

void tst_Functions::batchesAndIdleInstancesAreReclaimed()
{
    qint64 first = 0;
    qint64 last = 0;
    for (int n = 0; n < 10; ++n) {
        last = append(u"batches.made"_s, u"b"_s, {{u"n"_s, n}});
        first = first ? first : last;
    }
    const QJsonObject def{
        {u"code"_s, u"function handle(events, ctx) {\n"
                    "  ctx.upsert('fn_hits', 'batch-' + events.length + '-' + events[0].data.n, {n: events.length});\n}"_s},
        {u"batch_size"_s, 5},
        {u"concurrency"_s, 1},
        {u"instance_idle_s"_s, 1},
        {u"triggers"_s, triggeredBy(u"batches.made"_s, first)}};
    QCOMPARE(deploy(u"batcher"_s, def).status, 201);
    QVERIFY(reached(u"batcher"_s, last));
    QCOMPARE(gateway("GET", "/api/fn_hits/batch-5-0").json().value(u"n"_s).toInt(), 5);
    QCOMPARE(gateway("GET", "/api/fn_hits/batch-5-5").json().value(u"n"_s).toInt(), 5);
    QCOMPARE(admin("GET", "/admin/functions/batcher").json().value(u"stats"_s).toObject().value(u"invocations"_s).toInt(), 2);

    // Idle for instance_idle_s: the instance is reclaimed; the next event starts a new one.
    QTRY_COMPARE_WITH_TIMEOUT(admin("GET", "/admin/functions/batcher").json().value(u"stats"_s).toObject().value(u"instances"_s).toInt(),
                              0, kWaitMs);
    QVERIFY(reached(u"batcher"_s, append(u"batches.made"_s, u"b"_s, {{u"n"_s, 10}})));
    QCOMPARE(gateway("GET", "/api/fn_hits/batch-1-10").status, 200);
    const QJsonObject stats = admin("GET", "/admin/functions/batcher").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"reclaimed"_s).toInt(), 1);
    QCOMPARE(stats.value(u"cold_starts"_s).toInt(), 2);
    QVERIFY(stats.value(u"init_ms"_s).toDouble() > 0);
    QCOMPARE(admin("DELETE", "/admin/functions/batcher").status, 204);
}

void tst_Functions::catchUpRunsTheNextBatchAheadOnTheWritesBeforeIt()
{
    // More events than two catch-up batches, all of one counter: while a batch's writes commit,
    // the next batch's JavaScript already runs (prepareAhead), and its first ctx.get must see
    // the count the batch before left, not the one committed before that.
    constexpr int kEvents = 2 * ProjectionRunner::kCatchUpBatch + 1200;
    qint64 first = 0;
    qint64 last = 0;
    QVERIFY(appendNumbered(u"tallies-t"_s, u"tallies.counted"_s, kEvents, &first, &last));
    const QJsonObject def{
        {u"code"_s, u"function handle(e, ctx) {\n"
                    "  var c = ctx.get('fn_hits', 'tally') || {count: 0, last: -1, gaps: 0};\n"
                    "  if (e.data.n !== c.last + 1) c.gaps++;\n"
                    "  ctx.upsert('fn_hits', 'tally', {count: c.count + 1, last: e.data.n, gaps: c.gaps});\n"
                    "  if (e.data.n % 1000 === 0) ctx.emit('tallies.milestone', 't', {n: e.data.n, count: c.count + 1});\n}"_s},
        {u"concurrency"_s, 1},
        {u"triggers"_s, triggeredBy(u"tallies.counted"_s, first)}};
    QCOMPARE(deploy(u"tally"_s, def).status, 201);
    QVERIFY(reached(u"tally"_s, last));
    const QJsonObject tally = gateway("GET", "/api/fn_hits/tally").json();
    QCOMPARE(tally.value(u"count"_s).toInt(), kEvents);
    QCOMPARE(tally.value(u"last"_s).toInt(), kEvents - 1);
    QCOMPARE(tally.value(u"gaps"_s).toInt(), 0);
    const QJsonObject stats = admin("GET", "/admin/functions/tally").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"errors"_s).toInt(), 0);
    // Each event ran once: the work done ahead was taken, not thrown away and done again.
    QCOMPARE(stats.value(u"invocations"_s).toInt(), kEvents);
    // Its emitted events were appended when it was taken, each once, in order, each with the
    // count its trigger saw.
    const RecordedEvents milestones = m_engine.eventStore()->readAll(last + 1, 1000, u"tallies.milestone"_s);
    QCOMPARE(milestones.size(), (kEvents + 999) / 1000);
    for (qsizetype i = 0; i < milestones.size(); ++i) {
        const QJsonObject data = QJsonDocument::fromJson(milestones.at(i).data).object();
        QCOMPARE(data.value(u"n"_s).toInt(), int(i) * 1000);
        QCOMPARE(data.value(u"count"_s).toInt(), int(i) * 1000 + 1);
    }
    QCOMPARE(admin("DELETE", "/admin/functions/tally").status, 204);
}

void tst_Functions::aFunctionThatQueriesIsNotRunAhead()
{
    // ctx.query reads committed documents only. Its name is spelled so that the code does not
    // say it: the function is run ahead until it is seen calling it, and the batch it was seen
    // in runs again after the batch before it committed.
    constexpr int kEvents = ProjectionRunner::kCatchUpBatch + 100;
    qint64 first = 0;
    qint64 last = 0;
    QVERIFY(appendNumbered(u"probes-p"_s, u"probes.sent"_s, kEvents, &first, &last));
    const QString code = u"function handle(e, ctx) {\n"
                         "  ctx.upsert('fn_probes', 'p' + e.data.n, {n: e.data.n});\n"
                         "  if (e.data.n === %1) {\n"
                         "    var found = ctx['q' + 'uery']('fn_probes', {'n[gte]': %2, 'n[lt]': %1, limit: 100});\n"
                         "    ctx.upsert('fn_hits', 'probed', {found: found.length});\n"
                         "  }\n}"_s.arg(ProjectionRunner::kCatchUpBatch)
                             .arg(ProjectionRunner::kCatchUpBatch - 10);
    const QJsonObject def{{u"code"_s, code},
                          {u"triggers"_s, triggeredBy(u"probes.sent"_s, first)}};
    QCOMPARE(deploy(u"prober"_s, def).status, 201);
    QVERIFY(reached(u"prober"_s, last));
    // The ten documents of the batch before, written and committed before the query ran.
    QCOMPARE(gateway("GET", "/api/fn_hits/probed").json().value(u"found"_s).toInt(), 10);
    QCOMPARE(admin("DELETE", "/admin/functions/prober").status, 204);
}

void tst_Functions::customCommandsRunDecide()
{
    const QJsonObject def{{u"code"_s, u"function decide(state, command) {\n"
                                      "  if (!state) throw new Error('no such product');\n"
                                      "  if (command.data.percent > 50) throw new Error('discount too large: ' + command.data.percent);\n"
                                      "  return [{type: 'discounted', data: {percent: command.data.percent,\n"
                                      "                                      price: state.price * (100 - command.data.percent) / 100}}];\n}"_s}};
    QCOMPARE(deploy(u"discounter"_s, def).status, 201);
    TestHttpResponse r = gateway("POST", "/api/products", R"({"id":"p-dc","name":"Chair","price":80})");
    QVERIFY2(r.status == 202, r.body.constData());

    // Accepted: 202 after commit, the event as decided, at the next version of the stream.
    r = gateway("POST", "/api/products/p-dc/discount", R"({"percent":25})");
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(r.json().value(u"events"_s).toArray(), QJsonArray{u"products.discounted"_s});
    QCOMPARE(r.json().value(u"version"_s).toInt(), 1);
    QCOMPARE(r.header("location"), QByteArrayLiteral("/api/products/p-dc"));
    const qint64 position = r.header("x-event-position").toLongLong();
    QCOMPARE(r.json().value(u"position"_s).toInteger(), position);
    const RecordedEvent event = m_engine.eventStore()->readAll(position, 1).value(0);
    QCOMPARE(event.type, u"products.discounted"_s);
    QCOMPARE(event.stream, u"products-p-dc"_s);
    QCOMPARE(QJsonDocument::fromJson(event.data).object().value(u"price"_s).toDouble(), 60.0);

    // Thrown errors are 422 problems carrying the message.
    r = gateway("POST", "/api/products/p-dc/discount", R"({"percent":80})");
    QCOMPARE(r.status, 422);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    QVERIFY2(r.json().value(u"detail"_s).toString().contains(u"discount too large: 80"_s), r.body.constData());
    r = gateway("POST", "/api/products/p-missing/discount", R"({"percent":5})");
    QCOMPARE(r.status, 422);
    QVERIFY(r.json().value(u"detail"_s).toString().contains(u"no such product"_s));
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-p-dc"_s).version, 1);   // nothing appended

    // If-Match and Idempotency-Key as for built-in commands.
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    r = client.request("POST", "/api/products/p-dc/discount", R"({"percent":5})", {{"If-Match", "\"0\""}});
    QCOMPARE(r.status, 412);
    r = client.request("POST", "/api/products/p-dc/discount", R"({"percent":5})", {{"If-Match", "\"0\", \"5\""}});
    QCOMPARE(r.status, 412);
    QCOMPARE(r.json().value(u"current_version"_s).toInt(), 1);
    // "*": the entity must exist; a custom command's decide() would otherwise see no state.
    r = client.request("POST", "/api/products/p-missing/discount", R"({"percent":5})", {{"If-Match", "*"}});
    QCOMPARE(r.status, 412);
    QVERIFY2(r.json().value(u"detail"_s).toString().endsWith(u"does not exist"_s), r.body.constData());
    QVERIFY(!r.json().contains(u"current_version"_s));
    r = client.request("POST", "/api/products/p-dc/discount", R"({"percent":5})", {{"If-Match", ""}});
    QCOMPARE(r.status, 400);
    // "*" and a list naming the current version let the command run.
    r = gateway("POST", "/api/products", R"({"id":"p-im","name":"Lamp","price":100})");
    QVERIFY2(r.status == 202, r.body.constData());
    r = client.request("POST", "/api/products/p-im/discount", R"({"percent":10})", {{"If-Match", "*"}});
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(r.json().value(u"version"_s).toInt(), 1);
    r = client.request("POST", "/api/products/p-im/discount", R"({"percent":10})", {{"If-Match", "\"0\", \"1\""}});
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(r.json().value(u"version"_s).toInt(), 2);

    // Concurrent commands whose If-Match names every version they can meet: one that loses a
    // race reads the new state, finds it named, and decides again -- a 202, or a 409 after
    // three lost races, never a 412.
    QByteArray everyVersion;
    for (int v = 0; v < 100; ++v)
        everyVersion += (v ? ", \"" : "\"") + QByteArray::number(v) + '"';
    std::vector<std::future<QList<int>>> racers;
    for (int t = 0; t < 6; ++t) {
        racers.push_back(std::async(std::launch::async, [this, everyVersion] {
            TestHttpClient own(u"127.0.0.1"_s, m_port);
            QList<int> statuses;
            for (int i = 0; i < 5; ++i)
                statuses.append(own.request("POST", "/api/products/p-im/discount", R"({"percent":1})", {{"If-Match", everyVersion}}).status);
            return statuses;
        }));
    }
    int accepted = 0;
    for (auto &racer : racers) {
        for (const int status : racer.get()) {
            QVERIFY2(status == 202 || status == 409, qPrintable(QString::number(status)));
            accepted += status == 202;
        }
    }
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-p-im"_s).version, 2 + accepted);
    r = client.request("POST", "/api/products/p-dc/discount", R"({"percent":5})", {{"Idempotency-Key", "dc-1"}});
    QVERIFY2(r.status == 202, r.body.constData());
    const TestHttpResponse again = client.request("POST", "/api/products/p-dc/discount", R"({"percent":5})", {{"Idempotency-Key", "dc-1"}});
    QCOMPARE(again.status, 202);
    QCOMPARE(again.json().value(u"position"_s), r.json().value(u"position"_s));
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-p-dc"_s).version, 2);

    // Inline decide code in the collection; a command whose function is not deployed; unknown.
    r = gateway("POST", "/api/products/p-dc/retire", R"({"reason":"old"})");
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(r.json().value(u"events"_s).toArray(), QJsonArray{u"products.retired"_s});
    QCOMPARE(gateway("POST", "/api/products/p-nope/retire", "{}").status, 422);
    QCOMPARE(gateway("POST", "/api/products/p-dc/ghost", "{}").status, 502);
    QCOMPARE(gateway("POST", "/api/products/p-dc/teleport", "{}").status, 404);

    // A stream past two snapshots (every 100 events): decided on the state its whole stream
    // folds to, appended at its version.
    r = gateway("POST", "/api/products", R"({"id":"p-long","name":"Desk","price":0})");
    QVERIFY2(r.status == 202, r.body.constData());
    for (int i = 1; i < 230; ++i) {
        r = gateway("POST", "/api/products/p-long", QByteArray(R"({"price":)") + QByteArray::number(i) + '}');
        QVERIFY2(r.status == 202, r.body.constData());
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_engine.readStore()->snapshot(u"products"_s, u"p-long"_s, r.header("x-event-position").toLongLong()), 10000);
    const quint64 hits = m_engine.readStore()->snapshotUse().value(u"products"_s).hits;
    r = gateway("POST", "/api/products/p-long/discount", R"({"percent":10})");
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(r.json().value(u"version"_s).toInt(), 230);
    const RecordedEvent discounted = m_engine.eventStore()->readAll(r.header("x-event-position").toLongLong(), 1).value(0);
    QCOMPARE(QJsonDocument::fromJson(discounted.data).object().value(u"price"_s).toDouble(), 229 * 0.9);
    QCOMPARE(m_engine.readStore()->snapshotUse().value(u"products"_s).hits, hits + 1);
    QCOMPARE(admin("DELETE", "/admin/functions/discounter").status, 204);
}

void tst_Functions::queryFromAnIntervalTrigger()
{
    TestHttpResponse r;
    for (const QByteArray &body : {QByteArray(R"({"id":"q-1","name":"Qlamp","price":30})"),
                                   QByteArray(R"({"id":"q-2","name":"Qlamp","price":10})"),
                                   QByteArray(R"({"id":"q-3","name":"Other","price":20})")}) {
        r = gateway("POST", "/api/products", body);
        QVERIFY2(r.status == 202, r.body.constData());
    }
    const QJsonObject def{
        {u"code"_s, u"function handle(input, ctx) {\n"
                    "  var found = ctx.query('products', {name: 'Qlamp', sort: '-price'});\n"
                    "  var old = ctx.get('fn_hits', 'ticks') || {n: 0};\n"
                    "  ctx.upsert('fn_hits', 'ticks', {n: old.n + 1, type: input.type,\n"
                    "                                  ids: found.map(function (p) { return p.id; })});\n}"_s},
        {u"triggers"_s, QJsonArray{QJsonObject{{u"type"_s, u"interval"_s}, {u"every_s"_s, 1}}}}};
    QCOMPARE(deploy(u"ticker"_s, def).status, 201);
    // Fires again and again; once the products are in the read model it finds two, by price.
    QTRY_VERIFY_WITH_TIMEOUT(gateway("GET", "/api/fn_hits/ticks").json().value(u"n"_s).toInt() >= 2, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/api/fn_hits/ticks").json().value(u"ids"_s).toArray(),
                              (QJsonArray{u"q-1"_s, u"q-2"_s}), kWaitMs);
    QCOMPARE(gateway("GET", "/api/fn_hits/ticks").json().value(u"type"_s).toString(), u"interval"_s);
    QCOMPARE(admin("DELETE", "/admin/functions/ticker").status, 204);

    QCOMPARE(deploy(u"bad-interval"_s, {{u"code"_s, u"function handle() {}"_s},
                                        {u"triggers"_s, QJsonArray{QJsonObject{{u"type"_s, u"interval"_s}}}}}).status, 400);
}

void tst_Functions::statsInAdminApiAndMetrics()
{
    const QJsonObject def{{u"code"_s, u"function handle(e) { if (e.subject === 'bad') throw new Error('no'); }"_s},
                          {u"retry"_s, QJsonObject{{u"max_attempts"_s, 2}, {u"delay_ms"_s, 1}}},
                          {u"concurrency"_s, 1},
                          {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"meters.read"_s}})}}};
    QCOMPARE(deploy(u"metered"_s, def).status, 201);
    append(u"meters.read"_s, u"ok1"_s);
    append(u"meters.read"_s, u"bad"_s);
    QVERIFY(reached(u"metered"_s, append(u"meters.read"_s, u"ok2"_s)));

    const QJsonObject stats = admin("GET", "/admin/functions/metered").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"invocations"_s).toInt(), 4);
    QCOMPARE(stats.value(u"errors"_s).toInt(), 2);
    QCOMPARE(stats.value(u"retries"_s).toInt(), 1);
    QCOMPARE(stats.value(u"timeouts"_s).toInt(), 0);
    QCOMPARE(stats.value(u"cold_starts"_s).toInt(), 1);
    QCOMPARE(stats.value(u"dead_letters"_s).toInt(), 1);
    QCOMPARE(stats.value(u"queue_depth"_s).toInt(), 0);
    for (const char *key : {"init_ms", "duration_p50_ms", "duration_p99_ms"})
        QVERIFY2(stats.contains(QLatin1String(key)), key);

    const QByteArray metrics = admin("GET", "/metrics").body;
    for (const QByteArray &line : {QByteArray(R"(gatehouse_function_invocations_total{function="metered"} 4)"),
                                   QByteArray(R"(gatehouse_function_errors_total{function="metered"} 2)"),
                                   QByteArray(R"(gatehouse_function_retries_total{function="metered"} 1)"),
                                   QByteArray(R"(gatehouse_function_cold_starts_total{function="metered"} 1)"),
                                   QByteArray(R"(gatehouse_function_dead_letters{function="metered"} 1)"),
                                   QByteArray(R"(gatehouse_function_queue_depth{function="metered"} 0)"),
                                   QByteArray(R"(gatehouse_function_duration_seconds{function="metered",quantile="0.99"})"),
                                   QByteArray("# TYPE gatehouse_function_duration_seconds summary\n"),
                                   QByteArray(R"(gatehouse_function_duration_seconds_count{function="metered"} 4)"),
                                   QByteArray(R"(gatehouse_function_duration_seconds_sum{function="metered"})"),
                                   QByteArray(R"(gatehouse_function_init_seconds{function="metered"})")})
        QVERIFY2(metrics.contains(line), line.constData());

    // The function's runner is listed with the projections.
    bool listed = false;
    for (const QJsonValue &v : admin("GET", "/admin/projections").json().value(u"items"_s).toArray())
        listed = listed || v.toObject().value(u"name"_s) == u"function:metered"_s;
    QVERIFY(listed);
    QCOMPARE(admin("DELETE", "/admin/functions/metered").status, 204);
}

void tst_Functions::memoryCeilingStopsAnEndlessAllocation()
{
    // The timeout is far away: what stops it is the watchdog's memory ceiling.
    const QJsonObject def{{u"code"_s, u"function handle() {\n"
                                      "  var hoard = [];\n"
                                      "  for (;;) hoard.push('x'.repeat(1 << 20) + hoard.length);\n}"_s},
                          {u"timeout_ms"_s, 60000},
                          {u"memory_limit_mb"_s, 64}};
    QCOMPARE(deploy(u"hoarder"_s, def).status, 201);
    const QJsonObject route{{u"uri"_s, u"/fn/hoard"_s}, {u"methods"_s, QJsonArray{u"GET"_s}},
                            {u"upstream"_s, QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, u"hoarder"_s}}}};
    TestHttpResponse r = admin("PUT", "/admin/routes/hoard", toJson(route));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    const quint16 port = m_port;
    std::future<TestHttpResponse> hoarding = std::async(std::launch::async, [port] {
        TestHttpClient client(u"127.0.0.1"_s, port);
        return client.get("/fn/hoard");
    });
    QCOMPARE(gateway("GET", "/api/products?limit=1").status, 200);   // the engine serves meanwhile
    r = hoarding.get();
    QCOMPARE(r.status, 500);
    QVERIFY2(r.json().value(u"detail"_s).toString().contains(u"memory ceiling of 64 MB"_s), r.body.constData());
    const QJsonObject stats = admin("GET", "/admin/functions/hoarder").json().value(u"stats"_s).toObject();
    QCOMPARE(stats.value(u"memory_exceeded"_s).toInt(), 1);
    QCOMPARE(stats.value(u"timeouts"_s).toInt(), 0);
    QCOMPARE(stats.value(u"instances"_s).toInt(), 0);   // the instance and its heap were dropped
    QCOMPARE(admin("DELETE", "/admin/routes/hoard").status, 204);
    QCOMPARE(admin("DELETE", "/admin/functions/hoarder").status, 204);
}

void tst_Functions::replayAfterACrashDoesNotEmitTwice()
{
    const QJsonObject def{{u"code"_s, u"function handle(e, ctx) {\n"
                                      "  ctx.emit('receipts.issued', e.subject, {for: e.id});\n"
                                      "  ctx.upsert('fn_hits', 'receipt-' + e.subject, {for: e.id});\n}"_s},
                          {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"sales.closed"_s}})}}};
    QCOMPARE(deploy(u"receipts"_s, def).status, 201);
    const qint64 first = append(u"sales.closed"_s, u"s1"_s);
    const qint64 last = append(u"sales.closed"_s, u"s2"_s);
    QVERIFY(reached(u"receipts"_s, last));
    QTRY_COMPARE_WITH_TIMEOUT(m_engine.eventStore()->readAll(1, 100000, u"receipts.*"_s).size(), 2, kWaitMs);

    // A crash after the events were emitted but before the checkpoint committed: the engine
    // stops, the checkpoint goes back to before both events, and the engine starts again.
    m_listeners.close();
    m_engine.stop();
    {
        ReadStore readStore;
        QString error;
        QVERIFY2(readStore.open(StorageTarget::sqlite(m_dir.filePath(u"data/readmodel.db"_s)), &error), qPrintable(error));
        auto tx = readStore.begin();
        QVERIFY(tx && tx->setCheckpoint(u"function:receipts"_s, first - 1) && tx->commit());
    }
    startEngine();
    QVERIFY(reached(u"receipts"_s, last));
    // Both events ran again (at-least-once), but the store refused the emitted ids it already had.
    QCOMPARE(admin("GET", "/admin/functions/receipts").json().value(u"stats"_s).toObject().value(u"invocations"_s).toInt(), 2);
    QCOMPARE(m_engine.eventStore()->readAll(1, 100000, u"receipts.*"_s).size(), 2);
    QCOMPARE(gateway("GET", "/api/fn_hits/receipt-s2").status, 200);
    QCOMPARE(admin("DELETE", "/admin/functions/receipts").status, 204);
}

void tst_Functions::functionsSurviveARestart()
{
    const QJsonObject def{{u"code"_s, u"function handle(e, ctx) { ctx.upsert('fn_hits', 'durable-' + e.subject, {n: 1}); }"_s},
                          {u"triggers"_s, QJsonArray{eventTrigger({{u"type"_s, u"durables.made"_s}})}}};
    QCOMPARE(deploy(u"durable"_s, def).status, 201);
    QVERIFY(reached(u"durable"_s, append(u"durables.made"_s, u"e1"_s)));

    m_listeners.close();
    m_engine.stop();
    startEngine();

    const QJsonObject f = admin("GET", "/admin/functions/durable").json();
    QCOMPARE(f.value(u"version"_s).toInt(), 1);
    QVERIFY(reached(u"durable"_s, append(u"durables.made"_s, u"e2"_s)));
    QCOMPARE(gateway("GET", "/api/fn_hits/durable-e2").status, 200);
    // The checkpoint survived: e1 was not run again.
    QCOMPARE(admin("GET", "/admin/functions/durable").json().value(u"stats"_s).toObject().value(u"invocations"_s).toInt(), 1);
    QCOMPARE(m_engine.readStore()->document(u"fn_hits"_s, u"durable-e1"_s)->version, 0);
    // Dead letters are kept in config.db: the one from the timeout test is still there.
    QCOMPARE(admin("GET", "/admin/dead-letters?function=spin-events").json().value(u"total"_s).toInt(), 1);
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int failed = 0;
    for (const QString &isolation : {u"process"_s, u"thread"_s}) {
        tst_Functions test(isolation);
        failed += QTest::qExec(&test, argc, argv);
    }
    return failed;
}

#include "tst_functions.moc"
