#include "httpstreamstate.h"

#include "httpconnectionlink.h"

namespace Gatehouse::Http {

HttpStreamState::HttpStreamState(std::shared_ptr<HttpConnectionLink> connectionLink, quint64 streamSequence)
    : link(std::move(connectionLink))
    , sequence(streamSequence)
{
}

HttpStreamState::~HttpStreamState() = default;

void HttpStreamState::onFinished(QObject *context, std::function<void()> callback)
{
    if (!context || !callback)
        return;
    {
        // The connect happens under the lock so finish() cannot slip between check and connect.
        const QMutexLocker locker(&m_mutex);
        if (!m_finished) {
            connect(this, &HttpStreamState::finished, context, std::move(callback),
                    Qt::ConnectionType(Qt::QueuedConnection | Qt::SingleShotConnection));
            return;
        }
    }
    QMetaObject::invokeMethod(context, std::move(callback), Qt::QueuedConnection);
}

void HttpStreamState::finish()
{
    open = false;
    ended = true;
    {
        const QMutexLocker locker(&m_mutex);
        if (m_finished)
            return;
        m_finished = true;
    }
    Q_EMIT finished();
}

} // namespace Gatehouse::Http
