#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <utility>

namespace Gatehouse {

// A protocol-neutral answer. Errors are RFC 9457 problem documents.
struct ApiResponse
{
    int status = 200;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;

    void setHeader(const QByteArray &lowerCaseName, const QByteArray &value);
    QByteArray header(QByteArrayView lowerCaseName) const;

    static ApiResponse json(int status, const QByteArray &body,
                            const QByteArray &contentType = QByteArrayLiteral("application/json"));
    static ApiResponse json(int status, const QJsonObject &body);
    // {"type","title","status","detail"} plus any `extra` members; `type` is
    // "urn:gatehouse:problem:<slug>" when a slug is given, else "about:blank".
    static ApiResponse problem(int status, const QString &detail, const QString &slug = {},
                               const QJsonObject &extra = {});
    // A problem's title: the status's reason phrase, "HTTP <status>" for a status without one.
    static QString statusTitle(int status);
    // The reason phrase of a status line (RFC 9110 section 15), empty for a status without one.
    // The one table for both, so a problem's title and its status line never disagree.
    static QByteArray reasonPhrase(int status);
};

// Answers one request, exactly once, from any thread.
using ApiResponder = std::function<void(ApiResponse)>;

} // namespace Gatehouse
