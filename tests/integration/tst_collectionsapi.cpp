// Collections changed while a real `gatehouse` process runs, through the admin API: declared,
// used through the gateway at once (commands, GET by id, filtered lists), changed (a new
// property and index), refused when invalid (400 listing every problem), refused deletion
// while it has events (409) and archived; all of it still there after a restart, and the
// project file's own collections editable the same way without the file undoing it.

#include "engineprocess.h"
#include "sql/sqliteconnection.h"
#include "testdatabase.h"
#include "testhttpclient.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {
constexpr char kAdminKey[] = "collections-test-admin-key";
const QList<std::pair<QByteArray, QByteArray>> kAdmin = {{"X-API-KEY", kAdminKey}};

const QByteArray kOrders = R"({
    "schema": {"type": "object", "required": ["customer", "total"],
               "properties": {"id": {"type": "string"}, "customer": {"type": "string", "index": true},
                              "total": {"type": "number"}},
               "additionalProperties": false}
})";
} // namespace

class tst_CollectionsApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void declaredChangedAndArchivedWithoutRestart();
    void invalidDeclarationsListEveryProblem_data();
    void invalidDeclarationsListEveryProblem();
    void applicatorsAndMultiplesAreEnforcedOnCommands();
    void storedSchemasWithKeywordsThatNoLongerCompileAreServed();
    void projectCollectionsAreEditable();
    void exportedAndImported();
    void indexBuiltWhileQueriesAnswer();
    void schemaVersionsUpcastOldEvents();
    void breakingChangeOfAnEmptyCollection();

private:
    bool start();
    TestHttpResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient c(u"127.0.0.1"_s, m_engine->adminPort);
        return c.request(method, path, body, kAdmin);
    }
    TestHttpClient gateway() { return TestHttpClient(u"127.0.0.1"_s, m_engine->gatewayPort); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<EngineProcess> m_engine;
    QStringList m_backend;
};

void tst_CollectionsApi::init()
{
    m_engine.reset();
    m_dir = std::make_unique<QTemporaryDir>();
    m_backend = Test::engineArguments();   // one database per test on PostgreSQL
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
}

bool tst_CollectionsApi::start()
{
    m_engine = std::make_unique<EngineProcess>(m_dir->path());
    return m_engine->start(QStringList{u"--admin-key"_s, QString::fromLatin1(kAdminKey)} + m_backend);
}

void tst_CollectionsApi::declaredChangedAndArchivedWithoutRestart()
{
    QCOMPARE(gateway().get("/api/orders/o1").status, 404);   // no route yet

    auto r = admin("PUT", "/admin/collections/orders", kOrders);
    QVERIFY2(r.status == 201, r.body.constData());
    QCOMPARE(r.json().value(u"name"_s).toString(), u"orders"_s);
    QVERIFY(r.json().value(u"create_time"_s).toInteger() > 0);
    // Its default routes exist, as ordinary routes.
    QCOMPARE(admin("GET", "/admin/routes/orders-create").status, 200);
    QCOMPARE(admin("GET", "/admin/routes/orders-get").status, 200);

    // Used through the gateway at once: the schema applies, the read model answers.
    TestHttpClient g = gateway();
    QCOMPARE(g.post("/api/orders", R"({"id":"o1","customer":"ada","total":12.5})").status, 202);
    auto created = g.post("/api/orders", R"({"id":"o2","customer":"bob","total":3})");
    QCOMPARE(created.status, 202);
    const QByteArray head = QByteArray::number(created.json().value(u"position"_s).toInteger());
    QCOMPARE(g.post("/api/orders", R"({"id":"o3","customer":"ada"})").status, 400);   // total is required
    auto doc = g.get("/api/orders/o1", {{"X-Min-Position", head}});
    QVERIFY2(doc.status == 200, doc.body.constData());
    QCOMPARE(doc.json().value(u"customer"_s).toString(), u"ada"_s);
    auto list = g.get("/api/orders?customer=ada", {{"X-Min-Position", head}});
    QVERIFY2(list.status == 200, list.body.constData());
    QCOMPARE(list.json().value(u"items"_s).toArray().size(), 1);

    // Changed: a new property, indexed, so it can be filtered on; the old documents stay.
    r = admin("PATCH", "/admin/collections/orders",
              R"({"schema":{"properties":{"status":{"type":"string"}}},"indexes":["status"]})");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"indexes"_s).toArray(), QJsonArray{u"status"_s});
    auto withStatus = g.post("/api/orders", R"({"id":"o4","customer":"cy","total":1,"status":"open"})");
    QCOMPARE(withStatus.status, 202);
    const QByteArray head2 = QByteArray::number(withStatus.json().value(u"position"_s).toInteger());
    list = g.get("/api/orders?status=open", {{"X-Min-Position", head2}});
    QVERIFY2(list.status == 200, list.body.constData());
    QCOMPARE(list.json().value(u"items"_s).toArray().size(), 1);
    auto described = admin("GET", "/admin/collections/orders");
    QCOMPARE(described.status, 200);
    QCOMPARE(described.json().value(u"count"_s).toInteger(), 3);
    QVERIFY(described.json().value(u"indexed_fields"_s).toArray().contains(u"status"_s));

    // It has events: deleting it is refused unless archived.
    r = admin("DELETE", "/admin/collections/orders");
    QCOMPARE(r.status, 409);
    QCOMPARE(r.header("content-type"), "application/problem+json");
    QCOMPARE(admin("DELETE", "/admin/collections/orders?archive=maybe").status, 400);

    // Persisted: after a restart it is served as it was left.
    QCOMPARE(m_engine->terminate(), 0);
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    TestHttpClient again = gateway();
    doc = again.get("/api/orders/o4", {{"X-Min-Position", head2}});
    QVERIFY2(doc.status == 200, doc.body.constData());
    QCOMPARE(admin("GET", "/admin/collections/orders").json().value(u"indexes"_s).toArray(), QJsonArray{u"status"_s});

    // Archived: no longer served, its routes gone, its events still in the log.
    r = admin("DELETE", "/admin/collections/orders?archive=true");
    QCOMPARE(r.status, 204);
    QCOMPARE(admin("GET", "/admin/routes/orders-get").status, 404);
    QCOMPARE(again.get("/api/orders/o1").status, 404);
    QCOMPARE(again.post("/api/orders", R"({"id":"o9","customer":"z","total":1})").status, 404);
    auto events = again.get("/events?from=1&limit=10");
    QCOMPARE(QJsonDocument::fromJson(events.body).array().size(), 3);
    QCOMPARE(admin("GET", "/admin/collections/orders").json().value(u"written_by"_s).toString(), u"functions"_s);

    // And after another restart it stays archived.
    QCOMPARE(m_engine->terminate(), 0);
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    QCOMPARE(gateway().get("/api/orders/o1").status, 404);

    // A collection without events goes without asking.
    QCOMPARE(admin("PUT", "/admin/collections/empty_one", "{}").status, 201);
    QCOMPARE(admin("DELETE", "/admin/collections/empty_one").status, 204);
    QCOMPARE(admin("GET", "/admin/collections/empty_one").status, 404);
}

void tst_CollectionsApi::invalidDeclarationsListEveryProblem_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("pointers");

    QTest::newRow("bad name") << QByteArray("/admin/collections/Bad%20Name") << QByteArray("{}") << QStringList{};
    QTest::newRow("two problems") << QByteArray("/admin/collections/things")
                                  << QByteArray(R"({"schema":{"type":"array"},"colour":"red"})")
                                  << QStringList{u"/schema/type"_s, u"/colour"_s};
    QTest::newRow("index of no property") << QByteArray("/admin/collections/things")
                                          << QByteArray(R"({"schema":{"properties":{"a":{"type":"string"}}},"indexes":["b"]})")
                                          << QStringList{u"/indexes/0"_s};
    QTest::newRow("index of an object") << QByteArray("/admin/collections/things")
                                        << QByteArray(R"({"schema":{"properties":{"a":{"type":"object"}}},"indexes":["a"]})")
                                        << QStringList{u"/indexes/0"_s};
    QTest::newRow("indexes not an array") << QByteArray("/admin/collections/things") << QByteArray(R"({"indexes":"a"})")
                                          << QStringList{u"/indexes"_s};
    QTest::newRow("routes not a boolean") << QByteArray("/admin/collections/things") << QByteArray(R"({"routes":"yes"})")
                                          << QStringList{u"/routes"_s};
    QTest::newRow("name differs") << QByteArray("/admin/collections/things") << QByteArray(R"({"name":"other"})")
                                  << QStringList{u"/name"_s};
    QTest::newRow("built-in command") << QByteArray("/admin/collections/things")
                                      << QByteArray(R"({"commands":{"create":{"decide":"x"}}})")
                                      << QStringList{u"/commands/create"_s};
    QTest::newRow("inline decide that does not parse") << QByteArray("/admin/collections/things")
                                                       << QByteArray(R"({"commands":{"ship":{"decide":"while(true){}"}}})")
                                                       << QStringList{u"/commands/ship/decide"_s};
    QTest::newRow("inline decide that is no function") << QByteArray("/admin/collections/things")
                                                       << QByteArray(R"({"commands":{"ship":{"decide":"42"}}})")
                                                       << QStringList{u"/commands/ship/decide"_s};
    QTest::newRow("keywords that would go unenforced")
        << QByteArray("/admin/collections/things")
        << QByteArray(R"({"schema":{"properties":{"a":{"$ref":"#/$defs/a"},"b":{"oneOf":[{"unevaluatedProperties":false}]}},)"
                      R"("$defs":{"a":{"type":"string"}},"dependentSchemas":{"a":{}},"const":{"$ref":"data, not a schema"}}})")
        << QStringList{u"/schema/properties/a/$ref"_s, u"/schema/properties/b/oneOf/0/unevaluatedProperties"_s,
                       u"/schema/dependentSchemas"_s};
    QTest::newRow("not json") << QByteArray("/admin/collections/things") << QByteArray("{") << QStringList{};
}

void tst_CollectionsApi::invalidDeclarationsListEveryProblem()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QStringList, pointers);
    const auto r = admin("PUT", path, body);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), "application/problem+json");
    const QString errors = QString::fromUtf8(QJsonDocument(r.json().value(u"errors"_s).toArray()).toJson());
    for (const QString &pointer : pointers)
        QVERIFY2(errors.contains(pointer + u':'), qPrintable(errors));
    QCOMPARE(admin("GET", "/admin/collections/things").status, 404);   // nothing stored
    QCOMPARE(admin("GET", "/admin/routes/things-get").status, 404);
}

// The embedded project's "products": indexed anew through the admin API, the change survives a
// restart with the same project (the file seeds a collection again only when it changes).
void tst_CollectionsApi::applicatorsAndMultiplesAreEnforcedOnCommands()
{
    auto r = admin("PUT", "/admin/collections/payments", R"({"schema":{"type":"object","properties":{
        "amount":{"type":"number","multipleOf":0.01},"card":{"type":"string"},"iban":{"type":"string"}},
        "required":["amount"],"oneOf":[{"required":["card"]},{"required":["iban"]}]}})");
    QVERIFY2(r.status == 201, r.body.constData());
    TestHttpClient g = gateway();
    r = g.post("/api/payments", R"({"id":"p1","amount":19.99,"card":"4111"})");
    QVERIFY2(r.status == 202, r.body.constData());
    r = g.post("/api/payments", R"({"id":"p2","amount":19.995,"card":"4111","iban":"DE00"})");
    QCOMPARE(r.status, 400);
    const QString errors = QString::fromUtf8(QJsonDocument(r.json().value(u"errors"_s).toArray()).toJson());
    QVERIFY2(errors.contains(u"multiple of 0.01"_s) && errors.contains(u"oneOf"_s), qPrintable(errors));
    // A merge patch is checked member by member: the multiple, not the whole-object oneOf.
    QCOMPARE(g.post("/api/payments/p1", R"({"amount":0.001})").status, 400);
    QCOMPARE(g.post("/api/payments/p1", R"({"amount":5.5})").status, 202);
}

void tst_CollectionsApi::storedSchemasWithKeywordsThatNoLongerCompileAreServed()
{
    // A collection stored while oneOf, multipleOf, ... were ignored may hold them in a form
    // that does not compile now: it is served without them, not dropped from service.
    if (!m_backend.isEmpty())
        QSKIP("edits config.db, the SQLite configuration");
    auto r = admin("PUT", "/admin/collections/legacy", R"({"schema":{"type":"object","properties":{"n":{"type":"number"}}}})");
    QVERIFY2(r.status == 201, r.body.constData());
    QCOMPARE(gateway().post("/api/legacy", R"({"id":"l1","n":1})").status, 202);
    QCOMPARE(m_engine->terminate(), 0);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"config"_s);
        db.setDatabaseName(QDir(m_dir->path()).filePath(u"config.db"_s));
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT body FROM resources WHERE kind = 'collections' AND id = 'legacy'"_s) && q.next());
            QJsonObject body = QJsonDocument::fromJson(q.value(0).toByteArray()).object();
            QJsonObject schema = body.value(u"schema"_s).toObject();
            schema.insert(u"oneOf"_s, QJsonArray());
            QJsonObject properties = schema.value(u"properties"_s).toObject();
            properties.insert(u"n"_s, QJsonObject{{u"type"_s, u"number"_s}, {u"multipleOf"_s, 0}});
            schema.insert(u"properties"_s, properties);
            body.insert(u"schema"_s, schema);
            q.prepare(u"UPDATE resources SET body = ? WHERE kind = 'collections' AND id = 'legacy'"_s);
            q.addBindValue(QJsonDocument(body).toJson(QJsonDocument::Compact));
            QVERIFY2(q.exec() && q.numRowsAffected() == 1, qPrintable(q.lastError().text()));
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(u"config"_s);
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    QVERIFY2(m_engine->stderrText().contains(u"served without the schema keywords"_s), qPrintable(m_engine->stderrText()));
    r = gateway().get("/api/legacy/l1");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(gateway().post("/api/legacy", R"({"id":"l2","n":2.5})").status, 202);
    // Written again, the schema must compile.
    QCOMPARE(admin("PATCH", "/admin/collections/legacy", R"({"indexes":[]})").status, 400);
}

void tst_CollectionsApi::projectCollectionsAreEditable()
{
    auto r = admin("PATCH", "/admin/collections/products", R"({"indexes":["stock"]})");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(m_engine->terminate(), 0);
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    r = admin("GET", "/admin/collections/products");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"indexes"_s).toArray(), QJsonArray{u"stock"_s});
    QVERIFY(r.json().value(u"indexed_fields"_s).toArray().contains(u"stock"_s));
    QCOMPARE(gateway().get("/api/products?stock=3").status, 200);
}

// The configuration file carries the collections: exported with their declarations, imported
// back onto another engine, which then serves them.
void tst_CollectionsApi::exportedAndImported()
{
    QCOMPARE(admin("PUT", "/admin/collections/orders", kOrders).status, 201);
    // Version 2, with the step from version 1: both travel with the export.
    auto evolved = admin("PATCH", "/admin/collections/orders",
                         R"({"schema": {"properties": {"note": {"type": "string"}}}, "upcasters": {"1": {"rename": {"memo": "note"}}}})");
    QVERIFY2(evolved.status == 200, evolved.body.constData());
    QCOMPARE(evolved.json().value(u"schema_version"_s).toInt(), 2);
    const QJsonObject evolvedSchema = evolved.json().value(u"schema"_s).toObject();
    const auto exported = admin("GET", "/admin/config/export");
    QCOMPARE(exported.status, 200);
    const QJsonArray collections = exported.json().value(u"collections"_s).toArray();
    QStringList names;
    for (const QJsonValue &v : collections)
        names.append(v.toObject().value(u"name"_s).toString());
    QVERIFY2(names.contains(u"orders"_s) && names.contains(u"products"_s), qPrintable(names.join(u',')));

    // Another engine, another data directory (and database).
    m_dir = std::make_unique<QTemporaryDir>();
    m_backend = Test::engineArguments();
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    QCOMPARE(admin("GET", "/admin/collections/orders").status, 404);

    QJsonObject bad = exported.json();
    bad.insert(u"collections"_s, QJsonArray{QJsonObject{{u"name"_s, u"x"_s}, {u"schema"_s, QJsonObject{{u"type"_s, u"string"_s}}}}});
    auto r = admin("PUT", "/admin/config", QJsonDocument(bad).toJson());
    QCOMPARE(r.status, 400);
    QVERIFY2(r.body.contains("/collections/0/schema/type"), r.body.constData());
    QCOMPARE(admin("GET", "/admin/collections/x").status, 404);
    // Every section's errors in one answer: a scenario, a collection and a route at once.
    QJsonArray routes = bad.value(u"routes"_s).toArray();
    routes.append(QJsonObject{{u"id"_s, u"broken-route"_s}, {u"uri"_s, u"/broken"_s}, {u"upstream_id"_s, u"no-such-upstream"_s}});
    bad.insert(u"routes"_s, routes);
    bad.insert(u"scenarios"_s, QJsonArray{QJsonObject{{u"name"_s, u"bad name!"_s}}});
    r = admin("PUT", "/admin/config", QJsonDocument(bad).toJson());
    QCOMPARE(r.status, 400);
    QStringList errors;
    for (const QJsonValue &e : r.json().value(u"errors"_s).toArray())
        errors.append(e.toString());
    const auto has = [&errors](const QString &prefix) {
        return std::any_of(errors.cbegin(), errors.cend(), [&prefix](const QString &e) { return e.startsWith(prefix); });
    };
    QVERIFY2(has(u"/scenarios/0/name"_s), r.body.constData());
    QVERIFY2(has(u"/collections/0/schema/type"_s), r.body.constData());
    QVERIFY2(has(u"/routes/%1"_s.arg(routes.size() - 1)), r.body.constData());
    QCOMPARE(admin("GET", "/admin/routes/broken-route").status, 404);
    bad.remove(u"scenarios"_s);

    // Declared here already with the same schema, at version 1: the import brings version 2.
    QCOMPARE(admin("PUT", "/admin/collections/orders", QJsonDocument(QJsonObject{{u"schema"_s, evolvedSchema}}).toJson()).status, 201);
    QCOMPARE(admin("GET", "/admin/collections/orders").json().value(u"schema_version"_s).toInt(), 1);
    r = admin("PUT", "/admin/config", exported.body);
    QVERIFY2(r.status == 200, r.body.constData());
    const auto imported = admin("GET", "/admin/collections/orders");
    QCOMPARE(imported.status, 200);
    QCOMPARE(imported.json().value(u"schema_version"_s).toInt(), 2);
    QCOMPARE(imported.json().value(u"upcasters"_s).toObject().value(u"1"_s).toObject(),
             (QJsonObject{{u"rename"_s, QJsonObject{{u"memo"_s, u"note"_s}}}}));
    QCOMPARE(gateway().post("/api/orders", R"({"id":"o1","customer":"ada","total":1})").status, 202);
}

// An index added to a collection that holds documents is built in the background: the PATCH
// answers at once, list queries on the field keep answering -- the same items -- before, during
// and after the build, and the collection shows the build until it is ready.
void tst_CollectionsApi::indexBuiltWhileQueriesAnswer()
{
    QCOMPARE(m_engine->terminate(), 0);
    m_engine = std::make_unique<EngineProcess>(m_dir->path());
    QVERIFY2(m_engine->start(QStringList{u"--admin-key"_s, QString::fromLatin1(kAdminKey), u"--durability"_s, u"normal"_s} + m_backend),
             qPrintable(m_engine->stderrText()));
    QCOMPARE(admin("PUT", "/admin/collections/readings", R"({"schema": {"type": "object",
        "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "n": {"type": "integer"}}}})").status, 201);
    TestHttpClient g = gateway();
    constexpr int kDocuments = 6000;
    QByteArray last;
    for (int i = 0; i < kDocuments; ++i) {
        const TestHttpResponse r = g.request("POST", "/api/readings",
                                             "{\"kind\":\"k" + QByteArray::number(i % 7) + "\",\"n\":" + QByteArray::number(i) + '}',
                                             {{"Content-Type", "application/json"}});
        QVERIFY2(r.status == 202, r.body.constData());
        last = r.header("x-event-position");
    }
    const QByteArray query = "/api/readings?kind=k3&sort=-n&limit=20";
    const TestHttpResponse before = g.request("GET", query, {}, {{"X-Min-Position", last}});
    QCOMPARE(before.status, 200);
    QCOMPARE(before.json().value(u"items"_s).toArray().size(), 20);

    const TestHttpResponse patched = admin("PATCH", "/admin/collections/readings", R"({"indexes": ["kind", "n"]})");
    QVERIFY2(patched.status == 200, patched.body.constData());
    int queries = 0;
    int duringBuild = 0;
    QJsonArray builds;
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        const TestHttpResponse described = admin("GET", "/admin/collections/readings");
        QCOMPARE(described.status, 200);
        builds = described.json().value(u"index_builds"_s).toArray();
        bool done = builds.size() == 2;
        for (const QJsonValue &b : std::as_const(builds))
            done = done && b.toObject().value(u"state"_s).toString() == u"ready"_s;
        // Every query answers, the same as before the index.
        for (int i = 0; i < 10; ++i) {
            const TestHttpResponse r = g.request("GET", query);
            QVERIFY2(r.status == 200, r.body.constData());
            QCOMPARE(r.json().value(u"items"_s), before.json().value(u"items"_s));
            ++queries;
            duringBuild += done ? 0 : 1;
        }
        if (done)
            break;
        QVERIFY2(waited.elapsed() < 60000, QJsonDocument(builds).toJson().constData());
    }
    qInfo("%d queries, %d of them while the indexes were being built", queries, duringBuild);
    for (const QJsonValue &b : std::as_const(builds)) {
        const QJsonObject build = b.toObject();
        QCOMPARE(build.value(u"progress"_s).toDouble(), 1.0);
        QVERIFY(!build.value(u"finished_at"_s).toString().isEmpty());
        QVERIFY(!build.contains(u"error"_s));
    }
    QCOMPARE(builds.at(0).toObject().value(u"field"_s).toString(), u"kind"_s);
    QCOMPARE(builds.at(1).toObject().value(u"field"_s).toString(), u"n"_s);
    if (!Test::usesPostgres()) {
        // The indexes are in readmodel.db, where the query planner finds them.
        Gatehouse::SqliteConnection db;
        QVERIFY(db.open(m_dir->filePath(u"readmodel.db"_s), Gatehouse::SqliteConnection::Mode::ReadOnly));
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('rm_readings__kind', 'rm_readings__n')"), 2);
    }
    // Writes go on too, and are found through the new index.
    const TestHttpResponse created = g.request("POST", "/api/readings", R"({"kind":"k3","n":1000000})", {{"Content-Type", "application/json"}});
    QCOMPARE(created.status, 202);
    const TestHttpResponse after = g.request("GET", query, {}, {{"X-Min-Position", created.header("x-event-position")}});
    QCOMPARE(after.json().value(u"items"_s).toArray().first().toObject().value(u"n"_s).toInt(), 1000000);

    // An index the collection no longer declares is dropped; filters on the field still answer.
    const auto dropped = admin("PATCH", "/admin/collections/readings", R"({"indexes": ["n"]})");
    QVERIFY2(dropped.status == 200, dropped.body.constData());
    if (!Test::usesPostgres()) {
        Gatehouse::SqliteConnection db;
        QVERIFY(db.open(m_dir->filePath(u"readmodel.db"_s), Gatehouse::SqliteConnection::Mode::ReadOnly));
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'rm_readings__kind'"), 0);
        QCOMPARE(db.queryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'rm_readings__n'"), 1);
    }
    const TestHttpResponse unindexed = g.request("GET", query);
    QCOMPARE(unindexed.status, 200);
    QCOMPARE(unindexed.json().value(u"items"_s).toArray().first().toObject().value(u"n"_s).toInt(), 1000000);
}

namespace {
const QByteArray kItems = R"({
    "schema": {"type": "object", "required": ["name"],
               "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "price": {"type": "number"},
                              "status": {"type": "string", "enum": ["open", "gone"]}}},
    "commands": {"inspect": {"decide": "function (state, command) { return [{type: 'inspected', data: {seen: state}}]; }"}}
})";
// Version 2: "name" is "title", prices are whole, "gone" is "archived", a currency is required.
const QByteArray kItemsV2 = R"({"schema": {"required": ["title", "currency"],
    "properties": {"name": null, "title": {"type": "string"}, "price": {"type": "integer"},
                   "currency": {"type": "string", "default": "EUR"},
                   "status": {"type": "string", "enum": ["open", "archived"]}}}})";

QString dataschemaOf(const TestHttpResponse &events, int index)
{
    return QJsonDocument::fromJson(events.body).array().at(index).toObject().value(u"dataschema"_s).toString();
}
} // namespace

// A schema change that old events would not satisfy is refused (409, naming each rule and the
// step that would cover it) until upcasters are given; then every event records its version,
// and old events fold in the new shape wherever the engine folds: time travel, custom
// commands, a rebuild of the read model -- also after a restart.
void tst_CollectionsApi::schemaVersionsUpcastOldEvents()
{
    auto r = admin("PUT", "/admin/collections/items", kItems);
    QVERIFY2(r.status == 201, r.body.constData());
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(1), 1);
    TestHttpClient g = gateway();
    QCOMPARE(g.post("/api/items", R"({"id":"i1","name":"lamp","price":12.5,"status":"gone"})").status, 202);
    auto updated = g.post("/api/items/i1", R"({"price":13.4})");
    QVERIFY2(updated.status == 202, updated.body.constData());
    const qint64 v1Head = updated.json().value(u"position"_s).toInteger();
    auto events = g.get("/events?stream=items-i1");
    QCOMPARE(dataschemaOf(events, 0), u"/schemas/items/1"_s);
    QCOMPARE(dataschemaOf(events, 1), u"/schemas/items/1"_s);
    QTRY_COMPARE_WITH_TIMEOUT(admin("GET", "/admin/collections/items").json().value(u"count"_s).toInteger(), 1, 10000);

    // Refused: each rule that old events would break, where, and what to add.
    r = admin("PATCH", "/admin/collections/items", kItemsV2);
    QCOMPARE(r.status, 409);
    QCOMPARE(r.header("content-type"), "application/problem+json");
    const QJsonArray errors = r.json().value(u"errors"_s).toArray();
    QStringList texts;
    for (const QJsonValue &e : errors)
        texts.append(e.toString());
    const QString all = texts.join(u'\n');
    QVERIFY2(all.contains(u"/schema/properties/title: required-without-default"_s), qPrintable(all));
    QVERIFY2(all.contains(u"/schema/properties/price: narrowed-type"_s), qPrintable(all));
    QVERIFY2(all.contains(u"/schema/properties/status: removed-enum-value"_s), qPrintable(all));
    QVERIFY2(all.contains(u"\"upcasters\": {\"1\": {\"cast\": {\"price\": \"integer\"}}}"_s), qPrintable(all));
    QVERIFY2(!all.contains(u"currency"_s), qPrintable(all));   // the schema's default covers it
    QCOMPARE(admin("GET", "/admin/collections/items").json().value(u"schema_version"_s).toInt(1), 1);

    // Accepted with the step from version 1; the schema's default joins it.
    QJsonObject v2 = QJsonDocument::fromJson(kItemsV2).object();
    v2.insert(u"upcasters"_s, QJsonObject{{u"1"_s, QJsonObject{{u"rename"_s, QJsonObject{{u"name"_s, u"title"_s}}},
                                                               {u"cast"_s, QJsonObject{{u"price"_s, u"integer"_s}}},
                                                               {u"values"_s, QJsonObject{{u"status"_s, QJsonObject{{u"gone"_s, u"archived"_s}}}}}}}});
    r = admin("PATCH", "/admin/collections/items", QJsonDocument(v2).toJson());
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(), 2);
    const QJsonObject step = r.json().value(u"upcasters"_s).toObject().value(u"1"_s).toObject();
    QCOMPARE(step.value(u"default"_s).toObject(), (QJsonObject{{u"currency"_s, u"EUR"_s}}));
    // A change that keeps the schema is no new version.
    r = admin("PATCH", "/admin/collections/items", R"({"snapshot_every": 10})");
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(), 2);

    // New commands take the new shape, and their events say so.
    QCOMPARE(g.post("/api/items", R"({"id":"i1b","name":"x"})").status, 400);
    auto created = g.post("/api/items", R"({"id":"i2","title":"desk","price":3,"currency":"USD","status":"open"})");
    QVERIFY2(created.status == 202, created.body.constData());
    QCOMPARE(dataschemaOf(g.get("/events?stream=items-i2"), 0), u"/schemas/items/2"_s);

    // Time travel folds the old events through the step.
    const QJsonObject expected{{u"id"_s, u"i1"_s}, {u"title"_s, u"lamp"_s}, {u"price"_s, 13}, {u"status"_s, u"archived"_s}, {u"currency"_s, u"EUR"_s}};
    const auto withoutMeta = [](QJsonObject o) {
        o.remove(u"_meta"_s);
        return o;
    };
    auto past = g.get("/api/items/i1?at_position=" + QByteArray::number(v1Head));
    QVERIFY2(past.status == 200, past.body.constData());
    QCOMPARE(withoutMeta(past.json()), expected);

    // So does a custom command: decide() sees the current shape.
    auto inspected = g.post("/api/items/i1/inspect", "{}");
    QVERIFY2(inspected.status == 202, inspected.body.constData());
    events = g.get("/events?stream=items-i1");
    const QJsonObject seen = QJsonDocument::fromJson(events.body).array().last().toObject().value(u"data"_s).toObject().value(u"seen"_s).toObject();
    QCOMPARE(seen, expected);
    QCOMPARE(dataschemaOf(events, 2), u"/schemas/items/2"_s);

    // And a rebuild of the read model: the stored document takes the new shape.
    const QByteArray head = QByteArray::number(inspected.json().value(u"position"_s).toInteger());
    QCOMPARE(admin("POST", "/admin/projections/upsert/rebuild").status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(withoutMeta(g.get("/api/items/i1", {{"X-Min-Position", head}}).json()) == expected, 20000);

    // All of it after a restart.
    QCOMPARE(m_engine->terminate(), 0);
    QVERIFY2(start(), qPrintable(m_engine->stderrText()));
    r = admin("GET", "/admin/collections/items");
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(), 2);
    QCOMPARE(r.json().value(u"upcasters"_s).toObject().value(u"1"_s).toObject(), step);
    past = gateway().get("/api/items/i1?at_position=" + QByteArray::number(v1Head));
    QVERIFY2(past.status == 200, past.body.constData());
    QCOMPARE(withoutMeta(past.json()), expected);

    // A PUT that leaves them out keeps them (old events must stay readable); {} removes them.
    QJsonObject withoutUpcasters = r.json();
    for (const QString &member : {u"name"_s, u"upcasters"_s, u"schema_version"_s})
        withoutUpcasters.remove(member);
    r = admin("PUT", "/admin/collections/items", QJsonDocument(withoutUpcasters).toJson());
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"upcasters"_s).toObject().value(u"1"_s).toObject(), step);
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(), 2);

    // Upcasters of a step that exists may be edited; an unknown step is refused.
    r = admin("PATCH", "/admin/collections/items", R"({"upcasters": {"2": {"remove": ["price"]}}})");
    QCOMPARE(r.status, 400);
    QVERIFY2(r.body.contains("/upcasters/2: there is no version 3 yet"), r.body.constData());
}

// Without events there is nothing to break: any change is accepted (and still a new version).
void tst_CollectionsApi::breakingChangeOfAnEmptyCollection()
{
    QCOMPARE(admin("PUT", "/admin/collections/items", kItems).status, 201);
    auto r = admin("PATCH", "/admin/collections/items", kItemsV2);
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(u"schema_version"_s).toInt(), 2);
}

QTEST_GUILESS_MAIN(tst_CollectionsApi)
#include "tst_collectionsapi.moc"
