#include "websocketframe.h"

#include <QtEndian>

namespace Gatehouse::Live::WebSocketFrame {

Parser::Parser(qint64 maxPayload)
    : m_maxPayload(maxPayload)
{
}

void Parser::append(const QByteArray &bytes)
{
    if (m_offset > 0 && m_offset >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer.append(bytes);
}

Parser::Status Parser::fail(quint16 code, const QString &reason)
{
    m_errorCode = code;
    m_errorReason = reason;
    return Status::Error;
}

Parser::Status Parser::next(Frame *frame)
{
    if (m_errorCode)
        return Status::Error;
    const auto *data = reinterpret_cast<const uchar *>(m_buffer.constData()) + m_offset;
    const qsizetype available = m_buffer.size() - m_offset;
    if (available < 2)
        return Status::NeedMore;
    const bool fin = data[0] & 0x80;
    const quint8 opcode = data[0] & 0x0F;
    if (data[0] & 0x70)
        return fail(ProtocolError, QStringLiteral("reserved bits set; no extension was negotiated"));
    const bool control = opcode & 0x8;
    if (opcode != Continuation && opcode != Text && opcode != Binary && opcode != Close && opcode != Ping && opcode != Pong)
        return fail(ProtocolError, QStringLiteral("unknown opcode %1").arg(opcode));
    if (!(data[1] & 0x80))
        return fail(ProtocolError, QStringLiteral("client frames must be masked"));
    quint64 length = data[1] & 0x7F;
    qsizetype headerSize = 2;
    if (length == 126) {
        headerSize = 4;
        if (available < headerSize)
            return Status::NeedMore;
        length = qFromBigEndian<quint16>(data + 2);
    } else if (length == 127) {
        headerSize = 10;
        if (available < headerSize)
            return Status::NeedMore;
        length = qFromBigEndian<quint64>(data + 2);
        if (length >> 63)
            return fail(ProtocolError, QStringLiteral("frame length has its most significant bit set"));
    }
    if (control && (!fin || length > 125))
        return fail(ProtocolError, QStringLiteral("control frames must be final and at most 125 bytes"));
    if (length > quint64(m_maxPayload))
        return fail(MessageTooBig, QStringLiteral("frame of %1 bytes; the limit is %2").arg(length).arg(m_maxPayload));
    headerSize += 4;   // masking key
    if (quint64(available) < quint64(headerSize) + length)
        return Status::NeedMore;
    const uchar *mask = data + headerSize - 4;
    frame->fin = fin;
    frame->opcode = opcode;
    frame->payload = QByteArray(reinterpret_cast<const char *>(data + headerSize), qsizetype(length));
    char *p = frame->payload.data();
    for (qsizetype i = 0; i < qsizetype(length); ++i)
        p[i] = char(p[i] ^ mask[i & 3]);
    m_offset += headerSize + qsizetype(length);
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    return Status::Frame;
}

namespace {
void appendHeader(QByteArray &out, quint8 opcode, qsizetype length, bool fin)
{
    out.append(char((fin ? 0x80 : 0x00) | (opcode & 0x0F)));
    if (length < 126) {
        out.append(char(length));
    } else if (length <= 0xFFFF) {
        out.append(char(126));
        uchar be[2];
        qToBigEndian<quint16>(quint16(length), be);
        out.append(reinterpret_cast<const char *>(be), 2);
    } else {
        out.append(char(127));
        uchar be[8];
        qToBigEndian<quint64>(quint64(length), be);
        out.append(reinterpret_cast<const char *>(be), 8);
    }
}
} // namespace

QByteArray encode(quint8 opcode, const QByteArray &payload, bool fin)
{
    QByteArray out;
    out.reserve(payload.size() + 10);
    appendHeader(out, opcode, payload.size(), fin);
    out.append(payload);
    return out;
}

void appendFrame(QByteArray &out, quint8 opcode, std::initializer_list<QByteArrayView> parts)
{
    qsizetype length = 0;
    for (QByteArrayView part : parts)
        length += part.size();
    appendHeader(out, opcode, length, true);
    for (QByteArrayView part : parts)
        out.append(part);
}

QByteArray encodeClose(quint16 code, const QString &reason)
{
    uchar be[2];
    qToBigEndian<quint16>(code, be);
    // A control frame carries at most 125 bytes: the code and 123 bytes of reason.
    QByteArray payload(reinterpret_cast<const char *>(be), 2);
    QByteArray text = reason.toUtf8();
    if (text.size() > 123) {
        qsizetype cut = 123;
        while (cut > 0 && (uchar(text.at(cut)) & 0xC0) == 0x80)   // not inside a UTF-8 sequence
            --cut;
        text.truncate(cut);
    }
    return encode(Close, payload + text);
}

bool isValidCloseCode(quint16 code)
{
    if (code >= 3000 && code <= 4999)
        return true;   // registered and private codes
    return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

} // namespace Gatehouse::Live::WebSocketFrame
