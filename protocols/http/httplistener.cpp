#include "httplistener.h"

#include "httpconnection.h"
#include "httplogging.h"
#include "httpresponse.h"

#include <QSslSocket>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace Gatehouse::Http {

HttpListener::HttpListener(std::shared_ptr<const HttpHandler> handler, const HttpLimits &limits,
                           std::shared_ptr<std::atomic<int>> connectionCount,
                           QObject *parent)
    : QTcpServer(parent)
    , m_handler(std::move(handler))
    , m_limits(limits)
    , m_connectionCount(std::move(connectionCount))
{
}

HttpListener::~HttpListener() = default;

void HttpListener::shutdownConnections()
{
    const auto connections = findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly);
    for (HttpConnection *connection : connections)
        connection->shutdown();
}

void HttpListener::incomingConnection(qintptr socketDescriptor)
{
    QSslSocket *tls = m_tls ? new QSslSocket : nullptr;
    QTcpSocket *socket = tls ? tls : new QTcpSocket;
    if (!socket->setSocketDescriptor(socketDescriptor)) {
        qCWarning(lcHttp) << "cannot adopt an accepted socket:" << socket->errorString();
        delete socket;
#ifdef Q_OS_UNIX
        ::close(int(socketDescriptor));
#endif
        return;
    }
    if (tls) {
        // The handshake runs within the connection's head timeout (no request can begin before
        // it ends); a failed one closes the connection (HttpConnection::start()). Even the 503
        // below goes out encrypted: QSslSocket holds it until the handshake is done.
        tls->setSslConfiguration(m_tls->configuration());
        tls->startServerEncryption();
    }
    auto *connection = new HttpConnection(socket, m_handler, m_limits, this);
    if (m_connectionCount->load() >= m_limits.maxConnections) {
        qCInfo(lcHttp) << "connection limit" << m_limits.maxConnections << "reached; refusing"
                       << socket->peerAddress();
        connection->reject(HttpResponse::problem(
            503, QStringLiteral("Service Unavailable"),
            QStringLiteral("The server is at its limit of %1 connections; retry later.")
                .arg(m_limits.maxConnections)));
        return;
    }
    connection->countIn(m_connectionCount);
    connection->start();
}

} // namespace Gatehouse::Http
