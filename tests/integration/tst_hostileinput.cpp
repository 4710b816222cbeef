// Hostile JSON at the engine's doors (issue: "one request must never crash, freeze, poison or
// open the engine"). Each body here was once answered 202 (Qt's parser is lenient), stored as
// the client sent it, and then stopped the upsert projection for good, broke GET /events, or
// let the schema see a different value from the read side. Now every door parses strictly,
// answers 400 with a problem document, appends nothing, and stores only the engine's own
// serialisation of what it validated.
#include "assembly/engine.h"
#include "config/strictjson.h"
#include "projections/projectionrunner.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

class tst_HostileInput : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void malformedCommandBodies_data();
    void malformedCommandBodies();
    void duplicateNamesCannotSplitSchemaAndReadSide();
    void storedDataIsCanonical();
    void commandHeadersAreChecked_data();
    void commandHeadersAreChecked();
    void queryStringsAreStrict_data();
    void queryStringsAreStrict();
    void pathsAreStrict_data();
    void pathsAreStrict();
    void dotIdsAreRefused();
    void adminBodiesAreStrict_data();
    void adminBodiesAreStrict();
    void readSideKeepsGoing();

private:
    QByteArray describe(const TestHttpResponse &r) const { return QByteArray::number(r.status) + ' ' + r.body.left(300); }
    qint64 head() const { return m_engine.eventStore()->headPosition(); }

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    std::unique_ptr<TestHttpClient> m_client;
    std::unique_ptr<TestHttpClient> m_admin;
};

void tst_HostileInput::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Server::Listeners::Endpoint any;
    any.address = QHostAddress::LocalHost;
    any.port = 0;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_client = std::make_unique<TestHttpClient>(u"127.0.0.1"_s, m_listeners.gatewayEndpoint().port);
    m_admin = std::make_unique<TestHttpClient>(u"127.0.0.1"_s, m_listeners.adminEndpoint().port);
}

void tst_HostileInput::cleanupTestCase()
{
    m_client.reset();
    m_admin.reset();
    m_listeners.close();
    m_engine.stop();
}

void tst_HostileInput::malformedCommandBodies_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("detail");

    const QByteArray create = "/api/products";
    QTest::newRow("trailing dot") << create << QByteArray(R"({"name":"a","price":1.})") << u"decimal point"_s;
    QTest::newRow("leading dot") << create << QByteArray(R"({"name":"a","price":.5})") << u"a value was expected"_s;
    QTest::newRow("dot before exponent") << create << QByteArray(R"({"name":"a","price":1.e5})") << u"decimal point"_s;
    QTest::newRow("raw tab in string") << create << QByteArray("{\"name\":\"a\tb\",\"price\":1}") << u"control character"_s;
    QTest::newRow("raw newline in string") << create << QByteArray("{\"name\":\"a\nb\",\"price\":1}") << u"control character"_s;
    QTest::newRow("raw NUL in string") << create << QByteArray("{\"name\":\"a\0b\",\"price\":1}", 25) << u"control character"_s;
    QTest::newRow("BOM, no id") << create << QByteArray("\xef\xbb\xbf{\"name\":\"a\",\"price\":1}") << u"byte order mark"_s;
    QTest::newRow("BOM with id") << create << QByteArray("\xef\xbb\xbf{\"id\":\"bom\",\"name\":\"a\",\"price\":1}") << u"byte order mark"_s;
    QTest::newRow("infinite number") << create << QByteArray(R"({"name":"a","price":1e999})") << u"out of range"_s;
    QTest::newRow("invalid UTF-8") << create << QByteArray("{\"name\":\"\xc0\xaf\",\"price\":1}") << u"UTF-8"_s;
    QTest::newRow("lone surrogate") << create << QByteArray(R"({"name":"\ud800","price":1})") << u"surrogate"_s;
    QTest::newRow("nested 100 deep") << create
        << QByteArray(R"({"name":"a","price":1,"tags":)" + QByteArray(100, '[') + QByteArray(100, ']') + "}")
        << u"deeper than 64"_s;
    QTest::newRow("nested 100,000 deep") << create
        << QByteArray(R"({"name":"a","price":1,"x":)" + QByteArray(100'000, '[') + QByteArray(100'000, ']') + "}")
        << u"deeper than 64"_s;
    QTest::newRow("two documents") << create << QByteArray(R"({"name":"a","price":1}{"name":"b","price":2})") << u"after the JSON value"_s;
    QTest::newRow("update: trailing dot") << QByteArray("/api/products/target") << QByteArray(R"({"price":2.})") << u"decimal point"_s;
    QTest::newRow("update: duplicate") << QByteArray("/api/products/target") << QByteArray(R"({"price":2,"price":-1})") << u"duplicate"_s;
    QTest::newRow("update: BOM") << QByteArray("/api/products/target") << QByteArray("\xef\xbb\xbf{\"price\":2}") << u"byte order mark"_s;
}

void tst_HostileInput::malformedCommandBodies()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, detail);
    if (path.endsWith("/target") && m_engine.eventStore()->streamHead(u"products-target"_s).version < 0)
        QCOMPARE(m_client->post("/api/products", R"({"id":"target","name":"t","price":1})").status, 202);

    const qint64 before = head();
    const TestHttpResponse r = m_client->post(path, body);
    QVERIFY2(r.status == 400, describe(r).constData());
    QCOMPARE(r.header("content-type"), QByteArray("application/problem+json"));
    const QJsonObject problem = r.json();
    QCOMPARE(problem.value(u"type"_s).toString(), u"urn:gatehouse:problem:malformed-json"_s);
    QVERIFY2(problem.value(u"detail"_s).toString().contains(detail), describe(r).constData());
    QCOMPARE(head(), before);   // nothing appended
}

void tst_HostileInput::duplicateNamesCannotSplitSchemaAndReadSide()
{
    // The schema would have seen price 7 (Qt keeps the last), SQLite's json_extract -5 (the first).
    const qint64 before = head();
    TestHttpResponse r = m_client->post("/api/products", R"({"id":"d1","name":"D","price":-5,"price":7})");
    QVERIFY2(r.status == 400, describe(r).constData());
    QVERIFY(r.json().value(u"detail"_s).toString().contains(u"duplicate"_s));
    QCOMPARE(head(), before);
    r = m_client->get("/api/products?price[lt]=0", {{"X-Min-Position", QByteArray::number(head())}});
    QVERIFY2(r.status == 200, describe(r).constData());
    QCOMPARE(r.json().value(u"items"_s).toArray().size(), 0);
    QCOMPARE(m_client->get("/api/products/d1").status, 404);
}

void tst_HostileInput::storedDataIsCanonical()
{
    // Escapes, spacing and number spelling are the client's; what is stored is the engine's
    // own serialisation of the validated document, whatever the client sent.
    const QByteArray body = "  {\n \"id\" : \"canon\", \"name\" : \"W\\u0069dget\\/1\", \"price\" : 1.50e0, \"tags\":[ ] }  ";
    TestHttpResponse r = m_client->post("/api/products", body);
    QVERIFY2(r.status == 202, describe(r).constData());
    const qint64 position = r.header("x-event-position").toLongLong();
    const RecordedEvents events = m_engine.eventStore()->readAll(position, 1);
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.first().data, QByteArray(R"({"id":"canon","name":"Widget/1","price":1.5,"tags":[]})"));

    // A create without an id: the generated id goes into the document, not into spliced text.
    r = m_client->post("/api/products", R"({ "name":"generated", "price":2 })");
    QVERIFY2(r.status == 202, describe(r).constData());
    const QString id = r.json().value(u"id"_s).toString();
    const RecordedEvents generated = m_engine.eventStore()->readAll(r.header("x-event-position").toLongLong(), 1);
    QCOMPARE(generated.first().data, QByteArray(R"({"id":")" + id.toUtf8() + R"(","name":"generated","price":2})"));
}

void tst_HostileInput::commandHeadersAreChecked_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("status");
    QTest::newRow("JSON in another charset") << QByteArray("Content-Type") << QByteArray("application/json; charset=latin1") << 415;
    QTest::newRow("unknown parameter") << QByteArray("Content-Type") << QByteArray("application/json; q=1") << 415;
    QTest::newRow("charset utf-8 quoted") << QByteArray("Content-Type") << QByteArray("application/json; charset=\"UTF-8\"") << 202;
    QTest::newRow("idempotency key of 255") << QByteArray("Idempotency-Key") << QByteArray(255, 'k') << 202;
    QTest::newRow("idempotency key of 256") << QByteArray("Idempotency-Key") << QByteArray(256, 'k') << 400;
    QTest::newRow("idempotency key with a space") << QByteArray("Idempotency-Key") << QByteArray("a b") << 400;
    QTest::newRow("idempotency key not ASCII") << QByteArray("Idempotency-Key") << QByteArray("cl\xc3\xa9") << 400;
    QTest::newRow("idempotency key empty") << QByteArray("Idempotency-Key") << QByteArray("") << 400;
    QTest::newRow("if-match empty") << QByteArray("If-Match") << QByteArray("") << 400;
    QTest::newRow("idempotency key of spaces") << QByteArray("Idempotency-Key") << QByteArray("   ") << 400;
}

void tst_HostileInput::commandHeadersAreChecked()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(int, status);
    const qint64 before = head();
    const TestHttpResponse r = m_client->post("/api/products", R"({"name":"h","price":1})", {{name, value}});
    QVERIFY2(r.status == status, describe(r).constData());
    QCOMPARE(head(), status == 202 ? before + 1 : before);
}

void tst_HostileInput::queryStringsAreStrict_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("detail");
    QTest::newRow("list: limit twice") << QByteArray("/api/products?limit=1&limit=2") << u"more than once"_s;
    QTest::newRow("list: filter twice") << QByteArray("/api/products?name=a&name=b") << u"more than once"_s;
    QTest::newRow("list: escaped name twice") << QByteArray("/api/products?name=a&n%61me=b") << u"more than once"_s;
    QTest::newRow("list: invalid UTF-8") << QByteArray("/api/products?name=%ff") << u"not UTF-8"_s;
    QTest::newRow("list: overlong UTF-8") << QByteArray("/api/products?name=%c0%af") << u"not UTF-8"_s;
    QTest::newRow("list: broken escape") << QByteArray("/api/products?name=%zz") << u"malformed"_s;
    QTest::newRow("list: cut escape") << QByteArray("/api/products?name=%4") << u"malformed"_s;
    QTest::newRow("by id: twice") << QByteArray("/api/products/canon?include_deleted=true&include_deleted=false") << u"more than once"_s;
    QTest::newRow("events: from twice") << QByteArray("/events?from=1&from=5") << u"more than once"_s;
    QTest::newRow("events: invalid UTF-8") << QByteArray("/events?type=%ff*") << u"not UTF-8"_s;
    QTest::newRow("stream: invalid UTF-8") << QByteArray("/events/stream?type=%fe") << u"not UTF-8"_s;
}

void tst_HostileInput::queryStringsAreStrict()
{
    QFETCH(QByteArray, target);
    QFETCH(QString, detail);
    const TestHttpResponse r = m_client->get(target);
    QVERIFY2(r.status == 400, describe(r).constData());
    QCOMPARE(r.json().value(u"type"_s).toString(), u"urn:gatehouse:problem:bad-parameter"_s);
    QVERIFY2(r.json().value(u"detail"_s).toString().contains(detail), describe(r).constData());
}

void tst_HostileInput::pathsAreStrict_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QString>("detail");   // empty: accepted (not 400)
    QTest::newRow("by id: broken escape") << QByteArray("GET") << QByteArray("/api/products/%zz") << u"malformed"_s;
    QTest::newRow("by id: cut escape") << QByteArray("GET") << QByteArray("/api/products/%4") << u"malformed"_s;
    QTest::newRow("by id: lone percent") << QByteArray("GET") << QByteArray("/api/products/%") << u"malformed"_s;
    QTest::newRow("by id: invalid UTF-8") << QByteArray("GET") << QByteArray("/api/products/%FF") << u"UTF-8"_s;
    QTest::newRow("by id: overlong UTF-8") << QByteArray("GET") << QByteArray("/api/products/%C0%AE%C0%AE") << u"UTF-8"_s;
    QTest::newRow("by id: escaped NUL") << QByteArray("GET") << QByteArray("/api/products/a%00b") << u"control character"_s;
    QTest::newRow("by id: escaped CR LF") << QByteArray("GET") << QByteArray("/api/products/a%0D%0Ab") << u"control character"_s;
    QTest::newRow("update: invalid UTF-8") << QByteArray("POST") << QByteArray("/api/products/%FE") << u"UTF-8"_s;
    QTest::newRow("by id: escaped UTF-8") << QByteArray("GET") << QByteArray("/api/products/caf%C3%A9") << QString();
    // Dot segments are refused, not resolved: a route must not be passed on to a path its
    // upstream would read as another one.
    QTest::newRow("dot-dot segment") << QByteArray("GET") << QByteArray("/api/products/../health") << u"segment"_s;
    QTest::newRow("dot segment") << QByteArray("GET") << QByteArray("/api/./products/x") << u"segment"_s;
    QTest::newRow("escaped dot-dot") << QByteArray("GET") << QByteArray("/api/products/%2e%2E") << u"segment"_s;
    QTest::newRow("half-escaped dot-dot, last") << QByteArray("POST") << QByteArray("/api/products/x/.%2e") << u"segment"_s;
    QTest::newRow("dot-dot, trailing slash") << QByteArray("GET") << QByteArray("/api/../api/products/x/") << u"segment"_s;
    QTest::newRow("raw backslash") << QByteArray("GET") << QByteArray("/api/products/..\\x") << u"backslash"_s;
    QTest::newRow("dot-dot before an escaped slash") << QByteArray("GET") << QByteArray("/api/products/..%2Fhealth") << u"segment"_s;
    QTest::newRow("escaped dot-dot before an escaped backslash") << QByteArray("GET") << QByteArray("/api/products/%2e%2E%5cx") << u"segment"_s;
    QTest::newRow("dot-dot after an escaped slash") << QByteArray("GET") << QByteArray("/api/products/x%2f..") << u"segment"_s;
    QTest::newRow("dot-dot with a path parameter") << QByteArray("GET") << QByteArray("/api/../products;x=1/..;jsessionid=1") << u"segment"_s;
    QTest::newRow("dot-dot and a semicolon, then more") << QByteArray("GET") << QByteArray("/api/products/..;/x") << u"segment"_s;
    QTest::newRow("three dots are a name") << QByteArray("GET") << QByteArray("/api/products/...") << QString();
    QTest::newRow("dots inside a name") << QByteArray("GET") << QByteArray("/api/products/a..b") << QString();
    QTest::newRow("a leading dot") << QByteArray("GET") << QByteArray("/api/products/.x") << QString();
}

void tst_HostileInput::pathsAreStrict()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QString, detail);
    const qint64 before = head();
    const TestHttpResponse r = method == "GET" ? m_client->get(target) : m_client->post(target, R"({"price":1})");
    QCOMPARE(head(), before);
    if (detail.isEmpty()) {
        QVERIFY2(r.status == 404, describe(r).constData());   // a well-formed id nobody created
        return;
    }
    QVERIFY2(r.status == 400, describe(r).constData());
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    QCOMPARE(r.json().value(u"type"_s).toString(), u"urn:gatehouse:problem:malformed-path"_s);
    QVERIFY2(r.json().value(u"detail"_s).toString().contains(detail), describe(r).constData());
}

void tst_HostileInput::dotIdsAreRefused()
{
    // "." and ".." could never be read back (their paths are refused): not ids, whatever the
    // collection's id pattern allows.
    for (const QByteArray &id : {QByteArray("."), QByteArray("..")}) {
        const qint64 before = head();
        const TestHttpResponse r = m_client->post("/api/products", R"({"id":")" + id + R"(","name":"a","price":1})");
        QVERIFY2(r.status == 400, describe(r).constData());
        QVERIFY2(r.body.contains("/id"), describe(r).constData());
        QCOMPARE(head(), before);
    }
    const TestHttpResponse three = m_client->post("/api/products", R"({"id":"...","name":"a","price":1})");
    QVERIFY2(three.status == 202, describe(three).constData());
}

void tst_HostileInput::adminBodiesAreStrict_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("detail");
    QTest::newRow("duplicate plugins member") << QByteArray("PUT") << QByteArray("/admin/routes/dup")
        << QByteArray(R"({"uri":"/dup","upstream":{"type":"query","collection":"products"},"plugins":{},"plugins":{"key-auth":{}}})")
        << u"duplicate"_s;
    QTest::newRow("BOM") << QByteArray("PUT") << QByteArray("/admin/consumers/bom")
        << QByteArray("\xef\xbb\xbf{\"plugins\":{}}") << u"byte order mark"_s;
    QTest::newRow("trailing comma") << QByteArray("POST") << QByteArray("/admin/routes")
        << QByteArray(R"({"uri":"/x","upstream":{"type":"query","collection":"products"},})") << u"member name"_s;
    QTest::newRow("deep") << QByteArray("PUT") << QByteArray("/admin/routes/deep")
        << QByteArray(R"({"uri":"/deep","desc":)" + QByteArray(200, '[') + QByteArray(200, ']') + "}") << u"deeper than 64"_s;
}

void tst_HostileInput::adminBodiesAreStrict()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, detail);
    const QByteArray key = m_engine.adminKey().toUtf8();
    const TestHttpResponse r = m_admin->request(method, path, body, {{"X-API-KEY", key}});
    QVERIFY2(r.status == 400, describe(r).constData());
    QVERIFY2(r.json().value(u"detail"_s).toString().contains(detail), describe(r).constData());
    QCOMPARE(m_admin->get(path, {{"X-API-KEY", key}}).status, path.endsWith("/routes") ? 200 : 404);
}

void tst_HostileInput::readSideKeepsGoing()
{
    // After everything above, the projection is running, a new command is readable at its
    // position, and the whole log still reads as strict JSON.
    const TestHttpResponse created = m_client->post("/api/products", R"({"id":"after","name":"after","price":3})");
    QVERIFY2(created.status == 202, describe(created).constData());
    const QByteArray position = created.header("x-event-position");
    const TestHttpResponse r = m_client->get("/api/products/after", {{"X-Min-Position", position}});
    QVERIFY2(r.status == 200, describe(r).constData());
    QCOMPARE(m_engine.projection(u"upsert"_s)->stats().status, ProjectionRunner::Status::Running);
    const TestHttpResponse events = m_client->get("/events?from=1&limit=1000");
    QCOMPARE(events.status, 200);
    StrictJson::Error error;
    const std::optional<QJsonValue> batch = StrictJson::parse(events.body, &error);
    QVERIFY2(batch && batch->isArray(), qPrintable(error.toString()));
    QCOMPARE(batch->toArray().last().toObject().value(u"position"_s).toInteger(), position.toLongLong());
}

QTEST_GUILESS_MAIN(tst_HostileInput)
#include "tst_hostileinput.moc"
