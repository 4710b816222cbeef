#pragma once

#include <QtGlobal>

namespace Gatehouse::Http {

// Per-server limits; every connection of an HttpServer uses the same values. A limit that is
// hit is answered with an application/problem+json response and the connection is closed.
struct HttpLimits {
    qsizetype maxHeaderBytes = 16 * 1024;   // request line + header block; over -> 431, then close
    qint64 maxBodyBytes = 1024 * 1024;      // Content-Length over -> 413 before reading the body; chunked: 413 as soon as the sum passes it
    int headerTimeoutMs = 10000;            // from the first byte of a request until its headers are complete -> 408, close
    int idleTimeoutMs = 30000;              // no request in progress and nothing pending -> close quietly
    int maxConnections = 1024;              // over -> answer 503 problem with Connection: close, then close
    int maxPipelined = 32;                  // requests parsed but not yet answered per connection; past it, stop reading the socket until answers go out
};

} // namespace Gatehouse::Http
