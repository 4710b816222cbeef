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
    HttpConnection *connection = nullptr;
    {
        const QMutexLocker locker(&m_mutex);
        if (!m_connection)
            return false;
        connection = m_connection;
        // Queued, unless a handler answers synchronously from inside the connection's own
        // parse loop (the common case of a query answered on the network thread): then the
        // answer is recorded at once and the loop writes it after the handler returns, which
        // saves an event-loop round trip per request. Anywhere else on the network thread the
        // call must not re-enter the connection (it would parse and dispatch the next request
        // inside the caller), so it is queued.
        if (connection->thread() != QThread::currentThread() || !connection->isPumping()) {
            QMetaObject::invokeMethod(
                connection, [connection, call = std::move(call)] { call(connection); },
                Qt::QueuedConnection);
            return true;
        }
    }
    call(connection);   // on the connection's thread, inside its pump: it cannot go away meanwhile
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
