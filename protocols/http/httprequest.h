#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QList>
#include <QString>

#include <utility>

namespace Gatehouse::Http {

// One parsed HTTP/1.x request as handed to the HttpHandler. A plain value: copy it freely
// to any thread.
struct HttpRequest {
    QByteArray method;             // "GET"
    QByteArray target;             // raw request target, e.g. "/api/x?y=1"
    QByteArray path;               // target before '?', not percent-decoded
    QByteArray query;              // after '?', raw
    int versionMajor = 1, versionMinor = 1;
    QList<std::pair<QByteArray, QByteArray>> headers;  // names lower-cased, in order
    QByteArray body;               // de-chunked
    QHostAddress peerAddress;
    QString peerAddressText;       // peerAddress.toString(), made once per connection
    quint16 peerPort = 0;
    bool keepAlive = true;         // what llhttp_should_keep_alive said
    bool upgrade = false;          // Upgrade request (e.g. websocket)

    QByteArray header(QByteArrayView lowerCaseName) const;   // first value or empty
    bool hasHeader(QByteArrayView lowerCaseName) const;
};

} // namespace Gatehouse::Http
