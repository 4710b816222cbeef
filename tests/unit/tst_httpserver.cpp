// The HTTP/1.1 server: keep-alive, pipelining order with deferred answers, chunked bodies,
// 100-continue, limits, answers for clients that left, large and HEAD responses, streaming,
// socket hand-over and the connection cap. The client is a raw QTcpSocket on this thread;
// the server runs on its own network thread, so blocking socket waits here are fine.
#include "http/httpserver.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QSet>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <optional>

#ifdef Q_OS_LINUX
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#endif

using namespace Gatehouse::Http;

namespace {

constexpr int kWaitMs = 10000;  // generous: only a broken server ever waits this long

struct RawResponse {
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;  // names lower-cased
    QByteArray body;

    QByteArray header(QByteArrayView name) const
    {
        for (const auto &[key, value] : headers) {
            if (key == name)
                return value;
        }
        return {};
    }
    bool hasHeader(QByteArrayView name) const
    {
        return std::any_of(headers.begin(), headers.end(),
                           [name](const auto &entry) { return entry.first == name; });
    }
};

// A client that writes raw bytes and parses raw answers (Content-Length, chunked, or
// close-delimited bodies).
class RawClient
{
public:
    explicit RawClient(quint16 port) { m_socket.connectToHost(QHostAddress::LocalHost, port); }

    bool waitConnected() { return m_socket.waitForConnected(kWaitMs); }
    QTcpSocket &socket() { return m_socket; }
    QByteArray buffered() const { return m_buffer; }

    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.waitForBytesWritten(kWaitMs);
    }

    // Reads one whole response; nullopt on timeout, early close or garbage.
    std::optional<RawResponse> readResponse(bool headRequest = false)
    {
        const QByteArray head = readUntil("\r\n\r\n");
        if (head.isEmpty())
            return std::nullopt;
        const QList<QByteArray> lines = head.chopped(4).split('\n');
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        if (statusLine.size() < 2 || !statusLine.first().startsWith("HTTP/1."))
            return std::nullopt;
        RawResponse response;
        response.status = statusLine.at(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon <= 0)
                return std::nullopt;
            response.headers.append({lines.at(i).left(colon).trimmed().toLower(),
                                     lines.at(i).mid(colon + 1).trimmed()});
        }
        if (headRequest || response.status < 200 || response.status == 204 || response.status == 304)
            return response;
        if (response.hasHeader("content-length")) {
            const auto body = readExactly(response.header("content-length").toLongLong());
            if (!body)
                return std::nullopt;
            response.body = *body;
        } else if (response.header("transfer-encoding") == "chunked") {
            while (true) {
                const auto chunk = readChunk();
                if (!chunk)
                    return std::nullopt;
                if (chunk->isEmpty())
                    break;
                response.body += *chunk;
            }
        } else {
            waitClosed();
            response.body = std::exchange(m_buffer, QByteArray());
        }
        return response;
    }

    // One chunk of a chunked body: its data, empty for the last chunk, nullopt on failure.
    std::optional<QByteArray> readChunk()
    {
        const QByteArray sizeLine = readUntil("\r\n");
        if (sizeLine.isEmpty())
            return std::nullopt;
        bool ok = false;
        const qsizetype size = sizeLine.chopped(2).split(';').first().toLongLong(&ok, 16);
        if (!ok)
            return std::nullopt;
        const auto data = readExactly(size + 2);
        if (!data || !data->endsWith("\r\n"))
            return std::nullopt;
        return data->chopped(2);
    }

    QByteArray readUntil(QByteArrayView marker)
    {
        if (!waitFor([&] { return m_buffer.contains(marker); }))
            return {};
        const qsizetype end = m_buffer.indexOf(marker) + marker.size();
        const QByteArray taken = m_buffer.left(end);
        m_buffer.remove(0, end);
        return taken;
    }

    std::optional<QByteArray> readExactly(qsizetype count)
    {
        if (!waitFor([&] { return m_buffer.size() >= count; }))
            return std::nullopt;
        const QByteArray taken = m_buffer.left(count);
        m_buffer.remove(0, count);
        return taken;
    }

    // Waits up to timeoutMs for bytes or the close; true once the server has closed.
    bool poll(int timeoutMs)
    {
        if (m_socket.state() == QAbstractSocket::ConnectedState)
            m_socket.waitForReadyRead(timeoutMs);
        m_buffer += m_socket.readAll();
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }

    // True once the server has closed the connection; bytes that came first stay buffered.
    bool waitClosed(int timeoutMs = kWaitMs)
    {
        waitFor([&] { return m_socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }

private:
    template<typename Ready>
    bool waitFor(Ready ready, int timeoutMs = kWaitMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        m_buffer += m_socket.readAll();
        while (!ready()) {
            if (deadline.hasExpired() || m_socket.state() == QAbstractSocket::UnconnectedState)
                return false;
            m_socket.waitForReadyRead(int(std::clamp<qint64>(deadline.remainingTime(), 1, 200)));
            m_buffer += m_socket.readAll();
        }
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

using Headers = QList<std::pair<QByteArray, QByteArray>>;

// Polls often (QTRY_ polls every 50 ms, too slow for loops of a hundred rounds).
template<typename Condition>
bool waitUntil(Condition condition, int timeoutMs = kWaitMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(1);
    }
    return true;
}

QByteArray get(const QByteArray &target, const QByteArray &extraHeaders = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders + "\r\n";
}

int queryInt(const HttpRequest &request, const QByteArray &key)
{
    for (const QByteArray &pair : request.query.split('&')) {
        if (pair.startsWith(QByteArray(key + '=')))
            return pair.mid(key.size() + 1).toInt();
    }
    return 0;
}

// Answers with the request path as the body, after ?ms=N milliseconds: "/slow" on a timer on
// the network thread, "/thread" from a pool thread, anything else at once.
// "/echo" answers with the request body, "/big?bytes=N" with N bytes of a pattern, "/header"
// with the value of the request's "x-probe" header.
struct Router {
    std::atomic<int> calls{0};
    std::atomic<int> answered{0};
    std::atomic<int> outstanding{0};
    std::atomic<int> maxOutstanding{0};

    HttpHandler handler()
    {
        return [this](const HttpRequest &request, const HttpResponder &responder) {
            ++calls;
            const int now = ++outstanding;
            for (int seen = maxOutstanding; now > seen && !maxOutstanding.compare_exchange_weak(seen, now);) {
            }
            const auto answer = [this, responder](HttpResponse response) {
                --outstanding;
                ++answered;
                responder.respond(std::move(response));
            };
            HttpResponse response;
            response.body = request.path;
            if (request.path == "/echo")
                response.body = request.body;
            if (request.path == "/big")
                response.body = pattern(queryInt(request, "bytes"));
            if (request.path == "/header")
                response.body = request.header("x-probe");
            const int delayMs = queryInt(request, "ms");
            if (request.path == "/slow") {
                QTimer::singleShot(delayMs, [answer, response] { answer(response); });
            } else if (request.path == "/thread") {
                QThreadPool::globalInstance()->start([answer, response, delayMs] {
                    QThread::msleep(delayMs);
                    answer(response);
                });
            } else {
                answer(response);
            }
        };
    }

    static QByteArray pattern(qsizetype size)
    {
        QByteArray bytes(size, Qt::Uninitialized);
        for (qsizetype i = 0; i < size; ++i)
            bytes[i] = char('a' + (i * 7 + i / 251) % 26);
        return bytes;
    }
};

HttpLimits testLimits()
{
    HttpLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxBodyBytes = 1000;
    return limits;
}

QJsonObject problemOf(const RawResponse &response)
{
    return QJsonDocument::fromJson(response.body).object();
}

} // namespace

// Every test runs on one network thread, and again with GATEHOUSE_TEST_HTTP_THREADS (ctest's
// tst_httpserver@threads) on several: the server's behaviour must not depend on how many
// threads share its connections.
int testThreads()
{
    return qEnvironmentVariableIsSet("GATEHOUSE_TEST_HTTP_THREADS") ? qEnvironmentVariableIntValue("GATEHOUSE_TEST_HTTP_THREADS") : 1;
}

class tst_HttpServer : public QObject
{
    Q_OBJECT

private slots:
    void cleanup();

    void keepAlive_data();
    void keepAlive();
    void pipelining_data();
    void pipelining();
    void pipelineLimitStopsReading();
    void requestBody_data();
    void requestBody();
    void chunkEndCheckedAcrossReads_data();
    void chunkEndCheckedAcrossReads();
    void expectContinue_data();
    void expectContinue();
    void limits_data();
    void limits();
    void headerTimeout();
    void idleTimeout();
    void idleTimeoutCountsFromTheLastAnswer();
    void emptyLinesBeforeRequest_data();
    void emptyLinesBeforeRequest();
    void slowClientsAreCutOff_data();
    void slowClientsAreCutOff();
    void bodyAtTheMinimumRateIsServed();
    void trailersStayOutOfTheHead();
    void unreadAnswersStopReading();
    void unreadAnswerClosesStalledConnection();
    void answerAfterClientLeft_data();
    void answerAfterClientLeft();
    void largeResponse();
    void headRequestHasNoBody();
    void acceptedConnectionsHaveNagleOff();
    void absoluteFormTarget();
    void standardHeaders_data();
    void standardHeaders();
    void streaming_data();
    void streaming();
    void streamNoticesClientLeaving();
    void streamWritesReachTheKernelAtOnce();
    void takeOver_data();
    void takeOver();
    void connectionCap();
    void connectionCapHoldsForABurst();
    void closeFinishesInFlightAnswers();
    void connectionsShareThreads();
};

void tst_HttpServer::cleanup()
{
    // Pool threads may still hold responders of the test that just ended.
    QThreadPool::globalInstance()->waitForDone();
}

void tst_HttpServer::keepAlive_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("staysOpen");

    QTest::newRow("http/1.1 default") << get("/a") << true;
    QTest::newRow("http/1.1 Connection: close") << get("/a", "Connection: close\r\n") << false;
    QTest::newRow("http/1.0 default") << QByteArray("GET /a HTTP/1.0\r\n\r\n") << false;
    QTest::newRow("http/1.0 keep-alive")
        << QByteArray("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << true;
    QTest::newRow("upgrade not taken over")
        << get("/a", "Connection: Upgrade\r\nUpgrade: websocket\r\n") << false;
}

void tst_HttpServer::keepAlive()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, staysOpen);

    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY2(server.listen(QHostAddress::LocalHost, 0), qPrintable(server.errorString()));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(request);
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, QByteArray("/a"));
    QCOMPARE(response->header("connection"), staysOpen ? QByteArray("keep-alive") : QByteArray("close"));

    if (staysOpen) {
        client.send(get("/second"));
        const auto second = client.readResponse();
        QVERIFY(second);
        QCOMPARE(second->body, QByteArray("/second"));
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
    } else {
        QVERIFY(client.waitClosed());
        QVERIFY(client.buffered().isEmpty());
    }
}

void tst_HttpServer::pipelining_data()
{
    QTest::addColumn<QByteArrayList>("targets");

    QTest::newRow("first deferred on a timer")
        << QByteArrayList{"/slow?ms=80", "/fast", "/other"};
    QTest::newRow("first answered from another thread")
        << QByteArrayList{"/thread?ms=60", "/slow?ms=5", "/fast"};
    QTest::newRow("ten mixed")
        << QByteArrayList{"/slow?ms=50", "/a", "/thread?ms=30", "/b", "/slow?ms=1",
                          "/thread?ms=1", "/c", "/slow?ms=20", "/d", "/e"};
}

void tst_HttpServer::pipelining()
{
    QFETCH(QByteArrayList, targets);

    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    QByteArray all;
    for (const QByteArray &target : targets)
        all += get(target);
    client.send(all);  // one write: the server must parse them all

    for (const QByteArray &target : targets) {
        const auto response = client.readResponse();
        QVERIFY2(response, target.constData());
        QCOMPARE(response->body, target.split('?').first());
    }
    QCOMPARE(router.calls.load(), int(targets.size()));
}

void tst_HttpServer::pipelineLimitStopsReading()
{
    Router router;
    HttpLimits limits;
    limits.maxPipelined = 2;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    QByteArray all;
    for (int i = 0; i < 8; ++i)
        all += get("/slow?ms=10");
    client.send(all);
    for (int i = 0; i < 8; ++i) {
        const auto response = client.readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
    }
    QCOMPARE(router.calls.load(), 8);
    QVERIFY2(router.maxOutstanding.load() <= 2, QByteArray::number(router.maxOutstanding.load()).constData());
}

void tst_HttpServer::requestBody_data()
{
    QTest::addColumn<QByteArrayList>("writes");
    QTest::addColumn<QByteArray>("body");

    const QByteArray head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("one write")
        << QByteArrayList{head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"} << QByteArray("hello world");
    QTest::newRow("split at awkward places")
        << QByteArrayList{head.left(20), head.mid(20) + "5\r", "\nhel", "lo\r\n6\r\n wo", "rld\r\n0\r\n", "\r\n"}
        << QByteArray("hello world");
    QTest::newRow("extension and trailer")
        << QByteArrayList{head + "5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"} << QByteArray("hello");
    QTest::newRow("split between data and CRLF")
        << QByteArrayList{head + "5\r\nhello", "\r", "\n6\r\n world", "\r\n0\r\n\r\n"} << QByteArray("hello world");
    QTest::newRow("empty chunked") << QByteArrayList{head + "0\r\n\r\n"} << QByteArray();
    QTest::newRow("content-length, pipelined")
        << QByteArrayList{"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello world"}
        << QByteArray("hello world");
    QTest::newRow("content-length, body in pieces")
        << QByteArrayList{"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhel", "lo wo", "rld"}
        << QByteArray("hello world");
}

void tst_HttpServer::requestBody()
{
    QFETCH(QByteArrayList, writes);
    QFETCH(QByteArray, body);

    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    for (const QByteArray &bytes : writes)
        client.send(bytes);
    client.send(get("/after"));  // the body's end must be found exactly

    const auto echoed = client.readResponse();
    QVERIFY(echoed);
    QCOMPARE(echoed->body, body);
    const auto after = client.readResponse();
    QVERIFY(after);
    QCOMPARE(after->body, QByteArray("/after"));
}

// The CRLF after a chunk's data, when it comes in a later read than the data.
void tst_HttpServer::chunkEndCheckedAcrossReads_data()
{
    QTest::addColumn<QByteArrayList>("writes");
    const QByteArray head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("junk in the next read") << QByteArrayList{head + "5\r\nhello", "ZZ0\r\n\r\n"};
    QTest::newRow("CR, then junk in the next read") << QByteArrayList{head + "5\r\nhello\r", "Z0\r\n\r\n"};
    QTest::newRow("CR alone, then LF missing") << QByteArrayList{head + "5\r\nhello", "\r", "5\r\nworld\r\n0\r\n\r\n"};
}

void tst_HttpServer::chunkEndCheckedAcrossReads()
{
    QFETCH(QByteArrayList, writes);
    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());
    for (const QByteArray &bytes : writes) {
        client.send(bytes);
        QThread::msleep(50);   // each its own read on the server
    }
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 400);
    QVERIFY(problemOf(*response).value(u"detail").toString().contains(u"CRLF"));
    QCOMPARE(router.calls.load(), 0);
}

void tst_HttpServer::expectContinue_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("firstStatus");

    QTest::newRow("acceptable body")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        << 100;
    QTest::newRow("content-length over the limit")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        << 413;
    QTest::newRow("unknown expectation")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\n")
        << 417;
}

void tst_HttpServer::expectContinue()
{
    QFETCH(QByteArray, head);
    QFETCH(int, firstStatus);

    Router router;
    HttpServer server(router.handler(), testLimits(), testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    // The client sends no body until it hears back, so every answer here is "at once".
    client.send(head);
    if (firstStatus == 100) {
        QCOMPARE(client.readUntil("\r\n\r\n"), QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
        client.send("hello");
        const auto response = client.readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(response->body, QByteArray("hello"));
        return;
    }
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, firstStatus);
    QCOMPARE(response->header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(response->header("connection"), QByteArray("close"));
    QVERIFY(client.waitClosed());
    QCOMPARE(router.calls.load(), 0);
}

void tst_HttpServer::limits_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    // testLimits(): 1024 header bytes, 1000 body bytes.
    QTest::newRow("header block too large")
        << get("/a", "X-Big: " + QByteArray(2000, 'b') + "\r\n") << 431;
    QTest::newRow("request line too large") << get("/" + QByteArray(2000, 'p')) << 431;
    QTest::newRow("many small headers") << get("/a", QByteArray("X-H: 0123456789\r\n").repeated(100)) << 431;
    QTest::newRow("content-length over the limit")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1001\r\n\r\n")
               + QByteArray(1001, 'x')
        << 413;
    // The answer must survive the client still uploading: no reset that could destroy it.
    QTest::newRow("content-length far over the limit, body sent anyway")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4000000\r\n\r\n")
               + QByteArray(4000000, 'x')
        << 413;
    QTest::newRow("chunked body passes the limit")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "258\r\n") + QByteArray(600, 'x') + "\r\n258\r\n" + QByteArray(600, 'y')
               + "\r\n0\r\n\r\n"
        << 413;
    QTest::newRow("malformed request line") << QByteArray("NOT HTTP AT ALL\r\n\r\n") << 400;
    QTest::newRow("header without colon") << get("/a", "Broken header\r\n") << 400;
    QTest::newRow("bad content-length")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: abc\r\n\r\n") << 400;
    QTest::newRow("content-length and chunked")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << 400;
    // Framing two parsers could read differently (request smuggling): refused, not guessed.
    const QByteArray chunkedHead = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("chunk data not followed by CRLF") << chunkedHead + "5\r\nhelloZZ0\r\n\r\n" << 400;
    QTest::newRow("chunk data followed by LF only") << chunkedHead + "5\r\nhello\n0\r\n\r\n" << 400;
    QTest::newRow("header name with a space") << get("/a", "X A: b\r\n") << 400;
    QTest::newRow("folded content-length")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: \r\n 5\r\n\r\nhello") << 400;
    QTest::newRow("folded header") << get("/a", "X-A: one\r\n\ttwo\r\n") << 400;
    QTest::newRow("folded header, head ended by a bare LF")
        << QByteArray("GET /a HTTP/1.1\r\nHost: test\r\nX-A: a\r\n b\r\n\n") << 400;
    QTest::newRow("transfer coding other than chunked")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") << 501;
    QTest::newRow("transfer-encoding twice")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        << 400;   // llhttp's own refusal
    QTest::newRow("HTTP/1.1 without Host") << QByteArray("GET /a HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("two Host headers") << get("/a", "Host: other\r\n") << 400;
    QTest::newRow("absolute target with a port past 65535") << QByteArray("GET http://a:99999/x HTTP/1.1\r\nHost: test\r\n\r\n") << 400;
    QTest::newRow("Host with a port past 65535") << QByteArray("GET /a HTTP/1.1\r\nHost: a:65536\r\n\r\n") << 400;
    QTest::newRow("absolute target with userinfo") << QByteArray("GET http://u@a/x HTTP/1.1\r\nHost: test\r\n\r\n") << 400;
    QTest::newRow("Host with a space") << QByteArray("GET /a HTTP/1.1\r\nHost: a b\r\n\r\n") << 400;
    QTest::newRow("Host with userinfo and a path") << QByteArray("GET /a HTTP/1.1\r\nHost: a/b@c\r\n\r\n") << 400;
    QTest::newRow("Host with a port that is no number") << QByteArray("GET /a HTTP/1.1\r\nHost: a:8x\r\n\r\n") << 400;
    QTest::newRow("Host with a broken IPv6 literal") << QByteArray("GET /a HTTP/1.1\r\nHost: [::1\r\n\r\n") << 400;
    // A field read once: a second one is a request two readers could take differently.
    QTest::newRow("two Authorization headers") << get("/a", "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n") << 400;
    QTest::newRow("two Content-Type headers")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 2\r\n\r\n{}") << 400;
    QTest::newRow("two Sec-WebSocket-Key headers")
        << get("/a", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n") << 400;
    QTest::newRow("an upgrade over HTTP/1.0")
        << QByteArray("GET /a HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n") << 400;
    // The chunk's size alone passes the limit: answered before any of its data is read.
    QTest::newRow("a chunk larger than the limit") << chunkedHead + "FFFFFFFF\r\n" << 413;
    QTest::newRow("a chunk just over what is left") << chunkedHead + "3E8\r\n" + QByteArray(1000, 'x') + "\r\n1\r\n" << 413;
    QTest::newRow("HTTP/2.0 request line") << QByteArray("GET /a HTTP/2.0\r\nHost: test\r\n\r\n") << 505;
}

void tst_HttpServer::limits()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);

    Router router;
    HttpServer server(router.handler(), testLimits(), testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(request);
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    QCOMPARE(response->header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(response->header("connection"), QByteArray("close"));
    const QJsonObject problem = problemOf(*response);
    QCOMPARE(problem.value(u"status").toInt(), status);
    QCOMPARE(problem.value(u"type").toString(), QStringLiteral("about:blank"));
    QVERIFY(!problem.value(u"title").toString().isEmpty());
    QVERIFY(!problem.value(u"detail").toString().isEmpty());
    QVERIFY(client.waitClosed());
    QCOMPARE(router.calls.load(), 0);
}

void tst_HttpServer::headerTimeout()
{
    Router router;
    HttpLimits limits;
    limits.headerTimeoutMs = 200;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send("GET /a HTTP/1.1\r\nHost: test\r\n");  // never finished
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 408);
    QCOMPARE(response->header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(response->header("connection"), QByteArray("close"));
    QCOMPARE(problemOf(*response).value(u"status").toInt(), 408);
    QVERIFY(client.waitClosed());
    QCOMPARE(router.calls.load(), 0);
}

void tst_HttpServer::idleTimeout()
{
    Router router;
    HttpLimits limits;
    limits.idleTimeoutMs = 200;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    // An answer that takes longer than the idle timeout is still waited for...
    client.send(get("/slow?ms=600"));
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->header("connection"), QByteArray("keep-alive"));
    // ...and once nothing is pending the connection is closed without a word.
    QVERIFY(client.waitClosed());
    QVERIFY(client.buffered().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);
}

void tst_HttpServer::idleTimeoutCountsFromTheLastAnswer()
{
    // The quiet time is measured from the last answer, however many requests came before.
    Router router;
    HttpLimits limits;
    limits.idleTimeoutMs = 1000;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    QElapsedTimer busy;
    busy.start();
    int requests = 0;
    while (busy.elapsed() < 2 * limits.idleTimeoutMs) {   // busy for twice the idle timeout
        client.send(get("/again"));
        const auto response = client.readResponse();
        QVERIFY2(response, qPrintable(QStringLiteral("closed after %1 requests").arg(requests)));
        QCOMPARE(response->status, 200);
        ++requests;
        QTest::qWait(100);
    }
    QElapsedTimer quiet;
    quiet.start();
    QVERIFY(client.waitClosed());
    // Timers may fire a little early; the deadline is checked against the time itself.
    QVERIFY2(quiet.elapsed() >= limits.idleTimeoutMs - 200, qPrintable(QString::number(quiet.elapsed())));
}

void tst_HttpServer::emptyLinesBeforeRequest_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");

    QTest::newRow("two CRLF") << "\r\n\r\n" + get("/a") << 200;
    QTest::newRow("bare LF") << "\n" + get("/a") << 200;
    QTest::newRow("four CRLF, the limit") << QByteArray("\r\n").repeated(4) + get("/a") << 200;
    QTest::newRow("CRLF after a body, as some clients send")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\n\r\nx\r\n") + get("/a") << 200;
    QTest::newRow("five CRLF") << QByteArray("\r\n").repeated(5) + get("/a") << 400;
    QTest::newRow("a flood of CRLF") << QByteArray("\r\n").repeated(50000) << 400;
}

void tst_HttpServer::emptyLinesBeforeRequest()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);

    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(bytes);
    auto response = client.readResponse();
    QVERIFY(response);
    if (bytes.startsWith("POST")) {
        QCOMPARE(response->body, QByteArray("x"));
        response = client.readResponse();
        QVERIFY(response);
    }
    QCOMPARE(response->status, status);
    if (status == 200) {
        QCOMPARE(response->body, QByteArray("/a"));
        return;
    }
    QCOMPARE(response->header("content-type"), QByteArray("application/problem+json"));
    QVERIFY(problemOf(*response).value(u"detail").toString().contains(u"empty lines"));
    QVERIFY(client.waitClosed());
    QCOMPARE(router.calls.load(), 0);
}

void tst_HttpServer::slowClientsAreCutOff_data()
{
    QTest::addColumn<QByteArray>("prefix");    // sent at once
    QTest::addColumn<QByteArray>("trickle");   // then one byte of it every kTrickleMs, round and round
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("headerTimeoutMs");

    const QByteArray chunked = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    QTest::newRow("one empty line, then nothing") << QByteArray("\r\n") << QByteArray() << 408 << 300;
    // Given the time, a client trickling empty lines meets their cap.
    QTest::newRow("empty lines trickled") << QByteArray() << QByteArray("\r\n") << 400 << 60000;
    QTest::newRow("head a byte at a time") << QByteArray("GET /a HTTP/1.1\r\nHost: test\r\nX-Slow: ")
                                           << QByteArray("abcdef") << 408 << 300;
    QTest::newRow("request line a byte at a time") << QByteArray() << QByteArray("GET /aaaaaaaaaaaaaaaaaaa") << 408 << 300;
    QTest::newRow("chunk size line trickled") << chunked << QByteArray("0") << 408 << 300;
    QTest::newRow("chunk extension trickled") << chunked + "5;name=" << QByteArray("abc") << 408 << 300;
    QTest::newRow("trailer trickled") << chunked + "5\r\nhello\r\n0\r\nX-Trailer: " << QByteArray("abc") << 408 << 300;
    QTest::newRow("content-length body below the minimum rate")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 900\r\n\r\n") << QByteArray("x") << 408 << 300;
    QTest::newRow("chunked data below the minimum rate") << chunked << QByteArray("1\r\nx\r\n") << 408 << 300;
}

// Each way of sending slowly ends in a bounded time, whatever keeps arriving: the idle timeout is
// far away here, so only the head and body deadlines can end these connections.
void tst_HttpServer::slowClientsAreCutOff()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, trickle);
    QFETCH(int, status);
    QFETCH(int, headerTimeoutMs);
    constexpr int kTrickleMs = 40;

    Router router;
    HttpLimits limits = testLimits();
    limits.headerTimeoutMs = headerTimeoutMs;
    limits.bodyTimeoutMs = 300;
    limits.minBodyBytesPerSecond = 100;   // the trickles send 25 bytes per second
    limits.idleTimeoutMs = 60000;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(prefix);
    const QDeadlineTimer deadline(kWaitMs);
    for (qsizetype sent = 0; !client.poll(kTrickleMs); ++sent) {
        QVERIFY2(!deadline.hasExpired(), "the server still holds the connection open");
        if (!trickle.isEmpty() && client.socket().state() == QAbstractSocket::ConnectedState) {
            client.socket().write(trickle.mid(sent % trickle.size(), 1));
            client.socket().flush();
        }
    }
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, status);
    QCOMPARE(response->header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(response->header("connection"), QByteArray("close"));
    QCOMPARE(problemOf(*response).value(u"status").toInt(), status);
    QCOMPARE(router.calls.load(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);
}

// A body that takes longer than the grace but keeps to the minimum rate is read to its end.
void tst_HttpServer::bodyAtTheMinimumRateIsServed()
{
    Router router;
    HttpLimits limits;
    limits.bodyTimeoutMs = 200;
    limits.minBodyBytesPerSecond = 100;
    limits.headerTimeoutMs = 200;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    const QByteArray body = Router::pattern(1000);
    client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n");
    for (qsizetype at = 0; at < body.size(); at += 100) {   // 100 bytes per 50 ms: 20 times the minimum
        client.send(body.mid(at, 100));
        QTest::qWait(50);
    }
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, body);
}

void tst_HttpServer::trailersStayOutOfTheHead()
{
    Router router;
    HttpServer server(router.handler(), testLimits(), testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    // A trailer field must not pass for a header field (RFC 9110 6.5.1).
    client.send("POST /header HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                "1\r\nx\r\n0\r\nX-Probe: from the trailer\r\n\r\n");
    auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, QByteArray());

    // Trailers are bounded like a head: testLimits() allows 1024 bytes.
    client.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n"
                + QByteArray("X-T: 0123456789\r\n").repeated(100) + "\r\n");
    response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 431);
    QVERIFY(client.waitClosed());

    RawClient other(server.serverPort());
    QVERIFY(other.waitConnected());
    other.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n1;" + QByteArray(2000, 'e') + "\r\nx\r\n0\r\n\r\n");
    response = other.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 400);
    QVERIFY(other.waitClosed());
    QCOMPARE(router.calls.load(), 1);
}

// A client that pipelines requests and reads no answers cannot make the server buffer every
// answer: past maxUnsentBytes the server stops reading requests until the client reads.
void tst_HttpServer::unreadAnswersStopReading()
{
    Router router;
    HttpLimits limits;
    limits.maxUnsentBytes = 1024 * 1024;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());
    client.socket().setReadBufferSize(64 * 1024);   // this side takes only what the test reads

    constexpr int requests = 24;
    constexpr int size = 1024 * 1024;
    client.send(get("/big?bytes=" + QByteArray::number(size)).repeated(requests));
    QTest::qWait(500);
    QVERIFY2(router.calls.load() < requests, QByteArray::number(router.calls.load()).constData());
    for (int i = 0; i < requests; ++i) {
        const auto response = client.readResponse();
        QVERIFY(response);
        QCOMPARE(response->body.size(), size);
    }
    QCOMPARE(router.calls.load(), requests);
}

// An answer the client never reads does not hold the connection for ever.
void tst_HttpServer::unreadAnswerClosesStalledConnection()
{
    Router router;
    HttpLimits limits;
    limits.idleTimeoutMs = 300;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());
    client.socket().setReadBufferSize(64 * 1024);   // so this side stops taking bytes too

    client.send(get("/big?bytes=" + QByteArray::number(64 * 1024 * 1024)));
    QVERIFY(waitUntil([&] { return router.calls.load() == 1; }));
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);
}

void tst_HttpServer::answerAfterClientLeft_data()
{
    QTest::addColumn<QString>("mode");

    QTest::newRow("answered from this thread after the server noticed") << QStringLiteral("late");
    QTest::newRow("timer on the network thread races the disconnect") << QStringLiteral("timer");
    QTest::newRow("pool thread races the disconnect") << QStringLiteral("thread");
}

void tst_HttpServer::answerAfterClientLeft()
{
    QFETCH(QString, mode);

    Router router;
    QMutex mutex;
    QList<HttpResponder> kept;
    const HttpHandler routed = router.handler();
    HttpServer server([&](const HttpRequest &request, const HttpResponder &responder) {
        if (request.path == "/keep") {
            const QMutexLocker locker(&mutex);
            kept.append(responder);
            return;
        }
        routed(request, responder);
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    constexpr int rounds = 100;
    for (int round = 0; round < rounds; ++round) {
        RawClient client(server.serverPort());
        QVERIFY(client.waitConnected());
        if (mode == u"late") {
            client.send(get("/keep"));
            QVERIFY(waitUntil([&] {
                const QMutexLocker locker(&mutex);
                return kept.size() == round + 1;
            }));
            client.socket().abort();
            QVERIFY(waitUntil([&] { return server.connectionCount() == 0; }));
            HttpResponder responder;
            {
                const QMutexLocker locker(&mutex);
                responder = kept.last();
            }
            QVERIFY(!responder.isValid());
            responder.respond(HttpResponse::json(200, "{}"));
        } else {
            const QByteArray path = mode == u"timer" ? QByteArray("/slow") : QByteArray("/thread");
            client.send(get(path + "?ms=" + QByteArray::number(round % 5)));
            QVERIFY(waitUntil([&] { return router.calls.load() == round + 1; }));
            client.socket().abort();
        }
    }
    QTRY_COMPARE_WITH_TIMEOUT(router.answered.load(), router.calls.load(), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);

    // The server is unharmed.
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());
    client.send(get("/still-here"));
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->body, QByteArray("/still-here"));
}

void tst_HttpServer::largeResponse()
{
    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    constexpr qsizetype size = 5 * 1024 * 1024;
    client.send(get("/big?bytes=" + QByteArray::number(size)) + get("/after"));
    const auto big = client.readResponse();
    QVERIFY(big);
    QCOMPARE(big->header("content-length"), QByteArray::number(size));
    QCOMPARE(big->body.size(), size);
    QVERIFY(big->body == Router::pattern(size));
    const auto after = client.readResponse();
    QVERIFY(after);
    QCOMPARE(after->body, QByteArray("/after"));
}

void tst_HttpServer::headRequestHasNoBody()
{
    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send("HEAD /big?bytes=1234 HTTP/1.1\r\nHost: test\r\n\r\n" + get("/after"));
    const auto head = client.readResponse(true);
    QVERIFY(head);
    QCOMPARE(head->status, 200);
    QCOMPARE(head->header("content-length"), QByteArray("1234"));
    // Were any body bytes sent, they would be read as the start of the next answer.
    const auto after = client.readResponse();
    QVERIFY(after);
    QCOMPARE(after->status, 200);
    QCOMPARE(after->body, QByteArray("/after"));
}

#ifdef Q_OS_LINUX
namespace {
// TCP_NODELAY of this process's socket from localPort to peerPort: 0 or 1, -1 if there is
// no such socket (several: -2).
int noDelayOf(quint16 localPort, quint16 peerPort)
{
    auto portOf = [](const sockaddr_storage &a) -> quint16 {
        if (a.ss_family == AF_INET)
            return ntohs(reinterpret_cast<const sockaddr_in *>(&a)->sin_port);
        if (a.ss_family == AF_INET6)
            return ntohs(reinterpret_cast<const sockaddr_in6 *>(&a)->sin6_port);
        return 0;
    };
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int found = -1;
    while (const dirent *entry = ::readdir(dir)) {
        bool ok = false;
        const int fd = QByteArray(entry->d_name).toInt(&ok);
        struct stat st{};
        if (!ok || fd == ::dirfd(dir) || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        sockaddr_storage local{}, peer{};
        socklen_t localSize = sizeof local, peerSize = sizeof peer;
        if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localSize) != 0
            || ::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerSize) != 0
            || portOf(local) != localPort || portOf(peer) != peerPort)
            continue;
        int value = 0;
        socklen_t size = sizeof value;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &size) != 0)
            continue;
        found = found == -1 ? (value != 0 ? 1 : 0) : -2;
    }
    ::closedir(dir);
    return found;
}
} // namespace
#endif

// A live stream's writes follow each other without a byte from the client: with Nagle on, each
// one written while the previous one is not acknowledged yet waits for the client's delayed
// acknowledgement (40 ms on Linux). Every accepted connection has it off, as nginx's
// tcp_nodelay does.
void tst_HttpServer::acceptedConnectionsHaveNagleOff()
{
#ifndef Q_OS_LINUX
    QSKIP("reads the server's sockets from /proc/self/fd");
#else
    Router router;
    HttpServer server(router.handler(), {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    for (int i = 0; i < 3; ++i) {   // across the network threads
        RawClient client(server.serverPort());
        QVERIFY(client.waitConnected());
        client.send(get("/nagle"));
        const auto response = client.readResponse();   // the connection was adopted
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        // The test's own client socket is the control: Qt leaves Nagle on.
        QCOMPARE(noDelayOf(client.socket().localPort(), server.serverPort()), 0);
        QCOMPARE(noDelayOf(server.serverPort(), client.socket().localPort()), 1);
    }
#endif
}

// RFC 9112 3.2.2: a server accepts a target in absolute form; its authority is the host.
void tst_HttpServer::absoluteFormTarget()
{
    Router router;
    QByteArray seenHost;
    QByteArray seenQuery;
    HttpServer server([&](const HttpRequest &request, const HttpResponder &responder) {
        seenHost = request.header("host");
        seenQuery = request.query;
        HttpResponse response;
        response.body = request.path;
        responder.respond(std::move(response));
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());
    client.send("GET HTTP://Example.com:8080/events?limit=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, QByteArray("/events"));
    QCOMPARE(seenHost, QByteArray("Example.com:8080"));
    QCOMPARE(seenQuery, QByteArray("limit=1"));
    client.send("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
    response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->body, QByteArray("/"));
}

void tst_HttpServer::standardHeaders_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("contentLength");

    QTest::newRow("empty body") << Headers{} << QByteArray() << QByteArray("0");
    QTest::newRow("handler's framing headers are ignored")
        << Headers{{"Content-Length", "999"}, {"Transfer-Encoding", "chunked"}, {"X-Custom", "kept"}}
        << QByteArray("abc") << QByteArray("3");
}

void tst_HttpServer::standardHeaders()
{
    QFETCH(Headers, headers);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentLength);

    HttpServer server([&](const HttpRequest &, const HttpResponder &responder) {
        HttpResponse response;
        response.headers = headers;
        response.body = body;
        responder.respond(response);
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(get("/a") + get("/b"));
    for (int i = 0; i < 2; ++i) {
        const auto response = client.readResponse();
        QVERIFY(response);
        QCOMPARE(response->header("content-length"), contentLength);
        QCOMPARE(response->body, body);
        QCOMPARE(response->header("server"), QByteArray("gatehouse"));
        QVERIFY(!response->hasHeader("transfer-encoding"));
        static const QRegularExpression imfDate(
            QStringLiteral("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
                           "|Sep|Oct|Nov|Dec) \\d{4} \\d\\d:\\d\\d:\\d\\d GMT$"));
        QVERIFY2(imfDate.match(QString::fromLatin1(response->header("date"))).hasMatch(),
                 response->header("date").constData());
        if (!headers.isEmpty())
            QCOMPARE(response->header("x-custom"), QByteArray("kept"));
    }
}

void tst_HttpServer::streaming_data()
{
    QTest::addColumn<QByteArray>("version");

    QTest::newRow("http/1.1 chunked") << QByteArray("HTTP/1.1");
    QTest::newRow("http/1.0 close-delimited") << QByteArray("HTTP/1.0");
}

void tst_HttpServer::streaming()
{
    QFETCH(QByteArray, version);

    // A timer on the network thread sends event N only once the client has read event N-1,
    // so the client provably receives the events one by one.
    std::atomic<int> released{1};
    std::atomic<int> closedCallbacks{0};
    QObject context;
    QMutex mutex;
    HttpStream stream;
    HttpServer server([&](const HttpRequest &, const HttpResponder &responder) {
        HttpResponse head;
        head.setHeader("Content-Type", "text/event-stream");
        const HttpStream started = responder.beginStream(head);
        started.onClosed(&context, [&] { ++closedCallbacks; });
        {
            const QMutexLocker locker(&mutex);
            stream = started;
        }
        auto *timer = new QTimer;
        auto sent = std::make_shared<int>(0);
        QObject::connect(timer, &QTimer::timeout, timer, [&released, started, sent, timer] {
            if (*sent == 3) {
                started.close();
                timer->deleteLater();
            } else if (*sent < released) {
                started.write("data: event " + QByteArray::number(++*sent) + "\n\n");
            }
        });
        timer->start(10);
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send("GET /events " + version + "\r\nHost: test\r\n\r\n");
    const QByteArray headText = client.readUntil("\r\n\r\n");
    QVERIFY(headText.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(headText.contains("Content-Type: text/event-stream\r\n"));
    QVERIFY(!headText.contains("Content-Length"));
    const bool chunked = version == "HTTP/1.1";
    QCOMPARE(headText.contains("Transfer-Encoding: chunked\r\n"), chunked);

    for (int i = 1; i <= 3; ++i) {
        const QByteArray expected = "data: event " + QByteArray::number(i) + "\n\n";
        const auto data = chunked ? client.readChunk() : client.readExactly(expected.size());
        QVERIFY(data);
        QCOMPARE(*data, expected);
        released = i + 1;
    }
    if (chunked) {
        const auto last = client.readChunk();
        QVERIFY(last);
        QVERIFY(last->isEmpty());
    }
    QVERIFY(client.waitClosed());
    QVERIFY(client.buffered().isEmpty());

    HttpStream finished;
    {
        const QMutexLocker locker(&mutex);
        finished = stream;
    }
    QVERIFY(!finished.isOpen());
    QTRY_COMPARE_WITH_TIMEOUT(finished.pendingBytes(), 0, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(closedCallbacks.load(), 1, kWaitMs);
}

void tst_HttpServer::streamNoticesClientLeaving()
{
    std::atomic<int> closedCallbacks{0};
    QObject context;
    QMutex mutex;
    HttpStream stream;
    HttpServer server([&](const HttpRequest &, const HttpResponder &responder) {
        const QMutexLocker locker(&mutex);
        stream = responder.beginStream(HttpResponse());
        stream.onClosed(&context, [&] { ++closedCallbacks; });
        stream.write("hello");
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(get("/events"));
    QVERIFY(!client.readUntil("hello\r\n").isEmpty());
    HttpStream open;
    {
        const QMutexLocker locker(&mutex);
        open = stream;
    }
    QVERIFY(open.isOpen());

    client.socket().disconnectFromHost();
    QTRY_VERIFY_WITH_TIMEOUT(!open.isOpen(), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(closedCallbacks.load(), 1, kWaitMs);
    open.write("nobody listens");  // dropped, harmlessly
    open.close();
    QTRY_COMPARE_WITH_TIMEOUT(open.pendingBytes(), 0, kWaitMs);
    // Asking after the end still gets told, once.
    std::atomic<int> late{0};
    open.onClosed(&context, [&] { ++late; });
    QTRY_COMPARE_WITH_TIMEOUT(late.load(), 1, kWaitMs);
    QCOMPARE(closedCallbacks.load(), 1);
}

// A stream written in blocks of 4 KiB or more (each stays a block of its own in the socket's
// buffer): what the writes hand over is in the kernel by the time they have been processed,
// not one block per turn of the network thread's loop.
void tst_HttpServer::streamWritesReachTheKernelAtOnce()
{
    constexpr int kWrites = 4;
    constexpr int kBlock = 5000;
    std::atomic<qint64> pendingAfterWrites{-1};
    HttpServer server([&](const HttpRequest &, const HttpResponder &responder) {
        const HttpStream stream = responder.beginStream(HttpResponse());
        // Outside the request's handling, as a live feed writes: from the network thread's loop.
        auto *timer = new QTimer;
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, timer, [&pendingAfterWrites, stream, timer] {
            for (int i = 0; i < kWrites; ++i)
                stream.write(QByteArray(kBlock, char('a' + i)));
            // Queued after the writes' own calls to the connection: runs once they are done.
            QMetaObject::invokeMethod(timer, [&pendingAfterWrites, stream, timer] {
                pendingAfterWrites = stream.pendingBytes();
                stream.close();
                timer->deleteLater();
            }, Qt::QueuedConnection);
        });
        timer->start(0);
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    client.send(get("/events"));
    const auto response = client.readResponse();
    QVERIFY(response);
    QCOMPARE(response->status, 200);
    QByteArray expected;
    for (int i = 0; i < kWrites; ++i)
        expected += QByteArray(kBlock, char('a' + i));
    QCOMPARE(response->body, expected);
    QCOMPARE(pendingAfterWrites.load(), 0);
}

void tst_HttpServer::takeOver_data()
{
    QTest::addColumn<QByteArray>("before");

    QTest::newRow("upgrade first") << QByteArray();
    QTest::newRow("after a deferred pipelined request") << get("/slow?ms=100");
}

void tst_HttpServer::takeOver()
{
    QFETCH(QByteArray, before);

    Router router;
    const HttpHandler routed = router.handler();
    QMutex mutex;
    QByteArray rawHead;
    std::atomic<bool> socketGone{false};
    HttpServer server([&](const HttpRequest &request, const HttpResponder &responder) {
        if (!request.upgrade)
            return routed(request, responder);
        responder.takeOver([&](QTcpSocket *socket, const QByteArray &head, const QByteArray &rest) {
            {
                const QMutexLocker locker(&mutex);
                rawHead = head;
            }
            QObject::connect(socket, &QObject::destroyed, [&] { socketGone = true; });
            QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QObject::connect(socket, &QTcpSocket::readyRead, socket,
                             [socket] { socket->write(socket->readAll()); });
            const QByteArray switched = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
                                        "Connection: Upgrade\r\n\r\n" + rest + socket->readAll();
            socket->write(switched);
        });
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    RawClient client(server.serverPort());
    QVERIFY(client.waitConnected());

    const QByteArray upgrade = get("/echo-protocol", "Connection: Upgrade\r\nUpgrade: echo\r\n");
    client.send(before + upgrade + "EARLY");  // bytes of the new protocol right after the head
    if (!before.isEmpty()) {
        const auto first = client.readResponse();
        QVERIFY(first);
        QCOMPARE(first->body, QByteArray("/slow"));
    }
    const auto switched = client.readResponse(true);
    QVERIFY(switched);
    QCOMPARE(switched->status, 101);
    QCOMPARE(client.readExactly(5).value_or(QByteArray()), QByteArray("EARLY"));
    client.send("later");
    QCOMPARE(client.readExactly(5).value_or(QByteArray()), QByteArray("later"));
    {
        const QMutexLocker locker(&mutex);
        QCOMPARE(rawHead, upgrade);
    }
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);  // no longer HTTP's

    client.socket().disconnectFromHost();
    QTRY_VERIFY_WITH_TIMEOUT(socketGone.load(), kWaitMs);
}

void tst_HttpServer::connectionCap()
{
    Router router;
    HttpLimits limits;
    limits.maxConnections = 2;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    RawClient first(server.serverPort());
    RawClient second(server.serverPort());
    for (RawClient *client : {&first, &second}) {
        QVERIFY(client->waitConnected());
        client->send(get("/ok"));
        const auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
    }
    QCOMPARE(server.connectionCount(), 2);

    RawClient third(server.serverPort());
    QVERIFY(third.waitConnected());
    third.send(get("/ok"));
    const auto refused = third.readResponse();
    QVERIFY(refused);
    QCOMPARE(refused->status, 503);
    QCOMPARE(refused->header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(refused->header("connection"), QByteArray("close"));
    QCOMPARE(problemOf(*refused).value(u"status").toInt(), 503);
    QVERIFY(third.waitClosed());
    QCOMPARE(router.calls.load(), 2);

    // A freed place can be taken again.
    first.socket().disconnectFromHost();
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 1, kWaitMs);
    RawClient fourth(server.serverPort());
    QVERIFY(fourth.waitConnected());
    fourth.send(get("/ok"));
    const auto accepted = fourth.readResponse();
    QVERIFY(accepted);
    QCOMPARE(accepted->status, 200);
}

void tst_HttpServer::connectionCapHoldsForABurst()
{
    // Many clients at once, handed to the threads in turn: exactly the cap is served.
    Router router;
    HttpLimits limits;
    limits.maxConnections = 3;
    HttpServer server(router.handler(), limits, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 8; ++i)
        clients.push_back(std::make_unique<RawClient>(server.serverPort()));
    int served = 0, refused = 0;
    for (auto &client : clients) {
        QVERIFY(client->waitConnected());
        client->send(get("/ok"));
        const auto response = client->readResponse();
        QVERIFY(response);
        QVERIFY2(response->status == 200 || response->status == 503, qPrintable(QString::number(response->status)));
        (response->status == 200 ? served : refused) += 1;
    }
    QCOMPARE(served, limits.maxConnections);
    QCOMPARE(refused, 8 - limits.maxConnections);
    QVERIFY(server.connectionCount() <= limits.maxConnections);
    clients.clear();
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);
}

void tst_HttpServer::closeFinishesInFlightAnswers()
{
    QMutex mutex;
    QList<HttpResponder> kept;
    HttpServer server([&](const HttpRequest &, const HttpResponder &responder) {
        const QMutexLocker locker(&mutex);
        kept.append(responder);
    }, {}, testThreads());
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    RawClient client(port);
    QVERIFY(client.waitConnected());

    client.send(get("/first") + get("/second"));
    QVERIFY(waitUntil([&] {
        const QMutexLocker locker(&mutex);
        return kept.size() == 2;
    }));
    server.close();
    QTcpSocket late;
    late.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!late.waitForConnected(kWaitMs));

    // Answered after close(), last one first: both still arrive, in order.
    {
        const QMutexLocker locker(&mutex);
        kept.at(1).respond(HttpResponse::json(200, "2"));
        kept.at(0).respond(HttpResponse::json(200, "1"));
    }
    const auto first = client.readResponse();
    QVERIFY(first);
    QCOMPARE(first->body, QByteArray("1"));
    QCOMPARE(first->header("connection"), QByteArray("keep-alive"));
    const auto second = client.readResponse();
    QVERIFY(second);
    QCOMPARE(second->body, QByteArray("2"));
    QCOMPARE(second->header("connection"), QByteArray("close"));
    QVERIFY(client.waitClosed());
}


void tst_HttpServer::connectionsShareThreads()
{
    // Connections are handed to the network threads in turn; every request of a connection is
    // handled on its thread.
    constexpr int kThreads = 3;
    QMutex mutex;
    QHash<QByteArray, QSet<QThread *>> threadsOf;   // client -> threads its requests ran on
    HttpServer server([&](const HttpRequest &request, const HttpResponder &responder) {
        {
            const QMutexLocker lock(&mutex);
            threadsOf[request.header("x-client")].insert(QThread::currentThread());
        }
        HttpResponse response;
        response.body = request.path;
        responder.respond(std::move(response));
    }, {}, kThreads);
    QCOMPARE(server.threadCount(), kThreads);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 2 * kThreads; ++i) {
        clients.push_back(std::make_unique<RawClient>(server.serverPort()));
        QVERIFY(clients.back()->waitConnected());
    }
    for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < clients.size(); ++i) {
            clients[i]->send(get("/r", "X-Client: " + QByteArray::number(qulonglong(i)) + "\r\n"));
            const auto response = clients[i]->readResponse();
            QVERIFY(response);
            QCOMPARE(response->status, 200);
        }
    }
    QSet<QThread *> all;
    for (auto it = threadsOf.cbegin(); it != threadsOf.cend(); ++it) {
        QCOMPARE(it.value().size(), 1);
        all.unite(it.value());
    }
    QCOMPARE(threadsOf.size(), 2 * kThreads);
    QCOMPARE(all.size(), kThreads);
    QVERIFY(!all.contains(QThread::currentThread()));
    QCOMPARE(server.connectionCount(), 2 * kThreads);

    // Closing reaches the connections of every thread.
    server.close();
    for (auto &client : clients)
        QVERIFY(client->waitClosed());
    QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kWaitMs);
}

QTEST_GUILESS_MAIN(tst_HttpServer)
#include "tst_httpserver.moc"
