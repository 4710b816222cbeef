#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <utility>

namespace Gatehouse {

// A protocol-neutral request as the gateway sees it. Protocol adapters (HTTP, later
// WebSocket and MQTT) fill it in; the route match adds `routeId` and `params`.
struct ApiRequest
{
    QByteArray method;                                   // upper case: "GET", "POST"
    QByteArray path;                                     // raw, not percent-decoded, no query
    QByteArray query;                                    // raw query string, without '?'
    QList<std::pair<QByteArray, QByteArray>> headers;   // names lower case
    QByteArray body;
    QString remoteAddress;
    quint16 remotePort = 0;

    // Set by the gateway.
    QString routeId;
    QHash<QString, QString> params;                      // ":id" -> value, "*" -> rest of the path
    QString consumer;                                    // authenticated consumer, if any

    QByteArray header(QByteArrayView lowerCaseName) const;
    bool hasHeader(QByteArrayView lowerCaseName) const;
    // Decoded query parameters in order ("a=1&b=x%20y" -> (a,1),(b,x y)); '+' means space.
    QList<std::pair<QString, QString>> queryItems() const;
    QString queryItem(const QString &name, const QString &fallback = {}) const;
    bool hasQueryItem(const QString &name) const;
};

} // namespace Gatehouse
