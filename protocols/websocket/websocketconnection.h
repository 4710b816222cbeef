#pragma once

#include "live/liveoptions.h"
#include "websocketframe.h"

#include <QObject>
#include <QElapsedTimer>
#include <QTimer>

class QSslSocket;
class QTcpSocket;

namespace Gatehouse::Live {

// One WebSocket connection after the handshake (RFC 6455): reassembles fragmented messages,
// answers pings, runs the closing handshake, and enforces the limits: an incoming message over
// LiveOptions::maxMessageBytes closes with 1009, a protocol violation with 1002, invalid UTF-8
// in a text message with 1007, a binary message with 1003 (we speak JSON text), and a send
// while the outgoing queue is past maxQueueBytes with 1013. The queue is the socket's own write
// buffer, so "queued" means "not yet taken by the kernel". Lives on the network thread and
// owns the socket; emits disconnected() once the TCP connection has gone.
class WebSocketConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketConnection)

public:
    // `alreadyRead`: bytes the HTTP server read after the handshake request.
    WebSocketConnection(QTcpSocket *socket, const QByteArray &alreadyRead, const LiveOptions &options,
                        QObject *parent = nullptr);
    ~WebSocketConnection() override;

    void start();
    bool isOpen() const { return m_state == State::Open; }
    // False (and the connection closing with 1013) when the queue was already over the limit.
    bool sendText(const QByteArray &utf8);
    // The same for a batch: the frame (its payload `parts` one after the other, JSON text) joins
    // the others queued since the last flush(), and they reach the socket together, with one
    // copy, at that flush() -- which the caller owes before it returns to the event loop.
    bool queueText(std::initializer_list<QByteArrayView> parts);
    void close(quint16 code, const QString &reason);
    // Hands what is queued to the kernel now, as much as it takes, rather than a block per turn
    // of the loop (a frame of 4 KiB or more stays a block of its own), queued frames included.
    void flush();
    qint64 queuedBytes() const;
    // Over half the queue limit: hold back what can wait. Once it said so, drained() follows when
    // the queue is below half again.
    bool isCongested() const;
    void setReadingPaused(bool paused);

Q_SIGNALS:
    void textMessage(const QByteArray &utf8);
    void drained();        // the queue fell below half the limit after isCongested() was true
    void disconnected();

private:
    enum class State { Open, Closing, Closed };

    void processInput();
    bool handleFrame(WebSocketFrame::Frame &frame);
    void handleClose(const QByteArray &payload);
    void fail(quint16 code, const QString &reason);
    void halfClose();
    void write(const QByteArray &bytes);
    void writeQueued();
    bool mayWrite();
    void onBytesWritten();
    void finish();
    void checkAlive();

    QTcpSocket *m_socket;
    QSslSocket *m_tls;               // m_socket when it is one: its encrypted bytes are queued too
    QByteArray m_queued;             // frames of queueText() not yet handed to the socket
    mutable bool m_congestionSeen = false;
    LiveOptions m_options;
    WebSocketFrame::Parser m_parser;
    State m_state = State::Open;
    bool m_readingPaused = false;
    bool m_inMessage = false;        // a fragmented message is being reassembled
    quint8 m_messageOpcode = 0;
    int m_messageFrames = 0;         // of the message being reassembled
    QByteArray m_message;
    QTimer m_closeTimer;             // bounds the closing handshake
    // Keep-alive: a periodic check (not a timer restarted by every frame, which would walk the
    // thread's timers for every client) of how long the peer has been silent.
    QTimer m_keepAlive;
    QElapsedTimer m_lastInput;
    bool m_keepAlivePingSent = false;
    // A ping answered while the output is congested: only the latest one's pong waits for the
    // queue to drain (RFC 6455 5.5.3), so a ping flood cannot grow the queue.
    QByteArray m_pendingPong;
    bool m_pongPending = false;
    bool m_halfClosePending = false;
    bool m_gone = false;
};

} // namespace Gatehouse::Live
