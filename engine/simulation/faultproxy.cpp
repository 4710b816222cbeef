#include "faultproxy.h"

#include "faultproxylink.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>

Q_LOGGING_CATEGORY(lcFaultProxy, "gatehouse.simulation.faultproxy")

namespace Gatehouse::Simulation {

namespace {

// The server and the connections, on the proxy's thread.
class ProxyWorker final : public QObject
{
public:
    ProxyWorker(QString host, quint16 port, int maxConnections, FaultProxyLink::Counters *counters)
        : m_host(std::move(host)), m_port(port), m_maxConnections(maxConnections), m_counters(counters) {}

    bool listen(quint16 port, QString *error)
    {
        if (!m_server) {
            m_server = new QTcpServer(this);
            m_server->setMaxPendingConnections(m_maxConnections);
            connect(m_server, &QTcpServer::newConnection, this, &ProxyWorker::accept);
        }
        if (!m_server->listen(QHostAddress::LocalHost, port)) {
            *error = QStringLiteral("the fault proxy for %1:%2 cannot listen on 127.0.0.1:%3: %4")
                         .arg(m_host).arg(m_port).arg(port).arg(m_server->errorString());
            return false;
        }
        m_listenPort = m_server->serverPort();
        return true;
    }

    void apply(const Toxic &toxic)
    {
        const bool wasDown = m_toxic.kind == Toxic::Down;
        m_toxic = toxic;
        if (toxic.kind == Toxic::Down) {
            // Toxiproxy's disabled proxy: new connections are refused, open ones are dropped.
            if (m_server)
                m_server->close();
            const QSet<FaultProxyLink *> links = m_links;
            for (FaultProxyLink *link : links)
                link->drop();
            return;
        }
        if (wasDown && m_listenPort != 0) {
            QString error;
            if (!listen(m_listenPort, &error))
                qCWarning(lcFaultProxy).noquote() << error;
        }
        for (FaultProxyLink *link : std::as_const(m_links))
            link->setToxic(toxic);
    }

    void shutdown()
    {
        if (m_server)
            m_server->close();
        const QSet<FaultProxyLink *> links = m_links;
        for (FaultProxyLink *link : links)
            link->drop();
        qDeleteAll(m_links);
        m_links.clear();
    }

    bool isListening() const { return m_server && m_server->isListening(); }
    int open() const { return int(m_links.size()); }
    quint16 listenPort() const { return m_listenPort; }
    quint64 rejected() const { return m_rejected; }
    quint64 accepted() const { return m_accepted; }

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            if (m_toxic.kind == Toxic::Down || m_links.size() >= m_maxConnections) {
                ++m_rejected;
                socket->abort();
                socket->deleteLater();
                continue;
            }
            ++m_accepted;
            auto *link = new FaultProxyLink(socket, m_host, m_port, m_toxic, m_counters, [this](FaultProxyLink *l) {
                if (m_links.remove(l))
                    l->deleteLater();
            }, this);
            m_links.insert(link);
        }
    }

    QString m_host;
    quint16 m_port;
    int m_maxConnections;
    FaultProxyLink::Counters *m_counters;
    QTcpServer *m_server = nullptr;
    quint16 m_listenPort = 0;
    Toxic m_toxic;
    QSet<FaultProxyLink *> m_links;
    quint64 m_accepted = 0;
    quint64 m_rejected = 0;
};

} // namespace

struct FaultProxy::Private
{
    QString host;
    quint16 port = 0;
    int maxConnections = kMaxConnections;
    QThread thread;
    FaultProxyLink::Counters counters;
    ProxyWorker *worker = nullptr;   // lives on `thread`
    std::atomic<quint16> listenPort{0};
    mutable QMutex mutex;
    Toxic toxic;

    template<typename F>
    void onThread(F &&f) const
    {
        if (!worker)
            return;
        if (QThread::currentThread() == &thread)
            f();
        else
            QMetaObject::invokeMethod(worker, std::forward<F>(f), Qt::BlockingQueuedConnection);
    }
};

FaultProxy::FaultProxy(QString upstreamHost, quint16 upstreamPort, int maxConnections)
    : d(std::make_unique<Private>())
{
    d->host = std::move(upstreamHost);
    d->port = upstreamPort;
    d->maxConnections = qBound(1, maxConnections, kMaxConnections);
    d->thread.setObjectName(QStringLiteral("gatehouse-faultproxy"));
}

FaultProxy::~FaultProxy()
{
    stop();
}

bool FaultProxy::start(QString *error)
{
    if (d->worker)
        return true;
    d->worker = new ProxyWorker(d->host, d->port, d->maxConnections, &d->counters);
    d->worker->moveToThread(&d->thread);
    QObject::connect(&d->thread, &QThread::finished, d->worker, &QObject::deleteLater);
    d->thread.start();
    bool ok = false;
    d->onThread([this, &ok, error] {
        ok = d->worker->listen(0, error);
        d->worker->apply(toxic());
    });
    if (!ok) {
        stop();
        return false;
    }
    d->listenPort = d->worker->listenPort();   // written before the blocking call returned
    qCInfo(lcFaultProxy).noquote() << "fault proxy" << address() << "->" << upstream();
    return true;
}

void FaultProxy::stop()
{
    if (!d->worker)
        return;
    d->onThread([this] { d->worker->shutdown(); });
    d->thread.quit();
    d->thread.wait();
    d->worker = nullptr;   // deleted by the thread's finished()
}

quint16 FaultProxy::port() const
{
    return d->listenPort;
}

QString FaultProxy::address() const
{
    return QStringLiteral("127.0.0.1:%1").arg(port());
}

QString FaultProxy::upstream() const
{
    return (d->host.contains(QLatin1Char(':')) ? QLatin1Char('[') + d->host + QLatin1Char(']') : d->host) + QLatin1Char(':')
        + QString::number(d->port);
}

void FaultProxy::setToxic(const Toxic &toxic)
{
    {
        QMutexLocker lock(&d->mutex);
        d->toxic = toxic;
    }
    d->onThread([this, toxic] { d->worker->apply(toxic); });
}

Toxic FaultProxy::toxic() const
{
    QMutexLocker lock(&d->mutex);
    return d->toxic;
}

FaultProxy::Stats FaultProxy::stats() const
{
    Stats s;
    s.bytesUp = d->counters.bytesUp.load(std::memory_order_relaxed);
    s.bytesDown = d->counters.bytesDown.load(std::memory_order_relaxed);
    d->onThread([this, &s] {
        s.accepted = d->worker->accepted();
        s.rejected = d->worker->rejected();
        s.open = d->worker->open();
        s.listening = d->worker->isListening();
    });
    return s;
}

} // namespace Gatehouse::Simulation
