#include "httpworker.h"

#include "httpconnection.h"
#include "httplogging.h"
#include "httpresponse.h"

#include <QSslSocket>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace Gatehouse::Http {

HttpWorker::HttpWorker(std::shared_ptr<const HttpHandler> handler, const HttpLimits &limits,
                       std::shared_ptr<std::atomic<int>> connectionCount, QObject *parent)
    : QObject(parent)
    , m_handler(std::move(handler))
    , m_limits(limits)
    , m_connectionCount(std::move(connectionCount))
{
}

HttpWorker::~HttpWorker() = default;

void HttpWorker::shutdownConnections()
{
    const auto connections = findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly);
    for (HttpConnection *connection : connections)
        connection->shutdown();
}

void HttpWorker::adopt(qintptr socketDescriptor, const std::shared_ptr<const HttpTls> &tls, bool counted)
{
    QSslSocket *tlsSocket = tls ? new QSslSocket : nullptr;
    QTcpSocket *socket = tlsSocket ? tlsSocket : new QTcpSocket;
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        qCWarning(lcHttp) << "cannot adopt an accepted socket:" << socket->errorString();
        delete socket;
#ifdef Q_OS_UNIX
        ::close(int(socketDescriptor));
#endif
        if (counted)
            --*m_connectionCount;
        return;
    }
    // Nagle off, as nginx's tcp_nodelay: an answer written in more than one piece, and above
    // all a live stream's writes, which follow each other without a byte from the client,
    // would otherwise wait for the client's delayed acknowledgement (40 ms on Linux) whenever
    // the previous write was not acknowledged yet.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (tlsSocket) {
        // The handshake runs within the connection's head timeout (no request can begin before
        // it ends); a failed one closes the connection (HttpConnection::start()). Even the 503
        // below goes out encrypted: QSslSocket holds it until the handshake is done.
        tlsSocket->setSslConfiguration(tls->configuration());
        tlsSocket->startServerEncryption();
    }
    auto *connection = new HttpConnection(socket, m_handler, m_limits, this);
    if (!counted) {
        qCInfo(lcHttp) << "connection limit" << m_limits.maxConnections << "reached; refusing"
                       << socket->peerAddress();
        connection->reject(HttpResponse::problem(
            503, QStringLiteral("Service Unavailable"),
            QStringLiteral("The server is at its limit of %1 connections; retry later.")
                .arg(m_limits.maxConnections)));
        return;
    }
    connection->holdSlot(m_connectionCount);
    connection->start();
}

} // namespace Gatehouse::Http
