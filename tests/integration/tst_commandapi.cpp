// The command API (DESIGN.md "Commands", "Events", "Admin API") over real sockets: an Engine
// on a temporary data directory behind the real gateway and admin listeners on 127.0.0.1,
// driven by a small blocking HTTP/1.1 client. Every test asserts what a client sees (status,
// headers, body) and what ends up in the event log.
#include "testdatabase.h"
#include "assembly/engine.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttprequest.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QUuid>
#include <QtTest>

#include <latch>
#include <thread>
#include <vector>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 10000;

using Headers = QList<std::pair<QByteArray, QByteArray>>;

using Reply = TestHttpReply;

// One request on its own connection ("Connection: close"), with exactly the Content-Type
// `headers` give (post() adds the JSON type). Blocking; callable from any thread.
Reply httpRequest(quint16 port, const QByteArray &method, const QByteArray &target, const QByteArray &body = {},
                  const Headers &headers = {})
{
    return testHttpRequest(port, method, target, body, headers, {.timeoutMs = kWaitMs, .jsonTypeForBody = false});
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject parseObject(const QByteArray &bytes)
{
    return QJsonDocument::fromJson(bytes).object();
}

bool isUuid(const QString &text)
{
    const QUuid uuid = QUuid::fromString(text);
    return !uuid.isNull() && uuid.toString(QUuid::WithoutBraces) == text.toLower();
}

} // namespace

// Fails the calling test when `reply` is not an RFC 9457 problem with `status`.
#define VERIFY_PROBLEM(reply, expectedStatus)                                                              \
    do {                                                                                                   \
        const Reply &r_ = (reply);                                                                         \
        QVERIFY2(r_.status == (expectedStatus), r_.describe().constData());                                \
        QCOMPARE(r_.header("content-type"), QByteArrayLiteral("application/problem+json"));               \
        const QJsonObject p_ = r_.json();                                                                  \
        QVERIFY2(!p_.value(u"type"_s).toString().isEmpty(), r_.body.constData());                         \
        QVERIFY2(!p_.value(u"title"_s).toString().isEmpty(), r_.body.constData());                        \
        QCOMPARE(p_.value(u"status"_s).toInt(), (expectedStatus));                                         \
        QVERIFY2(!p_.value(u"detail"_s).toString().isEmpty(), r_.body.constData());                       \
    } while (false)

class tst_CommandApi : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void createAnswers202AndAppendsTheDocument();
    void createKeepsTheClientId();
    void createGeneratesAUuid();
    void createRejectsABadId_data();
    void createRejectsABadId();
    void acceptsJsonContentTypes_data();
    void acceptsJsonContentTypes();

    void eventsReturnsCloudEvents();
    void eventsFilterByTypeAndLimit();
    void eventsRejectsBadParameters_data();
    void eventsRejectsBadParameters();

    void updateAppendsThePatch();
    void ifMatch();
    void ifMatchMalformed_data();
    void ifMatchMalformed();
    void ifMatchListsAndAny_data();
    void ifMatchListsAndAny();
    void conflictsAndMissingEntities();

    void idempotentCreateWithId();
    void idempotentCreateWithoutId();
    void idempotentUpdate();

    void validationListsEveryViolation_data();
    void validationListsEveryViolation();
    void badRequests_data();
    void badRequests();
    void bodyOverTheLimit();

    void adminHealthAndKey();

    void concurrentCreates();
    void concurrentUpdatesOfOneEntity();

private:
    Reply post(const QByteArray &path, const QByteArray &body, Headers headers = {}) const;
    Reply get(const QByteArray &target, const Headers &headers = {}) const;
    // Creates a product with `id` and answers its 202 body.
    QJsonObject createProduct(const QString &id, const QJsonObject &fields = {});
    qint64 head() const { return m_engine.eventStore()->headPosition(); }

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
};

Reply tst_CommandApi::post(const QByteArray &path, const QByteArray &body, Headers headers) const
{
    bool hasType = false;
    for (const auto &h : std::as_const(headers))
        hasType = hasType || h.first.toLower() == "content-type";
    if (!hasType)
        headers.prepend({"Content-Type", "application/json"});
    return httpRequest(m_port, "POST", path, body, headers);
}

Reply tst_CommandApi::get(const QByteArray &target, const Headers &headers) const
{
    return httpRequest(m_port, "GET", target, {}, headers);
}

QJsonObject tst_CommandApi::createProduct(const QString &id, const QJsonObject &fields)
{
    QJsonObject doc{{u"id"_s, id}, {u"name"_s, QString(u"Product "_s + id)}, {u"price"_s, 10}};
    for (auto it = fields.begin(); it != fields.end(); ++it)
        doc.insert(it.key(), it.value());
    const Reply r = post("/api/products", json(doc));
    if (r.status != 202)
        qWarning("creating %s failed: %s", qPrintable(id), r.describe().constData());
    return r.json();
}

void tst_CommandApi::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.database = Test::engineDatabase(m_dir.path());
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    QVERIFY(m_engine.isRunning());

    Server::Listeners::Endpoint any;
    any.address = QHostAddress::LocalHost;
    any.port = 0;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
    QVERIFY(m_port != 0);
    QVERIFY(m_adminPort != 0);
    QVERIFY(m_port != m_adminPort);
}

void tst_CommandApi::cleanupTestCase()
{
    m_listeners.close();
    m_engine.stop();
}

// ---------------------------------------------------------------------------------------------
// create

void tst_CommandApi::createAnswers202AndAppendsTheDocument()
{
    const qint64 before = head();
    const QJsonObject doc{{u"id"_s, u"lamp-1"_s}, {u"name"_s, u"Desk lamp"_s}, {u"price"_s, 12.5},
                          {u"sku"_s, u"LMP-001"_s}, {u"tags"_s, QJsonArray{u"light"_s}}};
    const Reply r = post("/api/products", json(doc), {{"X-Correlation-ID", "corr-create-1"}});

    QVERIFY2(r.status == 202, r.describe().constData());
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/json"));
    const QJsonObject body = r.json();
    const QStringList keys = body.keys();
    QCOMPARE(QSet<QString>(keys.cbegin(), keys.cend()),
             (QSet<QString>{u"id"_s, u"stream"_s, u"version"_s, u"position"_s, u"events"_s}));
    QCOMPARE(body.value(u"id"_s).toString(), u"lamp-1"_s);
    QCOMPARE(body.value(u"stream"_s).toString(), u"products-lamp-1"_s);
    QVERIFY(body.value(u"version"_s).isDouble());
    QCOMPARE(body.value(u"version"_s).toInteger(), 0);
    const qint64 position = body.value(u"position"_s).toInteger();
    QCOMPARE(position, before + 1);
    QCOMPARE(body.value(u"events"_s).toArray(), (QJsonArray{u"products.created"_s}));
    QCOMPARE(r.header("location"), QByteArrayLiteral("/api/products/lamp-1"));
    QCOMPARE(r.header("x-event-position"), QByteArray::number(position));

    // Durable before the answer: the event is in the log, exactly one, with the document as data.
    QCOMPARE(head(), before + 1);
    const RecordedEvents events = m_engine.eventStore()->readAll(position, 10);
    QCOMPARE(events.size(), 1);
    const RecordedEvent &e = events.first();
    QCOMPARE(e.position, position);
    QCOMPARE(e.stream, u"products-lamp-1"_s);
    QCOMPARE(e.version, 0);
    QCOMPARE(e.type, u"products.created"_s);
    QCOMPARE(parseObject(e.data), doc);
    QVERIFY(isUuid(e.id));
    const QJsonObject meta = parseObject(e.metadata);
    QCOMPARE(meta.value(u"correlationid"_s).toString(), u"corr-create-1"_s);
    QVERIFY(!meta.value(u"causationid"_s).toString().isEmpty());
}

void tst_CommandApi::createKeepsTheClientId()
{
    // Ids may use every character the default id pattern allows; Location carries them as-is.
    const Reply r = post("/api/products", R"({"id":"Ab.9_x~y-z","name":"Chair","price":0})");
    QVERIFY2(r.status == 202, r.describe().constData());
    QCOMPARE(r.json().value(u"id"_s).toString(), u"Ab.9_x~y-z"_s);
    QCOMPARE(r.json().value(u"stream"_s).toString(), u"products-Ab.9_x~y-z"_s);
    QCOMPARE(r.header("location"), QByteArrayLiteral("/api/products/Ab.9_x~y-z"));
    const auto stream = m_engine.eventStore()->readStream(u"products-Ab.9_x~y-z"_s);
    QCOMPARE(stream.size(), 1);
    QCOMPARE(parseObject(stream.first().data).value(u"id"_s).toString(), u"Ab.9_x~y-z"_s);
}

void tst_CommandApi::createGeneratesAUuid()
{
    const qint64 before = head();
    const Reply r = post("/api/products", R"({"name":"Generated","price":3})");
    QVERIFY2(r.status == 202, r.describe().constData());
    const QString id = r.json().value(u"id"_s).toString();
    QVERIFY2(isUuid(id), qPrintable(id));
    QCOMPARE(r.json().value(u"stream"_s).toString(), u"products-"_s + id);
    QCOMPARE(r.header("location"), "/api/products/" + id.toUtf8());
    QCOMPARE(r.json().value(u"position"_s).toInteger(), before + 1);

    const RecordedEvents events = m_engine.eventStore()->readAll(before + 1, 10);
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.first().stream, u"products-"_s + id);
    // The stored document carries the id the engine chose.
    QCOMPARE(parseObject(events.first().data),
             (QJsonObject{{u"id"_s, id}, {u"name"_s, u"Generated"_s}, {u"price"_s, 3}}));

    // A second create gets another id.
    const Reply again = post("/api/products", R"({"name":"Generated","price":3})");
    QVERIFY2(again.status == 202, again.describe().constData());
    QVERIFY(isUuid(again.json().value(u"id"_s).toString()));
    QVERIFY(again.json().value(u"id"_s).toString() != id);
}

void tst_CommandApi::createRejectsABadId_data()
{
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("space") << QByteArray(R"({"id":"a b","name":"n","price":1})");
    QTest::newRow("slash") << QByteArray(R"({"id":"a/b","name":"n","price":1})");
    QTest::newRow("empty") << QByteArray(R"({"id":"","name":"n","price":1})");
    QTest::newRow("too long") << QByteArray(R"({"id":")" + QByteArray(129, 'a') + R"(","name":"n","price":1})");
    QTest::newRow("number") << QByteArray(R"({"id":42,"name":"n","price":1})");
    // The id pattern ends in `$`, which must mean the end of the id, not "before a final newline".
    QTest::newRow("trailing newline") << QByteArray(R"({"id":"abc\n","name":"n","price":1})");
}

void tst_CommandApi::createRejectsABadId()
{
    QFETCH(QByteArray, body);
    const qint64 before = head();
    const Reply r = post("/api/products", body);
    VERIFY_PROBLEM(r, 400);
    bool mentionsId = false;
    for (const QJsonValue &e : r.json().value(u"errors"_s).toArray())
        mentionsId = mentionsId || e.toObject().value(u"path"_s).toString() == u"/id"_s;
    QVERIFY2(mentionsId, r.body.constData());
    QCOMPARE(head(), before);
}

void tst_CommandApi::acceptsJsonContentTypes_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::newRow("with charset") << QByteArray("application/json; charset=utf-8");
    QTest::newRow("upper case") << QByteArray("Application/JSON");
    QTest::newRow("+json") << QByteArray("application/merge-patch+json");
}

void tst_CommandApi::acceptsJsonContentTypes()
{
    QFETCH(QByteArray, contentType);
    const Reply r = post("/api/products", R"({"name":"typed","price":1})", {{"Content-Type", contentType}});
    QVERIFY2(r.status == 202, r.describe().constData());
}

// ---------------------------------------------------------------------------------------------
// GET /events

void tst_CommandApi::eventsReturnsCloudEvents()
{
    const QJsonObject doc{{u"id"_s, u"ev-1"_s}, {u"name"_s, u"Kettle"_s}, {u"price"_s, 25}};
    const Reply created = post("/api/products", json(doc));
    QVERIFY2(created.status == 202, created.describe().constData());
    const qint64 position = created.json().value(u"position"_s).toInteger();

    const Reply r = get("/events?from=" + QByteArray::number(position));
    QVERIFY2(r.status == 200, r.describe().constData());
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/cloudevents-batch+json"));
    QVERIFY(r.document().isArray());
    const QJsonArray batch = r.array();
    QCOMPARE(batch.size(), 1);
    const QJsonObject ce = batch.first().toObject();
    const RecordedEvent stored = m_engine.eventStore()->readAll(position, 1).value(0);
    QCOMPARE(ce.value(u"specversion"_s).toString(), u"1.0"_s);
    QCOMPARE(ce.value(u"id"_s).toString(), stored.id);
    QVERIFY(isUuid(ce.value(u"id"_s).toString()));
    QCOMPARE(ce.value(u"type"_s).toString(), u"products.created"_s);
    QCOMPARE(ce.value(u"subject"_s).toString(), u"ev-1"_s);
    QCOMPARE(ce.value(u"source"_s).toString(), u"/gatehouse/products"_s);
    QCOMPARE(ce.value(u"datacontenttype"_s).toString(), u"application/json"_s);
    QCOMPARE(ce.value(u"position"_s).toInteger(), position);
    QCOMPARE(ce.value(u"stream"_s).toString(), u"products-ev-1"_s);
    QCOMPARE(ce.value(u"streamversion"_s).toInteger(), 0);
    QCOMPARE(ce.value(u"data"_s).toObject(), doc);
    QVERIFY(QDateTime::fromString(ce.value(u"time"_s).toString(), Qt::ISODateWithMs).isValid());
    QVERIFY(!ce.value(u"correlationid"_s).toString().isEmpty());

    // from=1 starts at the very first event of the log.
    const Reply first = get("/events?from=1&limit=1");
    QVERIFY2(first.status == 200, first.describe().constData());
    QCOMPARE(first.array().size(), 1);
    QCOMPARE(first.array().first().toObject().value(u"position"_s).toInteger(), 1);

    // Past the head: an empty batch, not an error.
    const Reply past = get("/events?from=" + QByteArray::number(head() + 1000));
    QVERIFY2(past.status == 200, past.describe().constData());
    QCOMPARE(past.body.trimmed(), QByteArrayLiteral("[]"));
}

void tst_CommandApi::eventsFilterByTypeAndLimit()
{
    const QJsonObject created = createProduct(u"ev-2"_s);
    const qint64 from = created.value(u"position"_s).toInteger();
    QVERIFY(from > 0);
    for (const QByteArray &patch : {QByteArray(R"({"price":11})"), QByteArray(R"({"price":12})")}) {
        const Reply updated = post("/api/products/ev-2", patch);
        QVERIFY2(updated.status == 202, updated.describe().constData());
    }
    const QByteArray fromArg = QByteArray::number(from);
    const QStringList createdUpdatedUpdated{u"products.created"_s, u"products.updated"_s, u"products.updated"_s};

    auto typesOf = [](const Reply &r) {
        QStringList types;
        for (const QJsonValue &v : r.array())
            types.append(v.toObject().value(u"type"_s).toString());
        return types;
    };

    const Reply all = get("/events?from=" + fromArg);
    QVERIFY2(all.status == 200, all.describe().constData());
    QCOMPARE(typesOf(all), createdUpdatedUpdated);

    const Reply onlyUpdates = get("/events?from=" + fromArg + "&type=products.updated");
    QVERIFY2(onlyUpdates.status == 200, onlyUpdates.describe().constData());
    QCOMPARE(typesOf(onlyUpdates), (QStringList{u"products.updated"_s, u"products.updated"_s}));
    QCOMPARE(onlyUpdates.array().first().toObject().value(u"data"_s).toObject(), (QJsonObject{{u"price"_s, 11}}));

    const Reply glob = get("/events?from=" + fromArg + "&type=products.*");
    QCOMPARE(typesOf(glob), createdUpdatedUpdated);
    const Reply globStart = get("/events?from=" + fromArg + "&type=*.created");
    QCOMPARE(typesOf(globStart), QStringList{u"products.created"_s});
    const Reply other = get("/events?from=" + fromArg + "&type=orders.*");
    QVERIFY2(other.status == 200, other.describe().constData());
    QCOMPARE(other.array().size(), 0);

    const Reply limited = get("/events?from=" + fromArg + "&limit=1");
    QVERIFY2(limited.status == 200, limited.describe().constData());
    QCOMPARE(limited.array().size(), 1);
    QCOMPARE(limited.array().first().toObject().value(u"position"_s).toInteger(), from);

    // The limit counts the events that pass the filter.
    const Reply limitedFiltered = get("/events?from=" + fromArg + "&type=products.updated&limit=1");
    QVERIFY2(limitedFiltered.status == 200, limitedFiltered.describe().constData());
    QCOMPARE(limitedFiltered.array().size(), 1);
    QCOMPARE(limitedFiltered.array().first().toObject().value(u"position"_s).toInteger(), from + 1);
}

void tst_CommandApi::eventsRejectsBadParameters_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::newRow("limit 0") << QByteArray("limit=0");
    QTest::newRow("limit negative") << QByteArray("limit=-5");
    QTest::newRow("limit too large") << QByteArray("limit=1001");
    QTest::newRow("limit not a number") << QByteArray("limit=ten");
    QTest::newRow("limit empty") << QByteArray("limit=");
    QTest::newRow("from negative") << QByteArray("from=-1");
    QTest::newRow("from not a number") << QByteArray("from=abc");
    QTest::newRow("from fractional") << QByteArray("from=1.5");
    QTest::newRow("unknown parameter") << QByteArray("form=1");
    QTest::newRow("unknown after known") << QByteArray("from=1&limit=5&sort=desc");
}

void tst_CommandApi::eventsRejectsBadParameters()
{
    QFETCH(QByteArray, query);
    const Reply r = get("/events?" + query);
    VERIFY_PROBLEM(r, 400);
}

// ---------------------------------------------------------------------------------------------
// update, If-Match, 404 / 409

void tst_CommandApi::updateAppendsThePatch()
{
    QCOMPARE(createProduct(u"desk-1"_s, {{u"stock"_s, 4}}).value(u"version"_s).toInteger(), 0);
    const qint64 before = head();
    const QJsonObject patch{{u"price"_s, 90}, {u"stock"_s, QJsonValue::Null}, {u"description"_s, u"oak"_s}};
    const Reply r = post("/api/products/desk-1", json(patch));
    QVERIFY2(r.status == 202, r.describe().constData());
    const QJsonObject body = r.json();
    QCOMPARE(body.value(u"id"_s).toString(), u"desk-1"_s);
    QCOMPARE(body.value(u"stream"_s).toString(), u"products-desk-1"_s);
    QCOMPARE(body.value(u"version"_s).toInteger(), 1);
    QCOMPARE(body.value(u"position"_s).toInteger(), before + 1);
    QCOMPARE(body.value(u"events"_s).toArray(), (QJsonArray{u"products.updated"_s}));
    QCOMPARE(r.header("location"), QByteArrayLiteral("/api/products/desk-1"));
    QCOMPARE(r.header("x-event-position"), QByteArray::number(before + 1));

    const RecordedEvents stream = m_engine.eventStore()->readStream(u"products-desk-1"_s);
    QCOMPARE(stream.size(), 2);
    QCOMPARE(stream.at(1).type, u"products.updated"_s);
    QCOMPARE(stream.at(1).version, 1);
    QCOMPARE(stream.at(1).position, before + 1);
    QCOMPARE(parseObject(stream.at(1).data), patch);   // the merge patch itself, nulls included

    // Versions keep counting.
    const Reply second = post("/api/products/desk-1", R"({"name":"Standing desk"})");
    QVERIFY2(second.status == 202, second.describe().constData());
    QCOMPARE(second.json().value(u"version"_s).toInteger(), 2);

    // A patch is validated too: a bad value, and a required member cannot be removed.
    const Reply badPrice = post("/api/products/desk-1", R"({"price":-1})");
    VERIFY_PROBLEM(badPrice, 400);
    const Reply removeName = post("/api/products/desk-1", R"({"name":null})");
    VERIFY_PROBLEM(removeName, 400);
    const Reply otherId = post("/api/products/desk-1", R"({"id":"desk-2"})");
    VERIFY_PROBLEM(otherId, 400);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-desk-1"_s).version, 2);
}

void tst_CommandApi::ifMatch()
{
    createProduct(u"im-1"_s);
    QVERIFY(post("/api/products/im-1", R"({"price":1})").status == 202);   // now at version 1
    const qint64 before = head();

    const Reply stale = post("/api/products/im-1", R"({"price":2})", {{"If-Match", "0"}});
    VERIFY_PROBLEM(stale, 412);
    QCOMPARE(head(), before);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-im-1"_s).version, 1);

    const Reply ahead = post("/api/products/im-1", R"({"price":2})", {{"If-Match", "5"}});
    VERIFY_PROBLEM(ahead, 412);
    QCOMPARE(head(), before);

    const Reply current = post("/api/products/im-1", R"({"price":3})", {{"If-Match", "1"}});
    QVERIFY2(current.status == 202, current.describe().constData());
    QCOMPARE(current.json().value(u"version"_s).toInteger(), 2);
    QCOMPARE(head(), before + 1);

    // The ETag form a query answers with ("2") is accepted as well.
    const Reply etag = post("/api/products/im-1", R"({"price":4})", {{"If-Match", "\"2\""}});
    QVERIFY2(etag.status == 202, etag.describe().constData());
    QCOMPARE(etag.json().value(u"version"_s).toInteger(), 3);

    // Delete honours it too.
    const Reply staleDelete = post("/api/products/im-1/delete", {}, {{"If-Match", "1"}});
    VERIFY_PROBLEM(staleDelete, 412);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-im-1"_s).version, 3);

    // A create meets no If-Match: the entity it would make has no version yet.
    const qint64 beforeCreates = head();
    for (const QByteArray &value : {QByteArray("*"), QByteArray("\"0\"")}) {
        const Reply create = post("/api/products", R"({"id":"im-new","name":"N","price":1})", {{"If-Match", value}});
        VERIFY_PROBLEM(create, 412);
    }
    const Reply existing = post("/api/products", R"({"id":"im-1","name":"N","price":1})", {{"If-Match", "*"}});
    VERIFY_PROBLEM(existing, 409);   // the condition holds; the entity exists
    const Reply otherVersion = post("/api/products", R"({"id":"im-1","name":"N","price":1})", {{"If-Match", "\"0\""}});
    VERIFY_PROBLEM(otherVersion, 412);   // it is at version 3
    QCOMPARE(otherVersion.json().value(u"current_version"_s).toInteger(), 3);
    QVERIFY(post("/api/products/im-1/delete", {}).status == 202);
    const Reply deleted = post("/api/products", R"({"id":"im-1","name":"N","price":1})", {{"If-Match", "*"}});
    VERIFY_PROBLEM(deleted, 412);
    QVERIFY2(deleted.json().value(u"detail"_s).toString().contains(u"is deleted"_s), deleted.describe().constData());
    QCOMPARE(head(), beforeCreates + 1);   // only the delete
}

void tst_CommandApi::ifMatchMalformed_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("quoted word") << QByteArray("\"x\"");
    QTest::newRow("word") << QByteArray("x");
    QTest::newRow("negative") << QByteArray("-1");
    QTest::newRow("star") << QByteArray("*1");
    QTest::newRow("star in a list") << QByteArray("*, \"1\"");
    QTest::newRow("two tags without a comma") << QByteArray("\"1\" \"2\"");
    QTest::newRow("only commas") << QByteArray(" , ,");
    QTest::newRow("unclosed quote") << QByteArray("\"1");
    QTest::newRow("comma inside a tag") << QByteArray("\"1,2\"");
    QTest::newRow("past 64 bits") << QByteArray("\"99999999999999999999\"");
    QTest::newRow("text after a tag") << QByteArray("\"1\"x");
}

void tst_CommandApi::ifMatchMalformed()
{
    QFETCH(QByteArray, value);
    createProduct(u"imm-"_s + QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')));
    const QByteArray path = "/api/products/imm-" + QByteArray(QTest::currentDataTag()).replace(' ', '-');
    const qint64 before = head();
    const Reply r = post(path, R"({"price":2})", {{"If-Match", value}});
    VERIFY_PROBLEM(r, 400);
    QCOMPARE(head(), before);
}

// If-Match is a list field (RFC 9110 13.1.1): "*" or entity tags, on one line or several; the
// command runs when the entity's version is one of them (for "*": when it exists).
void tst_CommandApi::ifMatchListsAndAny_data()
{
    QTest::addColumn<QByteArrayList>("lines");   // one If-Match header line each
    QTest::addColumn<int>("status");             // the entity is at version 1

    QTest::newRow("list naming it") << QByteArrayList{"\"0\", \"1\""} << 202;
    QTest::newRow("list without it") << QByteArrayList{"\"0\", \"5\""} << 412;
    QTest::newRow("any") << QByteArrayList{"*"} << 202;
    QTest::newRow("any with spaces") << QByteArrayList{" * "} << 202;
    QTest::newRow("empty elements") << QByteArrayList{", \"1\" ,,"} << 202;
    QTest::newRow("weak and bare forms") << QByteArrayList{"W/\"7\", 1"} << 202;
    QTest::newRow("two lines, one naming it") << QByteArrayList{"\"0\"", "\"1\""} << 202;
    QTest::newRow("two lines, neither") << QByteArrayList{"\"0\"", "\"2\""} << 412;
    QTest::newRow("two lines, one malformed") << QByteArrayList{"\"1\"", "x"} << 400;
}

void tst_CommandApi::ifMatchListsAndAny()
{
    QFETCH(QByteArrayList, lines);
    QFETCH(int, status);
    static int row = 0;
    const QByteArray id = "iml-" + QByteArray::number(++row);
    createProduct(QString::fromLatin1(id));
    QVERIFY(post("/api/products/" + id, R"({"price":1})").status == 202);   // now at version 1
    const qint64 before = head();
    Headers headers;
    for (const QByteArray &line : lines)
        headers.append({"If-Match", line});
    const Reply r = post("/api/products/" + id, R"({"price":2})", headers);
    QVERIFY2(r.status == status, r.describe().constData());
    if (status == 202) {
        QCOMPARE(r.json().value(u"version"_s).toInteger(), 2);
        QCOMPARE(head(), before + 1);
    } else {
        VERIFY_PROBLEM(r, status);
        QCOMPARE(head(), before);
        if (status == 412)
            QCOMPARE(r.json().value(u"current_version"_s).toInteger(), 1);
    }
    // "*" on an entity that is not there: the update's own answer, 404.
    const Reply missing = post("/api/products/" + id + "-missing", R"({"price":2})", {{"If-Match", "*"}});
    VERIFY_PROBLEM(missing, 404);
}

void tst_CommandApi::conflictsAndMissingEntities()
{
    createProduct(u"cf-1"_s);
    qint64 before = head();

    const Reply again = post("/api/products", R"({"id":"cf-1","name":"Dup","price":1})");
    VERIFY_PROBLEM(again, 409);
    QCOMPARE(head(), before);
    QCOMPARE(m_engine.eventStore()->readStream(u"products-cf-1"_s).size(), 1);

    const Reply updateMissing = post("/api/products/missing-1", R"({"price":1})");
    VERIFY_PROBLEM(updateMissing, 404);
    const Reply deleteMissing = post("/api/products/missing-1/delete", {});
    VERIFY_PROBLEM(deleteMissing, 404);
    QCOMPARE(head(), before);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-missing-1"_s).version, -1);

    const Reply deleted = httpRequest(m_port, "POST", "/api/products/cf-1/delete");   // no body, no type
    QVERIFY2(deleted.status == 202, deleted.describe().constData());
    QCOMPARE(deleted.json().value(u"events"_s).toArray(), (QJsonArray{u"products.deleted"_s}));
    QCOMPARE(deleted.json().value(u"version"_s).toInteger(), 1);
    QCOMPARE(deleted.json().value(u"position"_s).toInteger(), before + 1);
    QCOMPARE(deleted.header("location"), QByteArrayLiteral("/api/products/cf-1"));
    QCOMPARE(deleted.header("x-event-position"), QByteArray::number(before + 1));
    const RecordedEvents stream = m_engine.eventStore()->readStream(u"products-cf-1"_s);
    QCOMPARE(stream.size(), 2);
    QCOMPARE(stream.last().type, u"products.deleted"_s);
    before = head();

    const Reply updateDeleted = post("/api/products/cf-1", R"({"price":2})");
    VERIFY_PROBLEM(updateDeleted, 404);
    const Reply deleteAgain = post("/api/products/cf-1/delete", {});
    VERIFY_PROBLEM(deleteAgain, 404);
    QCOMPARE(head(), before);
    QCOMPARE(m_engine.eventStore()->readStream(u"products-cf-1"_s).size(), 2);
}

// ---------------------------------------------------------------------------------------------
// Idempotency-Key

void tst_CommandApi::idempotentCreateWithId()
{
    const QByteArray body = R"({"id":"idem-1","name":"Once","price":5})";
    const Reply first = post("/api/products", body, {{"Idempotency-Key", "key-create-id"}});
    QVERIFY2(first.status == 202, first.describe().constData());
    const qint64 after = head();

    // Without the key the same create would be a 409; with it, the first answer again.
    const Reply repeat = post("/api/products", body, {{"Idempotency-Key", "key-create-id"}});
    QVERIFY2(repeat.status == 202, repeat.describe().constData());
    QCOMPARE(repeat.json(), first.json());
    QCOMPARE(repeat.header("location"), first.header("location"));
    QCOMPARE(repeat.header("x-event-position"), first.header("x-event-position"));
    QCOMPARE(head(), after);

    const Reply other = post("/api/products", R"({"id":"idem-1","name":"Twice","price":5})",
                             {{"Idempotency-Key", "key-create-id"}});
    VERIFY_PROBLEM(other, 422);
    const Reply otherTarget = post("/api/products/idem-1", body, {{"Idempotency-Key", "key-create-id"}});
    VERIFY_PROBLEM(otherTarget, 422);
    QCOMPARE(head(), after);
    QCOMPARE(m_engine.eventStore()->readStream(u"products-idem-1"_s).size(), 1);
}

void tst_CommandApi::idempotentCreateWithoutId()
{
    const QByteArray body = R"({"name":"No id","price":7})";
    const Reply first = post("/api/products", body, {{"Idempotency-Key", "key-create-generated"}});
    QVERIFY2(first.status == 202, first.describe().constData());
    const QString id = first.json().value(u"id"_s).toString();
    QVERIFY(isUuid(id));
    const qint64 after = head();

    for (int i = 0; i < 2; ++i) {
        const Reply repeat = post("/api/products", body, {{"Idempotency-Key", "key-create-generated"}});
        QVERIFY2(repeat.status == 202, repeat.describe().constData());
        QCOMPARE(repeat.json().value(u"id"_s).toString(), id);   // the FIRST generated id
        QCOMPARE(repeat.json(), first.json());
        QCOMPARE(repeat.header("location"), "/api/products/" + id.toUtf8());
    }
    QCOMPARE(head(), after);

    const Reply other = post("/api/products", R"({"name":"No id","price":8})",
                             {{"Idempotency-Key", "key-create-generated"}});
    VERIFY_PROBLEM(other, 422);
    QCOMPARE(head(), after);

    // Another key is another request.
    const Reply fresh = post("/api/products", body, {{"Idempotency-Key", "key-create-generated-2"}});
    QVERIFY2(fresh.status == 202, fresh.describe().constData());
    QVERIFY(fresh.json().value(u"id"_s).toString() != id);
    QCOMPARE(head(), after + 1);
}

void tst_CommandApi::idempotentUpdate()
{
    createProduct(u"idem-up"_s);
    const QByteArray patch = R"({"price":42})";
    const Reply first = post("/api/products/idem-up", patch, {{"Idempotency-Key", "key-update"}});
    QVERIFY2(first.status == 202, first.describe().constData());
    QCOMPARE(first.json().value(u"version"_s).toInteger(), 1);
    const qint64 after = head();

    const Reply repeat = post("/api/products/idem-up", patch, {{"Idempotency-Key", "key-update"}});
    QVERIFY2(repeat.status == 202, repeat.describe().constData());
    QCOMPARE(repeat.json(), first.json());
    QCOMPARE(head(), after);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-idem-up"_s).version, 1);

    const Reply other = post("/api/products/idem-up", R"({"price":43})", {{"Idempotency-Key", "key-update"}});
    VERIFY_PROBLEM(other, 422);
    QCOMPARE(head(), after);
}

// ---------------------------------------------------------------------------------------------
// validation and malformed requests

void tst_CommandApi::validationListsEveryViolation_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("paths");

    QTest::newRow("four at once")
        << QByteArray(R"({"name":"","price":-1,"sku":"bad","color":"red"})")
        << QStringList{u"/color"_s, u"/name"_s, u"/price"_s, u"/sku"_s};
    QTest::newRow("required missing") << QByteArray(R"({"description":"only this"})")
                                      << QStringList{u"/name"_s, u"/price"_s};
    QTest::newRow("wrong types") << QByteArray(R"({"name":5,"price":"cheap","stock":1.5})")
                                 << QStringList{u"/name"_s, u"/price"_s, u"/stock"_s};
    QTest::newRow("array items") << QByteArray(R"({"name":"n","price":1,"tags":["ok",2,"ok",false]})")
                                 << QStringList{u"/tags/1"_s, u"/tags/3"_s};
    QTest::newRow("too long name") << QByteArray(R"({"name":")" + QByteArray(201, 'n') + R"(","price":1})")
                                   << QStringList{u"/name"_s};
}

void tst_CommandApi::validationListsEveryViolation()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, paths);
    const qint64 before = head();
    const Reply r = post("/api/products", body);
    VERIFY_PROBLEM(r, 400);
    QStringList got;
    for (const QJsonValue &e : r.json().value(u"errors"_s).toArray()) {
        got.append(e.toObject().value(u"path"_s).toString());
        QVERIFY2(!e.toObject().value(u"message"_s).toString().isEmpty(), r.body.constData());
    }
    got.sort();
    QCOMPARE(got, paths);
    const QString detail = r.json().value(u"detail"_s).toString();
    for (const QString &path : std::as_const(paths))
        QVERIFY2(detail.contains(path), qPrintable(detail));
    QCOMPARE(head(), before);
}

void tst_CommandApi::badRequests_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("allow");   // expected Allow header (405 only)

    const QByteArray valid = R"({"name":"n","price":1})";
    const QByteArray jsonType = "application/json";
    QTest::newRow("malformed JSON") << QByteArray("POST") << QByteArray("/api/products")
                                    << QByteArray(R"({"name":"n",)") << jsonType << 400 << QByteArray();
    QTest::newRow("JSON array") << QByteArray("POST") << QByteArray("/api/products")
                                << QByteArray(R"([{"name":"n","price":1}])") << jsonType << 400 << QByteArray();
    QTest::newRow("JSON string") << QByteArray("POST") << QByteArray("/api/products")
                                 << QByteArray(R"("hello")") << jsonType << 400 << QByteArray();
    QTest::newRow("empty body") << QByteArray("POST") << QByteArray("/api/products")
                                << QByteArray() << jsonType << 400 << QByteArray();
    QTest::newRow("update with an array") << QByteArray("POST") << QByteArray("/api/products/desk-1")
                                          << QByteArray("[]") << jsonType << 400 << QByteArray();
    QTest::newRow("text/plain") << QByteArray("POST") << QByteArray("/api/products")
                                << valid << QByteArray("text/plain") << 415 << QByteArray();
    QTest::newRow("form") << QByteArray("POST") << QByteArray("/api/products")
                          << QByteArray("name=n&price=1") << QByteArray("application/x-www-form-urlencoded")
                          << 415 << QByteArray();
    QTest::newRow("unknown collection") << QByteArray("POST") << QByteArray("/api/nope")
                                        << valid << jsonType << 404 << QByteArray();
    QTest::newRow("unknown collection, update") << QByteArray("POST") << QByteArray("/api/nope/1")
                                                << valid << jsonType << 404 << QByteArray();
    QTest::newRow("unknown custom command") << QByteArray("POST") << QByteArray("/api/products/x/frobnicate")
                                            << valid << jsonType << 404 << QByteArray();
    QTest::newRow("PUT on a collection") << QByteArray("PUT") << QByteArray("/api/products")
                                         << valid << jsonType << 405 << QByteArray("GET, HEAD, POST");
    QTest::newRow("DELETE on an entity") << QByteArray("DELETE") << QByteArray("/api/products/desk-1")
                                         << QByteArray() << QByteArray() << 405 << QByteArray("GET, HEAD, POST");
    QTest::newRow("POST to the event log") << QByteArray("POST") << QByteArray("/events")
                                           << valid << jsonType << 405 << QByteArray("GET, HEAD");
    QTest::newRow("unmatched path") << QByteArray("POST") << QByteArray("/nowhere")
                                    << valid << jsonType << 404 << QByteArray();
    QTest::newRow("unmatched deep path") << QByteArray("POST") << QByteArray("/api/products/a/b/c")
                                         << valid << jsonType << 404 << QByteArray();
}

void tst_CommandApi::badRequests()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(int, status);
    QFETCH(QByteArray, allow);

    const qint64 before = head();
    Headers headers;
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    const Reply r = httpRequest(m_port, method, path, body, headers);
    VERIFY_PROBLEM(r, status);
    if (status == 405)
        QCOMPARE(r.header("allow"), allow);
    QCOMPARE(head(), before);
}

void tst_CommandApi::bodyOverTheLimit()
{
    Http::HttpLimits limits;
    limits.maxBodyBytes = 1024;
    Server::Listeners small;
    QString error;
    QVERIFY2(small.start(&m_engine, {}, {}, limits, &error), qPrintable(error));
    const quint16 port = small.gatewayEndpoint().port;
    QVERIFY(port != 0);

    const QByteArray big = json({{u"name"_s, u"big"_s}, {u"price"_s, 1}, {u"description"_s, QString(2000, u'x')}});
    QVERIFY(big.size() > 1024);
    const qint64 before = head();
    const Reply r = httpRequest(port, "POST", "/api/products", big, {{"Content-Type", "application/json"}});
    VERIFY_PROBLEM(r, 413);
    QCOMPARE(head(), before);

    // Under the limit the same listener accepts; the default limit takes the big body.
    const Reply ok = httpRequest(port, "POST", "/api/products", R"({"name":"small","price":1})",
                                 {{"Content-Type", "application/json"}});
    QVERIFY2(ok.status == 202, ok.describe().constData());
    const Reply bigOnDefault = post("/api/products", big);
    QVERIFY2(bigOnDefault.status == 202, bigOnDefault.describe().constData());
    QCOMPARE(head(), before + 2);
    small.close();
}

// ---------------------------------------------------------------------------------------------
// admin listener

void tst_CommandApi::adminHealthAndKey()
{
    const Reply health = httpRequest(m_adminPort, "GET", "/health");
    QVERIFY2(health.status == 200, health.describe().constData());
    QCOMPARE(health.header("content-type"), QByteArrayLiteral("application/json"));
    QCOMPARE(health.json().value(u"status"_s).toString(), u"ready"_s);

    // /health and the command API live on different listeners.
    QCOMPARE(httpRequest(m_port, "GET", "/health").status, 404);
    QCOMPARE(httpRequest(m_adminPort, "POST", "/api/products", R"({"name":"n","price":1})",
                         {{"Content-Type", "application/json"}}).status, 404);

    const QByteArray key = m_engine.adminKey().toUtf8();
    QVERIFY(key.size() >= 16);
    const Reply none = httpRequest(m_adminPort, "GET", "/admin/anything");
    VERIFY_PROBLEM(none, 401);
    const Reply wrong = httpRequest(m_adminPort, "GET", "/admin/anything", {}, {{"X-API-KEY", "not-the-key"}});
    VERIFY_PROBLEM(wrong, 401);
    QByteArray sameLength = key;
    sameLength[sameLength.size() - 1] = sameLength.back() == 'a' ? 'b' : 'a';
    const Reply almost = httpRequest(m_adminPort, "GET", "/admin/anything", {}, {{"X-API-KEY", sameLength}});
    VERIFY_PROBLEM(almost, 401);
    const Reply prefix = httpRequest(m_adminPort, "GET", "/admin/anything", {}, {{"X-API-KEY", key.left(key.size() - 1)}});
    VERIFY_PROBLEM(prefix, 401);
    const Reply longer = httpRequest(m_adminPort, "GET", "/admin/anything", {}, {{"X-API-KEY", key + "x"}});
    VERIFY_PROBLEM(longer, 401);

    // The right key passes the gate (there is nothing at /admin/anything yet).
    const Reply right = httpRequest(m_adminPort, "GET", "/admin/anything", {}, {{"x-api-key", key}});
    QVERIFY2(right.status != 401, right.describe().constData());
}

// ---------------------------------------------------------------------------------------------
// concurrency

void tst_CommandApi::concurrentCreates()
{
    constexpr int kClients = 8;
    constexpr int kEach = 25;
    const qint64 before = head();
    const quint16 port = m_port;

    std::vector<std::vector<Reply>> replies(kClients);
    std::latch start(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            start.arrive_and_wait();
            for (int i = 0; i < kEach; ++i) {
                const QByteArray body = R"({"name":"client )" + QByteArray::number(c) + ' ' + QByteArray::number(i)
                    + R"(","price":)" + QByteArray::number(i) + '}';
                replies[c].push_back(httpRequest(port, "POST", "/api/products", body,
                                                 {{"Content-Type", "application/json"}}));
            }
        });
    }
    for (auto &t : clients)
        t.join();

    QSet<QString> ids;
    QSet<qint64> positions;
    QHash<qint64, QString> idAt;
    for (const auto &list : replies) {
        QCOMPARE(int(list.size()), kEach);
        for (const Reply &r : list) {
            QVERIFY2(r.status == 202, r.describe().constData());
            const QString id = r.json().value(u"id"_s).toString();
            const qint64 position = r.json().value(u"position"_s).toInteger();
            QCOMPARE(r.header("x-event-position"), QByteArray::number(position));
            ids.insert(id);
            positions.insert(position);
            idAt.insert(position, id);
        }
    }
    QCOMPARE(ids.size(), kClients * kEach);
    QSet<qint64> expected;
    for (qint64 p = before + 1; p <= before + kClients * kEach; ++p)
        expected.insert(p);
    QCOMPARE(positions, expected);
    QCOMPARE(head(), before + kClients * kEach);

    // Each answer names the event that is really at its position.
    const RecordedEvents events = m_engine.eventStore()->readAll(before + 1, kClients * kEach + 10);
    QCOMPARE(events.size(), qsizetype(kClients * kEach));
    for (const RecordedEvent &e : events) {
        QCOMPARE(e.type, u"products.created"_s);
        QCOMPARE(e.stream, u"products-"_s + idAt.value(e.position));
    }
}

void tst_CommandApi::concurrentUpdatesOfOneEntity()
{
    constexpr int kWriters = 20;
    QCOMPARE(createProduct(u"hot-1"_s).value(u"version"_s).toInteger(), 0);
    const quint16 port = m_port;

    std::vector<Reply> replies(kWriters);
    std::latch start(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            start.arrive_and_wait();
            replies[w] = httpRequest(port, "POST", "/api/products/hot-1", R"({"stock":)" + QByteArray::number(w) + '}',
                                     {{"Content-Type", "application/json"}});
        });
    }
    for (auto &t : writers)
        t.join();

    // No If-Match: the service decides again on the new head after a conflict, so all succeed.
    QByteArray statuses;
    QByteArray firstRefusal;
    int accepted = 0;
    for (const Reply &r : replies) {
        statuses += QByteArray::number(r.status) + ' ';
        accepted += r.status == 202;
        if (r.status != 202 && firstRefusal.isEmpty())
            firstRefusal = r.describe();
    }
    QVERIFY2(accepted == kWriters, QByteArray("statuses: " + statuses + "; first refusal: " + firstRefusal).constData());
    QSet<qint64> versions;
    for (const Reply &r : replies)
        versions.insert(r.json().value(u"version"_s).toInteger());
    QSet<qint64> expected;
    for (qint64 v = 1; v <= kWriters; ++v)
        expected.insert(v);
    QCOMPARE(versions, expected);
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-hot-1"_s).version, kWriters);
    const RecordedEvents stream = m_engine.eventStore()->readStream(u"products-hot-1"_s);
    QCOMPARE(stream.size(), qsizetype(kWriters + 1));
    QSet<int> stocks;
    for (qsizetype i = 1; i < stream.size(); ++i)
        stocks.insert(parseObject(stream.at(i).data).value(u"stock"_s).toInt(-1));
    QCOMPARE(stocks.size(), kWriters);   // every writer's patch is in the log once
}

QTEST_GUILESS_MAIN(tst_CommandApi)

#include "tst_commandapi.moc"
