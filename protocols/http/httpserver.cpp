#include "httpserver.h"

#include "httplistener.h"
#include "httplogging.h"

#include <QMutex>
#include <QThread>

namespace Gatehouse::Http {

struct HttpServer::Private {
    HttpLimits limits;
    QThread thread;
    HttpListener *listener = nullptr;  // lives on thread
    bool tls = false;
    std::shared_ptr<std::atomic<int>> connectionCount = std::make_shared<std::atomic<int>>(0);

    mutable QMutex mutex;  // guards the listen() results below
    QHostAddress address;
    quint16 port = 0;
    QString errorString;

    // Runs work on the network thread and waits for it.
    void run(const std::function<void()> &work)
    {
        if (QThread::currentThread() == &thread)
            work();
        else
            QMetaObject::invokeMethod(listener, work, Qt::BlockingQueuedConnection);
    }
};

HttpServer::HttpServer(HttpHandler handler, HttpLimits limits, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->limits = limits;
    d->thread.setObjectName(QStringLiteral("gatehouse-net"));
    d->listener = new HttpListener(std::make_shared<const HttpHandler>(std::move(handler)), limits,
                                   d->connectionCount);
    d->listener->moveToThread(&d->thread);
    d->thread.start();
}

HttpServer::~HttpServer()
{
    // The listener and its connections must die on their own thread, before it stops.
    d->run([this] {
        d->listener->close();
        delete d->listener;
        d->listener = nullptr;
    });
    d->thread.quit();
    d->thread.wait();
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
    d->run([this] {
        d->listener->close();
        d->listener->shutdownConnections();
    });
}

int HttpServer::connectionCount() const
{
    return d->connectionCount->load();
}

HttpLimits HttpServer::limits() const
{
    return d->limits;
}

} // namespace Gatehouse::Http
