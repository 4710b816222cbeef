#include "httpstream.h"

#include "httpconnection.h"
#include "httpconnectionlink.h"
#include "httpstreamstate.h"

namespace Gatehouse::Http {

HttpStream::HttpStream(std::shared_ptr<HttpStreamState> state)
    : d(std::move(state))
{
}

void HttpStream::write(const QByteArray &data) const
{
    if (!isOpen() || data.isEmpty())
        return;
    d->queuedBytes += data.size();
    const bool posted = d->link->post([state = d, data](HttpConnection *connection) {
        connection->writeStream(state, data);
    });
    if (!posted) {
        d->queuedBytes -= data.size();
        d->finish();
    }
}

void HttpStream::close() const
{
    // isOpen() turns false at once; the final chunk follows the writes already queued.
    if (!d || !d->open.exchange(false))
        return;
    const bool posted = d->link->post([state = d](HttpConnection *connection) {
        connection->closeStream(state);
    });
    if (!posted)
        d->finish();
}

bool HttpStream::isOpen() const
{
    return d && d->open.load();
}

qint64 HttpStream::pendingBytes() const
{
    // Once the stream has ended nothing is pending any more, whatever was dropped on the way.
    if (!d || d->ended.load())
        return 0;
    return d->queuedBytes.load() + d->socketBytes.load();
}

void HttpStream::onClosed(QObject *context, std::function<void()> callback) const
{
    if (d)
        d->onFinished(context, std::move(callback));
    else if (context && callback)
        QMetaObject::invokeMethod(context, std::move(callback), Qt::QueuedConnection);
}

} // namespace Gatehouse::Http
