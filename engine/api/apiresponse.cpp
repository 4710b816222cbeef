#include "apiresponse.h"

#include <QJsonDocument>

namespace Gatehouse {

void ApiResponse::setHeader(const QByteArray &lowerCaseName, const QByteArray &value)
{
    for (auto &h : headers) {
        if (h.first == lowerCaseName) {
            h.second = value;
            return;
        }
    }
    headers.append({lowerCaseName, value});
}

QByteArray ApiResponse::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return {};
}

ApiResponse ApiResponse::json(int status, const QByteArray &body, const QByteArray &contentType)
{
    ApiResponse r;
    r.status = status;
    r.body = body;
    r.headers.append({QByteArrayLiteral("content-type"), contentType});
    return r;
}

ApiResponse ApiResponse::json(int status, const QJsonObject &body)
{
    return json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

ApiResponse ApiResponse::problem(int status, const QString &detail, const QString &slug, const QJsonObject &extra)
{
    QJsonObject body = extra;
    body.insert(QStringLiteral("type"), slug.isEmpty() ? QStringLiteral("about:blank") : QStringLiteral("urn:gatehouse:problem:") + slug);
    body.insert(QStringLiteral("title"), statusTitle(status));
    body.insert(QStringLiteral("status"), status);
    body.insert(QStringLiteral("detail"), detail);
    return json(status, QJsonDocument(body).toJson(QJsonDocument::Compact), QByteArrayLiteral("application/problem+json"));
}

QString ApiResponse::statusTitle(int status)
{
    switch (status) {
    case 200: return QStringLiteral("OK");
    case 201: return QStringLiteral("Created");
    case 202: return QStringLiteral("Accepted");
    case 204: return QStringLiteral("No Content");
    case 304: return QStringLiteral("Not Modified");
    case 400: return QStringLiteral("Bad Request");
    case 401: return QStringLiteral("Unauthorized");
    case 403: return QStringLiteral("Forbidden");
    case 404: return QStringLiteral("Not Found");
    case 405: return QStringLiteral("Method Not Allowed");
    case 408: return QStringLiteral("Request Timeout");
    case 409: return QStringLiteral("Conflict");
    case 412: return QStringLiteral("Precondition Failed");
    case 413: return QStringLiteral("Content Too Large");
    case 415: return QStringLiteral("Unsupported Media Type");
    case 422: return QStringLiteral("Unprocessable Content");
    case 429: return QStringLiteral("Too Many Requests");
    case 431: return QStringLiteral("Request Header Fields Too Large");
    case 500: return QStringLiteral("Internal Server Error");
    case 501: return QStringLiteral("Not Implemented");
    case 502: return QStringLiteral("Bad Gateway");
    case 503: return QStringLiteral("Service Unavailable");
    case 504: return QStringLiteral("Gateway Timeout");
    case 507: return QStringLiteral("Insufficient Storage");
    default: return QStringLiteral("HTTP %1").arg(status);
    }
}

} // namespace Gatehouse
