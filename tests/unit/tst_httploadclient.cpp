// The load generator's connection over real sockets against a scripted server on 127.0.0.1:
// keep-alive reuse, a reconnect after Connection: close, and each error kind a report counts
// (connect, timeout, reset, bad_response), with the callback always after send() returned.
#include "simulation/httploadclient.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace Gatehouse::Simulation;

namespace {

// Answers each request (head only) with the next of `answers`; an empty answer closes the
// connection, "-" says nothing at all.
class ScriptedServer : public QTcpServer
{
public:
    explicit ScriptedServer(QList<QByteArray> answers) : m_answers(std::move(answers))
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                ++connections;
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    m_buffer += s->readAll();
                    for (qsizetype end; (end = m_buffer.indexOf("\r\n\r\n")) >= 0;) {
                        requests.append(m_buffer.left(end));
                        m_buffer.remove(0, end + 4);
                        const QByteArray answer = m_answers.isEmpty() ? QByteArray("-") : m_answers.takeFirst();
                        if (answer.isEmpty())
                            s->disconnectFromHost();
                        else if (answer != "-")
                            s->write(answer);
                    }
                });
            }
        });
    }
    int connections = 0;
    QList<QByteArray> requests;

private:
    QList<QByteArray> m_answers;
    QByteArray m_buffer;
};

HttpLoadResult send(HttpLoadClient &client, const QByteArray &target = "/x")
{
    HttpLoadResult out;
    bool done = false;
    bool inside = true;
    client.send(HttpLoadRequest{"GET", target, {}, {}}, [&](HttpLoadResult &&r) {
        [&] { QVERIFY2(!inside, "called back from inside send()"); }();
        out = std::move(r);
        done = true;
    });
    inside = false;
    [&] { QTRY_VERIFY_WITH_TIMEOUT(done, 20000); }();
    return out;
}

} // namespace

class tst_HttpLoadClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepAliveReusesTheConnection();
    void connectionCloseOpensAnother();
    void errorKinds_data();
    void errorKinds();
    void refusedIsConnect();
    void abortInterrupts();
};

void tst_HttpLoadClient::keepAliveReusesTheConnection()
{
    ScriptedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb"});
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    HttpLoadClient client(GatewayTarget{QStringLiteral("127.0.0.1"), server.serverPort()});
    const HttpLoadResult first = send(client, "/one");
    QCOMPARE(first.error, LoadError::None);
    QCOMPARE(first.response.status, 200);
    QCOMPARE(first.response.body, QByteArray("a"));
    QVERIFY(first.doneNs >= first.sentNs);
    const HttpLoadResult second = send(client, "/two");
    QCOMPARE(second.response.status, 404);   // an answer, whatever its status
    QCOMPARE(server.connections, 1);
    QCOMPARE(client.connectionsOpened(), 1u);
    QVERIFY(server.requests.at(0).startsWith("GET /one HTTP/1.1\r\nHost: 127.0.0.1:"));
    QVERIFY(server.requests.at(1).startsWith("GET /two HTTP/1.1\r\n"));
}

void tst_HttpLoadClient::connectionCloseOpensAnother()
{
    ScriptedServer server({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                           "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    HttpLoadClient client(GatewayTarget{QStringLiteral("127.0.0.1"), server.serverPort()});
    QCOMPARE(send(client).error, LoadError::None);
    QCOMPARE(send(client).error, LoadError::None);
    QCOMPARE(client.connectionsOpened(), 2u);
    QCOMPARE(server.connections, 2);
}

void tst_HttpLoadClient::errorKinds_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<LoadError>("error");
    QTest::newRow("silence") << QByteArray("-") << LoadError::Timeout;
    QTest::newRow("closed before answering") << QByteArray() << LoadError::Reset;
    QTest::newRow("not HTTP") << QByteArray("hello there\r\n\r\n") << LoadError::BadResponse;
    QTest::newRow("half a body, then silence") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc") << LoadError::Timeout;
}

void tst_HttpLoadClient::errorKinds()
{
    QFETCH(QByteArray, answer);
    QFETCH(LoadError, error);
    ScriptedServer server({answer, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    HttpLoadClient client(GatewayTarget{QStringLiteral("127.0.0.1"), server.serverPort()});
    client.setRequestTimeoutMs(300);
    const HttpLoadResult r = send(client);
    QCOMPARE(r.error, error);
    QVERIFY(!r.detail.isEmpty());
    // After an error the connection is not trusted again: the next request opens another.
    QCOMPARE(send(client).error, LoadError::None);
    QCOMPARE(client.connectionsOpened(), 2u);
}

void tst_HttpLoadClient::refusedIsConnect()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    HttpLoadClient client(GatewayTarget{QStringLiteral("127.0.0.1"), port});
    const HttpLoadResult r = send(client);
    QCOMPARE(r.error, LoadError::Connect);
    QVERIFY(!r.detail.isEmpty());
}

void tst_HttpLoadClient::abortInterrupts()
{
    ScriptedServer server({"-"});
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    HttpLoadClient client(GatewayTarget{QStringLiteral("127.0.0.1"), server.serverPort()});
    LoadError error = LoadError::None;
    int calls = 0;
    client.send(HttpLoadRequest{"GET", "/", {}, {}}, [&](HttpLoadResult &&r) {
        error = r.error;
        ++calls;
    });
    QTRY_COMPARE(server.requests.size(), 1);
    QVERIFY(client.isBusy());
    client.abort();
    QCOMPARE(calls, 1);
    QCOMPARE(error, LoadError::Interrupted);
    QVERIFY(!client.isBusy());
}

QTEST_GUILESS_MAIN(tst_HttpLoadClient)
#include "tst_httploadclient.moc"
