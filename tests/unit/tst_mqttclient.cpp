// The engine's MQTT 5 client (protocols/mqtt/mqttclient) against a scripted broker on a real
// socket -- the broker's Receive Maximum, acknowledgements of incoming QoS 1 and QoS 2 messages,
// keep-alive and a broker that says nothing, brokers that send what no broker may, brokers that
// take less -- and against a real mosquitto over TLS. Its packets: tst_mqttpacket. Against a
// real mosquitto the bridge is tested in tst_mqtt, tst_protocolpolicy and tst_cluster.

#include "mqtt/mqttclient.h"
#include "mqtt/mqttpacket.h"
#include "mqttpackettesting.h"
#include "testcertificate.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Gatehouse::Mqtt;
namespace P = Gatehouse::Mqtt::MqttPacket;
using Gatehouse::Test::hex;
using Gatehouse::Test::message;

namespace {

// A broker the test scripts: accepts one connection at a time and hands its packets over.
class ScriptedBroker : public QObject
{
public:
    ScriptedBroker()
    {
        if (!m_server.listen(QHostAddress::LocalHost, 0))
            qFatal("cannot listen");
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                ++connections;
                m_socket.reset(s);
                m_in.clear();
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { m_in += s->readAll(); });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    QTcpSocket *socket() const { return m_socket.get(); }

    // The next packet the client sent, waiting up to timeoutMs for it.
    std::optional<P::Packet> next(int timeoutMs = 5000)
    {
        QElapsedTimer waited;
        waited.start();
        for (;;) {
            P::Packet packet;
            qsizetype offset = 0;
            if (P::read(m_in, offset, 0, &packet) == P::ReadResult::Packet) {
                m_in.remove(0, offset);
                return packet;
            }
            if (waited.elapsed() > timeoutMs)
                return std::nullopt;
            QTest::qWait(5);
        }
    }
    void send(const QByteArray &bytes)
    {
        m_socket->write(bytes);
        m_socket->flush();
    }
    // Takes the CONNECT and answers CONNACK with `properties` (a property block, length included).
    bool accept(const QByteArray &properties = hex("00"))
    {
        if (!QTest::qWaitFor([this] { return m_socket != nullptr; }, 5000))
            return false;
        const auto connect = next();
        if (!connect || connect->type != P::Connect)
            return false;
        QByteArray body = hex("00 00") + properties;
        QByteArray packet = hex("20");
        packet += char(body.size());
        send(packet + body);
        return true;
    }

    int connections = 0;

private:
    QTcpServer m_server;
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_in;
};

MqttClient::Options optionsFor(quint16 port)
{
    MqttClient::Options o;
    o.host = QStringLiteral("127.0.0.1");
    o.port = port;
    o.clientId = "tst";
    o.keepAliveSeconds = 30;
    o.reconnectMinMs = 50;
    o.reconnectMaxMs = 200;
    o.maximumPacketSize = 64 * 1024;
    return o;
}

} // namespace

class tst_MqttClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesUrls();
    void keepsToTheBrokersReceiveMaximum();
    void acknowledgesIncomingMessages();
    void dropsASilentBroker();
    void dropsABrokerThatBreaksTheProtocol_data();
    void dropsABrokerThatBreaksTheProtocol();
    void refusesWhatNoBrokerTakes();
    void publishesAsTheBrokerTakes();
    void talksTlsToARealBroker();
};

void tst_MqttClient::parsesUrls()
{
    MqttClient::Options o;
    QString error;
    QVERIFY(MqttClient::parseUrl(QStringLiteral("mqtt://broker.example:1884"), &o, &error));
    QCOMPARE(o.host, QStringLiteral("broker.example"));
    QCOMPARE(o.port, quint16(1884));
    QVERIFY(!o.tls);
    QVERIFY(MqttClient::parseUrl(QStringLiteral("ssl://broker.example"), &o, &error));
    QCOMPARE(o.port, quint16(8883));
    QVERIFY(o.tls);
    QVERIFY(MqttClient::parseUrl(QStringLiteral("127.0.0.1:1999"), &o, &error));
    QCOMPARE(o.port, quint16(1999));
    QVERIFY(!o.tls);
    QVERIFY(!MqttClient::parseUrl(QStringLiteral("wss://broker"), &o, &error));
    QVERIFY2(error.contains(QLatin1String("WebSocket")), qPrintable(error));
    for (const char *bad : {"ws://broker:80", "http://broker", "mqtt://", "mqtt://user:pw@broker", "mqtt://broker/path", "mqtt://broker:99999"})
        QVERIFY2(!MqttClient::parseUrl(QString::fromLatin1(bad), &o, &error), bad);
}

void tst_MqttClient::keepsToTheBrokersReceiveMaximum()
{
    ScriptedBroker broker;
    MqttClient client(optionsFor(broker.port()));
    QSignalSpy connected(&client, &MqttClient::connected);
    client.start();
    QVERIFY(broker.accept(hex("03 21 0002")));   // Receive Maximum 2
    QVERIFY(connected.wait());

    QList<int> done;
    for (int i = 0; i < 5; ++i)
        QCOMPARE(client.publish(message("t", QByteArray::number(i)), [&done, i](quint8 reason) { done.append(reason == 0 ? i : -1); }),
                 MqttClient::PublishResult::Accepted);
    QCOMPARE(client.inFlight(), 2);
    QCOMPARE(client.queued(), 3);
    QList<QByteArray> payloads;
    quint16 ids[5] = {};
    for (int i = 0; i < 2; ++i) {
        const auto p = broker.next();
        QVERIFY(p && p->type == P::Publish);
        MqttMessage m;
        QVERIFY(P::parsePublish(*p, &m, &ids[i]));
        payloads.append(m.payload);
    }
    QVERIFY(!broker.next(200));   // the third waits for a PUBACK
    for (int i = 2; i < 5; ++i) {
        broker.send(P::ack(P::PubAck, ids[i - 2]));
        const auto p = broker.next();
        QVERIFY(p && p->type == P::Publish);
        MqttMessage m;
        QVERIFY(P::parsePublish(*p, &m, &ids[i]));
        payloads.append(m.payload);
        QVERIFY(ids[i] != ids[i - 1]);
    }
    broker.send(P::ack(P::PubAck, ids[3]) + P::ack(P::PubAck, ids[4], 0x97));   // the last refused (quota exceeded)
    QVERIFY(QTest::qWaitFor([&] { return done.size() == 5; }, 5000));
    QCOMPARE(payloads, (QList<QByteArray>{"0", "1", "2", "3", "4"}));
    QCOMPARE(done, (QList<int>{0, 1, 2, 3, -1}));
    QCOMPARE(client.inFlight(), 0);
}

void tst_MqttClient::acknowledgesIncomingMessages()
{
    ScriptedBroker broker;
    MqttClient client(optionsFor(broker.port()));
    QList<QByteArray> received;
    connect(&client, &MqttClient::messageReceived, this, [&](const MqttMessage &m) { received.append(m.payload); });
    client.start();
    QVERIFY(broker.accept());
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));

    broker.send(P::publish(message("c/1", "one", 1), 11));
    auto p = broker.next();
    QVERIFY(p && p->type == P::PubAck);
    quint16 id = 0;
    quint8 reason = 1;
    QVERIFY(P::parseAck(*p, &id, &reason));
    QCOMPARE(id, quint16(11));
    QCOMPARE(reason, quint8(0));

    // QoS 2: PUBREC; the same message again before PUBREL is not delivered twice; PUBCOMP.
    MqttMessage twice = message("c/2", "two", 2);
    broker.send(P::publish(twice, 12));
    p = broker.next();
    QVERIFY(p && p->type == P::PubRec);
    twice.dup = true;
    broker.send(P::publish(twice, 12));
    p = broker.next();
    QVERIFY(p && p->type == P::PubRec);
    broker.send(P::ack(P::PubRel, 12));
    p = broker.next();
    QVERIFY(p && p->type == P::PubComp);
    QVERIFY(P::parseAck(*p, &id, &reason));
    QCOMPARE(id, quint16(12));
    QCOMPARE(received, (QList<QByteArray>{"one", "two"}));

    // A PUBREL for an id nobody knows is completed, saying so.
    broker.send(P::ack(P::PubRel, 99));
    p = broker.next();
    QVERIFY(p && p->type == P::PubComp);
    QVERIFY(P::parseAck(*p, &id, &reason));
    QCOMPARE(id, quint16(99));
    QCOMPARE(reason, quint8(0x92));

    broker.send(P::publish(message("c/0", "zero", 0), 0));
    QVERIFY(QTest::qWaitFor([&] { return received.size() == 3; }, 5000));
    QVERIFY(!broker.next(100));   // nothing to acknowledge for QoS 0
}

void tst_MqttClient::dropsASilentBroker()
{
    ScriptedBroker broker;
    MqttClient::Options options = optionsFor(broker.port());
    options.keepAliveSeconds = 60;
    MqttClient client(options);
    QSignalSpy disconnected(&client, &MqttClient::disconnected);
    client.start();
    QVERIFY(broker.accept(hex("03 13 0001")));   // Server Keep Alive: 1 s, over our 60
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));
    QElapsedTimer waited;
    waited.start();
    const auto ping = broker.next(3000);
    QVERIFY(ping && ping->type == P::PingReq);
    QVERIFY(disconnected.wait(4000));   // never answered: gone after 1.5 s of silence
    QVERIFY2(waited.elapsed() < 3500, qPrintable(QString::number(waited.elapsed())));
    // ... and it comes back.
    QVERIFY(QTest::qWaitFor([&] { return broker.connections == 2; }, 5000));
}

void tst_MqttClient::dropsABrokerThatBreaksTheProtocol_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("PUBACK for nothing in flight") << P::ack(P::PubAck, 77);
    QTest::newRow("a packet over the maximum size") << hex("30 80 80 80 01");
    QTest::newRow("a fifth length byte") << hex("30 80 80 80 80 01");
    QTest::newRow("CONNACK again") << hex("20 02 00 00");
    QTest::newRow("a CONNECT") << hex("10 00");
    QTest::newRow("malformed PUBLISH") << hex("32 03 0009 61");
    QTest::newRow("SUBACK for no SUBSCRIBE") << hex("90 04 0003 00 01");
    QTest::newRow("AUTH") << hex("f0 00");
    QTest::newRow("DISCONNECT") << hex("e0 01 8b");
}

void tst_MqttClient::dropsABrokerThatBreaksTheProtocol()
{
    QFETCH(QByteArray, bytes);
    ScriptedBroker broker;
    MqttClient client(optionsFor(broker.port()));
    QSignalSpy disconnected(&client, &MqttClient::disconnected);
    QList<QByteArray> received;
    connect(&client, &MqttClient::messageReceived, this, [&](const MqttMessage &m) { received.append(m.payload); });
    client.start();
    QVERIFY(broker.accept());
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));
    QCOMPARE(client.publish(message("t", "in flight")), MqttClient::PublishResult::Accepted);
    broker.send(bytes);
    QVERIFY(disconnected.wait(5000));
    QVERIFY(!client.isConnected());
    QCOMPARE(client.inFlight(), 0);   // forgotten with the connection; the owner sends again
    QVERIFY(received.isEmpty());
    QCOMPARE(client.publish(message("t", "x")), MqttClient::PublishResult::NotConnected);
    // It reconnects, and the new connection works.
    QVERIFY(QTest::qWaitFor([&] { return broker.connections == 2; }, 5000));
    QVERIFY(broker.accept());
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));
    QCOMPARE(client.publish(message("t", "again")), MqttClient::PublishResult::Accepted);
    std::optional<P::Packet> p;
    do
        p = broker.next();
    while (p && p->type != P::Publish);
    QVERIFY(p);
}

void tst_MqttClient::refusesWhatNoBrokerTakes()
{
    ScriptedBroker broker;
    MqttClient client(optionsFor(broker.port()));
    QCOMPARE(client.publish(message("t", "x")), MqttClient::PublishResult::NotConnected);
    client.start();
    QVERIFY(broker.accept(hex("05 27 00000040")));   // Maximum Packet Size 64
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));
    QCOMPARE(client.publish(message("a/+", "x")), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("a/#", "x")), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("", "x")), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message(QByteArray("a\0b", 3), "x")), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("\xff", "x")), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("t", "x", 2)), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("t", QByteArray(60, 'x'))), MqttClient::PublishResult::Invalid);
    QCOMPARE(client.publish(message("t", QByteArray(50, 'x'))), MqttClient::PublishResult::Accepted);
    QVERIFY(client.isConnected());
}

void tst_MqttClient::publishesAsTheBrokerTakes()
{
    ScriptedBroker broker;
    MqttClient::Options options = optionsFor(broker.port());
    MqttMessage will = message("status", "offline");
    will.retain = true;
    options.will = will;
    MqttClient client(options);
    client.start();
    // A broker that keeps no retained messages refuses a retained will (0x9A) ...
    QVERIFY(QTest::qWaitFor([&] { return broker.socket() != nullptr; }, 5000));
    auto connect = broker.next();
    QVERIFY(connect && connect->type == P::Connect);
    QCOMPARE(quint8(connect->body.at(7)) & 0x2C, 0x2C);   // will flag, will QoS 1, will retain
    broker.send(hex("20 03 00 9a 00"));
    // ... and is asked again without the retain flag.
    QVERIFY(QTest::qWaitFor([&] { return broker.connections == 2; }, 5000));
    connect = broker.next();
    QVERIFY(connect && connect->type == P::Connect);
    QCOMPARE(quint8(connect->body.at(7)) & 0x2C, 0x0C);
    broker.send(hex("20 07 00 00 04 24 00 25 00"));   // Maximum QoS 0, Retain Available 0
    QVERIFY(QTest::qWaitFor([&] { return client.isConnected(); }, 5000));

    MqttMessage retained = message("doc", "v1");
    retained.retain = true;
    bool done = false;
    bool returned = false;
    QCOMPARE(client.publish(retained, [&](quint8 reason) { done = returned && reason == 0; }), MqttClient::PublishResult::Accepted);
    returned = true;
    const auto p = broker.next();
    QVERIFY(p && p->type == P::Publish);
    QCOMPARE(p->flags, quint8(0));   // QoS 0, not retained
    QVERIFY(QTest::qWaitFor([&] { return done; }, 5000));   // once written, after publish() returned
    QCOMPARE(client.inFlight(), 0);
}

// A real mosquitto with a TLS listener and a self-signed certificate: refused on the system's
// trust store alone (with the reason), and trusted once its certificate is given, when the
// client subscribes, publishes and gets its own message back through the broker.
void tst_MqttClient::talksTlsToARealBroker()
{
    const QString mosquitto = QFile::exists(QStringLiteral("/usr/sbin/mosquitto")) ? QStringLiteral("/usr/sbin/mosquitto")
                                                                                   : QStringLiteral("mosquitto");
    QTemporaryDir dir;
    const QString cert = dir.filePath(QStringLiteral("broker.pem"));
    const QString key = dir.filePath(QStringLiteral("broker.key"));
    QString error;
    QVERIFY2(Gatehouse::Test::makeSelfSignedCertificate(cert, key, QStringLiteral("localhost"), false, &error), qPrintable(error));
    // Started as root, mosquitto runs as its own user: it must be able to read them (a test key).
    const auto readable = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
    QVERIFY(QFile::setPermissions(dir.path(), readable | QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther));
    QVERIFY(QFile::setPermissions(cert, readable) && QFile::setPermissions(key, readable));
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    QFile conf(dir.filePath(QStringLiteral("mosquitto.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(QStringLiteral("listener %1 127.0.0.1\nallow_anonymous true\ncertfile %2\nkeyfile %3\n").arg(port).arg(cert, key).toUtf8());
    conf.close();
    QProcess broker;
    broker.setProcessChannelMode(QProcess::MergedChannels);
    broker.start(mosquitto, {QStringLiteral("-c"), conf.fileName()});
    QVERIFY2(broker.waitForStarted(), qPrintable(broker.errorString()));
    const auto stopBroker = qScopeGuard([&] {
        broker.terminate();
        broker.waitForFinished(5000);
    });
    QVERIFY(QTest::qWaitFor([&] {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        return s.waitForConnected(200);
    }, 10000));

    MqttClient::Options options = optionsFor(port);
    options.tls = true;
    {
        MqttClient untrusted(options);
        QSignalSpy failed(&untrusted, &MqttClient::connectFailed);
        untrusted.start();
        QVERIFY(failed.wait(10000));
        QVERIFY(!untrusted.isConnected());
        QVERIFY2(failed.first().first().toString().contains(QLatin1String("certificate"), Qt::CaseInsensitive),
                 qPrintable(failed.first().first().toString()));
    }
    options.caCertificates = QSslCertificate::fromPath(cert);
    options.clientId = "tst-tls";
    MqttClient client(options);
    QList<QByteArray> received;
    connect(&client, &MqttClient::messageReceived, this, [&](const MqttMessage &m) { received.append(m.payload); });
    QSignalSpy connected(&client, &MqttClient::connected);
    client.start();
    QVERIFY2(connected.wait(10000), qPrintable(QString::fromLocal8Bit(broker.readAll())));
    QVERIFY(client.subscribe("tls/#", 1));
    QTest::qWait(100);   // the SUBACK (the broker handles our packets in order anyway)
    bool acknowledged = false;
    QCOMPARE(client.publish(message("tls/1", "over TLS"), [&](quint8 reason) { acknowledged = reason == 0; }),
             MqttClient::PublishResult::Accepted);
    QVERIFY(QTest::qWaitFor([&] { return acknowledged && received.size() == 1; }, 10000));
    QCOMPARE(received.first(), QByteArray("over TLS"));
    client.stop(2000);
}

QTEST_MAIN(tst_MqttClient)
#include "tst_mqttclient.moc"
