// TcpNoDelay on real sockets on 127.0.0.1: the process's sockets connected to the given port get
// TCP_NODELAY, and no other socket does (one to another port, the listening socket, the side a
// server accepted, whose peer is an ephemeral port); a second call finds nothing left to change.
// brokerPort reads a broker URL's port or its scheme's default.

#include "base/tcpnodelay.h"

#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Gatehouse;

namespace {

// A socket, closed when it goes; -1 when it could not be made.
struct Fd
{
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
};

sockaddr_in loopback(quint16 port)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// A listening socket on 127.0.0.1 on a free port; the port in *port.
int listenOnFreePort(quint16 *port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    socklen_t size = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &size) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = loopback(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr *>(&a), sizeof a) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    return fd;
}

int noDelay(int fd)
{
    int value = -1;
    socklen_t size = sizeof value;
    return ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &size) == 0 ? value : -1;
}

} // namespace

class tst_TcpNoDelay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void onlyTheSocketsToThePort()
    {
        quint16 brokerPort = 0, otherPort = 0;
        const Fd broker(listenOnFreePort(&brokerPort));
        const Fd other(listenOnFreePort(&otherPort));
        QVERIFY(broker.fd >= 0 && other.fd >= 0);
        const Fd first(connectTo(brokerPort));
        const Fd second(connectTo(brokerPort));
        const Fd elsewhere(connectTo(otherPort));
        QVERIFY(first.fd >= 0 && second.fd >= 0 && elsewhere.fd >= 0);
        const Fd accepted(::accept(broker.fd, nullptr, nullptr));
        QVERIFY(accepted.fd >= 0);
        for (int fd : {first.fd, second.fd, elsewhere.fd, accepted.fd})
            QCOMPARE(noDelay(fd), 0);   // what a socket starts with

        QCOMPARE(TcpNoDelay::disableOnSocketsTo(brokerPort), 2);
        QVERIFY(noDelay(first.fd) > 0);
        QVERIFY(noDelay(second.fd) > 0);
        QCOMPARE(noDelay(elsewhere.fd), 0);
        QCOMPARE(noDelay(accepted.fd), 0);
        // Done already: nothing to change; no port, nothing at all.
        QCOMPARE(TcpNoDelay::disableOnSocketsTo(brokerPort), 0);
        QCOMPARE(TcpNoDelay::disableOnSocketsTo(0), 0);
    }

    void brokerPort_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<int>("port");
        QTest::newRow("tcp with port") << QStringLiteral("tcp://127.0.0.1:38095") << 38095;
        QTest::newRow("tcp") << QStringLiteral("tcp://broker.example") << 1883;
        QTest::newRow("mqtt") << QStringLiteral("mqtt://broker.example") << 1883;
        QTest::newRow("ssl") << QStringLiteral("ssl://broker.example") << 8883;
        QTest::newRow("mqtts with port") << QStringLiteral("mqtts://[::1]:18883") << 18883;
        QTest::newRow("ws") << QStringLiteral("ws://broker.example/mqtt") << 80;
        QTest::newRow("wss") << QStringLiteral("wss://broker.example/mqtt") << 443;
        QTest::newRow("no scheme") << QStringLiteral("broker.example:1884") << 1884;
        QTest::newRow("no scheme, no port") << QStringLiteral("broker.example") << 1883;
        QTest::newRow("unknown scheme") << QStringLiteral("http://broker.example") << 0;
        QTest::newRow("not a url") << QStringLiteral("::") << 0;
    }
    void brokerPort()
    {
        QFETCH(QString, url);
        QFETCH(int, port);
        QCOMPARE(int(TcpNoDelay::brokerPort(url)), port);
    }
};

QTEST_GUILESS_MAIN(tst_TcpNoDelay)
#include "tst_tcpnodelay.moc"
