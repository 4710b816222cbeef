#include "httpconnectionlink.h"

#include "httpconnection.h"

#include <QMetaObject>
#include <QThread>

namespace Gatehouse::Http {

HttpConnectionLink::HttpConnectionLink(HttpConnection *connection)
    : m_connection(connection)
{
}

bool HttpConnectionLink::post(std::function<void(HttpConnection *)> call) const
{
    const QMutexLocker locker(&m_mutex);
    if (!m_connection)
        return false;
    HttpConnection *connection = m_connection;
    // Queued even on the network thread: handlers run inside the parse loop and must not
    // re-enter it.
    QMetaObject::invokeMethod(
        connection, [connection, call = std::move(call)] { call(connection); },
        Qt::QueuedConnection);
    return true;
}

HttpConnection *HttpConnectionLink::connectionOnCurrentThread() const
{
    const QMutexLocker locker(&m_mutex);
    if (m_connection && m_connection->thread() == QThread::currentThread())
        return m_connection;
    return nullptr;
}

bool HttpConnectionLink::isAttached() const
{
    const QMutexLocker locker(&m_mutex);
    return m_connection != nullptr;
}

void HttpConnectionLink::detach()
{
    const QMutexLocker locker(&m_mutex);
    m_connection = nullptr;
}

} // namespace Gatehouse::Http
