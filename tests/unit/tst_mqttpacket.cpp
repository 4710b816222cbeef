// The MQTT 5 packets of the engine's client (protocols/mqtt/mqttpacket): encoded byte for byte,
// read off a stream only when whole, and parsed strictly -- every kind of malformed PUBLISH,
// CONNACK and acknowledgement a broker could send is refused. fuzz_mqtt_packet reads the same
// parsers with generated streams.

#include "mqtt/mqttpacket.h"
#include "mqttpackettesting.h"

#include <QTest>

using namespace Gatehouse::Mqtt;
namespace P = Gatehouse::Mqtt::MqttPacket;
using Gatehouse::Test::hex;
using Gatehouse::Test::message;

namespace {

P::Packet packetOf(const QByteArray &bytes)
{
    P::Packet packet;
    qsizetype offset = 0;
    if (P::read(bytes, offset, 0, &packet) != P::ReadResult::Packet || offset != bytes.size())
        qFatal("not one whole packet");
    return packet;
}

} // namespace

class tst_MqttPacket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodesPackets();
    void publishRoundTrip();
    void readsWholePacketsOnly();
    void refusesMalformedPublish_data();
    void refusesMalformedPublish();
    void refusesMalformedConnAckAndAcks();
};

void tst_MqttPacket::encodesPackets()
{
    P::ConnectOptions connect;
    connect.clientId = "c1";
    connect.keepAliveSeconds = 30;
    connect.sessionExpirySeconds = 60;
    MqttMessage will = message("s", "off");
    will.retain = true;
    connect.will = will;
    // 10 len | "MQTT" 5 | flags: will retain, will QoS 1, will flag (0x2C) | keep alive 30 |
    // properties: session expiry 60 | "c1" | will properties none | "s" | "off"
    QCOMPARE(P::connect(connect).toHex(' '),
             hex("10 1d 0004 4d515454 05 2c 001e 05 11 0000003c 0002 6331 00 0001 73 0003 6f6666").toHex(' '));
    QCOMPARE(P::ack(P::PubAck, 0x1234).toHex(' '), hex("40 02 1234").toHex(' '));
    QCOMPARE(P::ack(P::PubAck, 7, 0x80).toHex(' '), hex("40 03 0007 80").toHex(' '));
    QCOMPARE(P::ack(P::PubRel, 7).toHex(' '), hex("62 02 0007").toHex(' '));
    QCOMPARE(P::subscribe(3, "a/#", 1).toHex(' '), hex("82 09 0003 00 0003 612f23 01").toHex(' '));
    QCOMPARE(P::pingReq().toHex(' '), hex("c0 00").toHex(' '));
    QCOMPARE(P::disconnect().toHex(' '), hex("e0 00").toHex(' '));
    // Remaining lengths of 127, 128 and 16,384 take one, two and three bytes (the body is the
    // topic "t" with its length, an empty property block and the payload).
    for (const auto &[size, head] : {std::pair{123, "30 7f"}, std::pair{124, "30 80 01"}, std::pair{16380, "30 80 80 01"}}) {
        const QByteArray p = P::publish(message("t", QByteArray(size, 'x'), 0), 0);
        QVERIFY2(p.startsWith(hex(head)), head);
        QCOMPARE(packetOf(p).body.size(), qsizetype(size + 4));
    }
    QVERIFY(P::publish(message(QByteArray(65536, 'a'), "x"), 1).isNull());
}

void tst_MqttPacket::publishRoundTrip()
{
    MqttMessage m = message("gatehouse/events/products/created/p-1", "{\"a\":1}");
    m.retain = true;
    m.responseTopic = "replies/me";
    m.correlationData = QByteArray("\x00\x01", 2);
    m.contentType = "application/json";
    m.payloadFormat = 1;
    m.messageExpirySeconds = 90;
    m.userProperties = {{"status", "202"}, {"status", "again"}, {"\xc3\xa9", ""}};
    const P::Packet packet = packetOf(P::publish(m, 513));
    QCOMPARE(packet.type, quint8(P::Publish));
    QCOMPARE(packet.flags, quint8(0x03));   // QoS 1, retained
    MqttMessage back;
    quint16 id = 0;
    QVERIFY(P::parsePublish(packet, &back, &id));
    QCOMPARE(id, quint16(513));
    QCOMPARE(back.topic, m.topic);
    QCOMPARE(back.payload, m.payload);
    QCOMPARE(back.qos, 1);
    QVERIFY(back.retain);
    QCOMPARE(back.responseTopic, m.responseTopic);
    QCOMPARE(back.correlationData, m.correlationData);
    QCOMPARE(back.contentType, m.contentType);
    QCOMPARE(back.payloadFormat, m.payloadFormat);
    QCOMPARE(back.messageExpirySeconds, m.messageExpirySeconds);
    QCOMPARE(back.userProperties, m.userProperties);

    // Empty correlation data is there, and not the same as none.
    m.correlationData = QByteArray("");
    QVERIFY(P::parsePublish(packetOf(P::publish(m, 1)), &back, &id));
    QVERIFY(!back.correlationData.isNull());
    QVERIFY(back.correlationData.isEmpty());
}

void tst_MqttPacket::readsWholePacketsOnly()
{
    const QByteArray two = P::publish(message("a", "123"), 1) + P::ack(P::PubAck, 9);
    // Fed a byte at a time: nothing until a packet is whole, then exactly that packet.
    QByteArray buffer;
    qsizetype offset = 0;
    QList<quint8> types;
    for (const char c : two) {
        buffer += c;
        P::Packet packet;
        while (P::read(buffer, offset, 0, &packet) == P::ReadResult::Packet)
            types.append(packet.type);
    }
    QCOMPARE(types, (QList<quint8>{P::Publish, P::PubAck}));
    QCOMPARE(offset, two.size());

    P::Packet packet;
    offset = 0;
    QCOMPARE(P::read(hex("30 ff ff ff ff 01"), offset, 0, &packet), P::ReadResult::Malformed);   // a fifth length byte
    offset = 0;
    QCOMPARE(P::read(hex("30 ff ff ff"), offset, 0, &packet), P::ReadResult::NeedMore);
    offset = 0;
    // Over the maximum: known from the fixed header, before the body arrives.
    QCOMPARE(P::read(hex("30 80 80 04"), offset, 65536, &packet), P::ReadResult::TooLarge);
    QCOMPARE(offset, qsizetype(0));
    offset = 0;
    QCOMPARE(P::read(hex("30 fc ff 03"), offset, 65536, &packet), P::ReadResult::NeedMore);   // 65,532 + 4 fits
}

void tst_MqttPacket::refusesMalformedPublish_data()
{
    QTest::addColumn<QByteArray>("packet");
    // Body: topic "a" (00 01 61), packet id 1 (QoS 1), property length, properties, payload.
    QTest::newRow("well-formed") << hex("32 06 0001 61 0001 00");
    QTest::newRow("QoS 3") << hex("36 06 0001 61 0001 00");
    QTest::newRow("DUP on QoS 0") << hex("38 04 0001 61 00");
    QTest::newRow("packet id 0") << hex("32 06 0001 61 0000 00");
    QTest::newRow("empty topic") << hex("32 05 0000 0001 00");
    QTest::newRow("topic past the end") << hex("32 03 0009 61");
    QTest::newRow("topic not UTF-8") << hex("32 06 0001 ff 0001 00");
    QTest::newRow("topic with NUL") << hex("32 07 0002 6100 0001 00");
    QTest::newRow("wildcard topic #") << hex("32 06 0001 23 0001 00");
    QTest::newRow("wildcard topic +") << hex("32 08 0003 612f2b 0001 00");
    QTest::newRow("no property length") << hex("32 05 0001 61 0001");
    QTest::newRow("properties past the end") << hex("32 07 0001 61 0001 05 01");
    QTest::newRow("topic alias (none allowed)") << hex("32 09 0001 61 0001 03 23 0001");
    QTest::newRow("unknown property") << hex("32 08 0001 61 0001 02 7f 00");
    QTest::newRow("session expiry (not a PUBLISH property)") << hex("32 0b 0001 61 0001 05 11 00000001");
    QTest::newRow("content type twice") << hex("32 0c 0001 61 0001 06 03 0000 03 0000");
    QTest::newRow("payload format 2") << hex("32 08 0001 61 0001 02 01 02");
    QTest::newRow("empty response topic") << hex("32 09 0001 61 0001 03 08 0000");
    QTest::newRow("user property value cut") << hex("32 0b 0001 61 0001 05 26 0001 61 00");
}

void tst_MqttPacket::refusesMalformedPublish()
{
    QFETCH(QByteArray, packet);
    const P::Packet p = packetOf(packet);
    MqttMessage m;
    quint16 id = 0;
    QCOMPARE(P::parsePublish(p, &m, &id), QByteArray(QTest::currentDataTag()) == "well-formed");
}

void tst_MqttPacket::refusesMalformedConnAckAndAcks()
{
    P::ConnAckInfo info;
    QVERIFY(P::parseConnAck(packetOf(hex("20 02 00 00")), &info));
    QVERIFY(P::parseConnAck(packetOf(hex("20 0b 01 00 08 21 0014 27 00010000")), &info));
    QVERIFY(info.sessionPresent);
    QCOMPARE(info.receiveMaximum, quint16(20));
    QCOMPARE(info.maximumPacketSize, quint32(65536));
    QVERIFY(!P::parseConnAck(packetOf(hex("20 02 02 00")), &info));          // reserved acknowledge flag
    QVERIFY(!P::parseConnAck(packetOf(hex("20 06 00 00 03 21 0000")), &info));   // Receive Maximum 0
    QVERIFY(!P::parseConnAck(packetOf(hex("20 05 00 00 02 24 02")), &info));      // Maximum QoS 2
    QVERIFY(!P::parseConnAck(packetOf(hex("20 05 00 00 02 01 01")), &info));      // a PUBLISH property
    QVERIFY(!P::parseConnAck(packetOf(hex("20 04 00 00 00 00")), &info));         // bytes left over
    QVERIFY(!P::parseConnAck(packetOf(hex("21 02 00 00")), &info));               // reserved flags

    quint16 id = 0;
    quint8 reason = 0;
    QVERIFY(P::parseAck(packetOf(hex("40 02 0005")), &id, &reason));
    QCOMPARE(reason, quint8(0));
    QVERIFY(P::parseAck(packetOf(hex("40 04 0005 87 00")), &id, &reason));
    QCOMPARE(reason, quint8(0x87));
    QVERIFY(!P::parseAck(packetOf(hex("40 02 0000")), &id, &reason));   // packet id 0
    QVERIFY(!P::parseAck(packetOf(hex("60 02 0005")), &id, &reason));   // PUBREL without its 0010 flags
    QVERIFY(!P::parseAck(packetOf(hex("40 01 00")), &id, &reason));
    QList<quint8> reasons;
    QVERIFY(P::parseSubAck(packetOf(hex("90 04 0003 00 01")), &id, &reasons));
    QCOMPARE(reasons, QList<quint8>{1});
    QVERIFY(!P::parseSubAck(packetOf(hex("90 03 0003 00")), &id, &reasons));   // no reason code
    QByteArray text;
    QVERIFY(P::parseDisconnect(packetOf(hex("e0 00")), &reason, &text));
    QVERIFY(P::parseDisconnect(packetOf(hex("e0 07 8e 05 1f 0002 6869")), &reason, &text));
    QCOMPARE(reason, quint8(0x8e));
    QCOMPARE(text, QByteArray("hi"));
}

QTEST_MAIN(tst_MqttPacket)
#include "tst_mqttpacket.moc"
