// WebSocket frames from a client (protocols/websocket/websocketframe.*), as the bytes arrive
// on a connection: the first input byte chooses how they are split and the payload limit, the
// rest is the byte stream. Checked besides memory safety: every frame the parser returns obeys
// RFC 6455 (known opcode, control frames final and <= 125 bytes, payload within the limit),
// every refusal carries a close code a server may send, the server's own encoding of each frame
// reads back as the same frame once masked as a client would, and close frames we build stay
// within 125 bytes with a reason that is still valid UTF-8.

#include "fuzzsupport.h"
#include "websocket/websocketframe.h"

#include <QStringDecoder>

#include <cstdint>

using namespace Gatehouse::Live;

namespace {

bool isValidUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    (void)decoder.decode(bytes);
    return !decoder.hasError();
}

// A server frame (unmasked) as a client would send it: mask bit set, key after the length.
QByteArray masked(const QByteArray &serverFrame, quint32 key)
{
    const auto lengthByte = quint8(serverFrame.at(1));
    const qsizetype header = lengthByte == 126 ? 4 : lengthByte == 127 ? 10 : 2;
    const uchar keyBytes[4] = {uchar(key >> 24), uchar(key >> 16), uchar(key >> 8), uchar(key)};
    QByteArray out = serverFrame.left(header);
    out[1] = char(lengthByte | 0x80);
    out.append(reinterpret_cast<const char *>(keyBytes), 4);
    for (qsizetype i = header; i < serverFrame.size(); ++i)
        out.append(char(serverFrame.at(i) ^ keyBytes[(i - header) & 3]));
    return out;
}

void checkRoundTrip(const WebSocketFrame::Frame &frame, qint64 maxPayload, quint32 key)
{
    WebSocketFrame::Parser again(maxPayload);
    again.append(masked(WebSocketFrame::encode(frame.opcode, frame.payload, frame.fin), key));
    WebSocketFrame::Frame copy;
    FUZZ_CHECK(again.next(&copy) == WebSocketFrame::Parser::Status::Frame, QStringLiteral("encoded frame not read back"));
    FUZZ_CHECK(copy.fin == frame.fin && copy.opcode == frame.opcode && copy.payload == frame.payload,
               QStringLiteral("encoded frame read back differently"));
    FUZZ_CHECK(again.buffered() == 0, QStringLiteral("bytes left after one encoded frame"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const qint64 limits[] = {1024 * 1024, 125, 300, 70000};
    const qint64 maxPayload = limits[data[0] >> 6];
    const qsizetype chunk = data[0] & 0x3F;   // 0: everything at once
    const QByteArray stream(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const quint32 key = size >= 5 ? (quint32(data[1]) << 24 | quint32(data[2]) << 16 | quint32(data[3]) << 8 | data[4]) : 0;

    WebSocketFrame::Parser parser(maxPayload);
    qsizetype fed = 0;
    bool failed = false;
    while (!failed) {
        WebSocketFrame::Frame frame;
        const auto status = parser.next(&frame);
        if (status == WebSocketFrame::Parser::Status::Error) {
            const quint16 code = parser.errorCode();
            FUZZ_CHECK(code == WebSocketFrame::ProtocolError || code == WebSocketFrame::MessageTooBig,
                       QStringLiteral("refused with close code %1").arg(code));
            FUZZ_CHECK(WebSocketFrame::isValidCloseCode(code), QStringLiteral("close code %1 may not be sent").arg(code));
            FUZZ_CHECK(!parser.errorReason().isEmpty(), QStringLiteral("refusal without a reason"));
            FUZZ_CHECK(parser.next(&frame) == WebSocketFrame::Parser::Status::Error, QStringLiteral("parser recovered from an error"));
            failed = true;
        } else if (status == WebSocketFrame::Parser::Status::NeedMore) {
            if (fed == stream.size())
                break;
            const qsizetype n = chunk == 0 ? stream.size() - fed : qMin(chunk, stream.size() - fed);
            parser.append(stream.mid(fed, n));
            fed += n;
        } else {
            using namespace WebSocketFrame;
            const bool control = frame.opcode & 0x8;
            FUZZ_CHECK(frame.opcode == Continuation || frame.opcode == Text || frame.opcode == Binary
                           || frame.opcode == Close || frame.opcode == Ping || frame.opcode == Pong,
                       QStringLiteral("frame with opcode %1").arg(frame.opcode));
            FUZZ_CHECK(!control || (frame.fin && frame.payload.size() <= 125),
                       QStringLiteral("control frame not final or over 125 bytes"));
            FUZZ_CHECK(frame.payload.size() <= maxPayload, QStringLiteral("payload over the limit"));
            checkRoundTrip(frame, maxPayload, key);
            if (frame.opcode == Close && frame.payload.size() >= 2) {
                // What a server answers: the peer's code with (here) the peer's text as reason.
                const quint16 code = quint16(quint8(frame.payload.at(0)) << 8 | quint8(frame.payload.at(1)));
                const QString reason = QString::fromUtf8(frame.payload.mid(2));
                const QByteArray answer = encodeClose(code, reason + reason + reason);
                FUZZ_CHECK(answer.size() <= 2 + 125, QStringLiteral("close frame of %1 bytes").arg(answer.size()));
                FUZZ_CHECK(isValidUtf8(answer.mid(4)), QStringLiteral("close reason cut inside a UTF-8 sequence"));
            }
        }
    }
    return 0;
}
