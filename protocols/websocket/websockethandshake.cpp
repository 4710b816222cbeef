#include "websockethandshake.h"

#include "api/apirequest.h"
#include "http/httpresponse.h"

#include <QCryptographicHash>

namespace Gatehouse::Live::WebSocketHandshake {

namespace {
// True if the comma-separated header value lists `token` (case-insensitive).
bool hasToken(const QByteArray &value, QByteArrayView token)
{
    for (const QByteArray &part : value.split(',')) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

ApiResponse upgradeRequired(const QString &detail)
{
    ApiResponse r = ApiResponse::problem(426, detail, QStringLiteral("upgrade-required"));
    r.setHeader(QByteArrayLiteral("upgrade"), QByteArrayLiteral("websocket"));
    r.setHeader(QByteArrayLiteral("sec-websocket-version"), QByteArrayLiteral("13"));
    return r;
}
} // namespace

QByteArray acceptKey(const QByteArray &key)
{
    return QCryptographicHash::hash(QByteArray(key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11")),
                                    QCryptographicHash::Sha1)
        .toBase64();
}

ApiResponse answer(const ApiRequest &request)
{
    if (!hasToken(request.header("upgrade"), "websocket") || !hasToken(request.header("connection"), "upgrade"))
        return upgradeRequired(QStringLiteral("this is a WebSocket endpoint: send Upgrade: websocket and Connection: Upgrade"));
    if (request.method != "GET")
        return ApiResponse::problem(400, QStringLiteral("a WebSocket handshake is a GET request"), QStringLiteral("bad-handshake"));
    if (request.header("sec-websocket-version").trimmed() != "13")
        return upgradeRequired(QStringLiteral("only WebSocket version 13 is supported"));
    const QByteArray key = request.header("sec-websocket-key").trimmed();
    const auto decoded = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != 16)
        return ApiResponse::problem(400, QStringLiteral("Sec-WebSocket-Key must be 16 bytes in base64"), QStringLiteral("bad-handshake"));
    ApiResponse r;
    r.status = 101;
    r.setHeader(QByteArrayLiteral("upgrade"), QByteArrayLiteral("websocket"));
    r.setHeader(QByteArrayLiteral("connection"), QByteArrayLiteral("Upgrade"));
    r.setHeader(QByteArrayLiteral("sec-websocket-accept"), acceptKey(key));
    return r;
}

QByteArray encodeHead(const Http::HttpResponse &head)
{
    QByteArray out = QByteArrayLiteral("HTTP/1.1 101 Switching Protocols\r\n");
    for (const auto &[name, value] : head.headers) {
        // No body follows a 101: drop whatever framing a plugin may have set.
        if (name.compare("content-length", Qt::CaseInsensitive) == 0 || name.compare("content-type", Qt::CaseInsensitive) == 0
            || name.compare("transfer-encoding", Qt::CaseInsensitive) == 0)
            continue;
        out += name + ": " + value + "\r\n";
    }
    return out + "\r\n";
}

} // namespace Gatehouse::Live::WebSocketHandshake
