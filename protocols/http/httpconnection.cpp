#include "httpconnection.h"

#include "httpconnectionlink.h"
#include "httplogging.h"
#include "httprequest.h"
#include "httpresponse.h"
#include "httpstreamstate.h"
#include "httpwire.h"
#include "socketoutput.h"

#include <QSslSocket>

#include <algorithm>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Gatehouse::Http {

namespace {
constexpr qint64 kReadChunk = 64 * 1024;
// After our final answer: how long to keep draining the client's bytes before closing.
constexpr int kLingerMs = 2000;
} // namespace

HttpConnection::HttpConnection(QTcpSocket *socket, std::shared_ptr<const HttpHandler> handler,
                               const HttpLimits &limits, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_handler(std::move(handler))
    , m_limits(limits)
    , m_parser(limits)
    , m_answers(socket)
    , m_link(std::make_shared<HttpConnectionLink>(this))
    , m_deadlines(limits)
{
    m_socket->setParent(this);
    m_peerAddress = m_socket->peerAddress();
    m_peerAddressText = m_peerAddress.toString();
    m_peerPort = m_socket->peerPort();
    // Bounded, so a client pipelining faster than we answer is held back by TCP flow control
    // instead of by our memory.
    m_socket->setReadBufferSize(kReadChunk);
    m_lingerTimer.setSingleShot(true);
    connect(&m_deadlines, &HttpDeadlines::headTimedOut, this, &HttpConnection::onHeaderTimeout);
    connect(&m_deadlines, &HttpDeadlines::bodyTimedOut, this, &HttpConnection::onBodyTimeout);
    connect(&m_deadlines, &HttpDeadlines::idle, this, &HttpConnection::onIdleTimeout);
    connect(&m_deadlines, &HttpDeadlines::writeStalled, this, &HttpConnection::onWriteStalled);
    connect(&m_lingerTimer, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
    });
}

HttpConnection::~HttpConnection()
{
    // Responders go invalid before the connection stops counting: whoever sees the count fall
    // sees them invalid too.
    m_link->detach();
    if (m_counter)
        --*m_counter;
}

void HttpConnection::holdSlot(const std::shared_ptr<std::atomic<int>> &counter)
{
    m_counter = counter;
}

void HttpConnection::start()
{
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connectOutputProgress(m_socket, this, &HttpConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::markGone);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (!m_socket)
            return;
        if (m_socket->state() == QAbstractSocket::UnconnectedState) {
            markGone();
            return;
        }
        // A TLS handshake that failed (plain HTTP sent to the TLS port, a client that does not
        // trust the certificate, no common protocol): nothing can be said on this connection.
        if (auto *tls = qobject_cast<QSslSocket *>(m_socket); tls && !tls->isEncrypted()) {
            qCDebug(lcHttp) << "TLS handshake with" << m_socket->peerAddress() << "failed:" << m_socket->errorString();
            m_socket->abort();
            markGone();
        }
    });
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket); tls && !tls->isEncrypted()) {
        // The handshake gets the time a request head gets: a client that stops halfway (or
        // sends a record longer than what follows) holds the connection no longer than that.
        auto *deadline = new QTimer(this);
        deadline->setSingleShot(true);
        connect(deadline, &QTimer::timeout, this, [this] {
            if (!m_socket)
                return;
            qCDebug(lcHttp) << "TLS handshake with" << m_socket->peerAddress() << "not done within" << m_limits.headerTimeoutMs << "ms";
            m_socket->abort();
            markGone();
        });
        connect(tls, &QSslSocket::encrypted, deadline, &QObject::deleteLater);
        deadline->start(m_limits.headerTimeoutMs);
    }
    pump();
}

void HttpConnection::reject(const HttpResponse &response)
{
    m_stopParsing = true;
    HttpAnswerQueue::Entry entry;
    entry.kind = HttpAnswerQueue::Entry::Kind::Answer;
    entry.closeAfter = true;
    entry.response = response;
    m_answers.push(std::move(entry));
    start();
}

void HttpConnection::shutdown()
{
    if (m_state != State::Serving)
        return;
    m_draining = true;
    m_stopParsing = true;
    if (m_answers.closeAllStreams())
        beginClosing();
    else
        pump();
}

void HttpConnection::deliver(quint64 sequence, const HttpResponse &response)
{
    // False when the client left or the connection is closing: nobody to tell.
    if (m_state == State::Serving && m_answers.deliver(sequence, response))
        pump();
}

void HttpConnection::startStream(const HttpResponse &head,
                                 const std::shared_ptr<HttpStreamState> &stream)
{
    if (m_state != State::Serving) {
        stream->finish();
        return;
    }
    if (!m_answers.startStream(head, stream))
        return;
    m_stopParsing = true;  // a stream is the connection's last answer
    if (m_draining)
        m_answers.closeAllStreams();
    pump();
}

void HttpConnection::writeStream(const std::shared_ptr<HttpStreamState> &stream,
                                 const QByteArray &data)
{
    if (m_state != State::Serving) {
        stream->queuedBytes -= data.size();
        return;
    }
    m_answers.writeStream(stream, data);
    // Into the kernel now, as much as it takes (inside the pump, its own flush at the end does
    // it): a live batch reaches the client with one write. Left to the write notifier, a write
    // of 4 KiB or more stays a block of its own in the socket's buffer and the notifier sends
    // one block per turn of the loop: a stream a few batches behind would fall further behind
    // with every turn, until it is cut off. May re-enter (bytesWritten).
    if (!m_pumping && unsentBytes(m_socket) > 0)
        m_socket->flush();
    updateTimers();
}

void HttpConnection::closeStream(const std::shared_ptr<HttpStreamState> &stream)
{
    if (m_state != State::Serving)
        stream->finish();
    else if (m_answers.closeStream(stream))
        beginClosing();
}

void HttpConnection::takeOver(quint64 sequence, HttpResponder::TakeOverReceiver receiver)
{
    if (m_state != State::Serving || !m_answers.takeOver(sequence, std::move(receiver)))
        return;
    m_stopParsing = true;
    pump();  // a no-op inside the handler; the dispatch loop flushes right after it
}

void HttpConnection::pump()
{
    if (m_pumping || m_state != State::Serving)
        return;
    m_pumping = true;
    // Parsing may produce answers (refusals) and answers may unblock parsing (pipelining cap):
    // both run on every round, parsing first, until neither makes progress.
    while (m_state == State::Serving) {
        const bool parsed = parseInput();
        const bool flushed = flushOutput();
        if (!parsed && !flushed)
            break;
    }
    m_pumping = false;
    // The answers go to the kernel now rather than on the next turn of the loop, when the
    // socket's write notifier would say it is writable: one turn less per answer, and the
    // notifier, enabled by the write and disabled by this flush in the same turn, costs the
    // epoll dispatcher nothing. (Outside the pumping: what was written may resume reading.)
    if (m_state == State::Serving && m_socket && m_socket->bytesToWrite() > 0 && !m_heldByOutput) {
        updateTimers();   // output was owed: the connection was not quiet
        // May re-enter (bytesWritten; over TLS readyRead, and from there pump() and even a
        // hand-over that takes m_socket away): nothing below may use m_socket unless the
        // state is still Serving.
        m_socket->flush();
    }
    updateTimers();
}

bool HttpConnection::parseInput()
{
    bool progressed = false;
    const auto maxPipelined = qsizetype(std::max(1, m_limits.maxPipelined));
    while (m_state == State::Serving && !m_stopParsing && m_answers.size() < maxPipelined) {
        // A client that sends requests but does not read the answers is held back here, between
        // requests (a request already begun is read on: its timers run).
        m_heldByOutput = !m_parser.inMessage() && unsentBytes(m_socket) >= m_limits.maxUnsentBytes;
        if (m_heldByOutput)
            break;
        if (!m_parser.hasUnparsed()) {
            const QByteArray chunk = m_socket->read(kReadChunk);
            if (chunk.isEmpty())
                break;
            m_parser.append(chunk);
        }
        progressed = true;
        const HttpRequestParser::Status status = m_parser.parse();
        if (m_parser.takeContinueRequest() && status != HttpRequestParser::Status::Failed) {
            // The interim answer must not overtake answers still owed to earlier requests.
            if (m_answers.isEmpty())
                m_socket->write(HttpWire::continueResponse());
            else
                m_continuePending = true;
        }
        if (status == HttpRequestParser::Status::Failed) {
            refuse(m_parser.errorStatus(), m_parser.errorTitle(), m_parser.errorDetail());
            break;
        }
        if (status == HttpRequestParser::Status::Complete) {
            dispatch();
            break;   // its answer is written before the next request is read (see maxUnsentBytes)
        }
    }
    return progressed;
}

void HttpConnection::dispatch()
{
    HttpRequest request = m_parser.takeRequest();
    request.peerAddress = m_peerAddress;
    request.peerAddressText = m_peerAddressText;
    request.peerPort = m_peerPort;

    HttpAnswerQueue::Entry entry;
    entry.headRequest = request.method == "HEAD";
    entry.http10 = request.versionMajor < 1 || (request.versionMajor == 1 && request.versionMinor == 0);
    // After an upgrade request the bytes that follow belong to another protocol.
    entry.closeAfter = !request.keepAlive || request.upgrade;
    entry.rawMessage = m_parser.takeRawMessage();
    m_stopParsing = m_stopParsing || entry.closeAfter;
    m_continuePending = false;  // its body came anyway
    const quint64 sequence = m_answers.push(std::move(entry));

    const HttpResponder responder(m_link, sequence);
    if (*m_handler)
        (*m_handler)(request, responder);
    else
        responder.respond(HttpResponse::problem(501, QStringLiteral("Not Implemented"),
                                                QStringLiteral("No request handler is installed.")));
}

void HttpConnection::refuse(int status, const QString &title, const QString &detail)
{
    qCDebug(lcHttp) << "refusing request from" << m_socket->peerAddress() << status << detail;
    HttpAnswerQueue::Entry entry;
    entry.kind = HttpAnswerQueue::Entry::Kind::Answer;
    entry.closeAfter = true;
    entry.response = HttpResponse::problem(status, title, detail);
    m_stopParsing = true;
    m_continuePending = false;
    m_answers.push(std::move(entry));
}

bool HttpConnection::flushOutput()
{
    HttpAnswerQueue::FlushResult result = m_answers.flush(m_draining);
    switch (result.next) {
    case HttpAnswerQueue::Next::HandOver:
        handOver(std::move(result.handOver));
        return true;
    case HttpAnswerQueue::Next::Close:
        beginClosing();
        return true;
    case HttpAnswerQueue::Next::Continue:
        break;
    }
    if (m_answers.isEmpty() && !m_answers.isStreaming()) {
        if (m_continuePending && !m_stopParsing)
            m_socket->write(HttpWire::continueResponse());
        m_continuePending = false;
        if (m_draining)
            beginClosing();
    }
    return result.progressed;
}

void HttpConnection::handOver(HttpAnswerQueue::Entry entry)
{
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    const QByteArray rest = m_parser.takeUnparsed();
    socket->disconnect(this);
    socket->setParent(nullptr);
    socket->setReadBufferSize(0);
    markGone();
    // Earlier answers may still sit in the socket's write buffer; the socket sends them itself.
    entry.receiver(socket, entry.rawMessage, rest);
}

void HttpConnection::beginClosing()
{
    if (m_state != State::Serving)
        return;
    m_state = State::Closing;
    m_stopParsing = true;
    m_deadlines.stop();
    m_link->detach();
    m_answers.clear();
    m_socket->readAll();
    // Bounded: a client that never reads its last answer does not keep us forever.
    m_lingerTimer.start(std::max(m_limits.idleTimeoutMs, kLingerMs));
    if (unsentBytes(m_socket) == 0)
        halfClose();
}

void HttpConnection::halfClose()
{
    m_halfClosed = true;
#ifdef Q_OS_UNIX
    // FIN only, and keep draining what the client still sends: closing with unread bytes would
    // make the kernel answer with RST, which can wipe our last answer out of the client's buffer
    // (the 413 for a body it is still uploading, say).
    if (::shutdown(int(m_socket->socketDescriptor()), SHUT_WR) == 0) {
        m_lingerTimer.start(kLingerMs);
        return;
    }
#endif
    m_socket->disconnectFromHost();
}

void HttpConnection::markGone()
{
    if (m_state == State::Gone)
        return;
    m_state = State::Gone;
    m_link->detach();   // before the count falls, as in the destructor
    if (m_counter)
        --*std::exchange(m_counter, nullptr);
    m_deadlines.stop();
    m_lingerTimer.stop();
    m_answers.clear();
    Q_EMIT finished();
    deleteLater();
}

void HttpConnection::updateTimers()
{
    if (m_state != State::Serving) {
        m_deadlines.stop();
        return;
    }
    HttpDeadlines::State state;
    state.inHead = m_parser.inHead() && !m_stopParsing;
    state.inBody = m_parser.inBody() && !m_stopParsing;
    state.bodyOnHold = m_continuePending;
    state.headsBegun = m_parser.headsBegun();
    state.bodyBytes = m_parser.bodyBytes();
    state.unsentBytes = unsentBytes(m_socket);
    state.owesOutput = !m_answers.isEmpty() || m_answers.isStreaming() || state.unsentBytes > 0;
    m_deadlines.update(state);
}

void HttpConnection::onReadyRead()
{
    if (m_state == State::Closing) {
        m_socket->readAll();  // lingering: drain and discard
        return;
    }
    if (m_state == State::Serving && m_stopParsing && !m_answers.isHandingOver()) {
        // Nothing more will be parsed; reading on lets us notice when the client leaves.
        m_socket->readAll();
        return;
    }
    pump();
}

void HttpConnection::onBytesWritten()
{
    if (m_state == State::Closing && !m_halfClosed && unsentBytes(m_socket) == 0)
        halfClose();
    m_answers.socketWritten();
    m_deadlines.outputTaken(unsentBytes(m_socket));
    if (m_heldByOutput && m_state == State::Serving && unsentBytes(m_socket) < m_limits.maxUnsentBytes)
        pump();   // updates the timers itself
    else
        updateTimers();
}

void HttpConnection::onHeaderTimeout()
{
    if (m_state != State::Serving || !m_parser.inHead())
        return;
    refuse(408, QStringLiteral("Request Timeout"),
           QStringLiteral("The request head was not complete within %1 ms.").arg(m_limits.headerTimeoutMs));
    pump();
}

void HttpConnection::onIdleTimeout()
{
    if (m_state != State::Serving)
        return;
    qCDebug(lcHttp) << "closing idle connection from" << m_socket->peerAddress();
    m_socket->disconnectFromHost();
}

void HttpConnection::onBodyTimeout()
{
    if (m_state != State::Serving || !m_parser.inBody())
        return;
    refuse(408, QStringLiteral("Request Timeout"),
           QStringLiteral("The request body arrived slower than %1 bytes per second (%2 ms allowed for %3 bytes).")
               .arg(m_limits.minBodyBytesPerSecond)
               .arg(m_deadlines.bodyAllowanceMs())
               .arg(m_parser.bodyBytes()));
    pump();
}

void HttpConnection::onWriteStalled()
{
    if (m_state != State::Serving || unsentBytes(m_socket) == 0)
        return;
    // Nobody reads what we owe: nothing more can be said on this connection.
    qCDebug(lcHttp) << "closing connection from" << m_socket->peerAddress() << "that took no answer bytes for"
                    << m_limits.idleTimeoutMs << "ms";
    m_socket->abort();
    markGone();
}

} // namespace Gatehouse::Http
