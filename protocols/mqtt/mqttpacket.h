#pragma once

#include <QByteArray>
#include <QList>

#include <optional>
#include <utility>

namespace Gatehouse::Mqtt {

// An application message as MQTT 5 carries it, with the properties the engine reads or writes.
struct MqttMessage
{
    QByteArray topic;
    QByteArray payload;
    int qos = 0;
    bool retain = false;
    bool dup = false;
    QByteArray responseTopic;     // empty: none
    QByteArray correlationData;   // null: none
    QByteArray contentType;       // empty: none
    std::optional<quint8> payloadFormat;
    std::optional<quint32> messageExpirySeconds;
    QList<std::pair<QByteArray, QByteArray>> userProperties;
};

// The MQTT 5 control packets the engine's client sends and reads (OASIS MQTT Version 5.0, chapter
// 3): encoders that build whole packets, a reader that takes whole packets off a stream, and
// parsers for the packets a broker sends to a client. Parsing is strict: a length that runs
// past its packet, a property a packet may not carry, a property given twice where only one
// is allowed, or bytes left over make the packet malformed.
namespace MqttPacket {

enum Type : quint8 {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
};

inline constexpr quint32 kMaxRemainingLength = 268435455;   // four bytes of variable byte integer

struct ConnectOptions
{
    QByteArray clientId;
    bool cleanStart = false;
    quint16 keepAliveSeconds = 30;
    quint32 sessionExpirySeconds = 0;
    quint32 maximumPacketSize = 0;   // 0: none announced
    std::optional<MqttMessage> will;  // topic, payload, qos, retain
    QByteArray username;              // null: none
    QByteArray password;              // null: none
};

QByteArray connect(const ConnectOptions &options);
// QoS 0 ignores packetId. Null when the message cannot be encoded (too long a field).
QByteArray publish(const MqttMessage &message, quint16 packetId);
QByteArray ack(Type type, quint16 packetId, quint8 reasonCode = 0);   // PUBACK, PUBREC, PUBREL, PUBCOMP
QByteArray subscribe(quint16 packetId, const QByteArray &filter, int qos);
QByteArray pingReq();
QByteArray disconnect(quint8 reasonCode = 0);

struct Packet
{
    quint8 type = 0;
    quint8 flags = 0;
    QByteArray body;   // variable header and payload
    qsizetype size = 0;  // the whole packet, fixed header included
};

enum class ReadResult { Packet, NeedMore, Malformed, TooLarge };
// The packet at `offset` of `buffer`, if it is all there; advances offset past it. A packet
// longer than maxSize is not waited for.
ReadResult read(const QByteArray &buffer, qsizetype &offset, quint32 maxSize, Packet *packet);

struct ConnAckInfo
{
    bool sessionPresent = false;
    quint8 reasonCode = 0;
    quint16 receiveMaximum = 65535;
    quint8 maximumQos = 2;
    bool retainAvailable = true;
    quint32 maximumPacketSize = 0;   // 0: no limit stated
    bool wildcardSubscriptionAvailable = true;
    bool sharedSubscriptionAvailable = true;
    std::optional<quint16> serverKeepAlive;
    QByteArray assignedClientId;
    QByteArray reasonString;
};

bool parseConnAck(const Packet &packet, ConnAckInfo *info);
bool parsePublish(const Packet &packet, MqttMessage *message, quint16 *packetId);
// PUBACK, PUBREC, PUBREL, PUBCOMP: the packet id and reason code (0 when left out).
bool parseAck(const Packet &packet, quint16 *packetId, quint8 *reasonCode);
bool parseSubAck(const Packet &packet, quint16 *packetId, QList<quint8> *reasonCodes);
bool parseDisconnect(const Packet &packet, quint8 *reasonCode, QByteArray *reasonString);

// A topic name a PUBLISH may carry: 1..65535 bytes of UTF-8 without wildcards or NUL.
bool isValidTopicName(const QByteArray &topic);

} // namespace MqttPacket

} // namespace Gatehouse::Mqtt
