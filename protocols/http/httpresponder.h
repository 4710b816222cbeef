#pragma once

#include "httpresponse.h"
#include "httpstream.h"

#include <QByteArray>

#include <atomic>
#include <functional>
#include <memory>

class QTcpSocket;

namespace Gatehouse::Http {

class HttpConnectionLink;

// A cheap, copyable handle to one pending request. Thread-safe: respond() may be called from
// any thread at any later time; the answer is queued to the connection on the network thread,
// and dropped safely if the client has gone. Exactly one of respond(), beginStream() or
// takeOver() takes effect per request; later calls are ignored.
class HttpResponder
{
public:
    using TakeOverReceiver = std::function<void(QTcpSocket *socket, const QByteArray &rawHead,
                                                const QByteArray &rest)>;

    HttpResponder() = default;

    void respond(HttpResponse response) const;
    // True while the request is unanswered and its connection still exists.
    bool isValid() const;
    // Sends head with Transfer-Encoding: chunked (HTTP/1.1) or close-delimited (HTTP/1.0) and
    // returns the stream. This request must be the last one the connection answers.
    HttpStream beginStream(HttpResponse head) const;
    // Network thread only, inside the handler: once the answers to earlier requests are written,
    // the socket leaves HTTP handling and goes, still open, to receiver together with the raw
    // request bytes and whatever was read after them. Parenting/deleting the socket is then the
    // receiver's business.
    void takeOver(TakeOverReceiver receiver) const;

private:
    friend class HttpConnection;
    HttpResponder(std::shared_ptr<HttpConnectionLink> link, quint64 sequence);
    bool claim() const;

    struct State {
        std::shared_ptr<HttpConnectionLink> link;
        quint64 sequence = 0;
        std::atomic<bool> claimed{false};
    };
    std::shared_ptr<State> d;
};

} // namespace Gatehouse::Http
