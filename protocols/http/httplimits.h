#pragma once

#include <QtGlobal>

namespace Gatehouse::Http {

// Per-server limits; every connection of an HttpServer uses the same values. A limit that is
// hit is answered with an application/problem+json response and the connection is closed.
//
// Time is bounded whatever a client sends slowly: the head (empty lines before it included)
// gets headerTimeoutMs in total; the body (chunk size lines, extensions and trailers included)
// gets bodyTimeoutMs plus one second per minBodyBytesPerSecond of body data received, so its
// total is at most bodyTimeoutMs + maxBodyBytes / minBodyBytesPerSecond seconds; between
// requests the connection closes after idleTimeoutMs; an answer the client does not read
// closes the connection after idleTimeoutMs without progress.
struct HttpLimits {
    qsizetype maxHeaderBytes = 16 * 1024;   // request line + header block; over -> 431, then close. Trailers of a chunked body: the same limit
    qint64 maxBodyBytes = 1024 * 1024;      // Content-Length over -> 413 before reading the body; chunked: 413 as soon as the sum passes it
    int maxEmptyLinesBeforeRequest = 4;     // CRLFs a client may send before a request line (RFC 9112 2.2); more -> 400, close
    int headerTimeoutMs = 10000;            // from the first byte of a request (an empty line included) until its headers are complete -> 408, close
    int bodyTimeoutMs = 10000;              // grace for the body, extended by the data that arrives (minBodyBytesPerSecond) -> 408, close
    int minBodyBytesPerSecond = 1024;       // slowest body accepted once the grace is used up
    int idleTimeoutMs = 30000;              // no request in progress and nothing pending -> close quietly; also: no answer byte taken for this long -> close
    int maxConnections = 1024;              // over -> answer 503 problem with Connection: close, then close
    int maxPipelined = 32;                  // requests parsed but not yet answered per connection; past it, stop reading the socket until answers go out
    qint64 maxUnsentBytes = 4 * 1024 * 1024; // answer bytes the client has not taken yet; past it, stop reading requests until it does
};

} // namespace Gatehouse::Http
