#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace Gatehouse::Http {

struct HttpResponse;

// Serialising responses onto the wire: status line, the headers the server owns (framing,
// Connection, Date, Server), chunked framing. Pure functions, any thread.
namespace HttpWire {

enum class Framing { ContentLength, Chunked, UntilClose };

// A complete response. HEAD answers keep Content-Length but carry no body.
QByteArray encodeResponse(const HttpResponse &response, bool headRequest, bool closeConnection);
// The head of a streamed response (no body, no Content-Length).
QByteArray encodeStreamHead(const HttpResponse &head, Framing framing);
QByteArray encodeChunk(QByteArrayView data);
QByteArray lastChunk();
QByteArray continueResponse();
// True if the handler asked for the connection to close ("Connection: close").
bool asksToClose(const HttpResponse &response);
// IMF-fixdate (RFC 9110 5.6.7) of the current time, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
QByteArray currentDate();

} // namespace HttpWire
} // namespace Gatehouse::Http
