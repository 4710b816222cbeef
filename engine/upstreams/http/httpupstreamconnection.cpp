#include "httpupstreamconnection.h"

#include "httpupstreamresponseparser.h"

#include <QTcpSocket>
#include <QTimer>

#if QT_CONFIG(ssl)
#include <QSslSocket>
#endif

namespace Gatehouse {

HttpUpstreamConnection::HttpUpstreamConnection(QString host, quint16 port, bool tls, bool verifyPeer, QObject *parent)
    : QObject(parent)
    , m_host(std::move(host))
    , m_port(port)
    , m_tls(tls)
    , m_verifyPeer(verifyPeer)
    , m_timer(new QTimer(this))
    , m_parser(std::make_unique<HttpUpstreamResponseParser>())
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &HttpUpstreamConnection::onTimeout);
}

HttpUpstreamConnection::~HttpUpstreamConnection()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void HttpUpstreamConnection::send(QByteArray request, bool headRequest, Timeouts timeouts, Callback done)
{
    m_request = std::move(request);
    m_timeouts = timeouts;
    m_connectOnly = false;
    m_parser->reset(headRequest);
    start(std::move(done));
}

void HttpUpstreamConnection::connectOnly(int timeoutMs, Callback done)
{
    m_timeouts.connectMs = timeoutMs;
    m_connectOnly = true;
    start(std::move(done));
}

void HttpUpstreamConnection::start(Callback done)
{
    m_done = std::move(done);
    m_result = Result();
    m_result.reused = m_requests > 0;
    m_starting = true;
    if (isReusable() && !m_connectOnly) {
        onConnected();
    } else {
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
        }
        createSocket();
        m_phase = Phase::Connecting;
        m_timer->start(m_timeouts.connectMs);
#if QT_CONFIG(ssl)
        if (m_tls)
            static_cast<QSslSocket *>(m_socket)->connectToHostEncrypted(m_host, m_port);
        else
#endif
            m_socket->connectToHost(m_host, m_port);
    }
    m_starting = false;
}

void HttpUpstreamConnection::createSocket()
{
#if QT_CONFIG(ssl)
    if (m_tls) {
        auto *ssl = new QSslSocket(this);
        ssl->setPeerVerifyMode(m_verifyPeer ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
        connect(ssl, &QSslSocket::encrypted, this, &HttpUpstreamConnection::onConnected);
        m_socket = ssl;
    } else
#endif
    {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QAbstractSocket::connected, this, &HttpUpstreamConnection::onConnected);
    }
    connect(m_socket, &QIODevice::bytesWritten, this, &HttpUpstreamConnection::onBytesWritten);
    connect(m_socket, &QIODevice::readyRead, this, &HttpUpstreamConnection::onReadyRead);
    connect(m_socket, &QAbstractSocket::disconnected, this, &HttpUpstreamConnection::onClosed);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &HttpUpstreamConnection::onClosed);
}

bool HttpUpstreamConnection::isReusable() const
{
    return m_phase == Phase::Idle && m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void HttpUpstreamConnection::park(int idleMs)
{
    if (m_phase != Phase::Idle)
        return;
    if (idleMs > 0)
        m_timer->start(idleMs);
    else
        m_timer->stop();
}

void HttpUpstreamConnection::onConnected()
{
    if (m_phase != Phase::Connecting && m_phase != Phase::Idle)
        return;
    if (m_connectOnly) {
        finish(Outcome::Connected);
        return;
    }
    if (m_phase == Phase::Connecting)
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_phase = Phase::Sending;
    m_timer->start(m_timeouts.sendMs);
    m_socket->write(m_request);
}

void HttpUpstreamConnection::onBytesWritten()
{
    if (m_phase != Phase::Sending)
        return;
    if (m_socket->bytesToWrite() > 0) {
        m_timer->start(m_timeouts.sendMs);   // progress: the send timeout is between writes
        return;
    }
    m_request.clear();
    m_phase = Phase::Receiving;
    m_timer->start(m_timeouts.readMs);
}

void HttpUpstreamConnection::onReadyRead()
{
    const QByteArray data = m_socket->readAll();
    if (m_phase == Phase::Idle) {
        closeIdle();   // nothing may arrive between answers
        return;
    }
    if (m_phase != Phase::Sending && m_phase != Phase::Receiving)
        return;
    if (m_phase == Phase::Receiving)
        m_timer->start(m_timeouts.readMs);   // the read timeout is between reads, like nginx
    consume(data);
}

bool HttpUpstreamConnection::consume(const QByteArray &data)
{
    if (data.isEmpty())
        return false;
    m_result.received = true;
    switch (m_parser->feed(data)) {
    case HttpUpstreamResponseParser::Status::NeedMore:
        return false;
    case HttpUpstreamResponseParser::Status::Complete:
        finish(Outcome::Response);
        return true;
    case HttpUpstreamResponseParser::Status::Failed:
        finish(Outcome::Malformed, m_parser->errorString());
        return true;
    }
    return false;
}

void HttpUpstreamConnection::onClosed()
{
    switch (m_phase) {
    case Phase::Connecting:
        finish(Outcome::ConnectFailed, m_socket->errorString());
        return;
    case Phase::Sending:
    case Phase::Receiving: {
        if (consume(m_socket->readAll()))
            return;
        if (m_parser->finish() == HttpUpstreamResponseParser::Status::Complete) {
            finish(Outcome::Response);
            return;
        }
        const QString why = m_socket->error() == QAbstractSocket::RemoteHostClosedError || m_socket->error() == QAbstractSocket::UnknownSocketError
            ? QStringLiteral("the node closed the connection before a complete answer")
            : m_socket->errorString();
        finish(Outcome::Closed, why);
        return;
    }
    case Phase::Idle:
        closeIdle();
        return;
    case Phase::Unconnected:
    case Phase::Closed:
        return;
    }
}

void HttpUpstreamConnection::onTimeout()
{
    switch (m_phase) {
    case Phase::Connecting:
        finish(Outcome::ConnectTimeout, QStringLiteral("connect timed out after %1 ms").arg(m_timeouts.connectMs));
        return;
    case Phase::Sending:
        finish(Outcome::SendTimeout, QStringLiteral("sending timed out after %1 ms").arg(m_timeouts.sendMs));
        return;
    case Phase::Receiving:
        finish(Outcome::ReadTimeout, QStringLiteral("no answer within %1 ms").arg(m_timeouts.readMs));
        return;
    case Phase::Idle:
        closeIdle();
        return;
    case Phase::Unconnected:
    case Phase::Closed:
        return;
    }
}

void HttpUpstreamConnection::finish(Outcome outcome, const QString &error)
{
    m_timer->stop();
    Result result = std::exchange(m_result, Result());
    result.outcome = outcome;
    result.error = error;
    if (outcome == Outcome::Response) {
        ++m_requests;
        result.status = m_parser->status();
        result.headers = m_parser->takeHeaders();
        result.body = m_parser->takeBody();
        result.keepAlive = m_parser->keepAlive() && m_socket->state() == QAbstractSocket::ConnectedState
            && m_socket->bytesToWrite() == 0 && m_phase == Phase::Receiving;
    }
    m_request.clear();
    if (result.keepAlive) {
        m_phase = Phase::Idle;
    } else {
        m_phase = Phase::Closed;
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
        }
    }
    Callback done = std::exchange(m_done, {});
    if (!done)
        return;
    if (m_starting) {
        // Failed inside send(): answer from the event loop, as promised.
        QMetaObject::invokeMethod(this, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); },
                                  Qt::QueuedConnection);
    } else {
        done(std::move(result));
    }
}

void HttpUpstreamConnection::closeIdle()
{
    m_timer->stop();
    m_phase = Phase::Closed;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    emit idleClosed(this);
}

} // namespace Gatehouse
