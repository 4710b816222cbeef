#pragma once

#include "http/gatewayhttphandler.h"
#include "live/liveoptions.h"

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Live {

class LiveFeed;

// The push endpoints of one gateway port: routes with upstream type "websocket" (/ws) and
// "sse" (/events/stream). The gateway has already matched the route and run its plugins (auth,
// limits) on the request when serve() is called; a WebSocket handshake is answered 101 and the
// socket taken over from the HTTP server, an event stream is answered 200 and streamed.
//
// Created on the owner's thread (Server::Listeners); everything it serves lives on the HTTP
// server's network threads, each client under the LiveFeed of its thread (created there on
// first use). The limit of live clients counts those of every thread. shutdown() must run while
// those threads are still up, i.e. before the HttpServer is destroyed.
class LiveEndpoints final : public Http::ConnectionUpstream
{
public:
    LiveEndpoints(Engine *engine, const LiveOptions &options);
    ~LiveEndpoints() override;
    LiveEndpoints(const LiveEndpoints &) = delete;
    LiveEndpoints &operator=(const LiveEndpoints &) = delete;

    void serve(const RouteUpstream &upstream, ApiRequest &&request, const std::shared_ptr<Http::HttpExchange> &exchange,
               ApiResponder &&respond) override;

    // Blocking, from the owner's thread: WebSocket clients get close 1001, event streams end.
    void goingAway();
    // Blocking, from the owner's thread: drops every client and refuses new ones.
    void shutdown();

private:
    LiveFeed *feedOnCurrentThread();
    void serveWebSocket(LiveFeed *feed, const ApiRequest &request,
                        const std::shared_ptr<Http::HttpExchange> &exchange, ApiResponder &&respond);
    void serveEventStream(LiveFeed *feed, const ApiRequest &request, const std::shared_ptr<Http::HttpExchange> &exchange,
                          ApiResponder &&respond);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Live
