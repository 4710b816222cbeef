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
    const QByteArray phrase = reasonPhrase(status);
    return phrase.isEmpty() ? QStringLiteral("HTTP %1").arg(status) : QString::fromLatin1(phrase);
}

QByteArray ApiResponse::reasonPhrase(int status)
{
    switch (status) {
    case 100: return QByteArrayLiteral("Continue");
    case 101: return QByteArrayLiteral("Switching Protocols");
    case 200: return QByteArrayLiteral("OK");
    case 201: return QByteArrayLiteral("Created");
    case 202: return QByteArrayLiteral("Accepted");
    case 204: return QByteArrayLiteral("No Content");
    case 206: return QByteArrayLiteral("Partial Content");
    case 301: return QByteArrayLiteral("Moved Permanently");
    case 302: return QByteArrayLiteral("Found");
    case 303: return QByteArrayLiteral("See Other");
    case 304: return QByteArrayLiteral("Not Modified");
    case 307: return QByteArrayLiteral("Temporary Redirect");
    case 308: return QByteArrayLiteral("Permanent Redirect");
    case 400: return QByteArrayLiteral("Bad Request");
    case 401: return QByteArrayLiteral("Unauthorized");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 406: return QByteArrayLiteral("Not Acceptable");
    case 408: return QByteArrayLiteral("Request Timeout");
    case 409: return QByteArrayLiteral("Conflict");
    case 410: return QByteArrayLiteral("Gone");
    case 411: return QByteArrayLiteral("Length Required");
    case 412: return QByteArrayLiteral("Precondition Failed");
    case 413: return QByteArrayLiteral("Content Too Large");
    case 414: return QByteArrayLiteral("URI Too Long");
    case 415: return QByteArrayLiteral("Unsupported Media Type");
    case 417: return QByteArrayLiteral("Expectation Failed");
    case 422: return QByteArrayLiteral("Unprocessable Content");
    case 426: return QByteArrayLiteral("Upgrade Required");
    case 428: return QByteArrayLiteral("Precondition Required");
    case 429: return QByteArrayLiteral("Too Many Requests");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 501: return QByteArrayLiteral("Not Implemented");
    case 502: return QByteArrayLiteral("Bad Gateway");
    case 503: return QByteArrayLiteral("Service Unavailable");
    case 504: return QByteArrayLiteral("Gateway Timeout");
    case 505: return QByteArrayLiteral("HTTP Version Not Supported");
    case 507: return QByteArrayLiteral("Insufficient Storage");
    default: break;
    }
    // RFC 9110 lets the reason phrase be empty; clients must not rely on it.
    return {};
}

} // namespace Gatehouse
