#pragma once

#include <QMutex>

#include <functional>

namespace Gatehouse::Http {

class HttpConnection;

// The thread-safe way from a responder or stream handle (any thread) to its HttpConnection
// (network thread). Shared by the connection and every handle it gave out; the connection
// detaches it in its destructor, after which every call is dropped.
//
// Why a mutex rather than only a QPointer: a QPointer checked on another thread can go stale
// between the check and the use. Here the connection cannot finish destruction while a call is
// being queued, and ~QObject discards queued calls that were not delivered.
class HttpConnectionLink final
{
public:
    explicit HttpConnectionLink(HttpConnection *connection);
    Q_DISABLE_COPY_MOVE(HttpConnectionLink)

    // Queues call(connection) on the connection's thread. False if the connection is gone.
    bool post(std::function<void(HttpConnection *)> call) const;
    // The connection, but only when called on its own thread (for synchronous hand-overs).
    HttpConnection *connectionOnCurrentThread() const;
    bool isAttached() const;
    void detach();

private:
    mutable QMutex m_mutex;
    HttpConnection *m_connection = nullptr;
};

} // namespace Gatehouse::Http
