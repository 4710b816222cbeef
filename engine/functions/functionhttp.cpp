#include "functionhttp.h"

#include "config/strictjson.h"
#include "functionlimits.h"

#include <cmath>

#include <QJsonArray>
#include <QJsonDocument>

namespace Gatehouse {

namespace {

// A body that is one strict JSON text is handed over parsed, any other as a string.
QJsonValue parseBody(const QByteArray &body)
{
    if (body.isEmpty())
        return QJsonValue();
    const std::optional<QJsonValue> json = StrictJson::parse(body);
    return json ? *json : QJsonValue(QString::fromUtf8(body));
}

ApiResponse invalid(const QString &function, const QString &why)
{
    return ApiResponse::problem(502, QStringLiteral("function '%1' returned an invalid HTTP answer: %2").arg(function, why),
                                QStringLiteral("function-invalid-response"));
}

} // namespace

bool FunctionHttp::isToken(QByteArrayView name)
{
    if (name.isEmpty())
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || (c != 0 && QByteArrayView("!#$%&'*+-.^_`|~").contains(c));
        if (!ok)
            return false;
    }
    return true;
}

bool FunctionHttp::isFieldValue(QByteArrayView value)
{
    return !value.contains('\r') && !value.contains('\n') && !value.contains('\0');
}

bool FunctionHttp::isHopByHop(QByteArrayView name)
{
    for (const char *h : {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer", "proxy-connection"}) {
        if (name == h)
            return true;
    }
    return false;
}

QJsonObject FunctionHttp::input(const ApiRequest &request)
{
    QJsonObject params;
    for (auto it = request.params.cbegin(); it != request.params.cend(); ++it)
        params.insert(it.key(), it.value());
    QJsonObject query;
    for (const auto &[name, value] : request.queryItems())
        query.insert(name, value);
    QJsonObject headers;
    for (const auto &[name, value] : request.headers)
        headers.insert(QString::fromLatin1(name), QString::fromUtf8(value));
    return QJsonObject{
        {QStringLiteral("method"), QString::fromLatin1(request.method)},
        {QStringLiteral("path"), QString::fromUtf8(request.path)},
        {QStringLiteral("params"), params},
        {QStringLiteral("query"), query},
        {QStringLiteral("headers"), headers},
        {QStringLiteral("body"), parseBody(request.body)},
    };
}

ApiResponse FunctionHttp::output(const QString &function, const QJsonValue &result)
{
    const QJsonObject o = result.toObject();
    // {status: <number>, ...} is an HTTP answer; anything else (also {status: "ok"}) a JSON body.
    if (!result.isObject() || !o.value(QLatin1String("status")).isDouble()) {
        if (result.isNull() || result.isUndefined())
            return ApiResponse{204, {}, {}};
        const QByteArray json = result.isObject() ? QJsonDocument(o).toJson(QJsonDocument::Compact)
                              : result.isArray()  ? QJsonDocument(result.toArray()).toJson(QJsonDocument::Compact)
                                                  : QJsonDocument(QJsonArray{result}).toJson(QJsonDocument::Compact).chopped(1).mid(1);
        return ApiResponse::json(200, json);
    }
    const QJsonValue statusValue = o.value(QLatin1String("status"));
    const double status = statusValue.toDouble(-1);
    if (status != std::floor(status) || status < 200 || status > 599)
        return invalid(function, QStringLiteral("the function returned an invalid status (%1); it must be an integer from 200 to 599")
                                     .arg(QString::fromUtf8(QJsonDocument(QJsonArray{statusValue}).toJson(QJsonDocument::Compact).chopped(1).mid(1))));
    const QJsonValue body = o.value(QLatin1String("body"));
    ApiResponse r;
    if (body.isObject())
        r = ApiResponse::json(int(status), QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact));
    else if (body.isArray())
        r = ApiResponse::json(int(status), QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact));
    else if (body.isString())
        r = ApiResponse::json(int(status), body.toString().toUtf8(), QByteArrayLiteral("text/plain; charset=utf-8"));
    r.status = int(status);
    const QJsonValue headersValue = o.value(QLatin1String("headers"));
    if (!headersValue.isUndefined() && !headersValue.isNull() && !headersValue.isObject())
        return invalid(function, QStringLiteral("headers must be an object"));
    const QJsonObject headers = headersValue.toObject();
    if (headers.size() > FunctionLimits::kMaxResponseHeaders)
        return invalid(function, QStringLiteral("more than %1 headers").arg(FunctionLimits::kMaxResponseHeaders));
    qsizetype bytes = 0;
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        const QByteArray name = it.key().toUtf8();
        const QJsonValue v = it.value();
        if (!isToken(name))
            return invalid(function, QStringLiteral("the header name '%1' is not a token").arg(it.key().left(100)));
        if (!v.isString() && !v.isDouble() && !v.isBool())
            return invalid(function, QStringLiteral("the value of header '%1' must be a string, number or boolean").arg(it.key()));
        const QByteArray value = v.isString() ? v.toString().toUtf8() : v.isBool() ? QByteArray(v.toBool() ? "true" : "false")
                                                                                   : QByteArray::number(v.toDouble(), 'g', 17);
        if (!isFieldValue(value))
            return invalid(function, QStringLiteral("the value of header '%1' contains CR, LF or NUL").arg(it.key()));
        bytes += name.size() + value.size();
        if (bytes > FunctionLimits::kMaxResponseHeaderBytes)
            return invalid(function, QStringLiteral("the headers are larger than %1 bytes").arg(FunctionLimits::kMaxResponseHeaderBytes));
        const QByteArray lower = name.toLower();
        if (!isHopByHop(lower))
            r.setHeader(lower, value.trimmed());
    }
    return r;
}

} // namespace Gatehouse
