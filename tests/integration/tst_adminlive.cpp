// The admin listener's live channel, GET /admin/live (what a console attached from elsewhere
// reads), over real sockets with Qt's own WebSocket client: the key, the handshake's answers,
// the hello, events from a position exactly once and in order across reconnects, documents,
// resource changes, status samples, the limit on consoles, and a slow admin request that holds
// back neither the channel nor /health, with the admin requests waiting behind it limited.
#include "positionrange.h"
#include "assembly/engine.h"
#include "server/adminlive.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>
#include <QtWebSockets/QWebSocket>

#include <algorithm>
#include <atomic>

#include <memory>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A console's connection: every message it receives, parsed, and the event positions in the
// order they came.
class Console
{
public:
    Console(quint16 port, const QByteArray &key, const QString &query = {})
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, [this](const QString &text) {
            const QJsonObject m = QJsonDocument::fromJson(text.toUtf8()).object();
            messages.append(m);
            if (m.value(u"type"_s).toString() == u"events"_s) {
                for (const QJsonValue &e : m.value(u"events"_s).toArray())
                    positions.append(e.toObject().value(u"position"_s).toInteger());
            }
        });
        QNetworkRequest request(QUrl(u"ws://127.0.0.1:%1/admin/live%2"_s.arg(port).arg(query)));
        if (!key.isNull())
            request.setRawHeader("X-API-KEY", key);
        socket.open(request);
    }
    bool waitOpen() { return QTest::qWaitFor([this] { return socket.state() == QAbstractSocket::ConnectedState; }, kWaitMs); }

    QList<QJsonObject> ofType(const QString &type) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &m : messages) {
            if (m.value(u"type"_s).toString() == type)
                out.append(m);
        }
        return out;
    }

    QWebSocket socket;
    QList<QJsonObject> messages;
    QList<qint64> positions;
};

} // namespace

class tst_AdminLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void refusals_data();
    void refusals();
    void helloThenEventsFromAPosition();
    void reconnectResumesWithoutGapOrRepeat();
    void documentsResourcesAndStatus();
    void consolesAreLimited();
    void slowAdminRequestDoesNotHoldTheChannel();
    void shutdownClosesWith1001();

private:
    qint64 createProduct(const QString &id);
    qint64 head() const { return m_engine.eventStore()->headPosition(); }

    QTemporaryDir m_dir;
    Engine m_engine;
    std::unique_ptr<Server::Listeners> m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
    QByteArray m_key;
};

void tst_AdminLive::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    m_listeners = std::make_unique<Server::Listeners>();
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(m_listeners->start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners->gatewayEndpoint().port;
    m_adminPort = m_listeners->adminEndpoint().port;
    m_key = m_engine.adminKey().toUtf8();
}

void tst_AdminLive::cleanupTestCase()
{
    m_listeners.reset();
    m_engine.stop();
}

qint64 tst_AdminLive::createProduct(const QString &id)
{
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.post("/api/products", json({{u"id"_s, id}, {u"name"_s, u"Lamp"_s}, {u"price"_s, 3}}));
    return r.status == 202 ? r.json().value(u"position"_s).toInteger() : -r.status;
}

void tst_AdminLive::refusals_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<bool>("withKey");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<int>("status");
    QTest::newRow("no key") << "/admin/live"_ba << false << true << 401;
    QTest::newRow("not an upgrade") << "/admin/live"_ba << true << false << 426;
    QTest::newRow("from not a position") << "/admin/live?from=x"_ba << true << true << 400;
    QTest::newRow("from negative") << "/admin/live?from=-1"_ba << true << true << 400;
    QTest::newRow("from twice") << "/admin/live?from=1&from=2"_ba << true << true << 400;
    QTest::newRow("unknown parameter") << "/admin/live?type=x"_ba << true << true << 400;
}

void tst_AdminLive::refusals()
{
    QFETCH(QByteArray, target);
    QFETCH(bool, withKey);
    QFETCH(bool, upgrade);
    QFETCH(int, status);
    QList<std::pair<QByteArray, QByteArray>> headers;
    if (withKey)
        headers.append(std::pair<QByteArray, QByteArray>("X-API-KEY", m_key));
    if (upgrade) {
        headers.append(std::pair<QByteArray, QByteArray>("Upgrade", "websocket"));
        headers.append(std::pair<QByteArray, QByteArray>("Connection", "Upgrade"));
        headers.append(std::pair<QByteArray, QByteArray>("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="));
        headers.append(std::pair<QByteArray, QByteArray>("Sec-WebSocket-Version", "13"));
    }
    TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
    const TestHttpResponse r = client.get(target, headers);
    QCOMPARE(r.status, status);
    QVERIFY2(r.header("content-type").startsWith("application/problem+json"), r.body.constData());
}

void tst_AdminLive::helloThenEventsFromAPosition()
{
    const qint64 start = head();
    for (int i = 0; i < 5; ++i)
        QVERIFY(createProduct(u"hello-%1"_s.arg(i)) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(head(), start + 5, kWaitMs);

    Console console(m_adminPort, m_key, u"?from=%1"_s.arg(start + 3));
    QVERIFY(console.waitOpen());
    QTRY_VERIFY_WITH_TIMEOUT(!console.ofType(u"hello"_s).isEmpty(), kWaitMs);
    const QJsonObject hello = console.messages.constFirst();
    QCOMPARE(hello.value(u"type"_s).toString(), u"hello"_s);
    QCOMPARE(hello.value(u"from"_s).toInteger(), start + 3);
    QCOMPARE(hello.value(u"head_position"_s).toInteger(), start + 5);
    // Which log: the id of its first event.
    const RecordedEvents first = m_engine.eventStore()->readAll(1, 1);
    QCOMPARE(first.size(), 1);
    QCOMPARE(hello.value(u"log_id"_s).toString(), first.constFirst().id);
    const QJsonObject gateway = hello.value(u"gateway"_s).toObject();
    QCOMPARE(gateway.value(u"port"_s).toInt(), int(m_port));
    QCOMPARE(gateway.value(u"tls"_s).toBool(), false);
    QCOMPARE(gateway.value(u"url"_s).toString(), m_listeners->gatewayUrl());

    QTRY_COMPARE_WITH_TIMEOUT(console.positions, Test::positionRange(start + 3, start + 5), kWaitMs);
    // Then live, in order.
    for (int i = 0; i < 3; ++i)
        QVERIFY(createProduct(u"hello-live-%1"_s.arg(i)) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(console.positions, Test::positionRange(start + 3, start + 8), kWaitMs);
    // Each event as GET /events has it: a CloudEvent with its stream and position.
    const QJsonObject event = console.ofType(u"events"_s).constLast().value(u"events"_s).toArray().last().toObject();
    QCOMPARE(event.value(u"specversion"_s).toString(), u"1.0"_s);
    QCOMPARE(event.value(u"stream"_s).toString(), u"products-hello-live-2"_s);
    // With each event's stored metadata, which has what a CloudEvent leaves out.
    const QJsonObject last = console.ofType(u"events"_s).constLast();
    QCOMPARE(last.value(u"metadata"_s).toArray().size(), last.value(u"events"_s).toArray().size());
    const QJsonObject metadata = last.value(u"metadata"_s).toArray().last().toObject();
    QVERIFY2(metadata.contains(u"commandid"_s), QJsonDocument(metadata).toJson().constData());
}

void tst_AdminLive::reconnectResumesWithoutGapOrRepeat()
{
    const qint64 start = head();
    qint64 last = 0;
    QList<qint64> seen;
    {
        Console console(m_adminPort, m_key, u"?from=%1"_s.arg(start + 1));
        QVERIFY(console.waitOpen());
        for (int i = 0; i < 4; ++i)
            QVERIFY(createProduct(u"resume-a%1"_s.arg(i)) > 0);
        QTRY_COMPARE_WITH_TIMEOUT(console.positions, Test::positionRange(start + 1, start + 4), kWaitMs);
        seen = console.positions;
        last = seen.constLast();
        console.socket.close();
    }
    // Committed while no console was there.
    for (int i = 0; i < 300; ++i)
        QVERIFY(createProduct(u"resume-b%1"_s.arg(i)) > 0);
    Console again(m_adminPort, m_key, u"?from=%1"_s.arg(last + 1));
    QVERIFY(again.waitOpen());
    for (int i = 0; i < 3; ++i)
        QVERIFY(createProduct(u"resume-c%1"_s.arg(i)) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(again.positions.size(), 303, kWaitMs);
    seen += again.positions;
    QCOMPARE(seen, Test::positionRange(start + 1, start + 307));
    // A catch-up of 300 events comes in batches, not one message per event.
    QVERIFY2(again.ofType(u"events"_s).size() < 100, qPrintable(QString::number(again.ofType(u"events"_s).size())));
}

void tst_AdminLive::documentsResourcesAndStatus()
{
    Console console(m_adminPort, m_key);
    QVERIFY(console.waitOpen());
    QTRY_VERIFY_WITH_TIMEOUT(!console.ofType(u"hello"_s).isEmpty(), kWaitMs);

    // A command: its document, once the read model has it.
    QVERIFY(createProduct(u"doc-1"_s) > 0);
    const auto documentSeen = [&console] {
        const QList<QJsonObject> documents = console.ofType(u"documents"_s);
        return std::any_of(documents.cbegin(), documents.cend(), [](const QJsonObject &m) {
            return m.value(u"collection"_s).toString() == u"products"_s && m.value(u"ids"_s).toArray().contains(u"doc-1"_s);
        });
    };
    QTRY_VERIFY_WITH_TIMEOUT(documentSeen(), kWaitMs);

    // An admin change, by another admin client.
    TestHttpClient admin(u"127.0.0.1"_s, m_adminPort);
    const QByteArray route = R"({"uri":"/live-test/:id","methods":["GET"],"upstream":{"type":"events"}})";
    const TestHttpResponse put = admin.request("PUT", "/admin/routes/live-test", route, {{"X-API-KEY", m_key}});
    QVERIFY2(put.status == 200 || put.status == 201, put.body.constData());
    const auto routeChangeSeen = [&console] {
        const QList<QJsonObject> resources = console.ofType(u"resources"_s);
        return std::any_of(resources.cbegin(), resources.cend(), [](const QJsonObject &m) {
            return m.value(u"kind"_s).toString() == u"routes"_s && m.value(u"id"_s).toString() == u"live-test"_s;
        });
    };
    QTRY_VERIFY_WITH_TIMEOUT(routeChangeSeen(), kWaitMs);

    // Status samples, twice a second, with the log's head.
    QTRY_VERIFY_WITH_TIMEOUT(console.ofType(u"status"_s).size() >= 2, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(console.ofType(u"status"_s).constLast().value(u"head_position"_s).toInteger(), head(), kWaitMs);
    const QJsonObject status = console.ofType(u"status"_s).constLast();
    QVERIFY(status.contains(u"http_requests"_s));
    QVERIFY(status.value(u"http_requests"_s).toDouble() >= 1);
    QCOMPARE(status.value(u"mqtt_broker"_s).toString(), u"off"_s);
}

void tst_AdminLive::consolesAreLimited()
{
    std::vector<std::unique_ptr<Console>> consoles;
    for (int i = 0; i < Server::AdminLive::kMaxClients; ++i) {
        consoles.push_back(std::make_unique<Console>(m_adminPort, m_key));
        QVERIFY(consoles.back()->waitOpen());
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(consoles.cbegin(), consoles.cend(), [](const auto &c) { return !c->ofType(u"hello"_s).isEmpty(); }), kWaitMs);
    TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
    const TestHttpResponse refused = client.get("/admin/live", {{"X-API-KEY", m_key}, {"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                                                                {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "13"}});
    QCOMPARE(refused.status, 503);
    QCOMPARE(refused.header("retry-after"), "5"_ba);
    // One goes: another may come.
    consoles.pop_back();
    QTest::qWait(200);   // the server sees the close
    Console another(m_adminPort, m_key);
    QVERIFY(another.waitOpen());
    QTRY_VERIFY_WITH_TIMEOUT(!another.ofType(u"hello"_s).isEmpty(), kWaitMs);
}

void tst_AdminLive::slowAdminRequestDoesNotHoldTheChannel()
{
    // A function whose test run takes five seconds: the admin request waits that long.
    const QByteArray definition = json({{u"code"_s, u"function handle(e) { var end = Date.now() + 5000; while (Date.now() < end) {} }"_s},
                                        {u"isolation"_s, u"thread"_s}, {u"timeout_ms"_s, 20000}, {u"triggers"_s, QJsonArray()}});
    const QList<std::pair<QByteArray, QByteArray>> key{{"X-API-KEY", m_key}};
    QCOMPARE(TestHttpClient(u"127.0.0.1"_s, m_adminPort).request("PUT", "/admin/functions/slowpoke", definition, key).status, 201);
    Console console(m_adminPort, m_key);
    QVERIFY(console.waitOpen());
    QTRY_VERIFY_WITH_TIMEOUT(!console.ofType(u"hello"_s).isEmpty(), kWaitMs);

    std::atomic<int> slowStatus{0};
    std::unique_ptr<QThread> slow(QThread::create([this, &slowStatus, key] {
        TestHttpClient client(u"127.0.0.1"_s, m_adminPort, kWaitMs);
        const QByteArray body = json({{u"event"_s, QJsonObject{{u"type"_s, u"gadgets.made"_s}, {u"subject"_s, u"g1"_s}}}});
        slowStatus = client.request("POST", "/admin/functions/slowpoke/test", body, key).status;
    }));
    slow->start();
    const auto cleanup = qScopeGuard([&slow, this, key] {
        slow->wait();
        TestHttpClient(u"127.0.0.1"_s, m_adminPort).request("DELETE", "/admin/functions/slowpoke", {}, key);
    });
    QTest::qWait(300);   // the test run has begun

    // Meanwhile an event reaches the console, and /health and a request without the key are
    // answered at once.
    const qint64 position = createProduct(u"while-slow"_s);
    QVERIFY(position > 0);
    QTRY_VERIFY_WITH_TIMEOUT(console.positions.contains(position), kWaitMs);
    QCOMPARE(TestHttpClient(u"127.0.0.1"_s, m_adminPort).get("/health").status, 200);
    QCOMPARE(TestHttpClient(u"127.0.0.1"_s, m_adminPort).get("/admin/routes").status, 401);

    // Requests with the key wait their turn, at most kMaxWaitingAdminRequests with the slow
    // one; the others are told to come back.
    constexpr int kLimit = Server::Listeners::kMaxWaitingAdminRequests;
    constexpr int kSent = kLimit + 6;
    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < kSent; ++i) {
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, m_adminPort);
        socket->write("GET /admin/routes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: " + m_key + "\r\n\r\n");
        sockets.push_back(std::move(socket));
    }
    auto count = [&sockets](const QByteArray &statusLine) {
        return int(std::count_if(sockets.cbegin(), sockets.cend(), [&statusLine](const auto &s) { return s->peek(64).startsWith(statusLine); }));
    };
    QTRY_COMPARE_WITH_TIMEOUT(count("HTTP/1.1 503"), kSent - (kLimit - 1), kWaitMs);
    QCOMPARE(slowStatus.load(), 0);   // the slow request is still running
    QVERIFY(slow->wait(kWaitMs));
    QCOMPARE(slowStatus.load(), 200);
    QTRY_COMPARE_WITH_TIMEOUT(count("HTTP/1.1 200"), kLimit - 1, kWaitMs);
    QCOMPARE(count("HTTP/1.1 503"), kSent - (kLimit - 1));
}

void tst_AdminLive::shutdownClosesWith1001()
{
    Console console(m_adminPort, m_key);
    QVERIFY(console.waitOpen());
    QTRY_VERIFY_WITH_TIMEOUT(!console.ofType(u"hello"_s).isEmpty(), kWaitMs);
    m_listeners->stopAccepting();
    QTRY_COMPARE_WITH_TIMEOUT(console.socket.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QCOMPARE(console.socket.closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
}

QTEST_MAIN(tst_AdminLive)
#include "tst_adminlive.moc"
