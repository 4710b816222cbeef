// WebSocket /ws (DESIGN.md "Events") over real sockets: an Engine on a temporary data
// directory behind the real gateway listener on 127.0.0.1. Most tests talk through Qt's own
// QWebSocket client (an independent RFC 6455 implementation); the protocol-violation and
// slow-consumer tests use a raw socket so they can break the rules or stop reading. Every test
// asserts what a client sees: messages, close codes, HTTP answers to bad handshakes.
#include "positionrange.h"
#include "assembly/engine.h"
#include "gateway/plugins/jsonwebtoken.h"
#include "live/liveoptions.h"
#include "readmodel/readstore.h"
#include "resources/resourceservice.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>
#include <QtWebSockets/QWebSocket>

#include <atomic>
#include <thread>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;
constexpr qint64 kMaxMessage = 64 * 1024;

using Headers = QList<std::pair<QByteArray, QByteArray>>;

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A QWebSocket that records every text message it receives, parsed.
class WsClient
{
public:
    explicit WsClient(quint16 port, const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, [this](const QString &text) {
            messages.append(QJsonDocument::fromJson(text.toUtf8()).object());
        });
        QNetworkRequest request(QUrl(u"ws://127.0.0.1:%1/ws"_s.arg(port)));
        for (const auto &[name, value] : headers)
            request.setRawHeader(name, value);
        socket.open(request);
    }
    bool isOpen() const { return socket.state() == QAbstractSocket::ConnectedState; }
    void send(const QJsonObject &message) { socket.sendTextMessage(QString::fromUtf8(json(message))); }

    QList<QJsonObject> withOp(const QString &op) const
    {
        QList<QJsonObject> out;
        for (const QJsonObject &m : messages) {
            if (m.value(u"op"_s).toString() == op)
                out.append(m);
        }
        return out;
    }
    QJsonObject reply(const QString &op, const QJsonValue &requestId) const
    {
        for (const QJsonObject &m : messages) {
            if (m.value(u"op"_s).toString() == op && m.value(u"request_id"_s) == requestId)
                return m;
        }
        return {};
    }
    QList<qint64> positions(const QString &subscription) const
    {
        QList<qint64> out;
        for (const QJsonObject &m : withOp(u"event"_s)) {
            if (m.value(u"subscription"_s).toString() == subscription)
                out.append(m.value(u"event"_s).toObject().value(u"position"_s).toInteger());
        }
        return out;
    }

    QWebSocket socket;
    QList<QJsonObject> messages;
};

// A hand-written client for what QWebSocket will not do: break the protocol, stop reading.
class RawWs
{
public:
    struct Frame
    {
        quint8 opcode = 0;
        QByteArray payload;
        quint16 closeCode() const { return payload.size() >= 2 ? qFromBigEndian<quint16>(payload.constData()) : 0; }
    };

    // Blocking handshake; returns the HTTP status of the answer. `early`: bytes sent right
    // behind the request, before the answer.
    // `headerLines`: more header lines, each ending in CRLF.
    int open(quint16 port, const QByteArray &early = {}, const QByteArray &headerLines = {}, const QByteArray &target = "/ws")
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(kWaitMs))
            return 0;
        socket.write("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headerLines + "\r\n" + early);
        while (!buffer.contains("\r\n\r\n")) {
            if (!socket.waitForReadyRead(kWaitMs))
                return 0;
            buffer += socket.readAll();
        }
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        head = buffer.left(end);
        buffer.remove(0, end + 4);
        return head.split(' ').value(1).toInt();
    }
    void sendFrame(quint8 opcode, const QByteArray &payload, bool masked = true)
    {
        socket.write(encodeFrame(opcode, payload, masked));
        socket.waitForBytesWritten(kWaitMs);
    }
    static QByteArray encodeFrame(quint8 opcode, const QByteArray &payload, bool masked = true)
    {
        QByteArray out;
        out.append(char(0x80 | opcode));
        const char maskBit = masked ? char(0x80) : char(0);
        if (payload.size() < 126) {
            out.append(char(maskBit | char(payload.size())));
        } else {
            out.append(char(maskBit | 127));
            uchar be[8];
            qToBigEndian<quint64>(quint64(payload.size()), be);
            out.append(reinterpret_cast<const char *>(be), 8);
        }
        QByteArray body = payload;
        if (masked) {
            const char key[4] = {0x12, 0x34, 0x56, 0x78};
            out.append(key, 4);
            for (qsizetype i = 0; i < body.size(); ++i)
                body[i] = char(body[i] ^ key[i & 3]);
        }
        return out + body;
    }
    // Next complete frame from the server, blocking; false on EOF or timeout.
    bool readFrame(Frame *frame)
    {
        for (;;) {
            if (buffer.size() >= 2) {
                const auto *d = reinterpret_cast<const uchar *>(buffer.constData());
                qint64 length = d[1] & 0x7F;
                qsizetype header = 2;
                if (length == 126 && buffer.size() >= 4) {
                    length = qFromBigEndian<quint16>(d + 2);
                    header = 4;
                } else if (length == 127 && buffer.size() >= 10) {
                    length = qint64(qFromBigEndian<quint64>(d + 2));
                    header = 10;
                }
                if ((d[1] & 0x7F) < 126 || header > 2) {
                    if (buffer.size() >= header + length) {
                        frame->opcode = d[0] & 0x0F;
                        frame->payload = buffer.mid(header, length);
                        buffer.remove(0, header + length);
                        return true;
                    }
                }
            }
            if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(kWaitMs))
                return false;
            buffer += socket.readAll();
        }
    }
    // Reads until the server's close frame; its code, or 0.
    quint16 readUntilClose(int *dataFrames = nullptr)
    {
        Frame frame;
        while (readFrame(&frame)) {
            if (frame.opcode == 0x8)
                return frame.closeCode();
            if (dataFrames)
                ++*dataFrames;
        }
        return 0;
    }

    QTcpSocket socket;
    QByteArray head;
    QByteArray buffer;
};

} // namespace

class tst_WebSocket : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void handshakeAndPing();
    void handshakeRefusals_data();
    void handshakeRefusals();
    void catchUpThenLiveWithoutGap();
    void resumeFromPosition();
    void filtersAndUnsubscribe();
    void commandsAnswerLikeHttp();
    void fragmentedMessage();
    void watchGetsChanges();
    void badMessagesKeepTheConnection();
    void hostileJsonIsRefused();
    void framesRightBehindTheHandshake();
    void protocolViolationsClose_data();
    void protocolViolationsClose();
    void endlessFragmentsClose();
    void silentPeerIsPingedThenDropped();
    void routePluginsApplyToTheUpgrade();
    void crossOriginUpgradeHasNoCookies();
    void expiredCredentialClosesTheConnection();
    void slowConsumerClosedWith1013();
    void pingFloodKeepsOnlyTheLatestPong();
    void backlogWaitsForTheReader();
    void generatedIdsAvoidChosenOnes();

private:
    qint64 createProduct(const QString &id, double price = 10);
    bool requireJwt(const QString &consumer, const QString &key, const QString &secret);
    qint64 head() const { return m_engine.eventStore()->headPosition(); }
    double metric(const QByteArray &line);

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
};

void tst_WebSocket::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Live::LiveOptions live;
    live.pageSize = 7;                 // many catch-up pages, interleaved with live batches
    live.maxQueueBytes = 64 * 1024;    // a small queue for the slow-consumer test
    live.maxMessageBytes = kMaxMessage;
    live.closeTimeoutMs = 60000;       // let the slow consumer drain to the close frame
    m_listeners.setLiveOptions(live);
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
}

void tst_WebSocket::cleanupTestCase()
{
    m_listeners.stopAccepting();
    m_listeners.close();
    m_engine.stop();
}

// jwt-auth on the /ws route with a consumer of `key` and `secret`; an empty consumer takes
// jwt-auth off the route again.
bool tst_WebSocket::requireJwt(const QString &consumer, const QString &key, const QString &secret)
{
    ResourceService *resources = m_engine.resources();
    if (consumer.isEmpty())
        return resources->patch(u"routes"_s, u"websocket"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonValue::Null}}}}).status / 100 == 2;
    const QJsonObject conf{{u"key"_s, key}, {u"secret"_s, secret}};
    return resources->put(u"consumers"_s, consumer, QJsonObject{{u"username"_s, consumer}, {u"plugins"_s, QJsonObject{{u"jwt-auth"_s, conf}}}}).status / 100 == 2
        && resources->patch(u"routes"_s, u"websocket"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonObject{}}}}}).status / 100 == 2;
}

qint64 tst_WebSocket::createProduct(const QString &id, double price)
{
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.post("/api/products", json({{u"id"_s, id}, {u"name"_s, u"Lamp"_s}, {u"price"_s, price}}));
    return r.status == 202 ? r.json().value(u"position"_s).toInteger() : -r.status;
}

double tst_WebSocket::metric(const QByteArray &line)
{
    TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
    for (const QByteArray &l : client.get("/metrics").body.split('\n')) {
        if (l.startsWith(QByteArray(line + ' ')))
            return l.mid(line.size() + 1).toDouble();
    }
    return -1;
}

void tst_WebSocket::handshakeAndPing()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    QSignalSpy pong(&client.socket, &QWebSocket::pong);
    client.socket.ping("are you there");
    QTRY_COMPARE_WITH_TIMEOUT(pong.size(), 1, kWaitMs);
    QCOMPARE(pong.at(0).at(1).toByteArray(), QByteArrayLiteral("are you there"));

    client.send({{u"op"_s, u"ping"_s}, {u"request_id"_s, 7}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"pong"_s, 7).isEmpty(), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(metric(R"(gatehouse_live_clients{protocol="websocket"})"), 1.0, kWaitMs);

    QSignalSpy disconnected(&client.socket, &QWebSocket::disconnected);
    client.socket.close(QWebSocketProtocol::CloseCodeNormal, u"bye"_s);
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, kWaitMs);
    QCOMPARE(client.socket.closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QTRY_COMPARE_WITH_TIMEOUT(metric(R"(gatehouse_live_clients{protocol="websocket"})"), 0.0, kWaitMs);
}

void tst_WebSocket::handshakeRefusals_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    using H = Headers;
    QTest::newRow("plain GET") << H{} << 426;
    QTest::newRow("version 8") << H{{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                                    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "8"}} << 426;
    QTest::newRow("no key") << H{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Version", "13"}} << 400;
    QTest::newRow("short key") << H{{"Upgrade", "websocket"}, {"Connection", "Upgrade"},
                                    {"Sec-WebSocket-Key", "c2hvcnQ="}, {"Sec-WebSocket-Version", "13"}} << 400;
}

void tst_WebSocket::handshakeRefusals()
{
    QFETCH(Headers, headers);
    QFETCH(int, status);
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.get("/ws", headers);
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
    // The problem's title is the status line's reason phrase (it said "HTTP 426").
    const QString title = r.json().value(u"title").toString();
    QCOMPARE(title, status == 426 ? u"Upgrade Required"_s : u"Bad Request"_s);
    if (status == 426) {
        QCOMPARE(r.header("upgrade"), QByteArrayLiteral("websocket"));
        QCOMPARE(r.header("sec-websocket-version"), QByteArrayLiteral("13"));
    }
}

void tst_WebSocket::catchUpThenLiveWithoutGap()
{
    for (int i = 0; i < 10; ++i)
        QVERIFY(createProduct(u"ws-gap-%1"_s.arg(i)) > 0);
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);

    // A writer posts commands while two subscriptions on one connection catch up from 1 in
    // pages of 7: each must see every position exactly once and in order.
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    const quint16 port = m_port;
    std::thread writer([port, &done, &failures] {
        TestHttpClient http(u"127.0.0.1"_s, port);
        for (int i = 0; i < 150; ++i) {
            if (http.post("/api/products", R"({"name":"concurrent","price":1})").status != 202)
                ++failures;
        }
        done = true;
    });
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"all"_s}, {u"from"_s, 1}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"created"_s}, {u"from"_s, 1},
                 {u"filter"_s, QJsonObject{{u"type"_s, u"products.cr*"_s}}}});
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), kWaitMs);
    writer.join();
    QCOMPARE(failures.load(), 0);
    const qint64 last = head();
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"all"_s).size(), last, kWaitMs);
    QCOMPARE(client.positions(u"all"_s), Test::positionRange(1, last));
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"created"_s), Test::positionRange(1, last), kWaitMs);   // every event so far is a create

    const QList<QJsonObject> acks = client.withOp(u"subscribed"_s);
    QCOMPARE(acks.size(), 2);
    QCOMPARE(acks.at(0).value(u"id"_s).toString(), u"all"_s);
    QCOMPARE(acks.at(0).value(u"from"_s).toInteger(), 1);
    const QJsonObject first = client.withOp(u"event"_s).first().value(u"event"_s).toObject();
    QCOMPARE(first.value(u"specversion"_s).toString(), u"1.0"_s);
    QCOMPARE(first.value(u"type"_s).toString(), u"products.created"_s);
    QCOMPARE(first.value(u"id"_s).toString(), m_engine.eventStore()->readAll(1, 1).first().id);
}

void tst_WebSocket::resumeFromPosition()
{
    for (int i = 0; i < 3; ++i)
        QVERIFY(createProduct(u"ws-resume-%1"_s.arg(i)) > 0);
    const qint64 last = head();
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"tail"_s}, {u"from"_s, last - 1}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"live"_s}, {u"from"_s, u"live"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"subscribed"_s).size(), 2, kWaitMs);
    QCOMPARE(client.withOp(u"subscribed"_s).at(1).value(u"from"_s).toInteger(), last + 1);
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"tail"_s), Test::positionRange(last - 1, last), kWaitMs);
    QVERIFY(client.positions(u"live"_s).isEmpty());

    const qint64 next = createProduct(u"ws-resume-live"_s);
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"live"_s), QList<qint64>{next}, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"tail"_s), Test::positionRange(last - 1, next), kWaitMs);
}

void tst_WebSocket::filtersAndUnsubscribe()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"one"_s},
                 {u"filter"_s, QJsonObject{{u"type"_s, u"products.*"_s}, {u"subject"_s, u"ws-filter-a?"_s}}}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"gone"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"subscribed"_s).size(), 2, kWaitMs);
    client.send({{u"op"_s, u"unsubscribe"_s}, {u"id"_s, u"gone"_s}, {u"request_id"_s, u"u1"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"unsubscribed"_s, u"u1"_s).isEmpty(), kWaitMs);

    const qint64 a1 = createProduct(u"ws-filter-a1"_s);
    QVERIFY(createProduct(u"ws-filter-b1"_s) > 0);
    QVERIFY(createProduct(u"ws-filter-a10"_s) > 0);
    const qint64 a2 = createProduct(u"ws-filter-a2"_s);
    QTRY_COMPARE_WITH_TIMEOUT(client.positions(u"one"_s), (QList<qint64>{a1, a2}), kWaitMs);
    QCOMPARE(client.withOp(u"event"_s).first().value(u"event"_s).toObject().value(u"subject"_s).toString(), u"ws-filter-a1"_s);
    QVERIFY(client.positions(u"gone"_s).isEmpty());
}

void tst_WebSocket::commandsAnswerLikeHttp()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"create"_s},
                 {u"id"_s, u"ws-cmd-1"_s}, {u"data"_s, QJsonObject{{u"name"_s, u"Chair"_s}, {u"price"_s, 40}}},
                 {u"request_id"_s, u"c1"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"result"_s, u"c1"_s).isEmpty(), kWaitMs);
    const QJsonObject created = client.reply(u"result"_s, u"c1"_s);
    QCOMPARE(created.value(u"status"_s).toInt(), 202);
    const QJsonObject body = created.value(u"body"_s).toObject();
    QCOMPARE(body.value(u"id"_s).toString(), u"ws-cmd-1"_s);
    QCOMPARE(body.value(u"stream"_s).toString(), u"products-ws-cmd-1"_s);
    QCOMPARE(body.value(u"version"_s).toInteger(), 0);
    QCOMPARE(body.value(u"events"_s).toArray(), (QJsonArray{u"products.created"_s}));
    const RecordedEvents stored = m_engine.eventStore()->readAll(body.value(u"position"_s).toInteger(), 1);
    QCOMPARE(stored.size(), 1);
    QCOMPARE(stored.first().stream, u"products-ws-cmd-1"_s);

    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"update"_s},
                 {u"id"_s, u"ws-cmd-1"_s}, {u"data"_s, QJsonObject{{u"price"_s, 45}}}, {u"expected_version"_s, 0},
                 {u"request_id"_s, u"c2"_s}});
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"update"_s},
                 {u"id"_s, u"ws-cmd-1"_s}, {u"data"_s, QJsonObject{{u"price"_s, -1}}}, {u"request_id"_s, u"c3"_s}});
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"nope"_s}, {u"command"_s, u"create"_s},
                 {u"data"_s, QJsonObject{}}, {u"request_id"_s, 4}});
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"delete"_s},
                 {u"id"_s, u"ws-cmd-1"_s}, {u"request_id"_s, u"c5"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(client.withOp(u"result"_s).size() == 5, kWaitMs);
    QCOMPARE(client.reply(u"result"_s, u"c2"_s).value(u"status"_s).toInt(), 202);
    QCOMPARE(client.reply(u"result"_s, u"c2"_s).value(u"body"_s).toObject().value(u"version"_s).toInteger(), 1);
    const QJsonObject invalid = client.reply(u"result"_s, u"c3"_s);
    QCOMPARE(invalid.value(u"status"_s).toInt(), 400);
    QCOMPARE(invalid.value(u"body"_s).toObject().value(u"status"_s).toInt(), 400);   // the problem document
    QCOMPARE(client.reply(u"result"_s, 4).value(u"status"_s).toInt(), 404);
    QCOMPARE(client.reply(u"result"_s, u"c5"_s).value(u"status"_s).toInt(), 202);
    QCOMPARE(client.reply(u"result"_s, u"c5"_s).value(u"body"_s).toObject().value(u"events"_s).toArray(),
             (QJsonArray{u"products.deleted"_s}));
}

void tst_WebSocket::fragmentedMessage()
{
    WsClient client(m_port);
    client.socket.setOutgoingFrameSize(16);   // the command arrives in many continuation frames
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"create"_s},
                 {u"data"_s, QJsonObject{{u"name"_s, u"Fragmented but whole"_s}, {u"price"_s, 1}}}, {u"request_id"_s, u"f"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.reply(u"result"_s, u"f"_s).value(u"status"_s).toInt(), 202, kWaitMs);
}

void tst_WebSocket::watchGetsChanges()
{
    QVERIFY(createProduct(u"ws-watch-1"_s, 5) > 0);
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    // The record exists (once the projection has it): the watch starts with its current state.
    QTRY_VERIFY_WITH_TIMEOUT(m_engine.readStore()->document(u"products"_s, u"ws-watch-1"_s).has_value(), kWaitMs);
    client.send({{u"op"_s, u"watch"_s}, {u"collection"_s, u"products"_s}, {u"id"_s, u"ws-watch-1"_s}});
    client.send({{u"op"_s, u"watch"_s}, {u"collection"_s, u"products"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"watching"_s).size(), 2, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"change"_s).size(), 1, kWaitMs);
    QJsonObject document = client.withOp(u"change"_s).at(0).value(u"document"_s).toObject();
    QCOMPARE(document.value(u"price"_s).toDouble(), 5.0);
    QCOMPARE(document.value(u"_meta"_s).toObject().value(u"version"_s).toInteger(), 0);

    TestHttpClient http(u"127.0.0.1"_s, m_port);
    QCOMPARE(http.post("/api/products/ws-watch-1", R"({"price":6})").status, 202);
    // Both watches see the update: the one on the record and the one on the collection.
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"change"_s).size(), 3, kWaitMs);
    for (int i : {1, 2}) {
        const QJsonObject change = client.withOp(u"change"_s).at(i);
        QCOMPARE(change.value(u"collection"_s).toString(), u"products"_s);
        QCOMPARE(change.value(u"id"_s).toString(), u"ws-watch-1"_s);
        QCOMPARE(change.value(u"document"_s).toObject().value(u"price"_s).toDouble(), 6.0);
        QCOMPARE(change.value(u"document"_s).toObject().value(u"_meta"_s).toObject().value(u"version"_s).toInteger(), 1);
    }
    QCOMPARE(http.post("/api/products/ws-watch-1/delete", {}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"change"_s).size(), 5, kWaitMs);
    document = client.withOp(u"change"_s).at(4).value(u"document"_s).toObject();
    QCOMPARE(document.value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), true);

    // Another record: only the collection watch hears of it.
    QVERIFY(createProduct(u"ws-watch-2"_s) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"change"_s).size(), 6, kWaitMs);
    QCOMPARE(client.withOp(u"change"_s).at(5).value(u"id"_s).toString(), u"ws-watch-2"_s);
}

void tst_WebSocket::badMessagesKeepTheConnection()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    const QStringList bad{
        u"{not json"_s,
        u"[1,2]"_s,
        uR"({"request_id":"r1"})"_s,
        uR"({"op":"dance","request_id":"r2"})"_s,
        uR"({"op":"subscribe","from":"yesterday","request_id":"r3"})"_s,
        uR"({"op":"subscribe","from":-4,"request_id":"r4"})"_s,
        uR"({"op":"subscribe","filter":"products.*","request_id":"r5"})"_s,
        uR"({"op":"unsubscribe","id":"never","request_id":"r6"})"_s,
        uR"({"op":"command","collection":"products","request_id":"r7"})"_s,
        uR"({"op":"command","collection":"products","command":"create","data":[1],"request_id":"r8"})"_s,
        uR"({"op":"watch","collection":"unknown","request_id":"r9"})"_s,
        uR"({"op":"watch","request_id":"r10"})"_s,
        uR"({"op":"command","collection":"products","command":"update","id":"x","data":{},"expected_version":0.5,"request_id":"r15"})"_s,
        uR"({"op":"command","collection":"products","command":"update","id":"x","data":{},"expected_version":-1,"request_id":"r16"})"_s,
        uR"({"op":"command","collection":"products","command":"update","id":"x","data":{},"expected_version":"1","request_id":"r17"})"_s,
    };
    for (const QString &text : bad)
        client.socket.sendTextMessage(text);
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"error"_s).size(), bad.size(), kWaitMs);
    for (int i : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17}) {
        const QJsonObject error = client.reply(u"error"_s, u"r%1"_s.arg(i));
        QVERIFY2(!error.value(u"message"_s).toString().isEmpty(), qPrintable(u"r%1"_s.arg(i)));
    }
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"dup"_s}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"dup"_s}, {u"request_id"_s, u"r11"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"error"_s, u"r11"_s).isEmpty(), kWaitMs);
    // Ids the connection keeps and echoes are bounded (256 characters).
    const QString longId(257, u'i');
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, longId}, {u"request_id"_s, u"r12"_s}});
    client.send({{u"op"_s, u"watch"_s}, {u"collection"_s, u"products"_s}, {u"id"_s, longId}, {u"request_id"_s, u"r13"_s}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"filter"_s, QJsonObject{{u"type"_s, QString(1025, u'*')}}}, {u"request_id"_s, u"r14"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"error"_s, u"r12"_s).isEmpty() && !client.reply(u"error"_s, u"r13"_s).isEmpty()
                                 && !client.reply(u"error"_s, u"r14"_s).isEmpty(), kWaitMs);
    QVERIFY(client.reply(u"subscribed"_s, u"r14"_s).isEmpty());
    QVERIFY(client.reply(u"subscribed"_s, u"r12"_s).isEmpty());
    QVERIFY(client.reply(u"watching"_s, u"r13"_s).isEmpty());
    const qsizetype errorsBefore = client.withOp(u"error"_s).size();
    client.send({{u"op"_s, u"ping"_s}, {u"request_id"_s, longId}});
    client.send({{u"op"_s, u"ping"_s}, {u"request_id"_s, QJsonObject{{u"a"_s, 1}}}});
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"error"_s).size(), errorsBefore + 2, kWaitMs);
    QVERIFY(client.reply(u"pong"_s, longId).isEmpty());

    // Still usable.
    client.send({{u"op"_s, u"ping"_s}, {u"request_id"_s, u"alive"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"pong"_s, u"alive"_s).isEmpty(), kWaitMs);
    QVERIFY(client.isOpen());
}

// Messages Qt's lenient parser would have read (and whose command data would then have been
// stored): each is an error frame, nothing reaches the log, the connection stays usable.
void tst_WebSocket::hostileJsonIsRefused()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    const qint64 head = m_engine.eventStore()->headPosition();
    const QString command = uR"({"op":"command","collection":"products","command":"create","data":%1})"_s;
    const QStringList hostile{
        command.arg(uR"({"name":"a","price":1.})"_s),
        command.arg(uR"({"name":"a","price":.5})"_s),
        command.arg(u"{\"name\":\"a\tb\",\"price\":1}"_s),
        command.arg(uR"({"name":"a","price":-5,"price":7})"_s),
        uR"({"op":"command","collection":"products","command":"create","data":{"name":"a","price":1},"data":{"name":"b","price":2}})"_s,
        command.arg(uR"({"name":"a","price":1,"x":)"_s + QString(100, u'[') + QString(100, u']') + u"}"_s),
        u"\ufeff"_s + command.arg(uR"({"name":"a","price":1})"_s),
    };
    for (const QString &text : hostile)
        client.socket.sendTextMessage(text);
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"error"_s).size(), hostile.size(), kWaitMs);
    for (const QJsonObject &error : client.withOp(u"error"_s))
        QVERIFY2(error.value(u"message"_s).toString().startsWith(u"malformed JSON"_s), qPrintable(error.value(u"message"_s).toString()));
    QCOMPARE(m_engine.eventStore()->headPosition(), head);
    client.send({{u"op"_s, u"ping"_s}, {u"request_id"_s, u"alive"_s}});
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply(u"pong"_s, u"alive"_s).isEmpty(), kWaitMs);
}

void tst_WebSocket::framesRightBehindTheHandshake()
{
    // A client may send frames before it has read the 101; the server must not lose them.
    RawWs ws;
    const QByteArray early = RawWs::encodeFrame(0x9, "hi") + RawWs::encodeFrame(0x1, R"({"op":"ping","request_id":1})");
    QCOMPARE(ws.open(m_port, early), 101);
    RawWs::Frame frame;
    QVERIFY(ws.readFrame(&frame));
    QCOMPARE(int(frame.opcode), 0xA);   // pong
    QCOMPARE(frame.payload, QByteArrayLiteral("hi"));
    QVERIFY(ws.readFrame(&frame));
    QCOMPARE(int(frame.opcode), 0x1);
    QCOMPARE(QJsonDocument::fromJson(frame.payload).object(), (QJsonObject{{u"op"_s, u"pong"_s}, {u"request_id"_s, 1}}));
    ws.sendFrame(0x8, QByteArray("\x03\xe8", 2));   // close 1000
    QCOMPARE(int(ws.readUntilClose()), 1000);
    QTRY_COMPARE_WITH_TIMEOUT(ws.socket.state(), QAbstractSocket::UnconnectedState, kWaitMs);
}

void tst_WebSocket::protocolViolationsClose_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<bool>("masked");
    QTest::addColumn<int>("closeCode");
    QTest::newRow("unmasked") << 0x1 << QByteArray(R"({"op":"ping"})") << false << 1002;
    QTest::newRow("too big") << 0x1 << QByteArray(kMaxMessage + 1, ' ') << true << 1009;
    QTest::newRow("binary") << 0x2 << QByteArray("\x01\x02", 2) << true << 1003;
    QTest::newRow("bad UTF-8") << 0x1 << QByteArray("\"\xff\xfe\"") << true << 1007;
    QTest::newRow("unknown opcode") << 0x3 << QByteArray() << true << 1002;
    QTest::newRow("stray continuation") << 0x0 << QByteArray("x") << true << 1002;
}

void tst_WebSocket::protocolViolationsClose()
{
    QFETCH(int, opcode);
    QFETCH(QByteArray, payload);
    QFETCH(bool, masked);
    QFETCH(int, closeCode);
    RawWs ws;
    QCOMPARE(ws.open(m_port), 101);
    QVERIFY(ws.head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")   // RFC 6455's own example
            || ws.head.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    ws.sendFrame(quint8(opcode), payload, masked);
    QCOMPARE(int(ws.readUntilClose()), closeCode);
    // The server then closes the TCP connection.
    QTRY_COMPARE_WITH_TIMEOUT(ws.socket.state(), QAbstractSocket::UnconnectedState, kWaitMs);
}

// A peer that stays silent gets a ping; one that does not answer is dropped, one that does stays.
void tst_WebSocket::silentPeerIsPingedThenDropped()
{
    // Listeners of their own, with a keep-alive of a second instead of 30.
    Server::Listeners listeners;
    Live::LiveOptions live;
    live.keepAliveMs = 1000;
    listeners.setLiveOptions(live);
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    const quint16 port = listeners.gatewayEndpoint().port;
    RawWs dead;
    QCOMPARE(dead.open(port), 101);
    RawWs alive;
    QCOMPARE(alive.open(port), 101);
    RawWs::Frame frame;
    QVERIFY(dead.readFrame(&frame));   // the ping, after a second of silence
    QCOMPARE(int(frame.opcode), 0x9);
    for (int i = 0; i < 3; ++i) {      // the live one answers each ping, for three intervals
        QVERIFY(alive.readFrame(&frame));
        QCOMPARE(int(frame.opcode), 0x9);
        alive.sendFrame(0xA, frame.payload);
    }
    // The silent one was dropped meanwhile (the TCP connection ends, without a close frame).
    QTRY_COMPARE_WITH_TIMEOUT(dead.socket.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QCOMPARE(alive.socket.state(), QAbstractSocket::ConnectedState);
    alive.sendFrame(0x1, R"({"op":"ping","request_id":"still"})");
    QVERIFY(alive.readFrame(&frame));
    while (frame.opcode == 0x9) {      // a keep-alive ping may come first
        alive.sendFrame(0xA, frame.payload);
        QVERIFY(alive.readFrame(&frame));
    }
    QVERIFY(frame.payload.contains("still"));
}

// A message kept open by empty continuation frames is closed after 16,384 frames (1009).
void tst_WebSocket::endlessFragmentsClose()
{
    RawWs ws;
    QCOMPARE(ws.open(m_port), 101);
    auto notFinal = [](quint8 opcode, const QByteArray &payload) {
        QByteArray f = RawWs::encodeFrame(opcode, payload);
        f[0] = char(f[0] & 0x7F);
        return f;
    };
    QByteArray burst = notFinal(0x1, "{");
    const QByteArray empty = notFinal(0x0, {});
    for (int i = 0; i < 20000; ++i)
        burst += empty;
    ws.socket.write(burst);
    QCOMPARE(int(ws.readUntilClose()), 1009);
}

void tst_WebSocket::routePluginsApplyToTheUpgrade()
{
    ResourceService *resources = m_engine.resources();
    QCOMPARE(resources->put(u"consumers"_s, u"ws-user"_s,
                            QJsonObject{{u"username"_s, u"ws-user"_s},
                                        {u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{{u"key"_s, u"ws-key"_s}}}}}})
                 .status / 100, 2);
    QCOMPARE(resources->patch(u"routes"_s, u"websocket"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{}}}}})
                 .status / 100, 2);
    {
        RawWs anonymous;
        QCOMPARE(anonymous.open(m_port), 401);
    }
    WsClient client(m_port, {{"apikey", "ws-key"}});
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    // Commands run as the consumer the upgrade authenticated.
    client.send({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s}, {u"command"_s, u"create"_s},
                 {u"data"_s, QJsonObject{{u"name"_s, u"Authenticated"_s}, {u"price"_s, 1}}}, {u"request_id"_s, u"a"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.reply(u"result"_s, u"a"_s).value(u"status"_s).toInt(), 202, kWaitMs);
    const qint64 position = client.reply(u"result"_s, u"a"_s).value(u"body"_s).toObject().value(u"position"_s).toInteger();
    const QJsonObject metadata = QJsonDocument::fromJson(m_engine.eventStore()->readAll(position, 1).first().metadata).object();
    QCOMPARE(metadata.value(u"user"_s).toString(), u"ws-user"_s);

    // enable_websocket false refuses the upgrade.
    QCOMPARE(resources->patch(u"routes"_s, u"websocket"_s,
                              QJsonObject{{u"enable_websocket"_s, false}, {u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonValue::Null}}}})
                 .status / 100, 2);
    {
        RawWs refused;
        QCOMPARE(refused.open(m_port), 403);
    }
    QCOMPARE(resources->patch(u"routes"_s, u"websocket"_s, QJsonObject{{u"enable_websocket"_s, true}}).status / 100, 2);
    RawWs open;
    QCOMPARE(open.open(m_port), 101);
}

// Cross-site WebSocket hijacking: a page of another origin that opens /ws gets the user's
// cookies sent along by the browser; they must not log it in.
void tst_WebSocket::crossOriginUpgradeHasNoCookies()
{
    QVERIFY(requireJwt(u"ws-jwt"_s, u"ws-jwt-key"_s, u"ws-secret"_s));
    const auto restore = qScopeGuard([this] { requireJwt({}, {}, {}); });
    QString error;
    const QByteArray token = JsonWebToken::sign(u"HS256"_s, {{u"key"_s, u"ws-jwt-key"_s}}, "ws-secret", &error);
    QVERIFY2(!token.isEmpty(), qPrintable(error));
    const QByteArray cookie = "Cookie: theme=dark; jwt=" + token + "\r\n";
    struct Case
    {
        const char *name;
        QByteArray headers;
        QByteArray target;
        int status;
    };
    const Case cases[] = {
        {"no Origin (not a browser)", cookie, "/ws", 101},
        {"the gateway's own page", cookie + "Origin: http://127.0.0.1\r\n", "/ws", 101},
        {"the same, upper case", cookie + "Origin: HTTP://127.0.0.1:80\r\n", "/ws", 101},
        {"another site", cookie + "Origin: http://evil.example\r\n", "/ws", 401},
        {"another port", cookie + "Origin: http://127.0.0.1:8000\r\n", "/ws", 401},
        {"a sandboxed page", cookie + "Origin: null\r\n", "/ws", 401},
        {"another site with its own token", "Origin: http://app.example\r\n", "/ws?jwt=" + token, 101},
    };
    for (const Case &c : cases) {
        RawWs ws;
        QVERIFY2(ws.open(m_port, {}, c.headers, c.target) == c.status, c.name);
    }
}

// What the upgrade's token allowed ends with the token: subscriptions do not outlive it.
void tst_WebSocket::expiredCredentialClosesTheConnection()
{
    QVERIFY(requireJwt(u"ws-short"_s, u"ws-short-key"_s, u"short-secret"_s));
    const auto restore = qScopeGuard([this] { requireJwt({}, {}, {}); });
    QString error;
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 4;
    const QByteArray token = JsonWebToken::sign(u"HS256"_s, {{u"key"_s, u"ws-short-key"_s}, {u"exp"_s, exp}}, "short-secret", &error);
    QVERIFY2(!token.isEmpty(), qPrintable(error));
    RawWs ws;
    QCOMPARE(ws.open(m_port, {}, "Authorization: Bearer " + token + "\r\n"), 101);
    ws.sendFrame(0x1, R"({"op":"subscribe","id":"until-exp","from":"live"})");
    RawWs::Frame frame;
    QVERIFY(ws.readFrame(&frame));
    QVERIFY(frame.payload.contains("subscribed"));
    QElapsedTimer waited;
    waited.start();
    QCOMPARE(int(ws.readUntilClose()), 1008);
    QVERIFY(QDateTime::currentSecsSinceEpoch() >= exp);
    QVERIFY2(waited.elapsed() < 10000, QByteArray::number(waited.elapsed()).constData());
}

void tst_WebSocket::slowConsumerClosedWith1013()
{
    const QByteArray cutOffs = R"(gatehouse_live_cutoffs_total{protocol="websocket"})";
    const double before = metric(cutOffs);
    QVERIFY(before >= 0);
    RawWs ws;
    QCOMPARE(ws.open(m_port), 101);
    ws.sendFrame(0x1, R"({"op":"subscribe","id":"flood","from":"live"})");
    RawWs::Frame ack;
    QVERIFY(ws.readFrame(&ack));
    QVERIFY(ack.payload.contains("subscribed"));
    ws.socket.setReadBufferSize(4096);   // and read nothing more for now

    // Far more than the kernel buffers and the 64 KiB queue can hold: 64 KiB events appended
    // straight to the log (a type no projection cares about).
    const QByteArray blob(64 * 1024, 'x');
    for (int i = 0; i < 300 && metric(cutOffs) == before; ++i) {
        AppendRequest request;
        request.stream = u"bulk-%1"_s.arg(i);
        request.events.append({QString(), u"bulk.filled"_s, R"({"blob":")" + blob + R"("})", {}});
        QVERIFY(m_engine.eventStore()->appendAndWait(std::move(request)).ok());
    }
    QTRY_VERIFY_WITH_TIMEOUT(metric(cutOffs) > before, kWaitMs);

    // Reading again: what was queued, then the close frame with 1013.
    ws.socket.setReadBufferSize(0);
    int events = 0;
    QCOMPARE(int(ws.readUntilClose(&events)), 1013);
    QVERIFY(events > 0);
}

// A client that floods pings and does not read gets the pong of the latest ping once it reads
// again, not one per ping: the queue stays bounded and the connection open.
void tst_WebSocket::pingFloodKeepsOnlyTheLatestPong()
{
    RawWs ws;
    QCOMPARE(ws.open(m_port), 101);
    ws.socket.setReadBufferSize(4096);   // and read nothing for now
    const QByteArray ping = RawWs::encodeFrame(0x9, QByteArray(120, 'p'));
    QByteArray burst;
    for (int i = 0; i < 1000; ++i)
        burst += ping;
    // 25 MB of pongs if each were answered: far more than the kernel's buffers and the queue.
    const int bursts = 200;
    for (int b = 0; b < bursts; ++b) {
        ws.socket.write(burst);
        QVERIFY(ws.socket.waitForBytesWritten(kWaitMs));
    }
    ws.sendFrame(0x9, "last");
    ws.socket.setReadBufferSize(0);
    int pongs = 0;
    RawWs::Frame frame;
    bool sawLast = false;
    while (!sawLast && ws.readFrame(&frame)) {
        QVERIFY2(frame.opcode == 0xA, QByteArray::number(frame.opcode).constData());   // no close
        ++pongs;
        sawLast = frame.payload == "last";
    }
    QVERIFY(sawLast);
    QVERIFY2(pongs < bursts * 1000, QByteArray::number(pongs).constData());
    // Still open and answering.
    ws.sendFrame(0x9, "again");
    QVERIFY(ws.readFrame(&frame));
    QCOMPARE(int(frame.opcode), 0xA);
    QCOMPARE(frame.payload, QByteArrayLiteral("again"));
}

// A catch-up far larger than the kernel's buffers and the 64 KiB queue holds whenever the queue
// is half full and goes on once the client has read it: every event arrives, in order, and a
// client that reads, however late, is not cut off.
void tst_WebSocket::backlogWaitsForTheReader()
{
    const QByteArray cutOffs = R"(gatehouse_live_cutoffs_total{protocol="websocket"})";
    const double before = metric(cutOffs);
    QVERIFY(before >= 0);
    const QByteArray blob(64 * 1024, 'y');
    QList<qint64> expected;
    for (int i = 0; i < 160; ++i) {
        AppendRequest request;
        request.stream = u"backlog-%1"_s.arg(i);
        request.events.append({QString(), u"backlog.filled"_s, R"({"blob":")" + blob + R"("})", {}});
        const AppendResult appended = m_engine.eventStore()->appendAndWait(std::move(request));
        QVERIFY(appended.ok());
        expected.append(appended.firstPosition);
    }
    RawWs ws;
    QCOMPARE(ws.open(m_port), 101);
    ws.socket.setReadBufferSize(4096);   // and nothing read for a while
    ws.sendFrame(0x1, R"({"op":"subscribe","id":"backlog","filter":{"type":"backlog.*"},"from":)"
                          + QByteArray::number(expected.first()) + '}');
    QTest::qWait(500);   // the engine fills the kernel's buffers, then its queue, then holds
    ws.socket.setReadBufferSize(0);

    QList<qint64> positions;
    RawWs::Frame frame;
    while (positions.size() < expected.size() && ws.readFrame(&frame)) {
        QCOMPARE(int(frame.opcode), 0x1);
        const QJsonObject message = QJsonDocument::fromJson(frame.payload).object();
        if (message.value(u"op"_s).toString() == u"event"_s)
            positions.append(message.value(u"event"_s).toObject().value(u"position"_s).toInteger());
    }
    QCOMPARE(positions, expected);
    QCOMPARE(metric(cutOffs), before);
}

// A subscribe without an id gets one the connection does not use yet, also when the client
// chose ids of the same shape itself.
void tst_WebSocket::generatedIdsAvoidChosenOnes()
{
    WsClient client(m_port);
    QTRY_VERIFY_WITH_TIMEOUT(client.isOpen(), kWaitMs);
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"s1"_s}, {u"from"_s, u"live"_s}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"from"_s, u"live"_s}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"id"_s, u"s3"_s}, {u"from"_s, u"live"_s}});
    client.send({{u"op"_s, u"subscribe"_s}, {u"from"_s, u"live"_s}});
    QTRY_COMPARE_WITH_TIMEOUT(client.withOp(u"subscribed"_s).size(), 4, kWaitMs);
    QStringList ids;
    for (const QJsonObject &ack : client.withOp(u"subscribed"_s))
        ids.append(ack.value(u"id"_s).toString());
    QCOMPARE(ids, (QStringList{u"s1"_s, u"s2"_s, u"s3"_s, u"s4"_s}));
    QVERIFY(client.withOp(u"error"_s).isEmpty());
}

QTEST_GUILESS_MAIN(tst_WebSocket)
#include "tst_websocket.moc"
