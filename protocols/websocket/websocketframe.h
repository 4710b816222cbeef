#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace Gatehouse::Live {

// RFC 6455 framing, server side: parses the frames a client sends (masked, as the RFC demands)
// and encodes the frames a server sends (unmasked). Pure code, no sockets.
namespace WebSocketFrame {

enum Opcode : quint8 { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

enum CloseCode : quint16 {
    NormalClosure = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    UnsupportedData = 1003,
    NoStatusReceived = 1005,   // never sent: "the close frame had no code"
    InvalidPayload = 1007,
    PolicyViolation = 1008,
    MessageTooBig = 1009,
    InternalError = 1011,
    TryAgainLater = 1013,
};

struct Frame
{
    bool fin = true;
    quint8 opcode = Text;
    QByteArray payload;   // unmasked
};

// Incremental parser over the bytes a client sent. Frames whose payload is larger than
// maxPayload are refused before their payload is buffered.
class Parser
{
public:
    enum class Status { NeedMore, Frame, Error };

    explicit Parser(qint64 maxPayload);
    void append(const QByteArray &bytes);
    qsizetype buffered() const { return m_buffer.size() - m_offset; }
    Status next(Frame *frame);
    quint16 errorCode() const { return m_errorCode; }
    QString errorReason() const { return m_errorReason; }

private:
    Status fail(quint16 code, const QString &reason);

    qint64 m_maxPayload;
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    quint16 m_errorCode = 0;
    QString m_errorReason;
};

QByteArray encode(quint8 opcode, const QByteArray &payload, bool fin = true);
// Appends a final frame whose payload is `parts` one after the other to `out`, without building
// the payload on its own first.
void appendFrame(QByteArray &out, quint8 opcode, std::initializer_list<QByteArrayView> parts);
QByteArray encodeClose(quint16 code, const QString &reason);
// Codes a peer may put in a close frame (RFC 6455 7.4).
bool isValidCloseCode(quint16 code);

} // namespace WebSocketFrame
} // namespace Gatehouse::Live
