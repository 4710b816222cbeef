#pragma once

#include "api/apiresponse.h"

#include <QByteArray>

namespace Gatehouse {
struct ApiRequest;
}

namespace Gatehouse::Http {
struct HttpResponse;
}

namespace Gatehouse::Live {

// The opening handshake of RFC 6455 (section 4.2) on the server side.
namespace WebSocketHandshake {

// The 101 answer to a valid upgrade request, or the problem that refuses it: 426 when it is
// not a WebSocket upgrade at all or asks for another version, 400 when it is malformed.
ApiResponse answer(const ApiRequest &request);
// base64(SHA-1(key + the RFC's GUID)).
QByteArray acceptKey(const QByteArray &key);
// "HTTP/1.1 101 Switching Protocols" and the head's headers, ready for the socket.
QByteArray encodeHead(const Http::HttpResponse &head);

} // namespace WebSocketHandshake
} // namespace Gatehouse::Live
