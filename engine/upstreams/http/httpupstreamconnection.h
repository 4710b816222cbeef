#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <utility>

class QAbstractSocket;
class QTimer;

namespace Gatehouse {

class HttpUpstreamResponseParser;

// One HTTP/1.1 client connection to an upstream node (QTcpSocket, or QSslSocket for
// https, with llhttp reading the answers). It carries one request at a time and keeps
// connect, send and read timeouts separately, so that the caller knows whether the request
// may have reached the node. Between requests it can rest in a keep-alive pool; it reports
// when the node closes it there or its idle time runs out. Lives on the upstream thread.
class HttpUpstreamConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpUpstreamConnection)

public:
    enum class Outcome {
        Response,        // a complete answer
        Connected,       // connectOnly() succeeded
        ConnectFailed,   // refused, unreachable, name not found, TLS handshake failed
        ConnectTimeout,
        SendTimeout,
        ReadTimeout,     // no byte of the answer for the read timeout
        Closed,          // the node closed or reset the connection before a complete answer
        Malformed,       // not HTTP/1.x, or too large
    };
    struct Timeouts
    {
        int connectMs = 6000;
        int sendMs = 6000;
        int readMs = 6000;
    };
    struct Result
    {
        Outcome outcome = Outcome::Closed;
        int status = 0;
        QList<std::pair<QByteArray, QByteArray>> headers;   // names lower case
        QByteArray body;
        QString error;
        bool reused = false;      // the connection had answered a request before this one
        bool received = false;    // some byte of an answer arrived
        bool keepAlive = false;   // the connection may carry another request
    };
    using Callback = std::function<void(Result)>;

    HttpUpstreamConnection(QString host, quint16 port, bool tls, bool verifyPeer, QObject *parent = nullptr);
    ~HttpUpstreamConnection() override;

    // Sends `request` (a complete HTTP/1.1 message), connecting first when not connected,
    // and calls `done` once with the answer or the failure -- never before returning.
    void send(QByteArray request, bool headRequest, Timeouts timeouts, Callback done);
    // Only connects (a TCP health check); the connection is closed afterwards.
    void connectOnly(int timeoutMs, Callback done);

    bool isReusable() const;      // connected and waiting for a request
    const QString &host() const { return m_host; }
    quint16 port() const { return m_port; }
    int requestCount() const { return m_requests; }
    // Rests in a pool: idleClosed() follows when the node closes it or after `idleMs`.
    void park(int idleMs);

signals:
    void idleClosed(Gatehouse::HttpUpstreamConnection *connection);

private:
    enum class Phase { Unconnected, Connecting, Sending, Receiving, Idle, Closed };

    void start(Callback done);
    void createSocket();
    void onConnected();
    void onBytesWritten();
    void onReadyRead();
    void onClosed();
    void onTimeout();
    bool consume(const QByteArray &data);   // true when the exchange finished
    void finish(Outcome outcome, const QString &error = {});
    void closeIdle();

    QString m_host;
    quint16 m_port;
    bool m_tls;
    bool m_verifyPeer;
    QAbstractSocket *m_socket = nullptr;
    QTimer *m_timer;
    std::unique_ptr<HttpUpstreamResponseParser> m_parser;
    Phase m_phase = Phase::Unconnected;
    Timeouts m_timeouts;
    QByteArray m_request;
    bool m_connectOnly = false;
    bool m_starting = false;   // inside send(): answers are delivered from the event loop
    int m_requests = 0;
    Result m_result;
    Callback m_done;
};

} // namespace Gatehouse
