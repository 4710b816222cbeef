#include "httplistener.h"

#include "httpworker.h"

#include "base/placecount.h"

#include <QThread>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace Gatehouse::Http {

namespace {
// An accepted socket on its way to another thread's worker: closed (and its slot given back)
// if the hand-over is dropped, e.g. because the server stops first.
struct PendingSocket
{
    qintptr descriptor;
    std::shared_ptr<std::atomic<int>> counter;   // null: no slot was taken
    PendingSocket(qintptr d, std::shared_ptr<std::atomic<int>> c)
        : descriptor(d)
        , counter(std::move(c))
    {
    }
    PendingSocket(const PendingSocket &) = delete;
    PendingSocket &operator=(const PendingSocket &) = delete;
    ~PendingSocket()
    {
        if (descriptor < 0)
            return;
#ifdef Q_OS_UNIX
        ::close(int(descriptor));
#endif
        if (counter)
            --*counter;
    }
    qintptr take() { return std::exchange(descriptor, qintptr(-1)); }
};
} // namespace

HttpListener::HttpListener(std::vector<HttpWorker *> workers, std::shared_ptr<std::atomic<int>> connectionCount,
                           int maxConnections, QObject *parent)
    : QTcpServer(parent)
    , m_workers(std::move(workers))
    , m_connectionCount(std::move(connectionCount))
    , m_maxConnections(maxConnections)
    , m_next(m_workers.size() > 1 ? 1 : 0)   // the first connection already crosses threads
{
}

HttpListener::~HttpListener() = default;

void HttpListener::incomingConnection(qintptr socketDescriptor)
{
    // The slot is taken here, on the one thread that accepts, so the workers together never
    // hold more than the limit however fast connections arrive.
    const bool counted = takePlace(*m_connectionCount, m_maxConnections);
    HttpWorker *worker = m_workers.at(m_next);
    m_next = (m_next + 1) % m_workers.size();
    if (worker->thread() == QThread::currentThread()) {
        worker->adopt(socketDescriptor, m_tls, counted);
        return;
    }
    auto pending = std::make_shared<PendingSocket>(socketDescriptor, counted ? m_connectionCount : nullptr);
    QMetaObject::invokeMethod(
        worker, [worker, pending, tls = m_tls, counted] { worker->adopt(pending->take(), tls, counted); },
        Qt::QueuedConnection);
}

} // namespace Gatehouse::Http
