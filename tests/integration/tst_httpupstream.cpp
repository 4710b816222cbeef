// The `http` upstream (DESIGN.md "Routes") over real sockets: a Gateway with an http route
// to upstream nodes on 127.0.0.1 -- our own HttpServer, or a scripted QTcpServer where the
// exact bytes matter -- and every test asserts what a client would notice: which node
// answered, the status, the headers and body that arrived on either side, how many
// connections the nodes saw, and the node health the gateway reports.
#include "gateway/gateway.h"
#include "gateway/plugins/breakerstate.h"
#include "gateway/route.h"
#include "http/gatewayhttphandler.h"
#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "http/httpserver.h"
#include "testhttpclient.h"
#include "upstreams/http/httpupstream.h"
#include "upstreams/http/httpupstreamspec.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSet>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QtTest>

#include <atomic>
#include <memory>
#include <optional>

using namespace Gatehouse;
using Headers = QList<std::pair<QByteArray, QByteArray>>;

namespace {

constexpr int kWaitMs = 5000;   // the generous bound every answer must meet

quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();   // closed when `server` goes
}

QByteArray headerOf(const Headers &headers, const QByteArray &lowerName)
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

// An upstream node: our HttpServer answering with its name, echoing bodies on /echo,
// /health for active checks; it records what arrived. Status, delay and health status can
// be changed while it runs; stop() and start(port()) take it down and bring it back.
class TestNode
{
public:
    struct Seen
    {
        QByteArray method, target, body;
        Headers headers;
        quint16 peerPort = 0;
    };

    explicit TestNode(QByteArray name) : m_name(std::move(name)) {}

    bool start(quint16 port = 0)
    {
        m_server = std::make_unique<Http::HttpServer>(
            [this](const Http::HttpRequest &request, const Http::HttpResponder &responder) { serve(request, responder); });
        if (!m_server->listen(QHostAddress::LocalHost, port))
            return false;
        m_port = m_server->serverPort();
        return true;
    }
    void stop() { m_server.reset(); }
    quint16 port() const { return m_port; }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    QList<Seen> seen() const { QMutexLocker lock(&m_mutex); return m_seen; }
    int requests() const { return int(seen().size()); }
    int connections() const
    {
        QSet<quint16> ports;
        for (const Seen &s : seen())
            ports.insert(s.peerPort);
        return int(ports.size());
    }

    std::atomic<int> status{200};
    std::atomic<int> delayMs{0};
    std::atomic<int> healthStatus{200};

private:
    void serve(const Http::HttpRequest &request, const Http::HttpResponder &responder)
    {
        if (request.path == "/health") {
            responder.respond({healthStatus.load(), {}, {}});
            return;
        }
        {
            QMutexLocker lock(&m_mutex);
            m_seen.append({request.method, request.target, request.body, request.headers, request.peerPort});
        }
        Http::HttpResponse response;
        response.status = status;
        response.headers = {{"content-type", "text/plain"}, {"x-node", m_name}, {"upgrade", "h2c"}, {"proxy-authenticate", "Basic"}};
        response.body = request.path == "/echo" ? request.body : m_name;
        if (delayMs > 0)
            QTimer::singleShot(delayMs.load(), [responder, response] { responder.respond(response); });
        else
            responder.respond(response);
    }

    QByteArray m_name;
    quint16 m_port = 0;
    std::unique_ptr<Http::HttpServer> m_server;
    mutable QMutex m_mutex;
    QList<Seen> m_seen;
};

// A self-signed certificate for 127.0.0.1 and localhost (100 years), for the https node.
const QByteArray kPrivateKey = "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6XyQ+AlDJQVtx2eF\n"
    "3MwhGdwE5wTR+sdZj7hQpUkKQ6ahRANCAAQ2/o+0MMYDABPDA58zrqzW/GkKf4Gj\n"
    "yAgid6E9m4MPaQ+PjrfRHfxGRrd1PkaTUdqdKb359wF2IhvJSUPAQT40\n"
    "-----END PRIVATE KEY-----\n";
const QByteArray kCertificate = "-----BEGIN CERTIFICATE-----\n"
    "MIIBmzCCAUGgAwIBAgIUTUL/6nxpWJqyfHpr9mj0LVker3MwCgYIKoZIzj0EAwIw\n"
    "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNzA2NDUyNVoYDzIxMjYxMTAz\n"
    "MDY0NTI1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
    "PQMBBwNCAAQ2/o+0MMYDABPDA58zrqzW/GkKf4GjyAgid6E9m4MPaQ+PjrfRHfxG\n"
    "Rrd1PkaTUdqdKb359wF2IhvJSUPAQT40o28wbTAdBgNVHQ4EFgQUGr8NaFWEK9Ms\n"
    "6mw3E9dQcSfjK+AwHwYDVR0jBBgwFoAUGr8NaFWEK9Ms6mw3E9dQcSfjK+AwDwYD\n"
    "VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI\n"
    "zj0EAwIDSAAwRQIgFkEtq1uSziq2ME2mbxJzDvpPGQPor5QfSm58p6iPfh4CIQDQ\n"
    "PTf9uvEDMFQYlU6QL9/PwH6/xznGfkvf8LHrRp3mlw==\n"
    "-----END CERTIFICATE-----\n";

// A node whose every byte is scripted: the n-th request gets answers.at(n) verbatim;
// "close" as an answer closes the connection instead. Runs on the test thread.
// With `tls`, it speaks TLS with a self-signed certificate for 127.0.0.1.
class ScriptedNode
{
public:
    explicit ScriptedNode(QList<QByteArray> answers, bool tls = false) : m_answers(std::move(answers))
    {
        if (tls) {
            auto server = std::make_unique<QSslServer>();
            QSslConfiguration config = QSslConfiguration::defaultConfiguration();
            config.setLocalCertificate(QSslCertificate(kCertificate));
            config.setPrivateKey(QSslKey(kPrivateKey, QSsl::Ec));
            server->setSslConfiguration(config);
            m_server = std::move(server);
        } else {
            m_server = std::make_unique<QTcpServer>();
        }
        m_server->listen(QHostAddress::LocalHost, 0);
        QObject::connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, m_server.get(), [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection()) {
                ++connections;
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { read(socket); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_server->serverPort()); }
    int connections = 0;
    int requests = 0;

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const auto end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            qsizetype length = 0;
            for (const QByteArray &line : buffer.left(end).split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() < end + 4 + length)
                return;
            buffer.remove(0, end + 4 + length);
            const QByteArray answer = m_answers.value(requests++);
            if (answer == "close") {
                socket->close();
                return;
            }
            socket->write(answer);
            if (answer.contains("Connection: close"))
                socket->disconnectFromHost();
        }
    }

    std::unique_ptr<QTcpServer> m_server;
    QList<QByteArray> m_answers;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

struct Answer
{
    ApiResponse response;
    bool arrived = false;
    qint64 elapsedMs = 0;
    QByteArray header(const QByteArray &name) const { return response.header(name); }
    QJsonObject json() const { return QJsonDocument::fromJson(response.body).object(); }
};

// A gateway with one http route "/*" named "proxy".
class Proxy
{
public:
    Proxy()
    {
        gateway.setUpstreamHandler(QStringLiteral("http"), [this](const RouteUpstream &target, ApiRequest &&request, ApiResponder &&respond) {
            upstream.handle(target, std::move(request), std::move(respond));
        });
    }
    bool route(const QJsonObject &upstreamJson, QStringList *errors = nullptr)
    {
        QJsonObject json{{QStringLiteral("id"), QStringLiteral("proxy")}, {QStringLiteral("uri"), QStringLiteral("/*")}};
        QJsonObject u = upstreamJson;
        u.insert(QStringLiteral("type"), QStringLiteral("http"));
        json.insert(QStringLiteral("upstream"), u);
        m_routes = {Route::fromJson(json, errors)};
        return gateway.setRoutes(m_routes, errors);
    }
    QList<std::pair<QString, RouteUpstream>> routes() const
    {
        QList<std::pair<QString, RouteUpstream>> out;
        for (const Route &r : m_routes)
            out.append({r.id, r.upstream});
        return out;
    }

    // Sends through the gateway from this thread and waits (spinning its event loop).
    Answer call(const QByteArray &method, const QByteArray &target, const QByteArray &body = {}, const Headers &extra = {})
    {
        ApiRequest request;
        request.method = method;
        const auto q = target.indexOf('?');
        request.path = q < 0 ? target : target.left(q);
        request.query = q < 0 ? QByteArray() : target.mid(q + 1);
        request.headers = {{"host", "gw.example"}};
        request.headers += extra;
        request.body = body;
        request.remoteAddress = QStringLiteral("10.1.2.3");
        request.remotePort = 40000;
        struct Pending { QMutex mutex; std::optional<ApiResponse> response; };
        auto pending = std::make_shared<Pending>();
        QElapsedTimer timer;
        timer.start();
        gateway.handle(request, [pending](ApiResponse r) {
            QMutexLocker lock(&pending->mutex);
            pending->response = std::move(r);
        });
        Answer answer;
        while (timer.elapsed() < kWaitMs * 2) {
            {
                QMutexLocker lock(&pending->mutex);
                if (pending->response) {
                    answer.response = *pending->response;
                    answer.arrived = true;
                    break;
                }
            }
            QTest::qWait(1);
        }
        answer.elapsedMs = timer.elapsed();
        return answer;
    }
    std::optional<HttpUpstream::NodeStatus> node(const QString &address) const
    {
        for (const auto &s : upstream.status()) {
            if (s.node == address)
                return s;
        }
        return std::nullopt;
    }

    HttpUpstream upstream;   // declared first: the gateway's handler uses it
    Gateway gateway;

private:
    QList<Route> m_routes;
};

QJsonObject nodesObject(const QList<std::pair<QString, int>> &nodes)
{
    QJsonObject o;
    for (const auto &[address, weight] : nodes)
        o.insert(address, weight);
    return o;
}

QJsonObject passiveChecks(int tcpFailures, int successes, double restSeconds)
{
    return {{QStringLiteral("passive"),
             QJsonObject{{QStringLiteral("healthy"), QJsonObject{{QStringLiteral("successes"), successes}}},
                         {QStringLiteral("unhealthy"), QJsonObject{{QStringLiteral("tcp_failures"), tcpFailures},
                                                                   {QStringLiteral("http_failures"), 2},
                                                                   {QStringLiteral("interval"), restSeconds}}}}}};
}

} // namespace

class tst_HttpUpstream : public QObject
{
    Q_OBJECT

private slots:
    void specValidation_data();
    void specValidation();
    void weightedRoundRobin();
    void deadNodeIsRetriedAndMarkedUnhealthy();
    void allNodesDead502();
    void readTimeout504_data();
    void readTimeout504();
    void passiveChecksRecoverNode();
    void activeChecksMarkDownAndUp();
    void headersForwarded_data();
    void headersForwarded();
    void bodyAndHeadForwarded();
    void keepAliveReuse_data();
    void keepAliveReuse();
    void answerFraming_data();
    void answerFraming();
    void staleKeepAliveResent();
    void httpsScheme_data();
    void httpsScheme();
    void stateAcrossReloads();
    void throughHttpServer();
    void breakerAgainstRealUpstream();
};

void tst_HttpUpstream::specValidation_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");   // a fragment of the first error; empty: valid

    QTest::newRow("object nodes") << QByteArray(R"({"nodes":{"127.0.0.1:8081":3,"[::1]:8082":1,"example.org":1}})") << QString();
    QTest::newRow("array nodes") << QByteArray(R"({"nodes":[{"host":"10.0.0.1","port":80,"weight":2}],"scheme":"https"})") << QString();
    QTest::newRow("full") << QByteArray(R"({"nodes":{"a:1":1},"timeout":{"connect":0.5,"send":1,"read":2.5},"retries":2,
        "retry_timeout":3,"pass_host":"rewrite","upstream_host":"b.internal","keepalive_pool":{"size":4,"idle_timeout":0,"requests":10},
        "checks":{"active":{"type":"tcp","timeout":1,"healthy":{"interval":2}},"passive":{"unhealthy":{"interval":1}}}})") << QString();
    QTest::newRow("no nodes") << QByteArray(R"({"nodes":{}})") << QStringLiteral("/nodes: must list at least one node");
    QTest::newRow("negative weight") << QByteArray(R"({"nodes":{"a:1":-1}})") << QStringLiteral("/nodes/a:1: the weight");
    QTest::newRow("bad port") << QByteArray(R"({"nodes":{"a:99999":1}})") << QStringLiteral("/nodes/a:99999: not a host:port");
    QTest::newRow("zero timeout") << QByteArray(R"({"nodes":{"a:1":1},"timeout":{"read":0}})") << QStringLiteral("/timeout/read:");
    QTest::newRow("bad scheme") << QByteArray(R"({"nodes":{"a:1":1},"scheme":"gopher"})") << QStringLiteral("/scheme: must be one of");
    QTest::newRow("rewrite without host") << QByteArray(R"({"nodes":{"a:1":1},"pass_host":"rewrite"})") << QStringLiteral("/upstream_host: is required");
    QTest::newRow("bad statuses") << QByteArray(R"({"nodes":{"a:1":1},"checks":{"passive":{"unhealthy":{"http_statuses":[99]}}}})")
                                  << QStringLiteral("/checks/passive/unhealthy/http_statuses:");
    QTest::newRow("bad path") << QByteArray(R"({"nodes":{"a:1":1},"checks":{"active":{"http_path":"health"}}})")
                              << QStringLiteral("/checks/active/http_path: must start with /");
}

void tst_HttpUpstream::specValidation()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QStringList errors;
    const HttpUpstreamSpec spec = HttpUpstreamSpec::fromJson(QJsonDocument::fromJson(json).object(), &errors);
    if (error.isEmpty()) {
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
        QVERIFY(!spec.nodes.isEmpty());
    } else {
        QVERIFY2(!errors.isEmpty() && errors.first().contains(error), qPrintable(errors.join(u'\n')));
    }
}

void tst_HttpUpstream::weightedRoundRobin()
{
    TestNode a("a"), b("b"), c("c");
    QVERIFY(a.start() && b.start() && c.start());
    Proxy proxy;
    QJsonArray nodes;
    for (const auto &[node, weight] : {std::pair{&a, 3}, std::pair{&b, 2}, std::pair{&c, 1}})
        nodes.append(QJsonObject{{QStringLiteral("host"), QStringLiteral("127.0.0.1")}, {QStringLiteral("port"), node->port()}, {QStringLiteral("weight"), weight}});
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodes}}));

    QByteArray order;
    for (int i = 0; i < 60; ++i) {
        const Answer answer = proxy.call("GET", "/who");
        QCOMPARE(answer.response.status, 200);
        order += answer.response.body;
    }
    // nginx's smooth weighted round robin: exact shares, interleaved.
    QCOMPARE(order.left(12), QByteArray("abacbaabacba"));
    QCOMPARE(order.count('a'), 30);
    QCOMPARE(order.count('b'), 20);
    QCOMPARE(order.count('c'), 10);
}

void tst_HttpUpstream::deadNodeIsRetriedAndMarkedUnhealthy()
{
    TestNode live("live");
    QVERIFY(live.start());
    const QString dead = QStringLiteral("127.0.0.1:%1").arg(closedPort());
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{live.address(), 1}, {dead, 1}})},
                         {QStringLiteral("checks"), passiveChecks(2, 2, 60)}}));
    for (int i = 0; i < 10; ++i) {
        const Answer answer = proxy.call("GET", "/x");
        QVERIFY(answer.elapsedMs < kWaitMs);
        QCOMPARE(answer.response.status, 200);
        QCOMPARE(answer.response.body, QByteArray("live"));
    }
    QCOMPARE(live.requests(), 10);
    const auto deadStatus = proxy.node(dead);
    QVERIFY(deadStatus);
    QVERIFY(!deadStatus->healthy);
    QCOMPARE(deadStatus->routeId, QStringLiteral("proxy"));
    QVERIFY2(!deadStatus->lastError.isEmpty(), qPrintable(deadStatus->lastError));
    QVERIFY(proxy.node(live.address())->healthy);
    QCOMPARE(proxy.node(live.address())->consecutiveFailures, 0);
}

void tst_HttpUpstream::allNodesDead502()
{
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{QStringLiteral("127.0.0.1:%1").arg(closedPort()), 1},
                                                               {QStringLiteral("127.0.0.1:%1").arg(closedPort()), 2}})},
                         {QStringLiteral("checks"), passiveChecks(1, 1, 60)}}));
    // Also once every node is unhealthy: the gateway fails open and still tries them.
    for (int i = 0; i < 3; ++i) {
        const Answer answer = proxy.call("POST", "/x", "{}");
        QVERIFY(answer.arrived && answer.elapsedMs < kWaitMs);
        QCOMPARE(answer.response.status, 502);
        QCOMPARE(answer.header("content-type"), QByteArray("application/problem+json"));
        QCOMPARE(answer.json().value(QStringLiteral("type")).toString(), QStringLiteral("urn:gatehouse:problem:upstream-unavailable"));
    }
    for (const auto &s : proxy.upstream.status())
        QVERIFY(!s.healthy);
}

void tst_HttpUpstream::readTimeout504_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<int>("nodesAsked");   // a timed-out request is retried only if idempotent
    QTest::newRow("GET retried") << QByteArray("GET") << 2;
    QTest::newRow("POST not retried") << QByteArray("POST") << 1;
}

void tst_HttpUpstream::readTimeout504()
{
    QFETCH(QByteArray, method);
    QFETCH(int, nodesAsked);
    TestNode slow1("slow1"), slow2("slow2");
    QVERIFY(slow1.start() && slow2.start());
    slow1.delayMs = 2000;
    slow2.delayMs = 2000;
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{slow1.address(), 1}, {slow2.address(), 1}})},
                         {QStringLiteral("timeout"), QJsonObject{{QStringLiteral("connect"), 1}, {QStringLiteral("read"), 0.3}}}}));
    const Answer answer = proxy.call(method, "/slow", "{}");
    QVERIFY(answer.arrived);
    QVERIFY2(answer.elapsedMs < kWaitMs, QByteArray::number(answer.elapsedMs).constData());
    QCOMPARE(answer.response.status, 504);
    QCOMPARE(answer.json().value(QStringLiteral("type")).toString(), QStringLiteral("urn:gatehouse:problem:upstream-timeout"));
    QCOMPARE(slow1.requests() + slow2.requests(), nodesAsked);
}

void tst_HttpUpstream::passiveChecksRecoverNode()
{
    TestNode a("a"), b("b");
    QVERIFY(a.start() && b.start());
    const quint16 bPort = b.port();
    Proxy proxy;
    // Passive checks only -- APISIX would never bring b back.
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{a.address(), 1}, {b.address(), 1}})},
                         {QStringLiteral("checks"), passiveChecks(1, 2, 0.3)}}));
    QCOMPARE(proxy.call("GET", "/").response.status, 200);
    b.stop();
    for (int i = 0; i < 4; ++i)
        QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QVERIFY(!proxy.node(b.address())->healthy);

    QVERIFY(b.start(bPort));
    const int before = b.requests();
    QElapsedTimer timer;
    timer.start();
    while (!proxy.node(b.address())->healthy && timer.elapsed() < kWaitMs) {
        QCOMPARE(proxy.call("GET", "/").response.status, 200);
        QTest::qWait(50);
    }
    QVERIFY(proxy.node(b.address())->healthy);
    QVERIFY(b.requests() - before >= 2);   // healthy.successes real requests probed it

    // Healthy again: back in the rotation.
    const int a0 = a.requests(), b0 = b.requests();
    for (int i = 0; i < 10; ++i)
        QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QCOMPARE(a.requests() - a0, 5);
    QCOMPARE(b.requests() - b0, 5);
}

void tst_HttpUpstream::activeChecksMarkDownAndUp()
{
    TestNode a("a"), b("b");
    QVERIFY(a.start() && b.start());
    Proxy proxy;
    const QJsonObject healthy{{QStringLiteral("interval"), 0.1}, {QStringLiteral("successes"), 2}};
    const QJsonObject unhealthy{{QStringLiteral("interval"), 0.1}, {QStringLiteral("http_failures"), 2}};
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{a.address(), 1}, {b.address(), 1}})},
                         {QStringLiteral("checks"), QJsonObject{{QStringLiteral("active"), QJsonObject{
                              {QStringLiteral("http_path"), QStringLiteral("/health")}, {QStringLiteral("timeout"), 1},
                              {QStringLiteral("healthy"), healthy}, {QStringLiteral("unhealthy"), unhealthy}}}}}}));
    QCOMPARE(proxy.call("GET", "/").response.status, 200);   // the checker starts with the first request

    b.healthStatus = 503;
    QTRY_VERIFY_WITH_TIMEOUT(!proxy.node(b.address())->healthy, kWaitMs);
    const int b0 = b.requests();
    for (int i = 0; i < 6; ++i)
        QCOMPARE(proxy.call("GET", "/").response.body, QByteArray("a"));
    QCOMPARE(b.requests(), b0);

    b.healthStatus = 200;
    QTRY_VERIFY_WITH_TIMEOUT(proxy.node(b.address())->healthy, kWaitMs);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QCOMPARE(b.requests() - b0, 3);
}

void tst_HttpUpstream::headersForwarded_data()
{
    QTest::addColumn<QString>("passHost");
    QTest::addColumn<QByteArray>("expectedHost");   // "node": the node's address
    QTest::newRow("pass") << QStringLiteral("pass") << QByteArray("gw.example");
    QTest::newRow("node") << QStringLiteral("node") << QByteArray("node");
    QTest::newRow("rewrite") << QStringLiteral("rewrite") << QByteArray("backend.internal");
}

void tst_HttpUpstream::headersForwarded()
{
    QFETCH(QString, passHost);
    QFETCH(QByteArray, expectedHost);
    TestNode node("n");
    QVERIFY(node.start());
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}, {QStringLiteral("pass_host"), passHost},
                         {QStringLiteral("upstream_host"), QStringLiteral("backend.internal")}}));
    const Answer answer = proxy.call("GET", "/api/a%20b?x=1&y=%2F", {},
                                     {{"x-forwarded-for", "1.1.1.1"}, {"x-custom", "yes"}, {"connection", "keep-alive, x-secret"},
                                      {"x-secret", "1"}, {"keep-alive", "timeout=5"}, {"te", "trailers"}, {"upgrade", "websocket"},
                                      {"proxy-authorization", "Basic eA=="}, {"x-real-ip", "6.6.6.6"}});
    QCOMPARE(answer.response.status, 200);
    QCOMPARE(answer.header("x-node"), QByteArray("n"));
    QCOMPARE(answer.header("upgrade"), QByteArray());              // hop-by-hop on the way back
    QCOMPARE(answer.header("proxy-authenticate"), QByteArray());

    QCOMPARE(node.requests(), 1);
    const TestNode::Seen seen = node.seen().first();
    QCOMPARE(seen.target, QByteArray("/api/a%20b?x=1&y=%2F"));
    QCOMPARE(headerOf(seen.headers, "host"), expectedHost == "node" ? node.address().toLatin1() : expectedHost);
    QCOMPARE(headerOf(seen.headers, "x-forwarded-for"), QByteArray("1.1.1.1, 10.1.2.3"));
    QCOMPARE(headerOf(seen.headers, "x-real-ip"), QByteArray("10.1.2.3"));
    QCOMPARE(headerOf(seen.headers, "x-forwarded-proto"), QByteArray("http"));
    QCOMPARE(headerOf(seen.headers, "x-forwarded-host"), QByteArray("gw.example"));
    QCOMPARE(headerOf(seen.headers, "x-custom"), QByteArray("yes"));
    for (const char *hop : {"x-secret", "te", "upgrade", "proxy-authorization", "keep-alive"})
        QVERIFY2(headerOf(seen.headers, hop).isEmpty(), hop);
}

void tst_HttpUpstream::bodyAndHeadForwarded()
{
    TestNode node("n");
    QVERIFY(node.start());
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}}));
    QByteArray body(100 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char(i * 7 % 251);
    const Answer post = proxy.call("POST", "/echo", body, {{"content-type", "application/octet-stream"}});
    QCOMPARE(post.response.status, 200);
    QCOMPARE(post.response.body, body);
    QCOMPARE(node.seen().last().body, body);
    QCOMPARE(headerOf(node.seen().last().headers, "content-length"), QByteArray::number(body.size()));
    QCOMPARE(headerOf(node.seen().last().headers, "content-type"), QByteArray("application/octet-stream"));

    // HEAD has no body, whatever Content-Length says; the connection stays in step.
    const Answer head = proxy.call("HEAD", "/x");
    QCOMPARE(head.response.status, 200);
    QVERIFY(head.response.body.isEmpty());
    QCOMPARE(proxy.call("GET", "/x").response.body, QByteArray("n"));
    QCOMPARE(node.connections(), 1);
}

void tst_HttpUpstream::keepAliveReuse_data()
{
    QTest::addColumn<int>("poolSize");
    QTest::addColumn<int>("minConnections");
    QTest::addColumn<int>("maxConnections");
    QTest::newRow("pool") << 2 << 1 << 2;
    QTest::newRow("no pool") << 0 << 25 << 50;
}

void tst_HttpUpstream::keepAliveReuse()
{
    QFETCH(int, poolSize);
    QFETCH(int, minConnections);
    QFETCH(int, maxConnections);
    TestNode node("n");
    QVERIFY(node.start());
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})},
                         {QStringLiteral("keepalive_pool"), QJsonObject{{QStringLiteral("size"), poolSize}}}}));
    for (int i = 0; i < 50; ++i)
        QCOMPARE(proxy.call(i % 2 ? "POST" : "GET", "/x", "{}").response.status, 200);
    QVERIFY2(node.connections() >= minConnections && node.connections() <= maxConnections,
             QByteArray::number(node.connections()).constData());
}

void tst_HttpUpstream::answerFraming_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("chunked") << QByteArray("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                             << 201 << QByteArray("abcde");
    QTest::newRow("close-delimited") << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\nX-A: 1\r\n\r\nuntil the end")
                                     << 200 << QByteArray("until the end");
    QTest::newRow("interim 100") << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok")
                                 << 200 << QByteArray("ok");
    QTest::newRow("connection-listed") << QByteArray("HTTP/1.1 200 OK\r\nConnection: x-hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=9\r\n"
                                                     "Content-Length: 2\r\nX-A: 1\r\n\r\nok")
                                       << 200 << QByteArray("ok");
    QTest::newRow("not http") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << 502 << QByteArray();
    QTest::newRow("closed early") << QByteArray("close") << 502 << QByteArray();
}

void tst_HttpUpstream::answerFraming()
{
    QFETCH(QByteArray, wire);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    ScriptedNode node({wire});
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}}));
    const Answer answer = proxy.call("POST", "/x", "{}");
    QVERIFY(answer.arrived);
    QCOMPARE(answer.response.status, status);
    if (status == 502)
        return;
    QCOMPARE(answer.response.body, body);
    QCOMPARE(answer.header("x-a"), QByteArray("1"));
    for (const char *hop : {"transfer-encoding", "connection", "x-hop", "keep-alive", "content-length"})
        QVERIFY2(answer.header(hop).isEmpty(), hop);
}

void tst_HttpUpstream::staleKeepAliveResent()
{
    // The node closes the kept-alive connection just as the next request arrives (a keep-alive
    // timeout race): the request goes again on a new connection and is not counted as a retry.
    ScriptedNode node({"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", "close", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"});
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}, {QStringLiteral("retries"), 0}}));
    QCOMPARE(proxy.call("POST", "/x", "{}").response.body, QByteArray("1"));
    const Answer second = proxy.call("POST", "/x", "{}");
    QCOMPARE(second.response.status, 200);
    QCOMPARE(second.response.body, QByteArray("2"));
    QCOMPARE(node.connections, 2);
    QCOMPARE(node.requests, 3);
}

void tst_HttpUpstream::httpsScheme_data()
{
    QTest::addColumn<bool>("verify");
    QTest::addColumn<int>("status");
    QTest::newRow("not verified (APISIX default)") << false << 200;
    QTest::newRow("verified, self-signed") << true << 502;
}

void tst_HttpUpstream::httpsScheme()
{
    QFETCH(bool, verify);
    QFETCH(int, status);
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    ScriptedNode node({"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls"}, true);
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}, {QStringLiteral("scheme"), QStringLiteral("https")},
                         {QStringLiteral("tls"), QJsonObject{{QStringLiteral("verify"), verify}}}}));
    const Answer answer = proxy.call("GET", "/x");
    QVERIFY(answer.arrived);
    QCOMPARE(answer.response.status, status);
    QCOMPARE(node.requests, status == 200 ? 1 : 0);
    if (status == 200)
        QCOMPARE(answer.response.body, QByteArray("tls"));
}

void tst_HttpUpstream::stateAcrossReloads()
{
    TestNode live("live");
    QVERIFY(live.start());
    const QString dead = QStringLiteral("127.0.0.1:%1").arg(closedPort());
    Proxy proxy;
    const QJsonObject upstream{{QStringLiteral("nodes"), nodesObject({{live.address(), 1}, {dead, 1}})},
                               {QStringLiteral("checks"), passiveChecks(1, 2, 60)}};
    QVERIFY(proxy.route(upstream));
    for (int i = 0; i < 2; ++i)
        QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QVERIFY(!proxy.node(dead)->healthy);

    // The same upstream after a reload: the same state, the dead node still known.
    QVERIFY(proxy.route(upstream));
    proxy.upstream.retain(proxy.routes());
    QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QCOMPARE(proxy.upstream.status().size(), 2);
    QVERIFY(!proxy.node(dead)->healthy);

    // A changed upstream is new state; retain() drops the old one.
    QJsonObject changed = upstream;
    changed.insert(QStringLiteral("retries"), 1);
    QVERIFY(proxy.route(changed));
    QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QCOMPARE(proxy.upstream.status().size(), 4);
    proxy.upstream.retain(proxy.routes());
    QTRY_COMPARE_WITH_TIMEOUT(proxy.upstream.status().size(), 2, kWaitMs);

    // Unused state expires.
    proxy.upstream.setIdleExpiry(100);
    QTRY_COMPARE_WITH_TIMEOUT(proxy.upstream.status().size(), 0, kWaitMs);
    proxy.upstream.setIdleExpiry(60000);
    QCOMPARE(proxy.call("GET", "/").response.status, 200);
    QCOMPARE(proxy.upstream.status().size(), 2);
}

void tst_HttpUpstream::throughHttpServer()
{
    // Client -> our HTTP server -> gateway -> upstream thread -> node, all over sockets.
    TestNode node("n");
    QVERIFY(node.start());
    Proxy proxy;
    QVERIFY(proxy.route({{QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}}));
    Http::HttpServer front(Http::makeGatewayHandler(&proxy.gateway));
    QVERIFY(front.listen(QHostAddress::LocalHost, 0));
    TestHttpClient client(QStringLiteral("127.0.0.1"), front.serverPort(), kWaitMs);
    for (int i = 0; i < 5; ++i) {
        const TestHttpResponse r = client.post("/echo", "{\"i\":" + QByteArray::number(i) + '}');
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, "{\"i\":" + QByteArray::number(i) + '}');
        QCOMPARE(r.header("x-node"), QByteArray("n"));
    }
    QCOMPARE(headerOf(node.seen().first().headers, "x-forwarded-for"), QByteArray("127.0.0.1"));
}

// api-breaker in front of a real upstream server: failures open it (the node is no longer
// called), a probe after the open window closes it again, a failed probe re-opens it for
// twice as long.
void tst_HttpUpstream::breakerAgainstRealUpstream()
{
    TestNode node("n1");
    QVERIFY(node.start());
    Proxy proxy;
    const QJsonObject routeJson{
        {QStringLiteral("id"), QStringLiteral("guarded")},
        {QStringLiteral("uri"), QStringLiteral("/*")},
        {QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("http")},
                                                 {QStringLiteral("nodes"), nodesObject({{node.address(), 1}})}}},
        {QStringLiteral("plugins"), QJsonObject{{QStringLiteral("api-breaker"), QJsonObject{
            {QStringLiteral("break_response_code"), 503},
            {QStringLiteral("unhealthy"), QJsonObject{{QStringLiteral("http_statuses"), QJsonArray{500}}, {QStringLiteral("failures"), 2}}},
            {QStringLiteral("healthy"), QJsonObject{{QStringLiteral("http_statuses"), QJsonArray{200}}, {QStringLiteral("successes"), 1}}},
            {QStringLiteral("min_breaker_sec"), 0.3},
            {QStringLiteral("max_breaker_sec"), 5}}}}},
    };
    QStringList errors;
    QVERIFY2(proxy.gateway.setRoutes({Route::fromJson(routeJson, &errors)}, &errors), qPrintable(errors.join(u'\n')));

    node.status = 500;
    QCOMPARE(proxy.call("GET", "/x").response.status, 500);
    QCOMPARE(proxy.call("GET", "/x").response.status, 500);
    const int callsWhenOpened = node.requests();
    // Open: answered by the breaker, the node is not called.
    QCOMPARE(proxy.call("GET", "/x").response.status, 503);
    QCOMPARE(proxy.call("GET", "/x").response.status, 503);
    QCOMPARE(node.requests(), callsWhenOpened);

    // Calls until one is not answered by the breaker (QTRY_COMPARE would call once more).
    auto callUntilProbe = [&proxy] {
        QElapsedTimer t;
        t.start();
        int status = 0;
        while (t.elapsed() < 10000 && (status = proxy.call("GET", "/x").response.status) == 503)
            QTest::qWait(20);
        return status;
    };
    // After the open window a probe goes through; the node has recovered, so it closes.
    node.status = 200;
    QCOMPARE(callUntilProbe(), 200);
    QCOMPARE(proxy.call("GET", "/x").response.status, 200);
    QVERIFY(node.requests() > callsWhenOpened);

    // Fails again: open again, and the node is spared.
    node.status = 500;
    QCOMPARE(proxy.call("GET", "/x").response.status, 500);
    QCOMPARE(proxy.call("GET", "/x").response.status, 500);
    const int callsWhenReopened = node.requests();
    QCOMPARE(proxy.call("GET", "/x").response.status, 503);
    QCOMPARE(node.requests(), callsWhenReopened);
    // The probe fails: open again, for twice as long.
    QCOMPARE(callUntilProbe(), 500);
    bool doubled = false;
    for (const BreakerStatus &b : breakerStatuses(proxy.gateway.pluginState().get()))
        doubled = doubled || (b.state == QLatin1String("open") && b.openSeconds > 0.5);
    QVERIFY(doubled);
    QCOMPARE(proxy.call("GET", "/x").response.status, 503);
}

QTEST_GUILESS_MAIN(tst_HttpUpstream)
#include "tst_httpupstream.moc"
