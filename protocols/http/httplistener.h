#pragma once

#include "httplimits.h"
#include "httptls.h"

#include <QTcpServer>

#include <atomic>
#include <memory>
#include <vector>

namespace Gatehouse::Http {

class HttpWorker;

// The listening socket of an HttpServer. Lives on the server's first network thread and hands
// each accepted socket to one of the server's workers in turn (round robin), each on its own
// network thread; a connection stays on its worker's thread for its whole life.
class HttpListener final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpListener)

public:
    // connectionCount is shared with the workers and the HttpServer, which reads it from any
    // thread; the listener takes a slot of it for each accepted socket, up to maxConnections.
    HttpListener(std::vector<HttpWorker *> workers, std::shared_ptr<std::atomic<int>> connectionCount,
                 int maxConnections, QObject *parent = nullptr);
    ~HttpListener() override;

    // Connections accepted from now on speak TLS with tls's credentials (null: plain TCP).
    void setTls(std::shared_ptr<const HttpTls> tls) { m_tls = std::move(tls); }

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    const std::vector<HttpWorker *> m_workers;
    const std::shared_ptr<std::atomic<int>> m_connectionCount;
    const int m_maxConnections;
    size_t m_next;   // the worker of the next connection
    std::shared_ptr<const HttpTls> m_tls;
};

} // namespace Gatehouse::Http
