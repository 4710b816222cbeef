#pragma once

#include "httpanswerqueue.h"
#include "httpdeadlines.h"
#include "httphandler.h"
#include "httplimits.h"
#include "httprequestparser.h"
#include "httpresponder.h"

#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

class QTcpSocket;

namespace Gatehouse::Http {

class HttpConnectionLink;
class HttpStreamState;
struct HttpResponse;

// One client connection: reads and parses requests, hands them to the handler, enforces the
// timeouts and the pipelining cap, and closes the socket (with a short linger, so a final
// error answer is not lost to a TCP reset). Its HttpAnswerQueue writes the answers in request
// order. Owns its socket until a takeOver hands it away; lives on its worker's network thread.
// Responder and stream handles reach it only through its HttpConnectionLink. Deletes itself
// (deleteLater) once the socket is gone.
class HttpConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)

public:
    // True while the connection parses and dispatches (handlers run inside): an answer given
    // then may be recorded directly, the loop writes it out when the handler returns.
    bool isPumping() const { return m_pumping; }
    HttpConnection(QTcpSocket *socket, std::shared_ptr<const HttpHandler> handler,
                   const HttpLimits &limits, QObject *parent = nullptr);
    ~HttpConnection() override;

    // Holds one slot of counter, already taken for it, until its socket is gone.
    void holdSlot(const std::shared_ptr<std::atomic<int>> &counter);
    void start();
    // Answers response once, without reading any request, then closes (e.g. 503 over the cap).
    void reject(const HttpResponse &response);
    // Reads no further requests; the answers already owed are written, then the socket closes.
    void shutdown();

    // Entry points for HttpResponder / HttpStream, always called on the network thread.
    void deliver(quint64 sequence, const HttpResponse &response);
    void startStream(const HttpResponse &head, const std::shared_ptr<HttpStreamState> &stream);
    void writeStream(const std::shared_ptr<HttpStreamState> &stream, const QByteArray &data);
    void closeStream(const std::shared_ptr<HttpStreamState> &stream);
    void takeOver(quint64 sequence, HttpResponder::TakeOverReceiver receiver);

Q_SIGNALS:
    void finished();  // the socket is closed or handed over; deletion follows

private:
    enum class State { Serving, Closing, Gone };

    void pump();
    bool parseInput();
    bool flushOutput();
    void dispatch();
    void refuse(int status, const QString &title, const QString &detail);
    void handOver(HttpAnswerQueue::Entry entry);
    void beginClosing();
    void halfClose();
    void markGone();
    void updateTimers();

    void onReadyRead();
    void onBytesWritten();
    void onHeaderTimeout();
    void onIdleTimeout();
    void onBodyTimeout();
    void onWriteStalled();

    QTcpSocket *m_socket;
    const std::shared_ptr<const HttpHandler> m_handler;
    const HttpLimits m_limits;
    HttpRequestParser m_parser;
    HttpAnswerQueue m_answers;
    const std::shared_ptr<HttpConnectionLink> m_link;
    std::shared_ptr<std::atomic<int>> m_counter;

    State m_state = State::Serving;
    bool m_stopParsing = false;      // no further requests will be read
    bool m_draining = false;         // shutdown() asked: close once the owed answers are out
    bool m_continuePending = false;  // a "100 Continue" waits for earlier answers
    bool m_halfClosed = false;
    bool m_pumping = false;
    bool m_heldByOutput = false;     // reading stopped: maxUnsentBytes of answers wait for the client
    HttpDeadlines m_deadlines;
    QTimer m_lingerTimer;
    // The peer, read once: every request of the connection carries it.
    QHostAddress m_peerAddress;
    QString m_peerAddressText;
    quint16 m_peerPort = 0;
};

} // namespace Gatehouse::Http
