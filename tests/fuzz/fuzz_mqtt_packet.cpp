// What a broker sends the engine's MQTT client (protocols/mqtt/mqttpacket.*): the input is the
// byte stream of one connection, read packet by packet as MqttClient reads it (64 KiB maximum
// packet size), and each packet parsed by the parser its type goes to. Checked besides memory
// safety:
//  - read() takes exactly the packet's bytes (header included) and never more than there is;
//    a packet it refuses ends the stream, as it ends the connection;
//  - a PUBLISH that parses is encoded again by publish() and parses back to the same message
//    (topic, payload, flags, packet id and every property), so what the client forwards and
//    what it read are one thing.

#include "fuzzsupport.h"

#include "mqtt/mqttpacket.h"

#include <cstdint>

using namespace Gatehouse::Mqtt;
namespace P = Gatehouse::Mqtt::MqttPacket;

namespace {

bool sameMessage(const MqttMessage &a, const MqttMessage &b)
{
    return a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain && a.dup == b.dup
        && a.responseTopic == b.responseTopic && a.correlationData == b.correlationData
        && a.correlationData.isNull() == b.correlationData.isNull() && a.contentType == b.contentType
        && a.payloadFormat == b.payloadFormat && a.messageExpirySeconds == b.messageExpirySeconds
        && a.userProperties == b.userProperties;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bool quiet = (Fuzz::quietLogs(), true);
    (void)quiet;
    const QByteArray stream(reinterpret_cast<const char *>(data), qsizetype(size));
    qsizetype offset = 0;
    for (;;) {
        const qsizetype before = offset;
        P::Packet packet;
        const P::ReadResult result = P::read(stream, offset, 64 * 1024, &packet);
        if (result != P::ReadResult::Packet) {
            FUZZ_CHECK(offset == before, QStringLiteral("read() moved without a packet"));
            break;
        }
        FUZZ_CHECK(offset - before == packet.size && offset <= stream.size() && packet.size >= 2 + packet.body.size()
                       && packet.size <= 64 * 1024,
                   QStringLiteral("read() took %1 bytes for a body of %2").arg(offset - before).arg(packet.body.size()));
        switch (packet.type) {
        case P::ConnAck: {
            P::ConnAckInfo info;
            if (P::parseConnAck(packet, &info))
                FUZZ_CHECK(info.receiveMaximum > 0 && info.maximumQos <= 2, QStringLiteral("CONNACK limits out of range"));
            break;
        }
        case P::Publish: {
            MqttMessage message;
            quint16 id = 0;
            if (!P::parsePublish(packet, &message, &id))
                break;
            FUZZ_CHECK(P::isValidTopicName(message.topic) && message.qos <= 2 && (message.qos == 0 || id != 0),
                       QStringLiteral("accepted a PUBLISH no broker may send: ") + Fuzz::printable(message.topic));
            const QByteArray again = P::publish(message, id);
            FUZZ_CHECK(!again.isNull(), QStringLiteral("a PUBLISH that parsed cannot be encoded"));
            P::Packet reread;
            qsizetype at = 0;
            FUZZ_CHECK(P::read(again, at, 0, &reread) == P::ReadResult::Packet && at == again.size(),
                       QStringLiteral("an encoded PUBLISH is not one whole packet"));
            MqttMessage back;
            quint16 backId = 0;
            FUZZ_CHECK(P::parsePublish(reread, &back, &backId) && backId == id && sameMessage(message, back),
                       QStringLiteral("a PUBLISH does not survive encoding: ") + Fuzz::printable(packet.body));
            break;
        }
        case P::PubAck: case P::PubRec: case P::PubRel: case P::PubComp: {
            quint16 id = 0;
            quint8 reason = 0;
            if (P::parseAck(packet, &id, &reason))
                FUZZ_CHECK(id != 0, QStringLiteral("an acknowledgement of packet 0"));
            break;
        }
        case P::SubAck: {
            quint16 id = 0;
            QList<quint8> reasons;
            if (P::parseSubAck(packet, &id, &reasons))
                FUZZ_CHECK(!reasons.isEmpty(), QStringLiteral("a SUBACK without a reason code"));
            break;
        }
        case P::Disconnect: {
            quint8 reason = 0;
            QByteArray text;
            P::parseDisconnect(packet, &reason, &text);
            break;
        }
        default:
            break;
        }
    }
    return 0;
}
