#pragma once

#include "httphandler.h"
#include "httplimits.h"
#include "httptls.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace Gatehouse::Http {

// One network thread's share of an HttpServer's connections: it adopts the sockets the
// listener accepted and hands over, and is the parent of every HttpConnection on its thread,
// so deleting it closes them all. Lives on its network thread; adopt() and
// shutdownConnections() run there.
class HttpWorker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpWorker)

public:
    // connectionCount is the server's, shared by its workers and read from any thread.
    HttpWorker(std::shared_ptr<const HttpHandler> handler, const HttpLimits &limits,
               std::shared_ptr<std::atomic<int>> connectionCount, QObject *parent = nullptr);
    ~HttpWorker() override;

    // Takes over an accepted socket. `counted`: the listener took a slot of the connection
    // count for it (the connection holds it until its socket is gone); otherwise the server
    // is at its limit and the client is answered 503 and closed.
    void adopt(qintptr socketDescriptor, const std::shared_ptr<const HttpTls> &tls, bool counted);
    // Reads no further requests on any connection; the answers owed are written, then each closes.
    void shutdownConnections();

private:
    const std::shared_ptr<const HttpHandler> m_handler;
    const HttpLimits m_limits;
    const std::shared_ptr<std::atomic<int>> m_connectionCount;
};

} // namespace Gatehouse::Http
