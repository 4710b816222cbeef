// Server-Sent Events on GET /events/stream (DESIGN.md "Events") over real sockets: an Engine on
// a temporary data directory behind the real gateway listener on 127.0.0.1. A raw-socket SSE
// client reads the chunked stream; every test asserts what that client sees (ids, event types,
// CloudEvent payloads, heartbeats, the end of the stream) against the event log. An
// authenticated stream is read with the key in the query string, as a browser's EventSource
// must.
#include "positionrange.h"
#include "assembly/engine.h"
#include "gateway/plugins/jsonwebtoken.h"
#include "live/liveoptions.h"
#include "resources/resourceservice.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;

struct SseEvent
{
    qint64 id = 0;
    QByteArray event;
    QByteArray data;
    QJsonObject json() const { return QJsonDocument::fromJson(data).object(); }
};

// A minimal SSE client over a raw socket, driven by the test's event loop: parses the response
// head, de-chunks the body and splits it into events and comments.
class SseClient
{
public:
    SseClient(quint16 port, const QByteArray &target, const QList<std::pair<QByteArray, QByteArray>> &headers = {})
    {
        QObject::connect(&m_socket, &QTcpSocket::readyRead, [this] {
            if (m_reading)
                pump();
        });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        QByteArray out = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
        for (const auto &[name, value] : headers)
            out += name + ": " + value + "\r\n";
        m_socket.write(out + "\r\n");
    }

    // Stops taking bytes from the kernel (a client that has stopped reading).
    void stopReading()
    {
        m_reading = false;
        m_socket.setReadBufferSize(4096);
    }
    void resumeReading()
    {
        m_reading = true;
        m_socket.setReadBufferSize(0);
        pump();
    }

    int status() const { return m_status; }
    QByteArray header(const QByteArray &name) const { return m_headers.value(name); }
    const QList<SseEvent> &events() const { return m_events; }
    int heartbeats() const { return m_heartbeats; }
    bool ended() const { return m_ended || m_socket.state() == QAbstractSocket::UnconnectedState; }
    QByteArray body() const { return m_body; }
    QList<qint64> ids() const
    {
        QList<qint64> out;
        for (const SseEvent &e : m_events)
            out.append(e.id);
        return out;
    }

    void pump()
    {
        m_raw += m_socket.readAll();
        if (m_status == 0) {
            const qsizetype end = m_raw.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QList<QByteArray> lines = m_raw.left(end).split('\n');
            m_status = lines.first().split(' ').value(1).toInt();
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines.at(i).indexOf(':');
                if (colon > 0)
                    m_headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
            }
            m_raw.remove(0, end + 4);
            m_chunked = m_headers.value("transfer-encoding").contains("chunked");
        }
        if (m_chunked) {
            for (;;) {
                const qsizetype lineEnd = m_raw.indexOf("\r\n");
                if (lineEnd < 0)
                    break;
                const qsizetype size = m_raw.left(lineEnd).toLongLong(nullptr, 16);
                if (size == 0) {
                    m_ended = true;
                    m_raw.clear();
                    break;
                }
                if (m_raw.size() < lineEnd + 2 + size + 2)
                    break;
                m_text += m_raw.mid(lineEnd + 2, size);
                m_raw.remove(0, lineEnd + 2 + size + 2);
            }
        } else {
            m_text += std::exchange(m_raw, {});
        }
        m_body += m_text;
        for (qsizetype end; (end = m_text.indexOf("\n\n")) >= 0;) {
            const QByteArray block = m_text.left(end);
            m_text.remove(0, end + 2);
            SseEvent e;
            bool isEvent = false;
            for (const QByteArray &line : block.split('\n')) {
                if (line.startsWith(':')) {
                    m_heartbeats += line.contains("heartbeat") ? 1 : 0;
                } else if (line.startsWith("id: ")) {
                    e.id = line.mid(4).toLongLong();
                    isEvent = true;
                } else if (line.startsWith("event: ")) {
                    e.event = line.mid(7);
                    isEvent = true;
                } else if (line.startsWith("data: ")) {
                    e.data += line.mid(6);
                }
            }
            if (isEvent)
                m_events.append(e);
        }
    }

private:
    QTcpSocket m_socket;
    bool m_reading = true;
    QByteArray m_raw, m_text, m_body;
    int m_status = 0;
    bool m_chunked = false;
    bool m_ended = false;
    QHash<QByteArray, QByteArray> m_headers;
    QList<SseEvent> m_events;
    int m_heartbeats = 0;
};

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class tst_Sse : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void catchUpThenLive();
    void noGapUnderConcurrentWrites();
    void defaultIsLive();
    void resumeWithLastEventId();
    void typeFilter_data();
    void typeFilter();
    void heartbeat();
    void badParameters_data();
    void badParameters();
    void routePluginsApply();
    void expiredCredentialEndsTheStream();
    void slowClientIsCutOff();
    void backlogWaitsForTheReader();
    void liveClientLimitHoldsAcrossThreads();

private:
    qint64 createProduct(const QString &id);
    qint64 updateProduct(const QString &id, double price);
    qint64 head() const { return m_engine.eventStore()->headPosition(); }
    double metric(const QByteArray &line);

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
    int m_nextId = 0;
};

void tst_Sse::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Live::LiveOptions live;
    live.heartbeatMs = 150;            // so the heartbeat test does not wait 15 s
    live.pageSize = 7;                 // many catch-up pages, interleaved with live batches
    live.maxQueueBytes = 64 * 1024;    // a small queue for the slow-client test
    m_listeners.setLiveOptions(live);
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
}

void tst_Sse::cleanupTestCase()
{
    m_listeners.stopAccepting();
    m_listeners.close();
    m_engine.stop();
}

qint64 tst_Sse::createProduct(const QString &id)
{
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.post("/api/products", json({{u"id"_s, id}, {u"name"_s, u"Lamp"_s}, {u"price"_s, 10}}));
    return r.status == 202 ? r.json().value(u"position"_s).toInteger() : -r.status;
}

qint64 tst_Sse::updateProduct(const QString &id, double price)
{
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.post("/api/products/" + id.toUtf8(), json({{u"price"_s, price}}));
    return r.status == 202 ? r.json().value(u"position"_s).toInteger() : -r.status;
}

double tst_Sse::metric(const QByteArray &line)
{
    TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
    const TestHttpResponse r = client.get("/metrics");
    for (const QByteArray &l : r.body.split('\n')) {
        if (l.startsWith(QByteArray(line + ' ')))
            return l.mid(line.size() + 1).toDouble();
    }
    return -1;
}

void tst_Sse::catchUpThenLive()
{
    for (int i = 0; i < 20; ++i)
        QVERIFY(createProduct(u"sse-cl-%1"_s.arg(i)) > 0);
    const qint64 before = head();

    SseClient client(m_port, "/events/stream?from=1");
    QTRY_VERIFY_WITH_TIMEOUT(client.events().size() >= before, kWaitMs);
    QCOMPARE(client.status(), 200);
    QVERIFY(client.header("content-type").startsWith("text/event-stream"));
    QCOMPARE(client.header("cache-control"), QByteArrayLiteral("no-cache"));
    QCOMPARE(client.ids(), Test::positionRange(1, before));

    // The same events as the log, as CloudEvents.
    const RecordedEvents log = m_engine.eventStore()->readAll(1, int(before));
    for (qsizetype i = 0; i < log.size(); ++i) {
        const SseEvent &e = client.events().at(i);
        QCOMPARE(e.event, log.at(i).type.toUtf8());
        const QJsonObject ce = e.json();
        QCOMPARE(ce.value(u"specversion"_s).toString(), u"1.0"_s);
        QCOMPARE(ce.value(u"id"_s).toString(), log.at(i).id);
        QCOMPARE(ce.value(u"position"_s).toInteger(), log.at(i).position);
    }

    const qint64 live = updateProduct(u"sse-cl-3"_s, 99);
    QVERIFY(live > before);
    QTRY_COMPARE_WITH_TIMEOUT(client.ids(), Test::positionRange(1, live), kWaitMs);
    QCOMPARE(client.events().last().event, QByteArrayLiteral("products.updated"));
    QCOMPARE(client.events().last().json().value(u"data"_s).toObject().value(u"price"_s).toDouble(), 99.0);
}

void tst_Sse::noGapUnderConcurrentWrites()
{
    // A writer posts commands while the stream catches up from 1 in pages of 7: every position
    // must arrive exactly once and in order across the switch from the log to live batches.
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};
    const quint16 port = m_port;
    std::thread writer([port, &done, &failures] {
        TestHttpClient client(u"127.0.0.1"_s, port);
        for (int i = 0; i < 150; ++i) {
            const TestHttpResponse r = client.post("/api/products", R"({"name":"concurrent","price":1})");
            if (r.status != 202)
                ++failures;
        }
        done = true;
    });
    SseClient client(m_port, "/events/stream?from=1");
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), kWaitMs);
    writer.join();
    QCOMPARE(failures.load(), 0);
    const qint64 last = head();
    QTRY_VERIFY_WITH_TIMEOUT(client.events().size() >= last, kWaitMs);
    QCOMPARE(client.ids(), Test::positionRange(1, last));
}

void tst_Sse::defaultIsLive()
{
    QVERIFY(createProduct(u"sse-live-0"_s) > 0);
    const qint64 before = head();
    SseClient client(m_port, "/events/stream");
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), 200, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(client.heartbeats() > 0, kWaitMs);   // the stream is open and quiet
    const qint64 position = createProduct(u"sse-live-1"_s);
    QVERIFY(position > before);
    QTRY_COMPARE_WITH_TIMEOUT(client.ids(), QList<qint64>{position}, kWaitMs);
}

void tst_Sse::resumeWithLastEventId()
{
    for (int i = 0; i < 5; ++i)
        QVERIFY(createProduct(u"sse-resume-%1"_s.arg(i)) > 0);
    const qint64 last = head();
    const qint64 after = last - 3;

    SseClient resumed(m_port, "/events/stream", {{"Last-Event-ID", QByteArray::number(after)}});
    QTRY_COMPARE_WITH_TIMEOUT(resumed.ids(), Test::positionRange(after + 1, last), kWaitMs);

    // Last-Event-ID wins over from=.
    SseClient both(m_port, "/events/stream?from=1", {{"Last-Event-ID", QByteArray::number(after)}});
    QTRY_COMPARE_WITH_TIMEOUT(both.ids(), Test::positionRange(after + 1, last), kWaitMs);

    SseClient from(m_port, "/events/stream?from=" + QByteArray::number(last - 1));
    QTRY_COMPARE_WITH_TIMEOUT(from.ids(), Test::positionRange(last - 1, last), kWaitMs);
}

void tst_Sse::typeFilter_data()
{
    QTest::addColumn<QByteArray>("glob");
    QTest::addColumn<QString>("matching");
    QTest::newRow("exact") << QByteArray("products.updated") << u"products.updated"_s;
    QTest::newRow("star") << QByteArray("*.upd*") << u"products.updated"_s;
    QTest::newRow("question mark") << QByteArray("products.?pdated") << u"products.updated"_s;
    QTest::newRow("set") << QByteArray("products.[u]pdated") << u"products.updated"_s;
    QTest::newRow("case-sensitive") << QByteArray("PRODUCTS.*") << QString();
}

void tst_Sse::typeFilter()
{
    QFETCH(QByteArray, glob);
    QFETCH(QString, matching);
    const QString id = u"sse-filter-%1"_s.arg(++m_nextId);
    QVERIFY(createProduct(id) > 0);
    const qint64 catchUpUpdate = updateProduct(id, 1);
    QVERIFY(catchUpUpdate > 0);

    SseClient client(m_port, "/events/stream?from=" + QByteArray::number(catchUpUpdate - 1) + "&type=" + glob);
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), 200, kWaitMs);
    const qint64 liveUpdate = updateProduct(id, 2);
    QVERIFY(createProduct(id + u"-b"_s) > 0);
    const qint64 marker = updateProduct(id, 3);

    const QList<qint64> expected = matching.isEmpty() ? QList<qint64>{} : QList<qint64>{catchUpUpdate, liveUpdate, marker};
    if (!expected.isEmpty()) {
        QTRY_COMPARE_WITH_TIMEOUT(client.ids(), expected, kWaitMs);
        for (const SseEvent &e : client.events())
            QCOMPARE(QString::fromUtf8(e.event), matching);
    } else {
        // Nothing matches: after a heartbeat that follows the last write, still nothing.
        const int beats = client.heartbeats();
        QTRY_VERIFY_WITH_TIMEOUT(client.heartbeats() > beats + 1, kWaitMs);
        QVERIFY(client.events().isEmpty());
    }
}

void tst_Sse::heartbeat()
{
    SseClient client(m_port, "/events/stream");
    QTRY_VERIFY_WITH_TIMEOUT(client.heartbeats() >= 3, kWaitMs);
    QVERIFY(client.events().isEmpty());
    QVERIFY(!client.ended());
}

void tst_Sse::badParameters_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("lastEventId");
    QTest::newRow("from not a number") << QByteArray("/events/stream?from=abc") << QByteArray();
    QTest::newRow("from negative") << QByteArray("/events/stream?from=-1") << QByteArray();
    QTest::newRow("unknown parameter") << QByteArray("/events/stream?limit=5") << QByteArray();
    QTest::newRow("bad Last-Event-ID") << QByteArray("/events/stream") << QByteArray("seven");
}

void tst_Sse::badParameters()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, lastEventId);
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    QList<std::pair<QByteArray, QByteArray>> headers;
    if (!lastEventId.isEmpty())
        headers.append({"Last-Event-ID", lastEventId});
    const TestHttpResponse r = client.get(target, headers);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), QByteArrayLiteral("application/problem+json"));
}

void tst_Sse::routePluginsApply()
{
    // key-auth on the stream's route: refused without a key, streamed with one.
    ResourceService *resources = m_engine.resources();
    QCOMPARE(resources->put(u"consumers"_s, u"sse-reader"_s,
                            QJsonObject{{u"username"_s, u"sse-reader"_s},
                                        {u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{{u"key"_s, u"sse-key"_s}}}}}})
                 .status / 100, 2);
    const auto patched = resources->patch(u"routes"_s, u"events-stream"_s,
                                          QJsonObject{{u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{}}}}});
    QVERIFY2(patched.status / 100 == 2, qPrintable(patched.errors.join(u"; "_s) + patched.detail));

    TestHttpClient plain(u"127.0.0.1"_s, m_port);
    QCOMPARE(plain.get("/events/stream").status, 401);

    QVERIFY(createProduct(u"sse-auth-1"_s) > 0);
    const qint64 last = head();
    SseClient client(m_port, "/events/stream?from=" + QByteArray::number(last), {{"apikey", "sse-key"}});
    QTRY_COMPARE_WITH_TIMEOUT(client.ids(), QList<qint64>{last}, kWaitMs);

    // A browser's EventSource cannot send headers: the key in the query string authenticates,
    // and the stream (which refuses parameters it does not know) never sees it.
    SseClient browser(m_port, "/events/stream?apikey=sse-key&from=" + QByteArray::number(last));
    QTRY_COMPARE_WITH_TIMEOUT(browser.ids(), QList<qint64>{last}, kWaitMs);
    QCOMPARE(browser.status(), 200);
    QVERIFY(createProduct(u"sse-auth-2"_s) > 0);
    QTRY_COMPARE_WITH_TIMEOUT(browser.ids(), (QList<qint64>{last, last + 1}), kWaitMs);
    SseClient wrongKey(m_port, "/events/stream?apikey=not-the-key");
    QTRY_COMPARE_WITH_TIMEOUT(wrongKey.status(), 401, kWaitMs);

    QVERIFY(resources->patch(u"routes"_s, u"events-stream"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonValue::Null}}}}).status / 100 == 2);
    QCOMPARE(plain.get("/events/stream?from=abc").status, 400);   // open again
}

// What the request's token allowed ends with the token: the stream does not outlive it.
void tst_Sse::expiredCredentialEndsTheStream()
{
    ResourceService *resources = m_engine.resources();
    QCOMPARE(resources->put(u"consumers"_s, u"sse-short"_s,
                            QJsonObject{{u"username"_s, u"sse-short"_s},
                                        {u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonObject{{u"key"_s, u"sse-short-key"_s}, {u"secret"_s, u"short-secret"_s}}}}}})
                 .status / 100, 2);
    QVERIFY(resources->patch(u"routes"_s, u"events-stream"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonObject{}}}}}).status / 100 == 2);
    const auto restore = qScopeGuard([resources] {
        resources->patch(u"routes"_s, u"events-stream"_s, QJsonObject{{u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonValue::Null}}}});
    });
    QString error;
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 4;
    const QByteArray token = JsonWebToken::sign(u"HS256"_s, {{u"key"_s, u"sse-short-key"_s}, {u"exp"_s, exp}}, "short-secret", &error);
    QVERIFY2(!token.isEmpty(), qPrintable(error));
    SseClient client(m_port, "/events/stream?jwt=" + token);
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), 200, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(client.ended(), 10000);
    QVERIFY(QDateTime::currentSecsSinceEpoch() >= exp);
    QVERIFY(!client.events().isEmpty());
    QCOMPARE(client.events().last().event, QByteArrayLiteral("error"));
    QVERIFY2(client.events().last().data.contains("credential expired"), client.events().last().data.constData());
}

void tst_Sse::slowClientIsCutOff()
{
    const double cutOffsBefore = metric(R"(gatehouse_live_cutoffs_total{protocol="sse"})");
    QVERIFY(cutOffsBefore >= 0);
    SseClient client(m_port, "/events/stream");   // live
    QTRY_COMPARE_WITH_TIMEOUT(client.status(), 200, kWaitMs);
    client.stopReading();

    // Far more than the kernel buffers and the 64 KiB queue can hold: 64 KiB events, appended
    // straight to the log (a type no projection cares about).
    const QByteArray blob(64 * 1024, 'x');
    for (int i = 0; i < 300; ++i) {
        AppendRequest request;
        request.stream = u"bulk-%1"_s.arg(i);
        request.events.append({QString(), u"bulk.filled"_s, R"({"blob":")" + blob + R"("})", {}});
        QVERIFY(m_engine.eventStore()->appendAndWait(std::move(request)).ok());
        if (metric(R"(gatehouse_live_cutoffs_total{protocol="sse"})") > cutOffsBefore)
            break;
    }
    QTRY_VERIFY_WITH_TIMEOUT(metric(R"(gatehouse_live_cutoffs_total{protocol="sse"})") > cutOffsBefore, kWaitMs);

    // Reading again, the client gets what was queued, then the error event and the end.
    client.resumeReading();
    QTRY_VERIFY_WITH_TIMEOUT(client.ended(), kWaitMs);
    QVERIFY(!client.events().isEmpty());
    QCOMPARE(client.events().last().event, QByteArrayLiteral("error"));
    QVERIFY(client.events().last().json().value(u"message"_s).toString().contains(u"slow consumer"_s));
    const QList<qint64> ids = client.ids().mid(0, client.events().size() - 1);
    QCOMPARE(ids, Test::positionRange(ids.first(), ids.last()));   // what did arrive has no gap
}

// A catch-up far larger than the kernel's buffers and the 64 KiB queue holds while the queue is
// half full and goes on once the client reads: every event arrives, in order, and a client that
// reads, however late, is not cut off.
void tst_Sse::backlogWaitsForTheReader()
{
    const QByteArray cutOffs = R"(gatehouse_live_cutoffs_total{protocol="sse"})";
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
    SseClient client(m_port, "/events/stream?type=backlog.*&from=" + QByteArray::number(expected.first()));
    client.stopReading();
    QTest::qWait(500);   // the engine fills the kernel's buffers, then its queue, then holds
    client.resumeReading();
    QTRY_VERIFY_WITH_TIMEOUT(client.ids().size() >= expected.size(), kWaitMs);
    QCOMPARE(client.ids(), expected);
    QCOMPARE(metric(cutOffs), before);
}

// The live-client limit counts a client from the check of its request, on every network thread:
// a burst of streams at once gets exactly the limit, the rest 503; a place that frees is taken
// again.
void tst_Sse::liveClientLimitHoldsAcrossThreads()
{
    constexpr int kLimit = 4, kClients = 10;
    Live::LiveOptions live;
    live.maxConnections = kLimit;
    Server::Listeners listeners;
    listeners.setLiveOptions(live);
    listeners.setGatewayThreads(2);
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    const quint16 port = listeners.gatewayEndpoint().port;
    const auto statusOf = [](QTcpSocket &socket) {
        QByteArray head;
        QDeadlineTimer deadline(kWaitMs);
        while (!head.contains("\r\n") && !deadline.hasExpired() && socket.waitForReadyRead(int(deadline.remainingTime())))
            head += socket.readAll();
        return head.startsWith("HTTP/1.1 ") ? head.mid(9, 3).toInt() : 0;
    };

    std::vector<std::unique_ptr<QTcpSocket>> sockets;
    for (int i = 0; i < kClients; ++i) {
        sockets.push_back(std::make_unique<QTcpSocket>());
        sockets.back()->connectToHost(QHostAddress::LocalHost, port);
    }
    for (auto &socket : sockets) {   // every request on its way before any answer is read
        QVERIFY(socket->waitForConnected(kWaitMs));
        socket->write("GET /events/stream HTTP/1.1\r\nHost: test\r\n\r\n");
        socket->flush();
    }
    int streams = 0, refused = 0;
    std::vector<std::unique_ptr<QTcpSocket>> open;
    for (auto &socket : sockets) {
        const int status = statusOf(*socket);
        QVERIFY2(status == 200 || status == 503, qPrintable(QString::number(status)));
        if (status == 200) {
            ++streams;
            open.push_back(std::move(socket));
        } else {
            ++refused;
        }
    }
    QCOMPARE(streams, kLimit);
    QCOMPARE(refused, kClients - kLimit);

    // One leaves; its place is taken again (once the server has seen it go).
    open.front()->abort();
    open.erase(open.begin());
    // QTRY evaluates its condition once more after it holds: a stream once served stays true
    // rather than opening another.
    QTcpSocket again;
    const auto servedAgain = [&] {
        again.abort();
        again.connectToHost(QHostAddress::LocalHost, port);
        if (!again.waitForConnected(kWaitMs))
            return false;
        again.write("GET /events/stream HTTP/1.1\r\nHost: test\r\n\r\n");
        again.flush();
        return statusOf(again) == 200;
    };
    bool served = false;
    QTRY_VERIFY_WITH_TIMEOUT(served || (served = servedAgain()), kWaitMs);
    listeners.stopAccepting();
    listeners.close();
}

QTEST_GUILESS_MAIN(tst_Sse)
#include "tst_sse.moc"
