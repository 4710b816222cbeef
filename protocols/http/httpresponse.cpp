#include "httpresponse.h"

#include "api/apiresponse.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Gatehouse::Http {

void HttpResponse::setHeader(const QByteArray &name, const QByteArray &value)
{
    bool replaced = false;
    for (auto it = headers.begin(); it != headers.end();) {
        if (it->first.compare(name, Qt::CaseInsensitive) != 0) {
            ++it;
        } else if (!replaced) {
            it->second = value;
            replaced = true;
            ++it;
        } else {
            it = headers.erase(it);
        }
    }
    if (!replaced)
        headers.append({name, value});
}

QByteArray HttpResponse::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

HttpResponse HttpResponse::json(int status, const QByteArray &body)
{
    HttpResponse response;
    response.status = status;
    response.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    response.body = body;
    return response;
}

HttpResponse HttpResponse::problem(int status, const QString &title, const QString &detail)
{
    const QJsonObject object{
        {QStringLiteral("type"), QStringLiteral("about:blank")},
        {QStringLiteral("title"), title},
        {QStringLiteral("status"), status},
        {QStringLiteral("detail"), detail},
    };
    HttpResponse response;
    response.status = status;
    response.headers.append(
        {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/problem+json")});
    response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return response;
}

QByteArray HttpResponse::reasonPhrase(int status)
{
    return ApiResponse::reasonPhrase(status);
}

} // namespace Gatehouse::Http
