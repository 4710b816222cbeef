#include "httpconnection.h"

#include "httpconnectionlink.h"
#include "httplogging.h"
#include "httprequest.h"
#include "httpstreamstate.h"
#include "httpwire.h"

#include <QTcpSocket>

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
    , m_link(std::make_shared<HttpConnectionLink>(this))
{
    m_socket->setParent(this);
    // Bounded, so a client pipelining faster than we answer is held back by TCP flow control
    // instead of by our memory.
    m_socket->setReadBufferSize(kReadChunk);
    m_headerTimer.setSingleShot(true);
    m_headerTimer.setInterval(limits.headerTimeoutMs);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(limits.idleTimeoutMs);
    m_lingerTimer.setSingleShot(true);
    connect(&m_headerTimer, &QTimer::timeout, this, &HttpConnection::onHeaderTimeout);
    connect(&m_idleTimer, &QTimer::timeout, this, &HttpConnection::onIdleTimeout);
    connect(&m_lingerTimer, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
    });
}

HttpConnection::~HttpConnection()
{
    if (m_counter)
        --*m_counter;
    m_link->detach();
    if (m_stream)
        m_stream->finish();
    for (const Pending &pending : m_pending) {
        if (pending.stream)
            pending.stream->finish();
    }
}

void HttpConnection::countIn(const std::shared_ptr<std::atomic<int>> &counter)
{
    m_counter = counter;
    ++*m_counter;
}

void HttpConnection::start()
{
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::markGone);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this] {
        if (m_socket && m_socket->state() == QAbstractSocket::UnconnectedState)
            markGone();
    });
    pump();
}

void HttpConnection::reject(const HttpResponse &response)
{
    m_stopParsing = true;
    Pending pending;
    pending.sequence = m_nextSequence++;
    pending.kind = Pending::Kind::Answer;
    pending.closeAfter = true;
    pending.response = response;
    m_pending.push_back(std::move(pending));
    start();
}

void HttpConnection::shutdown()
{
    if (m_state != State::Serving)
        return;
    m_draining = true;
    m_stopParsing = true;
    for (Pending &pending : m_pending)
        pending.streamClosed = true;
    if (m_stream)
        endStream();
    else
        pump();
}

void HttpConnection::deliver(quint64 sequence, const HttpResponse &response)
{
    Pending *pending = findPending(sequence);
    if (!pending || pending->kind != Pending::Kind::Waiting)
        return;  // the client left or the connection is closing: nobody to tell
    pending->kind = Pending::Kind::Answer;
    pending->response = response;
    pump();
}

void HttpConnection::startStream(const HttpResponse &head,
                                 const std::shared_ptr<HttpStreamState> &stream)
{
    Pending *pending = findPending(stream->sequence);
    if (!pending || pending->kind != Pending::Kind::Waiting) {
        stream->finish();
        return;
    }
    pending->kind = Pending::Kind::Stream;
    pending->response = head;
    pending->stream = stream;
    pending->streamClosed = m_draining;
    m_stopParsing = true;  // a stream is the connection's last answer
    pump();
}

void HttpConnection::writeStream(const std::shared_ptr<HttpStreamState> &stream,
                                 const QByteArray &data)
{
    if (m_state == State::Serving && m_stream == stream) {
        sendStreamData(data);
        updateTimers();
    } else if (Pending *pending = findPending(stream->sequence); pending && pending->stream == stream) {
        pending->streamData.append(data);
    } else {
        stream->queuedBytes -= data.size();
    }
}

void HttpConnection::closeStream(const std::shared_ptr<HttpStreamState> &stream)
{
    if (m_state == State::Serving && m_stream == stream)
        endStream();
    else if (Pending *pending = findPending(stream->sequence); pending && pending->stream == stream)
        pending->streamClosed = true;
    else
        stream->finish();
}

void HttpConnection::takeOver(quint64 sequence, HttpResponder::TakeOverReceiver receiver)
{
    Pending *pending = findPending(sequence);
    if (!pending || pending->kind != Pending::Kind::Waiting)
        return;
    pending->kind = Pending::Kind::TakeOver;
    pending->receiver = std::move(receiver);
    m_stopParsing = true;
    pump();  // a no-op inside the handler; the dispatch loop flushes right after it
}

void HttpConnection::pump()
{
    if (m_pumping || m_state != State::Serving)
        return;
    m_pumping = true;
    // Parsing may produce answers (refusals) and answers may unblock parsing (pipelining cap).
    while (m_state == State::Serving && (parseInput() | flushOutput())) {
    }
    m_pumping = false;
    updateTimers();
}

bool HttpConnection::parseInput()
{
    bool progressed = false;
    const auto maxPipelined = qsizetype(std::max(1, m_limits.maxPipelined));
    while (m_state == State::Serving && !m_stopParsing
           && qsizetype(m_pending.size()) < maxPipelined) {
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
            if (m_pending.empty())
                m_socket->write(HttpWire::continueResponse());
            else
                m_continuePending = true;
        }
        if (status == HttpRequestParser::Status::Failed) {
            refuse(m_parser.errorStatus(), m_parser.errorTitle(), m_parser.errorDetail());
            break;
        }
        if (status == HttpRequestParser::Status::Complete)
            dispatch();
    }
    return progressed;
}

void HttpConnection::dispatch()
{
    HttpRequest request = m_parser.takeRequest();
    request.peerAddress = m_socket->peerAddress();
    request.peerPort = m_socket->peerPort();

    Pending pending;
    pending.sequence = m_nextSequence++;
    pending.headRequest = request.method == "HEAD";
    pending.http10 = request.versionMajor < 1 || (request.versionMajor == 1 && request.versionMinor == 0);
    // After an upgrade request the bytes that follow belong to another protocol.
    pending.closeAfter = !request.keepAlive || request.upgrade;
    pending.rawMessage = m_parser.takeRawMessage();
    m_stopParsing = m_stopParsing || pending.closeAfter;
    m_continuePending = false;  // its body came anyway
    const quint64 sequence = pending.sequence;
    m_pending.push_back(std::move(pending));

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
    Pending pending;
    pending.sequence = m_nextSequence++;
    pending.kind = Pending::Kind::Answer;
    pending.closeAfter = true;
    pending.response = HttpResponse::problem(status, title, detail);
    m_stopParsing = true;
    m_continuePending = false;
    m_pending.push_back(std::move(pending));
}

bool HttpConnection::flushOutput()
{
    bool progressed = false;
    while (m_state == State::Serving && !m_stream && !m_pending.empty()) {
        if (m_pending.front().kind == Pending::Kind::Waiting)
            break;  // strict request order: a later answer waits for this one
        progressed = true;
        Pending pending = std::move(m_pending.front());
        m_pending.pop_front();
        switch (pending.kind) {
        case Pending::Kind::Answer:
            writeAnswer(pending);
            break;
        case Pending::Kind::Stream:
            openStream(pending);
            break;
        case Pending::Kind::TakeOver:
            handOver(std::move(pending));
            return true;
        case Pending::Kind::Waiting:
            break;
        }
    }
    if (m_state == State::Serving && !m_stream && m_pending.empty()) {
        if (m_continuePending && !m_stopParsing)
            m_socket->write(HttpWire::continueResponse());
        m_continuePending = false;
        if (m_draining)
            beginClosing();
    }
    return progressed;
}

void HttpConnection::writeAnswer(Pending &pending)
{
    const bool close = pending.closeAfter || HttpWire::asksToClose(pending.response)
        || (m_draining && m_pending.empty());
    m_socket->write(HttpWire::encodeResponse(pending.response, pending.headRequest, close));
    if (close)
        beginClosing();
}

void HttpConnection::openStream(Pending &pending)
{
    m_stopParsing = true;
    m_stream = pending.stream;
    m_streamChunked = !pending.http10 && !pending.headRequest;
    const auto framing = pending.http10 ? HttpWire::Framing::UntilClose : HttpWire::Framing::Chunked;
    m_socket->write(HttpWire::encodeStreamHead(pending.response, framing));
    for (const QByteArray &data : std::as_const(pending.streamData))
        sendStreamData(data);
    if (pending.streamClosed || pending.headRequest)
        endStream();
}

void HttpConnection::sendStreamData(const QByteArray &data)
{
    m_stream->queuedBytes -= data.size();
    if (m_streamChunked)
        m_socket->write(HttpWire::encodeChunk(data));
    else
        m_socket->write(data);
    m_stream->socketBytes = m_socket->bytesToWrite();
}

void HttpConnection::endStream()
{
    if (!m_stream)
        return;
    if (m_streamChunked)
        m_socket->write(HttpWire::lastChunk());
    std::exchange(m_stream, nullptr)->finish();
    beginClosing();
}

void HttpConnection::handOver(Pending pending)
{
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    const QByteArray rest = m_parser.takeUnparsed();
    socket->disconnect(this);
    socket->setParent(nullptr);
    socket->setReadBufferSize(0);
    markGone();
    // Earlier answers may still sit in the socket's write buffer; the socket sends them itself.
    pending.receiver(socket, pending.rawMessage, rest);
}

HttpConnection::Pending *HttpConnection::findPending(quint64 sequence)
{
    if (m_state != State::Serving)
        return nullptr;
    const auto it = std::find_if(m_pending.begin(), m_pending.end(),
                                 [sequence](const Pending &p) { return p.sequence == sequence; });
    return it == m_pending.end() ? nullptr : &*it;
}

void HttpConnection::beginClosing()
{
    if (m_state != State::Serving)
        return;
    m_state = State::Closing;
    m_stopParsing = true;
    m_headerTimer.stop();
    m_idleTimer.stop();
    m_link->detach();
    for (const Pending &pending : m_pending) {
        if (pending.stream)
            pending.stream->finish();
    }
    m_pending.clear();
    m_socket->readAll();
    // Bounded: a client that never reads its last answer does not keep us forever.
    m_lingerTimer.start(std::max(m_limits.idleTimeoutMs, kLingerMs));
    if (m_socket->bytesToWrite() == 0)
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
    if (m_counter)
        --*std::exchange(m_counter, nullptr);
    m_headerTimer.stop();
    m_idleTimer.stop();
    m_lingerTimer.stop();
    m_link->detach();
    if (m_stream)
        std::exchange(m_stream, nullptr)->finish();
    for (const Pending &pending : m_pending) {
        if (pending.stream)
            pending.stream->finish();
    }
    m_pending.clear();
    Q_EMIT finished();
    deleteLater();
}

void HttpConnection::updateTimers()
{
    if (m_state != State::Serving) {
        m_headerTimer.stop();
        m_idleTimer.stop();
        return;
    }
    const bool inHead = m_parser.inHead() && !m_stopParsing;
    if (!inHead)
        m_headerTimer.stop();
    else if (!m_headerTimer.isActive())
        m_headerTimer.start();
    // Restarted on every bit of progress, so it only fires on a connection that went quiet.
    const bool owesOutput = !m_pending.empty() || m_stream || m_socket->bytesToWrite() > 0;
    if (owesOutput || inHead)
        m_idleTimer.stop();
    else
        m_idleTimer.start();
}

void HttpConnection::onReadyRead()
{
    if (m_state == State::Closing) {
        m_socket->readAll();  // lingering: drain and discard
        return;
    }
    const bool handingOver = std::any_of(m_pending.begin(), m_pending.end(), [](const Pending &p) {
        return p.kind == Pending::Kind::TakeOver;
    });
    if (m_state == State::Serving && m_stopParsing && !handingOver) {
        // Nothing more will be parsed; reading on lets us notice when the client leaves.
        m_socket->readAll();
        return;
    }
    pump();
}

void HttpConnection::onBytesWritten()
{
    if (m_state == State::Closing && !m_halfClosed && m_socket->bytesToWrite() == 0)
        halfClose();
    else if (m_stream)
        m_stream->socketBytes = m_socket->bytesToWrite();
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
    if (m_parser.inMessage()) {
        // Headers arrived but the body stalled.
        refuse(408, QStringLiteral("Request Timeout"),
               QStringLiteral("No part of the request body arrived for %1 ms.").arg(m_limits.idleTimeoutMs));
        pump();
        return;
    }
    qCDebug(lcHttp) << "closing idle connection from" << m_socket->peerAddress();
    m_socket->disconnectFromHost();
}

} // namespace Gatehouse::Http
