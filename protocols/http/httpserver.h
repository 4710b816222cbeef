#pragma once

#include "httphandler.h"
#include "httplimits.h"
#include "httprequest.h"
#include "httpresponder.h"
#include "httpresponse.h"
#include "httpstream.h"
#include "httptls.h"

#include <QHostAddress>
#include <QObject>
#include <QString>

#include <memory>

namespace Gatehouse::Http {

// An HTTP/1.1 server (llhttp over QTcpServer) with keep-alive, pipelining, limits, streaming
// and protocol upgrades. It owns one or more network threads ("gatehouse-net", then
// "gatehouse-net2", ...): the first also holds the listening socket, which hands each accepted
// connection to the threads in turn; a connection and the handler calls for its requests stay
// on its thread, so with more than one thread the handler is called concurrently. This object
// stays on the thread that created it. listen(), close() and the destructor block until the
// network threads have done the work; do not call them from the handler.
class HttpServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)

public:
    static constexpr int kMaxThreads = 64;
    static constexpr int kListenBacklog = 1024;   // connections the kernel holds until accepted
    // threads: how many network threads share the connections (1 to kMaxThreads).
    explicit HttpServer(HttpHandler handler, HttpLimits limits = {}, int threads = 1, QObject *parent = nullptr);
    ~HttpServer() override;  // stops accepting, closes connections, joins its thread

    // Connections accepted after this call speak TLS with tls's credentials (HTTPS, WSS); a
    // reload() of tls applies to the connections accepted after it. Null: plain TCP.
    void setTls(std::shared_ptr<const HttpTls> tls);
    bool isTls() const;
    bool listen(const QHostAddress &address, quint16 port);  // port 0 = any; blocks until bound (or failed)
    QHostAddress serverAddress() const;
    quint16 serverPort() const;
    QString errorString() const;
    // Stops accepting new connections; existing ones finish their in-flight answers, then close.
    void close();
    int connectionCount() const;  // any thread
    HttpLimits limits() const;
    int threadCount() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Http
