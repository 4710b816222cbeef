#include "mqttpacket.h"

#include <algorithm>
#include <bitset>

namespace Gatehouse::Mqtt::MqttPacket {

namespace {

// Property identifiers (MQTT 5.0, 2.2.2.2).
enum Property : quint8 {
    PayloadFormat = 0x01,
    MessageExpiry = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiry = 0x11,
    AssignedClientId = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQos = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
};

enum class Kind { Byte, U16, U32, Varint, String, Binary, Pair, Unknown };

Kind kindOf(quint8 id)
{
    switch (id) {
    case PayloadFormat: case MaximumQos: case RetainAvailable: case WildcardSubscriptionAvailable:
    case SubscriptionIdentifierAvailable: case SharedSubscriptionAvailable:
        return Kind::Byte;
    case ServerKeepAlive: case ReceiveMaximum: case TopicAliasMaximum: case TopicAlias:
        return Kind::U16;
    case MessageExpiry: case SessionExpiry: case MaximumPacketSize:
        return Kind::U32;
    case SubscriptionIdentifier:
        return Kind::Varint;
    case ContentType: case ResponseTopic: case AssignedClientId: case AuthenticationMethod: case ResponseInformation:
    case ServerReference: case ReasonString:
        return Kind::String;
    case CorrelationData: case AuthenticationData:
        return Kind::Binary;
    case UserProperty:
        return Kind::Pair;
    default:
        return Kind::Unknown;
    }
}

// ---- writing

void putU16(QByteArray &out, quint32 v)
{
    out += char((v >> 8) & 0xFF);
    out += char(v & 0xFF);
}

void putU32(QByteArray &out, quint32 v)
{
    out += char(v >> 24);
    out += char((v >> 16) & 0xFF);
    out += char((v >> 8) & 0xFF);
    out += char(v & 0xFF);
}

void putVarint(QByteArray &out, quint32 v)
{
    do {
        quint8 b = v % 128;
        v /= 128;
        if (v > 0)
            b |= 0x80;
        out += char(b);
    } while (v > 0);
}

// A UTF-8 string or binary data: two bytes of length, then the bytes. False when too long.
bool putBytes(QByteArray &out, const QByteArray &bytes)
{
    if (bytes.size() > 65535)
        return false;
    putU16(out, quint32(bytes.size()));
    out += bytes;
    return true;
}

QByteArray packet(quint8 type, quint8 flags, const QByteArray &body)
{
    QByteArray out;
    out.reserve(body.size() + 5);
    out += char((type << 4) | (flags & 0x0F));
    putVarint(out, quint32(body.size()));
    out += body;
    return out;
}

// The properties of a message (PUBLISH and the will), as a property block with its length.
bool putMessageProperties(QByteArray &out, const MqttMessage &m)
{
    QByteArray p;
    bool ok = true;
    if (m.payloadFormat) {
        p += char(PayloadFormat);
        p += char(*m.payloadFormat);
    }
    if (m.messageExpirySeconds) {
        p += char(MessageExpiry);
        putU32(p, *m.messageExpirySeconds);
    }
    if (!m.contentType.isEmpty()) {
        p += char(ContentType);
        ok = ok && putBytes(p, m.contentType);
    }
    if (!m.responseTopic.isEmpty()) {
        p += char(ResponseTopic);
        ok = ok && putBytes(p, m.responseTopic);
    }
    if (!m.correlationData.isNull()) {
        p += char(CorrelationData);
        ok = ok && putBytes(p, m.correlationData);
    }
    for (const auto &[name, value] : m.userProperties) {
        p += char(UserProperty);
        ok = ok && putBytes(p, name) && putBytes(p, value);
    }
    putVarint(out, quint32(p.size()));
    out += p;
    return ok;
}

// ---- reading

class Cursor
{
public:
    Cursor(const QByteArray &data, qsizetype from = 0, qsizetype to = -1)
        : m_data(data.constData()), m_pos(from), m_end(to < 0 ? data.size() : to)
    {
    }

    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos >= m_end; }
    qsizetype pos() const { return m_pos; }
    qsizetype left() const { return m_end - m_pos; }
    void fail() { m_ok = false; }

    quint8 byte()
    {
        if (!need(1))
            return 0;
        return quint8(m_data[m_pos++]);
    }
    quint16 u16()
    {
        if (!need(2))
            return 0;
        const quint16 v = quint16((quint8(m_data[m_pos]) << 8) | quint8(m_data[m_pos + 1]));
        m_pos += 2;
        return v;
    }
    quint32 u32()
    {
        if (!need(4))
            return 0;
        quint32 v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | quint8(m_data[m_pos + i]);
        m_pos += 4;
        return v;
    }
    quint32 varint()
    {
        quint32 v = 0;
        for (int i = 0; i < 4; ++i) {
            const quint8 b = byte();
            if (!m_ok)
                return 0;
            v |= quint32(b & 0x7F) << (7 * i);
            if (!(b & 0x80))
                return v;
        }
        m_ok = false;   // a fifth byte
        return 0;
    }
    QByteArray bytes(qsizetype n)
    {
        if (!need(n))
            return {};
        const QByteArray v(m_data + m_pos, n);
        m_pos += n;
        return v;
    }
    QByteArray binary() { return bytes(u16()); }
    QByteArray string()
    {
        QByteArray s = binary();
        if (m_ok && !isUtf8(s))
            m_ok = false;
        return s;
    }
    QByteArray rest() { return bytes(left()); }

    static bool isUtf8(const QByteArray &s)
    {
        // MQTT strings: well-formed UTF-8 without NUL (1.5.4).
        return !s.contains('\0') && s.isValidUtf8();
    }

private:
    bool need(qsizetype n)
    {
        if (!m_ok || n < 0 || m_end - m_pos < n) {
            m_ok = false;
            return false;
        }
        return true;
    }

    const char *m_data;
    qsizetype m_pos;
    qsizetype m_end;
    bool m_ok = true;
};

struct PropertyValue
{
    quint8 id = 0;
    quint32 number = 0;
    QByteArray text;
    QByteArray second;   // a user property's value
};

// Reads a property block; `allowed` says which identifiers the packet may carry. Every
// property but user properties (and subscription identifiers, repeatable in a PUBLISH) may
// appear once.
template<typename Handle>
bool readProperties(Cursor &c, std::initializer_list<quint8> allowed, Handle &&handle)
{
    const quint32 length = c.varint();
    if (!c.ok() || qsizetype(length) > c.left())
        return false;
    Cursor p = c;
    const qsizetype end = c.pos() + qsizetype(length);
    c.bytes(qsizetype(length));
    std::bitset<256> seen;
    while (p.ok() && p.pos() < end) {
        PropertyValue v;
        const quint32 id = p.varint();
        if (!p.ok() || id > 0x7F || std::find(allowed.begin(), allowed.end(), quint8(id)) == allowed.end())
            return false;
        v.id = quint8(id);
        if (v.id != UserProperty && v.id != SubscriptionIdentifier) {
            if (seen.test(v.id))
                return false;
            seen.set(v.id);
        }
        switch (kindOf(v.id)) {
        case Kind::Byte: v.number = p.byte(); break;
        case Kind::U16: v.number = p.u16(); break;
        case Kind::U32: v.number = p.u32(); break;
        case Kind::Varint: v.number = p.varint(); break;
        case Kind::String: v.text = p.string(); break;
        case Kind::Binary: v.text = p.binary(); break;
        case Kind::Pair:
            v.text = p.string();
            v.second = p.string();
            break;
        case Kind::Unknown: return false;
        }
        if (!p.ok() || p.pos() > end || !handle(v))
            return false;
    }
    return p.ok() && p.pos() == end;
}

} // namespace

QByteArray connect(const ConnectOptions &o)
{
    QByteArray body;
    putBytes(body, QByteArrayLiteral("MQTT"));
    body += char(5);   // protocol version
    quint8 flags = 0;
    if (o.cleanStart)
        flags |= 0x02;
    if (o.will) {
        flags |= 0x04;
        flags |= quint8((o.will->qos & 0x03) << 3);
        if (o.will->retain)
            flags |= 0x20;
    }
    if (!o.password.isNull())
        flags |= 0x40;
    if (!o.username.isNull())
        flags |= 0x80;
    body += char(flags);
    putU16(body, o.keepAliveSeconds);
    QByteArray props;
    if (o.sessionExpirySeconds) {
        props += char(SessionExpiry);
        putU32(props, o.sessionExpirySeconds);
    }
    if (o.maximumPacketSize) {
        props += char(MaximumPacketSize);
        putU32(props, o.maximumPacketSize);
    }
    putVarint(body, quint32(props.size()));
    body += props;
    bool ok = putBytes(body, o.clientId);
    if (o.will) {
        ok = ok && putMessageProperties(body, *o.will);
        ok = ok && putBytes(body, o.will->topic) && putBytes(body, o.will->payload);
    }
    if (!o.username.isNull())
        ok = ok && putBytes(body, o.username);
    if (!o.password.isNull())
        ok = ok && putBytes(body, o.password);
    return ok ? packet(Connect, 0, body) : QByteArray();
}

QByteArray publish(const MqttMessage &m, quint16 packetId)
{
    QByteArray body;
    body.reserve(m.topic.size() + m.payload.size() + 64);
    bool ok = putBytes(body, m.topic);
    if (m.qos > 0)
        putU16(body, packetId);
    ok = ok && putMessageProperties(body, m);
    body += m.payload;
    if (!ok || quint64(body.size()) > kMaxRemainingLength)
        return {};
    quint8 flags = quint8((m.qos & 0x03) << 1);
    if (m.retain)
        flags |= 0x01;
    if (m.dup && m.qos > 0)
        flags |= 0x08;
    return packet(Publish, flags, body);
}

QByteArray ack(Type type, quint16 packetId, quint8 reasonCode)
{
    QByteArray body;
    putU16(body, packetId);
    if (reasonCode != 0)
        body += char(reasonCode);   // success may be left out (3.4.2.1)
    return packet(type, type == PubRel ? 0x02 : 0, body);
}

QByteArray subscribe(quint16 packetId, const QByteArray &filter, int qos)
{
    QByteArray body;
    putU16(body, packetId);
    body += char(0);   // no properties
    if (!putBytes(body, filter))
        return {};
    body += char(qos & 0x03);
    return packet(Subscribe, 0x02, body);
}

QByteArray pingReq()
{
    return QByteArray("\xC0\x00", 2);
}

QByteArray disconnect(quint8 reasonCode)
{
    QByteArray body;
    if (reasonCode != 0)
        body += char(reasonCode);
    return packet(Disconnect, 0, body);
}

ReadResult read(const QByteArray &buffer, qsizetype &offset, quint32 maxSize, Packet *out)
{
    const qsizetype available = buffer.size() - offset;
    if (available < 2)
        return ReadResult::NeedMore;
    const char *data = buffer.constData() + offset;
    quint32 length = 0;
    qsizetype header = 1;
    for (int i = 0;; ++i) {
        if (i == 4)
            return ReadResult::Malformed;
        if (header >= available)
            return ReadResult::NeedMore;
        const quint8 b = quint8(data[header++]);
        length |= quint32(b & 0x7F) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    if (maxSize && quint64(header) + length > maxSize)
        return ReadResult::TooLarge;
    if (available - header < qsizetype(length))
        return ReadResult::NeedMore;
    out->type = quint8(data[0]) >> 4;
    out->flags = quint8(data[0]) & 0x0F;
    out->body = QByteArray(data + header, qsizetype(length));
    out->size = header + qsizetype(length);
    offset += out->size;
    return ReadResult::Packet;
}

bool parseConnAck(const Packet &packet, ConnAckInfo *info)
{
    if (packet.type != ConnAck || packet.flags != 0)
        return false;
    Cursor c(packet.body);
    const quint8 ackFlags = c.byte();
    info->reasonCode = c.byte();
    if (!c.ok() || (ackFlags & 0xFE))
        return false;
    info->sessionPresent = ackFlags & 0x01;
    if (c.atEnd())
        return true;   // a refusal may come without properties
    const bool ok = readProperties(c,
                                   {SessionExpiry, ReceiveMaximum, MaximumQos, RetainAvailable, MaximumPacketSize,
                                    AssignedClientId, TopicAliasMaximum, ReasonString, UserProperty,
                                    WildcardSubscriptionAvailable, SubscriptionIdentifierAvailable,
                                    SharedSubscriptionAvailable, ServerKeepAlive, ResponseInformation, ServerReference,
                                    AuthenticationMethod, AuthenticationData},
                                   [info](const PropertyValue &v) {
                                       switch (v.id) {
                                       case ReceiveMaximum:
                                           info->receiveMaximum = quint16(v.number);
                                           return v.number > 0;
                                       case MaximumQos:
                                           info->maximumQos = quint8(v.number);
                                           return v.number <= 1;
                                       case RetainAvailable:
                                           info->retainAvailable = v.number == 1;
                                           return v.number <= 1;
                                       case MaximumPacketSize:
                                           info->maximumPacketSize = v.number;
                                           return v.number > 0;
                                       case WildcardSubscriptionAvailable:
                                           info->wildcardSubscriptionAvailable = v.number == 1;
                                           return v.number <= 1;
                                       case SharedSubscriptionAvailable:
                                           info->sharedSubscriptionAvailable = v.number == 1;
                                           return v.number <= 1;
                                       case SubscriptionIdentifierAvailable: return v.number <= 1;
                                       case ServerKeepAlive: info->serverKeepAlive = quint16(v.number); return true;
                                       case AssignedClientId: info->assignedClientId = v.text; return true;
                                       case ReasonString: info->reasonString = v.text; return true;
                                       default: return true;
                                       }
                                   });
    return ok && c.atEnd();
}

bool parsePublish(const Packet &packet, MqttMessage *m, quint16 *packetId)
{
    if (packet.type != Publish)
        return false;
    m->qos = (packet.flags >> 1) & 0x03;
    m->retain = packet.flags & 0x01;
    m->dup = packet.flags & 0x08;
    if (m->qos == 3 || (m->qos == 0 && m->dup))
        return false;
    Cursor c(packet.body);
    m->topic = c.string();
    *packetId = m->qos > 0 ? c.u16() : 0;
    if (!c.ok() || (m->qos > 0 && *packetId == 0))
        return false;
    const bool ok = readProperties(c,
                                   {PayloadFormat, MessageExpiry, ContentType, ResponseTopic, CorrelationData, UserProperty,
                                    SubscriptionIdentifier},
                                   [m](const PropertyValue &v) {
                                       switch (v.id) {
                                       case PayloadFormat:
                                           m->payloadFormat = quint8(v.number);
                                           return v.number <= 1;
                                       case MessageExpiry: m->messageExpirySeconds = v.number; return true;
                                       case ContentType: m->contentType = v.text; return true;
                                       case ResponseTopic: m->responseTopic = v.text; return !v.text.isEmpty();
                                       case CorrelationData:
                                           m->correlationData = v.text.isNull() ? QByteArray("") : v.text;
                                           return true;
                                       case UserProperty: m->userProperties.append({v.text, v.second}); return true;
                                       default: return true;   // a subscription identifier: ours are none
                                       }
                                   });
    // No topic alias was allowed to the broker (none announced), so a topic is always there,
    // and a topic name has no wildcards.
    if (!ok || !isValidTopicName(m->topic))
        return false;
    m->payload = c.rest();
    return c.ok();
}

bool parseAck(const Packet &packet, quint16 *packetId, quint8 *reasonCode)
{
    if (packet.type < PubAck || packet.type > PubComp || packet.flags != (packet.type == PubRel ? 0x02 : 0))
        return false;
    Cursor c(packet.body);
    *packetId = c.u16();
    *reasonCode = c.atEnd() ? 0 : c.byte();
    if (!c.ok() || *packetId == 0)
        return false;
    if (c.atEnd())
        return true;
    return readProperties(c, {ReasonString, UserProperty}, [](const PropertyValue &) { return true; }) && c.atEnd();
}

bool parseSubAck(const Packet &packet, quint16 *packetId, QList<quint8> *reasonCodes)
{
    if (packet.type != SubAck || packet.flags != 0)
        return false;
    Cursor c(packet.body);
    *packetId = c.u16();
    if (!c.ok() || !readProperties(c, {ReasonString, UserProperty}, [](const PropertyValue &) { return true; }))
        return false;
    reasonCodes->clear();
    while (c.ok() && !c.atEnd())
        reasonCodes->append(c.byte());
    return c.ok() && !reasonCodes->isEmpty();
}

bool parseDisconnect(const Packet &packet, quint8 *reasonCode, QByteArray *reasonString)
{
    if (packet.type != Disconnect || packet.flags != 0)
        return false;
    Cursor c(packet.body);
    *reasonCode = c.atEnd() ? 0 : c.byte();
    if (!c.ok())
        return false;
    if (c.atEnd())
        return true;
    return readProperties(c, {SessionExpiry, ReasonString, UserProperty, ServerReference},
                          [reasonString](const PropertyValue &v) {
                              if (v.id == ReasonString)
                                  *reasonString = v.text;
                              return true;
                          })
        && c.atEnd();
}

bool isValidTopicName(const QByteArray &topic)
{
    return !topic.isEmpty() && topic.size() <= 65535 && !topic.contains('+') && !topic.contains('#')
        && Cursor::isUtf8(topic);
}

} // namespace Gatehouse::Mqtt::MqttPacket
