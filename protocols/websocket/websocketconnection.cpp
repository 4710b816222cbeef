#include "websocketconnection.h"

#include "http/socketoutput.h"
#include "live/livelogging.h"

#include <QSslSocket>
#include <QStringDecoder>
#include <QTcpSocket>
#include <QtEndian>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Gatehouse::Live {

namespace {
constexpr qint64 kReadChunk = 64 * 1024;
// Frames one message may come in: empty continuation frames would otherwise keep a message
// open, and a network thread busy, for good.
constexpr int kMaxFragments = 16384;
// A connection keeps the room of its batch buffer up to this much between batches.
constexpr qsizetype kKeptBatchRoom = 16 * 1024;

bool isValidUtf8(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder(bytes);   // decode() alone is lazy: converting does the work
    return !decoder.hasError();
}
} // namespace

WebSocketConnection::WebSocketConnection(QTcpSocket *socket, const QByteArray &alreadyRead, const LiveOptions &options,
                                         QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_tls(qobject_cast<QSslSocket *>(socket))
    , m_options(options)
    , m_parser(options.maxMessageBytes)
{
    m_socket->setParent(this);
    // Bounded, so a client sending faster than we process is held back by TCP, not our memory.
    m_socket->setReadBufferSize(kReadChunk);
    m_parser.append(alreadyRead);
    m_closeTimer.setSingleShot(true);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] {
        qCDebug(lcLive) << "WebSocket close handshake timed out; dropping the connection";
        m_socket->abort();
        finish();
    });
    m_lastInput.start();
    if (m_options.keepAliveMs > 0) {
        m_keepAlive.setInterval(m_options.keepAliveMs);
        connect(&m_keepAlive, &QTimer::timeout, this, &WebSocketConnection::checkAlive);
        m_keepAlive.start();
    }
}

void WebSocketConnection::checkAlive()
{
    if (m_state != State::Open)
        return;
    if (m_readingPaused || m_socket->bytesAvailable() > 0) {   // it did send: not read yet
        m_lastInput.start();
        m_keepAlivePingSent = false;
        return;
    }
    // Nothing came in since the last check's ping (any input clears the flag).
    if (m_keepAlivePingSent) {
        // Silent through a whole interval after the ping: the peer is gone (a cable pulled, a
        // NAT that forgot the connection) and would otherwise hold its slot for good.
        qCInfo(lcLive) << "WebSocket client" << m_socket->peerAddress() << "did not answer a ping; dropping the connection";
        m_socket->abort();
        finish();
        return;
    }
    if (m_lastInput.elapsed() < m_options.keepAliveMs * 9 / 10)   // the timer may fire a little early
        return;
    m_keepAlivePingSent = true;
    write(WebSocketFrame::encode(WebSocketFrame::Ping, QByteArrayLiteral("keep-alive")));
}

WebSocketConnection::~WebSocketConnection() = default;

void WebSocketConnection::start()
{
    connect(m_socket, &QTcpSocket::readyRead, this, &WebSocketConnection::processInput);
    Http::connectOutputProgress(m_socket, this, &WebSocketConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, &WebSocketConnection::finish);
    if (m_socket->state() != QAbstractSocket::ConnectedState) {
        finish();
        return;
    }
    processInput();
}

void WebSocketConnection::flush()
{
    writeQueued();
    if (m_socket->state() == QAbstractSocket::ConnectedState && queuedBytes() > 0)
        m_socket->flush();   // emits bytesWritten, hence drained(), when something went out
    else
        onBytesWritten();    // a batch that went straight to the kernel: the socket says nothing
}

qint64 WebSocketConnection::queuedBytes() const
{
    // Http::unsentBytes without its cast, which a thousand subscribers pay on every batch.
    return m_socket->bytesToWrite() + (m_tls ? m_tls->encryptedBytesToWrite() : 0) + m_queued.size();
}

bool WebSocketConnection::isCongested() const
{
    const bool congested = m_state != State::Open || queuedBytes() >= m_options.maxQueueBytes / 2;
    m_congestionSeen = m_congestionSeen || congested;
    return congested;
}

void WebSocketConnection::setReadingPaused(bool paused)
{
    if (m_readingPaused == paused)
        return;
    m_readingPaused = paused;
    if (!paused)
        QMetaObject::invokeMethod(this, &WebSocketConnection::processInput, Qt::QueuedConnection);
}

// Checked before writing: a client that keeps up has an empty queue whenever new data is due,
// however large; one whose queue is still over the limit has stopped reading, and is closed.
bool WebSocketConnection::mayWrite()
{
    if (m_state != State::Open)
        return false;
    if (queuedBytes() <= m_options.maxQueueBytes)
        return true;
    qCInfo(lcLive) << "WebSocket client" << m_socket->peerAddress() << "cut off:" << queuedBytes() << "bytes queued";
    close(WebSocketFrame::TryAgainLater, QStringLiteral("slow consumer: more than %1 bytes queued").arg(m_options.maxQueueBytes));
    return false;
}

bool WebSocketConnection::sendText(const QByteArray &utf8)
{
    if (!mayWrite())
        return false;
    write(WebSocketFrame::encode(WebSocketFrame::Text, utf8));
    return true;
}

bool WebSocketConnection::queueText(std::initializer_list<QByteArrayView> parts)
{
    if (!mayWrite())
        return false;
    WebSocketFrame::appendFrame(m_queued, WebSocketFrame::Text, parts);
    return true;
}

void WebSocketConnection::writeQueued()
{
    if (m_queued.isEmpty())
        return;
    // Straight to the kernel when nothing else is waiting: no copy into the socket's buffer.
    Http::writeThrough(m_socket, m_tls != nullptr, {m_queued});
    if (m_queued.capacity() > kKeptBatchRoom)
        m_queued = QByteArray();   // a catch-up's page: not kept by every idle connection
    else
        m_queued.resize(0);
}

void WebSocketConnection::close(quint16 code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    m_state = State::Closing;
    m_inMessage = false;
    m_message.clear();
    write(WebSocketFrame::encodeClose(code, reason));
    m_closeTimer.start(m_options.closeTimeoutMs);
}

void WebSocketConnection::write(const QByteArray &bytes)
{
    writeQueued();   // in the order they were sent
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(bytes);
}

void WebSocketConnection::onBytesWritten()
{
    if (m_halfClosePending && Http::unsentBytes(m_socket) == 0)
        halfClose();
    if (m_pongPending && m_state == State::Open && queuedBytes() < m_options.maxQueueBytes / 2) {
        m_pongPending = false;
        write(WebSocketFrame::encode(WebSocketFrame::Pong, std::exchange(m_pendingPong, {})));
    }
    if (m_congestionSeen && m_state == State::Open && queuedBytes() < m_options.maxQueueBytes / 2) {
        m_congestionSeen = false;
        Q_EMIT drained();
    }
}

void WebSocketConnection::processInput()
{
    if (m_state == State::Closed) {
        m_socket->readAll();   // draining until the peer closes too; see halfClose()
        return;
    }
    while (!m_gone && m_state != State::Closed && !m_readingPaused) {
        WebSocketFrame::Frame frame;
        const auto status = m_parser.next(&frame);
        if (status == WebSocketFrame::Parser::Status::Error) {
            fail(m_parser.errorCode(), m_parser.errorReason());
            return;
        }
        if (status == WebSocketFrame::Parser::Status::NeedMore) {
            const QByteArray chunk = m_socket->read(kReadChunk);
            if (chunk.isEmpty())
                return;
            m_lastInput.start();
            m_keepAlivePingSent = false;
            m_parser.append(chunk);
            continue;
        }
        if (!handleFrame(frame))
            return;
    }
}

bool WebSocketConnection::handleFrame(WebSocketFrame::Frame &frame)
{
    using namespace WebSocketFrame;
    switch (frame.opcode) {
    case Ping:
        if (m_state != State::Open)
            return true;
        if (queuedBytes() >= m_options.maxQueueBytes / 2) {
            m_pendingPong = frame.payload;
            m_pongPending = true;
            m_congestionSeen = true;   // onBytesWritten() sends it once the queue drains
            return true;
        }
        write(encode(Pong, frame.payload));
        return true;
    case Pong:
        return true;
    case Close:
        handleClose(frame.payload);
        return false;
    default:
        break;
    }
    if (m_state != State::Open)
        return true;   // closing: data is no longer read, only the peer's close frame
    if (frame.opcode == Continuation ? !m_inMessage : m_inMessage) {
        fail(ProtocolError, m_inMessage ? QStringLiteral("a new message started inside a fragmented one")
                                        : QStringLiteral("continuation frame without a message"));
        return false;
    }
    if (frame.opcode != Continuation) {
        m_inMessage = true;
        m_messageOpcode = frame.opcode;
        m_message.clear();
        m_messageFrames = 0;
    }
    if (++m_messageFrames > kMaxFragments) {
        fail(MessageTooBig, QStringLiteral("message in more than %1 frames").arg(kMaxFragments));
        return false;
    }
    if (m_message.size() + frame.payload.size() > m_options.maxMessageBytes) {
        fail(MessageTooBig, QStringLiteral("message over %1 bytes").arg(m_options.maxMessageBytes));
        return false;
    }
    m_message += frame.payload;
    if (!frame.fin)
        return true;
    m_inMessage = false;
    const QByteArray message = std::exchange(m_message, {});
    if (m_messageOpcode == Binary) {
        fail(UnsupportedData, QStringLiteral("binary messages are not supported; send JSON text"));
        return false;
    }
    if (!isValidUtf8(message)) {
        fail(InvalidPayload, QStringLiteral("text message is not valid UTF-8"));
        return false;
    }
    Q_EMIT textMessage(message);
    return true;
}

void WebSocketConnection::handleClose(const QByteArray &payload)
{
    using namespace WebSocketFrame;
    quint16 code = NoStatusReceived;
    if (payload.size() == 1) {
        code = ProtocolError;
    } else if (payload.size() >= 2) {
        code = qFromBigEndian<quint16>(payload.constData());
        if (!isValidCloseCode(code))
            code = ProtocolError;
        else if (!isValidUtf8(payload.mid(2)))
            code = InvalidPayload;
    }
    if (m_state == State::Open) {
        // Echo the peer's code (RFC 6455 5.5.1), or our complaint about its close frame.
        write(code == NoStatusReceived ? encode(Close, {}) : encodeClose(code, {}));
    }
    m_state = State::Closed;
    // The server closes the TCP connection first (RFC 6455 7.1.1), once the close frame is out.
    halfClose();
    m_closeTimer.start(m_options.closeTimeoutMs);
}

void WebSocketConnection::fail(quint16 code, const QString &reason)
{
    qCDebug(lcLive) << "WebSocket connection failed:" << m_socket->peerAddress() << code << reason;
    // "Fail the WebSocket connection" (RFC 6455 7.1.7): the close frame, then the TCP close;
    // nothing after the offending frame is read any more.
    close(code, reason);
    m_state = State::Closed;
    halfClose();
    m_socket->readAll();
}

void WebSocketConnection::halfClose()
{
    if (Http::unsentBytes(m_socket) > 0) {
        m_halfClosePending = true;   // after the close frame is out: onBytesWritten()
        return;
    }
    m_halfClosePending = false;
#ifdef Q_OS_UNIX
    // FIN only, and keep draining what the client still sends until it closes too: closing with
    // unread bytes would make the kernel answer with RST, which can wipe the close frame out of
    // the client's buffer before it reads it.
    if (::shutdown(int(m_socket->socketDescriptor()), SHUT_WR) == 0)
        return;
#endif
    m_socket->disconnectFromHost();
}

void WebSocketConnection::finish()
{
    if (m_gone)
        return;
    m_gone = true;
    m_state = State::Closed;
    m_closeTimer.stop();
    m_keepAlive.stop();
    Q_EMIT disconnected();
}

} // namespace Gatehouse::Live
