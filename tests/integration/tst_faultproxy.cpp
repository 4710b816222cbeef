// The fault proxy over real loopback sockets: data passes intact (also more than every buffer
// holds, while a slow reader keeps the proxy's own buffering bounded), and each toxic is seen
// doing what it says -- latency and bandwidth make data arrive no earlier than they allow,
// timeout drops data and closes, reset_peer resets (ECONNRESET, not an orderly end),
// slow_close holds the close back, down refuses and drops connections until it is lifted.
// Times are only ever checked from below.
#include "simulation/faultproxy.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Gatehouse::Simulation;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 20000;

// The node behind the proxy: echoes, or greets each connection with `greeting` (then closes
// when `closeAfterGreeting`); remembers what it received and when the first byte came.
class Upstream : public QObject
{
public:
    Upstream()
    {
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                s->setParent(this);
                connections.append(s);
                if (!greeting.isEmpty()) {
                    // Into the kernel now: a test may block in recv() right after it sees the
                    // connection, and this thread's loop would not send a buffered greeting.
                    s->write(greeting);
                    s->flush();
                    if (closeAfterGreeting)
                        s->disconnectFromHost();
                }
                connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    const QByteArray data = s->readAll();
                    if (received.isEmpty())
                        firstByte.start();
                    received += data;
                    if (echo)
                        s->write(data);
                });
            }
        });
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    }
    quint16 port() const { return server.serverPort(); }

    QTcpServer server;
    QList<QTcpSocket *> connections;
    QByteArray greeting;
    bool closeAfterGreeting = false;
    bool echo = true;
    QByteArray received;
    QElapsedTimer firstByte;
};

QByteArray pattern(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        out[i] = char((i * 7 + i / 251) & 0xff);
    return out;
}

// Reads from `socket` until `size` bytes came (or the wait ends).
QByteArray readExactly(QTcpSocket &socket, qsizetype size, int timeoutMs = kWaitMs)
{
    QByteArray out;
    QDeadlineTimer deadline(timeoutMs);
    while (out.size() < size && !deadline.hasExpired()) {
        if (socket.bytesAvailable() == 0)
            QTest::qWait(2);
        out += socket.read(size - out.size());
    }
    return out;
}

std::unique_ptr<FaultProxy> startProxy(quint16 upstreamPort, const Toxic &toxic = {}, int maxConnections = FaultProxy::kMaxConnections)
{
    auto proxy = std::make_unique<FaultProxy>(u"127.0.0.1"_s, upstreamPort, maxConnections);
    proxy->setToxic(toxic);
    QString error;
    if (!proxy->start(&error))
        qFatal("%s", qPrintable(error));
    return proxy;
}

Toxic toxic(const char *kind, const QJsonObject &attributes = {})
{
    QStringList errors;
    const std::optional<Toxic> t = Toxic::fromJson(QLatin1String(kind), attributes, &errors);
    if (!t)
        qFatal("bad toxic: %s", qPrintable(errors.join(u"; "_s)));
    return *t;
}

// A plain POSIX client: tells an orderly end (recv 0) from a reset (ECONNRESET).
int posixConnect(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace

class tst_FaultProxy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toxicAttributes_data();
    void toxicAttributes();
    void passesDataIntact();
    void boundedBuffering();
    void latency_data();
    void latency();
    void latencyOnAnOpenConnection();
    void bandwidth();
    void timeout();
    void timeoutZeroHoldsUntilLifted();
    void resetPeer_data();
    void resetPeer();
    void slowClose();
    void down();
    void refusedUpstreamClosesTheClient();
    void connectionLimit();
};

void tst_FaultProxy::toxicAttributes_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QByteArray>("attributes");
    QTest::addColumn<QString>("error");   // empty: valid

    QTest::newRow("latency") << u"latency"_s << QByteArray(R"({"latency": 100, "jitter": 10})") << QString();
    QTest::newRow("latency upstream") << u"latency"_s << QByteArray(R"({"latency": 100, "stream": "upstream"})") << QString();
    QTest::newRow("bandwidth") << u"bandwidth"_s << QByteArray(R"({"rate": 100})") << QString();
    QTest::newRow("timeout") << u"timeout"_s << QByteArray(R"({"timeout": 0})") << QString();
    QTest::newRow("reset_peer") << u"reset_peer"_s << QByteArray(R"({})") << QString();
    QTest::newRow("slow_close") << u"slow_close"_s << QByteArray(R"({"delay": 50})") << QString();
    QTest::newRow("down") << u"down"_s << QByteArray(R"({})") << QString();
    QTest::newRow("unknown kind") << u"limit_data"_s << QByteArray(R"({})") << u"toxic: must be one of"_s;
    QTest::newRow("foreign attribute") << u"latency"_s << QByteArray(R"({"rate": 1})") << u"rate: is not an attribute of latency"_s;
    QTest::newRow("negative latency") << u"latency"_s << QByteArray(R"({"latency": -1})") << u"latency: must be a whole number"_s;
    QTest::newRow("fractional jitter") << u"latency"_s << QByteArray(R"({"latency": 1, "jitter": 0.5})") << u"jitter: must be a whole number"_s;
    QTest::newRow("latency beyond an hour") << u"latency"_s << QByteArray(R"({"latency": 3600001})") << u"latency: must be a whole number from 0 to 3600000"_s;
    QTest::newRow("bandwidth without rate") << u"bandwidth"_s << QByteArray(R"({})") << u"rate: is required"_s;
    QTest::newRow("zero rate") << u"bandwidth"_s << QByteArray(R"({"rate": 0})") << u"rate: must be a whole number from 1"_s;
    QTest::newRow("bad stream") << u"bandwidth"_s << QByteArray(R"({"rate": 1, "stream": "both"})") << u"stream: must be"_s;
    QTest::newRow("down has none") << u"down"_s << QByteArray(R"({"timeout": 1})") << u"timeout: is not an attribute of down (it has none)"_s;
}

void tst_FaultProxy::toxicAttributes()
{
    QFETCH(QString, kind);
    QFETCH(QByteArray, attributes);
    QFETCH(QString, error);
    QStringList errors;
    const std::optional<Toxic> t = Toxic::fromJson(kind, QJsonDocument::fromJson(attributes).object(), &errors);
    if (error.isEmpty()) {
        QVERIFY2(t, qPrintable(errors.join(u"; "_s)));
        QCOMPARE(Toxic::kindName(t->kind), kind);
        QStringList again;
        const QJsonObject json = t->toJson();
        QVERIFY(Toxic::fromJson(json.value(u"type"_s).toString(), json.value(u"attributes"_s).toObject(), &again));
        return;
    }
    QVERIFY(!t);
    QVERIFY2(std::any_of(errors.cbegin(), errors.cend(), [&](const QString &e) { return e.contains(error); }),
             qPrintable(errors.join(u"\n"_s)));
}

void tst_FaultProxy::passesDataIntact()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port());
    QVERIFY(proxy->port() != 0);
    QCOMPARE(proxy->address(), u"127.0.0.1:%1"_s.arg(proxy->port()));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    // More than every buffer on the way holds, both ways at once.
    const QByteArray data = pattern(8 << 20);
    client.write(data);
    const QByteArray back = readExactly(client, data.size(), 60000);
    QCOMPARE(back.size(), data.size());
    QVERIFY(back == data);
    QCOMPARE(upstream.received.size(), data.size());
    const FaultProxy::Stats s = proxy->stats();
    QCOMPARE(s.accepted, quint64(1));
    QCOMPARE(s.open, 1);
    QCOMPARE(s.bytesUp, quint64(data.size()));
    QCOMPARE(s.bytesDown, quint64(data.size()));
    QVERIFY(s.listening);
    client.disconnectFromHost();
    QTRY_COMPARE_WITH_TIMEOUT(proxy->stats().open, 0, kWaitMs);
}

void tst_FaultProxy::boundedBuffering()
{
    // The upstream sends far more than the client reads: the proxy holds at most its bound
    // (plus what the kernels buffer) and leaves the rest with the sender.
    Upstream upstream;
    const qsizetype total = qsizetype(32) << 20;
    upstream.greeting = pattern(total);
    auto proxy = startProxy(upstream.port());
    QTcpSocket client;
    client.setReadBufferSize(4096);   // the client reads almost nothing for now
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    QTRY_VERIFY_WITH_TIMEOUT(proxy->stats().bytesDown > 0, kWaitMs);
    QTest::qWait(1000);
    const quint64 forwarded = proxy->stats().bytesDown;
    QVERIFY2(forwarded < quint64(24) << 20, qPrintable(u"%1 bytes forwarded to a client that reads nothing"_s.arg(forwarded)));
    QVERIFY(!upstream.connections.isEmpty());
    QVERIFY2(upstream.connections.first()->bytesToWrite() > 0, "the sender is held back");
    // Then everything arrives, intact.
    client.setReadBufferSize(0);
    const QByteArray all = readExactly(client, total, 60000);
    QCOMPARE(all.size(), total);
    QVERIFY(all == upstream.greeting);
}

void tst_FaultProxy::latency_data()
{
    QTest::addColumn<QByteArray>("attributes");
    QTest::addColumn<int>("atLeastMs");     // the echo's round trip
    QTest::addColumn<int>("upstreamAtLeastMs");   // until the upstream's first byte

    QTest::newRow("downstream") << QByteArray(R"({"latency": 300})") << 300 << 0;
    QTest::newRow("with jitter") << QByteArray(R"({"latency": 300, "jitter": 100})") << 200 << 0;
    QTest::newRow("upstream") << QByteArray(R"({"latency": 300, "stream": "upstream"})") << 300 << 300;
}

void tst_FaultProxy::latency()
{
    QFETCH(QByteArray, attributes);
    QFETCH(int, atLeastMs);
    QFETCH(int, upstreamAtLeastMs);
    Upstream upstream;
    auto proxy = startProxy(upstream.port(), toxic("latency", QJsonDocument::fromJson(attributes).object()));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    for (int i = 0; i < 3; ++i) {
        upstream.received.clear();
        QElapsedTimer clock;
        clock.start();
        client.write("ping " + QByteArray::number(i));
        QCOMPARE(readExactly(client, 6), "ping " + QByteArray::number(i));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= atLeastMs, qPrintable(u"echo after %1 ms"_s.arg(elapsed)));
        if (upstreamAtLeastMs > 0) {
            const qint64 toUpstream = elapsed - upstream.firstByte.elapsed();
            QVERIFY2(toUpstream >= upstreamAtLeastMs, qPrintable(u"reached the upstream after %1 ms"_s.arg(toUpstream)));
        }
    }
}

void tst_FaultProxy::latencyOnAnOpenConnection()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port());
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    client.write("one");
    QCOMPARE(readExactly(client, 3), QByteArray("one"));
    proxy->setToxic(toxic("latency", {{u"latency"_s, 400}}));
    QCOMPARE(proxy->toxic().kind, Toxic::Latency);
    QElapsedTimer clock;
    clock.start();
    client.write("two");
    QCOMPARE(readExactly(client, 3), QByteArray("two"));
    QVERIFY2(clock.elapsed() >= 400, qPrintable(u"echo after %1 ms"_s.arg(clock.elapsed())));
}

void tst_FaultProxy::bandwidth()
{
    Upstream upstream;
    upstream.greeting = pattern(30000);
    // 100 KB/s: 30,000 bytes need at least 300 ms.
    auto proxy = startProxy(upstream.port(), toxic("bandwidth", {{u"rate"_s, 100}}));
    QElapsedTimer clock;
    clock.start();
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    const QByteArray got = readExactly(client, upstream.greeting.size());
    QCOMPARE(got, upstream.greeting);
    QVERIFY2(clock.elapsed() >= 300, qPrintable(u"30,000 bytes at 100 KB/s in %1 ms"_s.arg(clock.elapsed())));
}

void tst_FaultProxy::timeout()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port(), toxic("timeout", {{u"timeout"_s, 400}}));
    QElapsedTimer clock;
    clock.start();
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    client.write("lost");
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QVERIFY2(clock.elapsed() >= 400, qPrintable(u"closed after %1 ms"_s.arg(clock.elapsed())));
    QVERIFY2(upstream.received.isEmpty(), "no data passes a timeout toxic");
    QCOMPARE(client.bytesAvailable(), 0);
}

void tst_FaultProxy::timeoutZeroHoldsUntilLifted()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port(), toxic("timeout", {{u"timeout"_s, 0}}));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    client.write("dropped");
    QTest::qWait(500);
    QCOMPARE(client.state(), QAbstractSocket::ConnectedState);   // 0: never closed
    QVERIFY(upstream.received.isEmpty());
    proxy->setToxic({});
    client.write("passes");
    QCOMPARE(readExactly(client, 6), QByteArray("passes"));
    QCOMPARE(upstream.received, QByteArray("passes"));   // what came during the toxic is gone
}

void tst_FaultProxy::resetPeer_data()
{
    QTest::addColumn<int>("timeoutMs");
    QTest::newRow("at once") << 0;
    QTest::newRow("after 300 ms") << 300;
}

void tst_FaultProxy::resetPeer()
{
    QFETCH(int, timeoutMs);
    Upstream upstream;
    upstream.greeting = "hello";   // gives the client something to read before the reset
    auto proxy = startProxy(upstream.port(), timeoutMs == 0 ? Toxic{} : toxic("reset_peer", {{u"timeout"_s, timeoutMs}}));
    QElapsedTimer clock;
    clock.start();
    const int fd = posixConnect(proxy->port());
    QVERIFY(fd >= 0);
    char buffer[64];
    if (timeoutMs == 0) {
        // An open connection that is reset the moment the toxic arrives. (The upstream greets
        // on this thread's event loop: let it, then read the greeting the proxy forwards.)
        QTRY_COMPARE_WITH_TIMEOUT(upstream.connections.size(), 1, kWaitMs);
        QCOMPARE(::recv(fd, buffer, 5, MSG_WAITALL), ssize_t(5));
        clock.restart();
        proxy->setToxic(toxic("reset_peer"));
    }
    ssize_t n = 0;
    do {
        n = ::recv(fd, buffer, sizeof buffer, 0);   // the greeting may come first
    } while (n > 0);
    const int error = errno;
    ::close(fd);
    QCOMPARE(n, ssize_t(-1));
    QCOMPARE(error, ECONNRESET);
    QVERIFY2(clock.elapsed() >= timeoutMs, qPrintable(u"reset after %1 ms"_s.arg(clock.elapsed())));
}

void tst_FaultProxy::slowClose()
{
    Upstream upstream;
    upstream.greeting = "bye";
    upstream.closeAfterGreeting = true;
    auto proxy = startProxy(upstream.port(), toxic("slow_close", {{u"delay"_s, 400}}));
    QElapsedTimer clock;
    clock.start();
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    QCOMPARE(readExactly(client, 3), QByteArray("bye"));
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QVERIFY2(clock.elapsed() >= 400, qPrintable(u"closed after %1 ms"_s.arg(clock.elapsed())));
}

void tst_FaultProxy::down()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port());
    const quint16 port = proxy->port();
    QTcpSocket open;
    open.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(open.waitForConnected(kWaitMs));
    open.write("x");
    QCOMPARE(readExactly(open, 1), QByteArray("x"));

    proxy->setToxic(toxic("down"));
    QTRY_COMPARE_WITH_TIMEOUT(open.state(), QAbstractSocket::UnconnectedState, kWaitMs);   // dropped
    QVERIFY(!proxy->stats().listening);
    QTcpSocket refused;
    refused.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!refused.waitForConnected(kWaitMs));
    QCOMPARE(refused.error(), QAbstractSocket::ConnectionRefusedError);

    proxy->setToxic({});   // up again, on the same port
    QVERIFY(proxy->stats().listening);
    QCOMPARE(proxy->port(), port);
    QTcpSocket again;
    again.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(again.waitForConnected(kWaitMs));
    again.write("back");
    QCOMPARE(readExactly(again, 4), QByteArray("back"));
}

void tst_FaultProxy::refusedUpstreamClosesTheClient()
{
    quint16 closedPort = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        closedPort = probe.serverPort();
    }
    auto proxy = startProxy(closedPort);
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(client.waitForConnected(kWaitMs));
    client.write("anyone?");
    QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(proxy->stats().open, 0, kWaitMs);
}

void tst_FaultProxy::connectionLimit()
{
    Upstream upstream;
    auto proxy = startProxy(upstream.port(), {}, 2);
    QTcpSocket a, b, c;
    for (QTcpSocket *s : {&a, &b}) {
        s->connectToHost(QHostAddress::LocalHost, proxy->port());
        QVERIFY(s->waitForConnected(kWaitMs));
        s->write("in");
        QCOMPARE(readExactly(*s, 2), QByteArray("in"));
    }
    c.connectToHost(QHostAddress::LocalHost, proxy->port());
    QVERIFY(c.waitForConnected(kWaitMs));   // the kernel accepts; the proxy closes it at once
    QTRY_COMPARE_WITH_TIMEOUT(c.state(), QAbstractSocket::UnconnectedState, kWaitMs);
    const FaultProxy::Stats s = proxy->stats();
    QCOMPARE(s.accepted, quint64(2));
    QCOMPARE(s.rejected, quint64(1));
    QCOMPARE(s.open, 2);
}

QTEST_MAIN(tst_FaultProxy)
#include "tst_faultproxy.moc"
