#pragma once

#include "httphandler.h"
#include "httplimits.h"
#include "httptls.h"

#include <QTcpServer>

#include <atomic>
#include <memory>

namespace Gatehouse::Http {

// The listening socket of an HttpServer. Lives on the server's network thread; every
// HttpConnection it creates is its child, so deleting it closes every connection.
class HttpListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpListener)

public:
    // connectionCount is shared with the HttpServer, which reads it from any thread.
    HttpListener(std::shared_ptr<const HttpHandler> handler, const HttpLimits &limits,
                 std::shared_ptr<std::atomic<int>> connectionCount, QObject *parent = nullptr);
    ~HttpListener() override;

    // Stops accepting and lets every connection finish the answers it owes, then close.
    void shutdownConnections();
    // Connections accepted from now on speak TLS with tls's credentials (null: plain TCP).
    void setTls(std::shared_ptr<const HttpTls> tls) { m_tls = std::move(tls); }

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    const std::shared_ptr<const HttpHandler> m_handler;
    const HttpLimits m_limits;
    const std::shared_ptr<std::atomic<int>> m_connectionCount;
    std::shared_ptr<const HttpTls> m_tls;
};

} // namespace Gatehouse::Http
