// LocalEngineClient against a real engine: the public API through the gateway, the admin API
// with the console's key, batched live events (bounded, in order, counted when dropped),
// read-model change notifications, and the status sample.

#include "guifixture.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Gatehouse;

class tst_EngineClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void commandsAndQueriesGoThroughTheGateway();
    void adminApiWithTheConsolesKey();
    void configExportAndImport();
    void eventsArriveBatchedInOrder();
    void slowReceiverLosesOldestAndIsTold();
    void documentsChangedAndStatus();
    void callbackSkippedWhenContextIsGone();
    void documentsWrittenByFunctionsAreAnnounced();
    void eventsPageBackwardsAndByStream();
};

namespace {
using Test::waitFor;
} // namespace

void tst_EngineClient::commandsAndQueriesGoThroughTheGateway()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::EngineClient *c = f.client.get();
    const Ui::ClientReply created = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("id"), QStringLiteral("w1")}, {QStringLiteral("name"), QStringLiteral("Widget")}, {QStringLiteral("price"), 5}}, ctx, cb);
    });
    QCOMPARE(created.status, 202);
    QVERIFY(created.elapsedUs > 0);
    const QByteArray position = created.header("x-event-position");
    QVERIFY(!position.isEmpty());
    const Ui::ClientReply got = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->request("GET", "/api/products/w1", {}, {{"X-Min-Position", position}}, ctx, cb);
    });
    QCOMPARE(got.status, 200);
    QCOMPARE(got.object().value(QStringLiteral("name")).toString(), QStringLiteral("Widget"));
    // A bad command gets the same problem an HTTP client gets.
    const Ui::ClientReply bad = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->request("POST", "/api/products", "{not json", {{"content-type", "application/json"}}, ctx, cb);
    });
    QCOMPARE(bad.status, 400);
    QCOMPARE(bad.header("content-type"), QByteArray("application/problem+json"));
    QVERIFY(bad.errorText().startsWith(QLatin1String("400: ")));
    const Ui::ClientReply missing = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->get("/nowhere", ctx, cb); });
    QCOMPARE(missing.status, 404);
}

void tst_EngineClient::adminApiWithTheConsolesKey()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::EngineClient *c = f.client.get();
    QSignalSpy changed(c, &Ui::EngineClient::resourcesChanged);
    // On a fresh engine (no read-model table written yet) the collection counts are zero, not a crash.
    const Ui::ClientReply collections = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/collections", ctx, cb); });
    QCOMPARE(collections.status, 200);
    QVERIFY(collections.object().value(QStringLiteral("total")).toInt() > 0);
    const Ui::ClientReply routes = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/routes", ctx, cb); });
    QCOMPARE(routes.status, 200);
    QVERIFY(routes.object().value(QStringLiteral("total")).toInt() > 0);
    const QByteArray route = R"({"uri":"/hello","methods":["GET"],"upstream":{"type":"events"}})";
    const Ui::ClientReply put = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->admin("PUT", "/admin/routes/hello", route, ctx, cb); });
    QVERIFY2(put.isSuccess(), qPrintable(put.errorText()));
    QTRY_VERIFY(!changed.isEmpty());
    QCOMPARE(changed.first().at(0).toString(), QStringLiteral("routes"));
    QCOMPARE(changed.first().at(1).toString(), QStringLiteral("hello"));
    // The new route answers through the gateway at once.
    const Ui::ClientReply hello = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->get("/hello", ctx, cb); });
    QCOMPARE(hello.status, 200);
    // Validation errors come back listed.
    const Ui::ClientReply invalid = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->admin("PUT", "/admin/routes/bad", R"({"uri":42})", ctx, cb);
    });
    QCOMPARE(invalid.status, 400);
    QVERIFY2(invalid.errorText().contains(QLatin1String("uri")), qPrintable(invalid.errorText()));
}

void tst_EngineClient::configExportAndImport()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::EngineClient *c = f.client.get();
    const Ui::ClientReply put = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->admin("PUT", "/admin/routes/extra", R"({"uri":"/extra","upstream":{"type":"events"}})", ctx, cb);
    });
    QVERIFY2(put.isSuccess(), qPrintable(put.errorText()));
    const Ui::ClientReply json = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/config/export?format=json", ctx, cb); });
    QCOMPARE(json.status, 200);
    QVERIFY(json.body.contains("\"/extra\""));
    const Ui::ClientReply yaml = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        c->adminGet("/admin/config/export?format=apisix&engine_address=127.0.0.1:9999", ctx, cb);
    });
    QCOMPARE(yaml.status, 200);
    QCOMPARE(yaml.header("content-type"), QByteArray("application/yaml"));
    QVERIFY(yaml.body.contains("127.0.0.1:9999"));
    const Ui::ClientReply badFormat = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/config/export?format=xml", ctx, cb); });
    QCOMPARE(badFormat.status, 400);

    // Delete the route, then import the export: it is back.
    QCOMPARE(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->admin("DELETE", "/admin/routes/extra", {}, ctx, cb); }).isSuccess(), true);
    QCOMPARE(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/routes/extra", ctx, cb); }).status, 404);
    const Ui::ClientReply imported = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->admin("PUT", "/admin/config", json.body, ctx, cb); });
    QVERIFY2(imported.isSuccess(), qPrintable(imported.errorText()));
    QCOMPARE(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/routes/extra", ctx, cb); }).status, 200);
    // A broken file changes nothing.
    const Ui::ClientReply broken = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->admin("PUT", "/admin/config", "{\"routes\":[{\"uri\":1}]}", ctx, cb); });
    QCOMPARE(broken.status, 400);
    QCOMPARE(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { c->adminGet("/admin/routes/extra", ctx, cb); }).status, 200);
}

void tst_EngineClient::eventsArriveBatchedInOrder()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    qint64 received = 0;
    qint64 lastPosition = 0;
    int batches = 0;
    bool ordered = true;
    connect(f.client.get(), &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64 dropped) {
        ++batches;
        QCOMPARE(dropped, 0);
        for (const RecordedEvent &e : events) {
            ordered = ordered && e.position == lastPosition + 1;
            lastPosition = e.position;
        }
        received += events.size();
    });
    f.appendProducts(5000);
    QTRY_COMPARE_WITH_TIMEOUT(received, 5000, 20000);
    QVERIFY(ordered);
    QVERIFY2(batches < 5000 / 10, qPrintable(QString::number(batches)));   // batched, not one signal per event
}

void tst_EngineClient::slowReceiverLosesOldestAndIsTold()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.client->setMaxPendingEvents(100);
    qint64 received = 0;
    qint64 dropped = 0;
    qint64 lastPosition = 0;
    connect(f.client.get(), &Ui::EngineClient::eventsArrived, this, [&](const RecordedEvents &events, qint64 lost) {
        received += events.size();
        dropped += lost;
        if (!events.isEmpty())
            lastPosition = events.last().position;
    });
    // The GUI thread is busy (blocked in appendAndWait) while 2,000 events commit: the inbox
    // keeps only the newest 100 and says how many it let go.
    for (int i = 0; i < 2000; ++i) {
        AppendRequest r;
        r.stream = QStringLiteral("products-s%1").arg(i);
        r.expected = ExpectedVersion::any();
        r.events = {NewEvent{{}, QStringLiteral("products.created"), "{}", "{}"}};
        QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());
    }
    QTRY_COMPARE_WITH_TIMEOUT(received + dropped, 2000, 20000);
    if (Test::GuiFixture::isRemote()) {
        // Over a socket the events come as fast as TCP lets them once the thread reads again,
        // perhaps in more than one delivery: each keeps its newest 100 and counts the rest.
        QVERIFY2(received >= 100 && dropped > 0, qPrintable(QStringLiteral("%1 received, %2 dropped").arg(received).arg(dropped)));
    } else {
        QCOMPARE(received, 100);
        QCOMPARE(dropped, 1900);
    }
    QCOMPARE(lastPosition, 2000);
}

void tst_EngineClient::documentsChangedAndStatus()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QSet<QString> ids;
    connect(f.client.get(), &Ui::EngineClient::documentsChanged, this, [&](const QString &collection, const QStringList &changed) {
        if (collection == QLatin1String("products"))
            ids.unite(QSet<QString>(changed.cbegin(), changed.cend()));
    });
    QSignalSpy status(f.client.get(), &Ui::EngineClient::statusUpdated);
    f.appendProducts(30, QStringLiteral("d"));
    QTRY_COMPARE_WITH_TIMEOUT(ids.size(), 30, 10000);
    QVERIFY(ids.contains(QStringLiteral("d0")));
    QTRY_COMPARE_WITH_TIMEOUT(f.client->status().headPosition, 30, 5000);
    QTRY_VERIFY(!status.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(f.client->status().worstLagEvents, 0, 10000);
    QVERIFY(!f.client->status().mqttEnabled);
}

void tst_EngineClient::callbackSkippedWhenContextIsGone()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    bool called = false;
    auto *context = new QObject;
    f.client->adminGet("/admin/routes", context, [&](const Ui::ClientReply &) { called = true; });
    f.client->get("/events?limit=1", context, [&](const Ui::ClientReply &) { called = true; });
    delete context;
    // A later call on a live context is answered, so the dead one had its chance.
    const Ui::ClientReply later = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/routes", ctx, cb); });
    QCOMPARE(later.status, 200);
    QTest::qWait(50);
    QVERIFY(!called);
}

void tst_EngineClient::eventsPageBackwardsAndByStream()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(50);
    QTRY_COMPARE(f.engine.eventStore()->headPosition(), 50);
    const Ui::ClientReply back = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/events?before=41&limit=10", ctx, cb); });
    QCOMPARE(back.status, 200);
    const RecordedEvents page = Ui::EngineClient::parseEventBatch(back.body);
    QCOMPARE(page.size(), 10);
    QCOMPARE(page.first().position, 31);
    QCOMPARE(page.last().position, 40);
    QCOMPARE(back.header("x-next-before"), QByteArray("31"));
    QCOMPARE(page.first().type, QStringLiteral("products.created"));
    QVERIFY(page.first().data.contains("\"name\""));
    const Ui::ClientReply first = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/events?before=3&limit=10", ctx, cb); });
    QCOMPARE(Ui::EngineClient::parseEventBatch(first.body).size(), 2);
    QCOMPARE(first.header("x-next-before"), QByteArray("0"));
    const Ui::ClientReply stream = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/events?stream=products-p7", ctx, cb); });
    QCOMPARE(stream.status, 200);
    const RecordedEvents one = Ui::EngineClient::parseEventBatch(stream.body);
    QCOMPARE(one.size(), 1);
    QCOMPARE(one.first().stream, QStringLiteral("products-p7"));
    const Ui::ClientReply mixed = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/events?before=5&from=2", ctx, cb); });
    QCOMPARE(mixed.status, 400);
}

void tst_EngineClient::documentsWrittenByFunctionsAreAnnounced()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QSet<QString> ids;
    connect(f.client.get(), &Ui::EngineClient::documentsChanged, this, [&](const QString &collection, const QStringList &changed) {
        if (collection == QLatin1String("tallies"))
            ids.unite(QSet<QString>(changed.cbegin(), changed.cend()));
    });
    const QByteArray function = R"({"code":"function handle(e, ctx) { ctx.upsert('tallies', 't-' + e.subject, {seen: true}); }",
                                    "triggers":[{"type":"event","filter":{"type":"products.created"}}]})";
    const Ui::ClientReply deployed = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->admin("PUT", "/admin/functions/tally", function, ctx, cb); });
    QVERIFY2(deployed.isSuccess(), qPrintable(deployed.errorText()));
    f.appendProducts(3, QStringLiteral("fn"));
    QTRY_COMPARE_WITH_TIMEOUT(ids.size(), 3, 10000);
    QVERIFY(ids.contains(QStringLiteral("t-fn0")));
}

QTEST_MAIN(tst_EngineClient)
#include "tst_engineclient.moc"
