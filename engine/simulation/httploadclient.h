#pragma once

#include "gatewaytarget.h"
#include "httpresponseparser.h"
#include "loaderror.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>

class QTcpSocket;

namespace Gatehouse::Simulation {

struct HttpLoadRequest
{
    QByteArray method;
    QByteArray target;   // origin form: "/api/products?limit=20"
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;     // sent with Content-Type: application/json unless a header names another
};

struct HttpLoadResult
{
    LoadError error = LoadError::None;   // None: `response` is complete (any status)
    QString detail;                      // what went wrong, for logs and the run's reason
    HttpResponseParser::Response response;
    qint64 sentNs = 0;                   // steady clock: the request was handed to the socket
    qint64 doneNs = 0;                   // steady clock: the answer was complete (or the error seen)
};

// The Host header's value for a target: "host:port", "[v6]:port".
QByteArray hostHeader(const QString &host, quint16 port);

// One keep-alive HTTP/1.1 connection of the load generator: one request in flight at a time
// (a virtual user's connection, as k6 has it), opened on the first request and again after
// the server closed it. Every request ends in exactly one callback: the complete response, or
// an error kind (connect, timeout after kRequestTimeoutMs, reset, bad_response) after which
// the connection is dropped. TCP_NODELAY is on: requests are small and latency is what we
// measure. Lives on a generator thread (the thread that created it) and owns its socket.
class HttpLoadClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpLoadClient)

public:
    using Callback = std::function<void(HttpLoadResult &&)>;

    // No complete answer within this time: the request ends as "timeout".
    static constexpr int kRequestTimeoutMs = 10000;
    // A connection idle for this long is opened again before the next request, so it never
    // races the server closing it (the gateway closes idle connections after 30 s).
    static constexpr qint64 kReuseIdleMs = 20000;

    explicit HttpLoadClient(GatewayTarget target, QObject *parent = nullptr);
    // Tests only: a shorter limit than kRequestTimeoutMs.
    void setRequestTimeoutMs(int ms) { m_timeoutMs = ms; }
    ~HttpLoadClient() override;

    // `done` is called later, never from inside send(), on this object's thread.
    void send(HttpLoadRequest request, Callback done);
    // Drops the request in flight (its callback gets LoadError::Interrupted) and the connection.
    void abort();
    bool isBusy() const { return bool(m_done); }
    quint64 connectionsOpened() const { return m_connectionsOpened; }

private:
    void openConnection();
    void writeRequest();
    void onReadyRead();
    void onDisconnected();
    void onSocketError();
    void finish(LoadError error, const QString &detail);

    GatewayTarget m_target;
    QTcpSocket *m_socket = nullptr;
    QTimer m_timeout;
    int m_timeoutMs = kRequestTimeoutMs;
    HttpResponseParser m_parser;
    QByteArray m_input;
    QByteArray m_pendingWrite;   // the request, until the connection is open
    Callback m_done;
    qint64 m_sentNs = 0;
    qint64 m_lastUsedMs = 0;
    bool m_connected = false;
    bool m_closeAfter = false;
    bool m_inSend = false;       // inside send(): errors are reported later
    quint64 m_requests = 0;      // requests sent so far (tells a late report from the current request)
    quint64 m_connectionsOpened = 0;
};

} // namespace Gatehouse::Simulation
