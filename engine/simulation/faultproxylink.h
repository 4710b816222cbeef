#pragma once

#include "toxic.h"

#include <QObject>

#include <atomic>
#include <deque>
#include <functional>

class QTcpSocket;
class QTimer;

namespace Gatehouse::Simulation {

// One connection through a FaultProxy: the client's socket, the one it opens to the upstream,
// and a pipe each way that holds data until the toxic lets it go. Each pipe keeps at most
// kMaxBufferedBytes of its own and stops reading beyond that (the sockets' read buffers are
// bounded too), so a slow side holds the fast one back through TCP rather than filling memory.
// Lives on the proxy's thread; `finished` is called once, when both sides are closed, and the
// proxy then deletes it. (No signals of its own: a plain callback keeps it free of moc.)
class FaultProxyLink final : public QObject
{
    Q_DISABLE_COPY_MOVE(FaultProxyLink)

public:
    static constexpr qint64 kMaxBufferedBytes = 1 << 20;

    struct Counters
    {
        std::atomic<quint64> bytesUp{0};     // client -> upstream, forwarded
        std::atomic<quint64> bytesDown{0};   // upstream -> client, forwarded
    };

    using Finished = std::function<void(FaultProxyLink *link)>;

    // Takes `client` (an accepted socket) and connects to the upstream.
    FaultProxyLink(QTcpSocket *client, const QString &host, quint16 port, const Toxic &toxic, Counters *counters,
                   Finished finished, QObject *parent = nullptr);
    ~FaultProxyLink() override;

    void setToxic(const Toxic &toxic);   // applies to this connection at once
    void drop();                         // closes both sides now (the proxy goes down)

private:
    struct Pipe
    {
        QTcpSocket *from = nullptr;
        QTcpSocket *to = nullptr;
        Toxic::Stream stream = Toxic::Downstream;
        std::atomic<quint64> *counter = nullptr;
        std::deque<std::pair<qint64, QByteArray>> queue;   // (due, steady ms; data)
        qint64 queued = 0;
        qint64 lastDueMs = 0;
        bool fromClosed = false;   // no more data will come
        bool toClosed = false;     // the destination is closed, or its closing is under way
        QTimer *timer = nullptr;
    };

    void service(Pipe &pipe);
    void enqueue(Pipe &pipe, QByteArray data, qint64 nowMs);
    void sourceClosed(Pipe &pipe);
    void destinationClosed(Pipe &pipe);
    bool canWrite(const Pipe &pipe) const;
    bool dropping() const { return m_toxic.kind == Toxic::Timeout; }
    void closeAll();
    void resetAll();
    void finishIfDone();

    Toxic m_toxic;
    Counters *m_counters;
    Finished m_finishedCallback;
    QTcpSocket *m_client;
    QTcpSocket *m_upstream;
    bool m_upstreamConnected = false;
    bool m_finished = false;
    Pipe m_up;     // client -> upstream
    Pipe m_down;   // upstream -> client
    QTimer *m_toxicTimer;   // timeout / reset_peer
};

} // namespace Gatehouse::Simulation
