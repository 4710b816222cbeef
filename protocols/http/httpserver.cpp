#include "httpserver.h"

#include "httplistener.h"
#include "httplogging.h"
#include "httpworker.h"
#include "base/epolleventdispatcher.h"

#include <QMutex>
#include <QThread>

namespace Gatehouse::Http {

struct HttpServer::Private {
    HttpLimits limits;
    std::vector<std::unique_ptr<QThread>> threads;
    std::vector<HttpWorker *> workers;  // workers[i] lives on threads[i]
    HttpListener *listener = nullptr;   // lives on threads[0]
    bool tls = false;
    std::shared_ptr<std::atomic<int>> connectionCount = std::make_shared<std::atomic<int>>(0);

    mutable QMutex mutex;  // guards the listen() results below
    QHostAddress address;
    quint16 port = 0;
    QString errorString;

    // Runs work on the network thread of `object` and waits for it.
    static void runOn(QObject *object, const std::function<void()> &work)
    {
        if (object->thread() == QThread::currentThread())
            work();
        else
            QMetaObject::invokeMethod(object, work, Qt::BlockingQueuedConnection);
    }
    void run(const std::function<void()> &work) { runOn(listener, work); }
};

HttpServer::HttpServer(HttpHandler handler, HttpLimits limits, int threads, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->limits = limits;
    const auto shared = std::make_shared<const HttpHandler>(std::move(handler));
    const int count = qBound(1, threads, kMaxThreads);
    for (int i = 0; i < count; ++i) {
        auto thread = std::make_unique<QThread>();
        thread->setObjectName(i == 0 ? QStringLiteral("gatehouse-net") : QStringLiteral("gatehouse-net%1").arg(i + 1));
        // epoll: a turn of the loop costs what is ready, not every connection of the thread.
        if (QAbstractEventDispatcher *dispatcher = makeNetworkEventDispatcher())
            thread->setEventDispatcher(dispatcher);
        auto *worker = new HttpWorker(shared, limits, d->connectionCount);
        worker->moveToThread(thread.get());
        d->workers.push_back(worker);
        d->threads.push_back(std::move(thread));
    }
    d->listener = new HttpListener(d->workers, d->connectionCount, limits.maxConnections);
    d->listener->moveToThread(d->threads.front().get());
    for (const auto &thread : d->threads)
        thread->start();
}

HttpServer::~HttpServer()
{
    // Nothing new arrives once the listener is gone; then each worker and its connections die
    // on their own thread, before it stops. A hand-over still queued to a worker is dropped
    // with it (and the socket closed).
    d->run([this] {
        d->listener->close();
        delete d->listener;
    });
    for (size_t i = 0; i < d->workers.size(); ++i) {
        HttpWorker *worker = d->workers[i];
        Private::runOn(worker, [worker] { delete worker; });
    }
    for (const auto &thread : d->threads) {
        thread->quit();
        thread->wait();
    }
}

void HttpServer::setTls(std::shared_ptr<const HttpTls> tls)
{
    d->tls = tls != nullptr;
    d->run([this, tls = std::move(tls)]() mutable { d->listener->setTls(std::move(tls)); });
}

bool HttpServer::isTls() const
{
    return d->tls;
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    bool listening = false;
    QString error;
    quint16 boundPort = 0;
    d->run([&] {
        // Qt's default backlog is 50: a burst of connections (clients reconnecting together
        // after an outage, a thousand subscribers at once) overflowed it, and each connection
        // past it waited a second for its SYN to be sent again. The kernel caps it at somaxconn.
        d->listener->setListenBacklogSize(kListenBacklog);
        listening = d->listener->listen(address, port);
        boundPort = d->listener->serverPort();
        error = listening ? QString() : d->listener->errorString();
        const QMutexLocker locker(&d->mutex);
        d->address = d->listener->serverAddress();
        d->port = boundPort;
        d->errorString = error;
    });
    if (listening)
        qCInfo(lcHttp).noquote() << "listening on" << address.toString() << boundPort;
    else
        qCWarning(lcHttp).noquote() << "cannot listen on" << address.toString() << port << error;
    return listening;
}

QHostAddress HttpServer::serverAddress() const
{
    const QMutexLocker locker(&d->mutex);
    return d->address;
}

quint16 HttpServer::serverPort() const
{
    const QMutexLocker locker(&d->mutex);
    return d->port;
}

QString HttpServer::errorString() const
{
    const QMutexLocker locker(&d->mutex);
    return d->errorString;
}

void HttpServer::close()
{
    d->run([this] { d->listener->close(); });
    // Hand-overs the listener queued before it closed reach their workers first.
    for (HttpWorker *worker : d->workers)
        Private::runOn(worker, [worker] { worker->shutdownConnections(); });
}

int HttpServer::connectionCount() const
{
    return d->connectionCount->load();
}

HttpLimits HttpServer::limits() const
{
    return d->limits;
}

int HttpServer::threadCount() const
{
    return int(d->threads.size());
}

} // namespace Gatehouse::Http
