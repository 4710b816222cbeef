#pragma once

#include <QtGlobal>

namespace Gatehouse::Live {

// Limits and timings of the push protocols on one gateway port (WebSocket /ws and SSE
// /events/stream). A plain value; every client of the port uses the same one.
struct LiveOptions
{
    // Bytes queued for one client but not yet taken by the kernel. When new data is due while
    // the queue is already past this, the client is cut off: WebSocket close 1013, SSE an
    // `event: error` and the end of the stream. Catch-up from the log pauses at half of it.
    qint64 maxQueueBytes = 1024 * 1024;
    int heartbeatMs = 15000;               // SSE ": heartbeat" comment interval
    // Commits and changed documents arriving within this long of the last relay to the clients
    // wait for the end of the interval and go out together, one write per client (LiveFeed);
    // 0 relays each commit at once. The first after a quiet interval always goes at once.
    int batchMs = 10;
    int pageSize = 500;                    // events per catch-up read from the log
    qint64 maxMessageBytes = 1024 * 1024;  // one incoming WebSocket message; over -> close 1009
    int closeTimeoutMs = 5000;             // WebSocket: how long a closing connection may linger
    // WebSocket: a connection that sent nothing for this long gets a ping; one that then sends
    // nothing (not even the pong) for as long again is a dead peer and is dropped. 0: never.
    int keepAliveMs = 30000;
    int maxConnections = 1024;             // WebSocket and SSE clients of the port; over -> 503
    int maxSubscriptions = 64;             // per WebSocket connection
    int maxWatches = 256;                  // per WebSocket connection
    // A subscription's or watch's id and a message's string request_id: kept with the
    // connection and echoed in what it is sent, so bounded (a number request_id is fine).
    int maxIdLength = 256;
    int maxCommandsInFlight = 64;          // per WebSocket connection; past it reading pauses
};

} // namespace Gatehouse::Live
