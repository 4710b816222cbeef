#pragma once

#include <QByteArray>

#include <functional>
#include <memory>

class QObject;

namespace Gatehouse::Http {

class HttpStreamState;

// A cheap, copyable, thread-safe handle to one streamed response (chunked on HTTP/1.1,
// close-delimited on HTTP/1.0), returned by HttpResponder::beginStream(). Every call may be
// made from any thread; writes are queued to the connection on the network thread. A
// default-constructed stream is closed and ignores writes.
class HttpStream
{
public:
    HttpStream() = default;

    void write(const QByteArray &data) const;   // one chunk; queued to the network thread
    void close() const;                         // final chunk, then close the connection
    bool isOpen() const;                        // false once the client left or close() ran
    qint64 pendingBytes() const;                // queued or in the socket buffer, not yet sent
    // callback runs once, queued in context's thread, when the stream ends for any reason
    // (client left, close() done, server gone); at once (queued) if it already has.
    void onClosed(QObject *context, std::function<void()> callback) const;

private:
    friend class HttpResponder;
    explicit HttpStream(std::shared_ptr<HttpStreamState> state);

    std::shared_ptr<HttpStreamState> d;
};

} // namespace Gatehouse::Http
