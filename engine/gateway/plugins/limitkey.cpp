#include "limitkey.h"

#include "gateway/plugin.h"
#include "requestvariables.h"

#include <QJsonDocument>

namespace Gatehouse {

LimitKey LimitKey::fromConfig(const QJsonObject &config, QStringList *errors)
{
    LimitKey k;
    const QString type = config.value(QStringLiteral("key_type")).toString(QStringLiteral("var"));
    k.m_key = config.value(QStringLiteral("key")).toString(QStringLiteral("remote_addr"));
    if (type == QLatin1String("constant")) {
        k.m_type = Type::Constant;
        return k;
    }
    if (type == QLatin1String("var_combination")) {
        k.m_type = Type::VarCombination;
        const QStringList unknown = RequestVariables::unknownIn(k.m_key);
        if (RequestVariables::referencedIn(k.m_key).isEmpty())
            errors->append(QStringLiteral("/key: a var_combination names variables with $, e.g. \"$remote_addr $consumer_name\""));
        for (const QString &name : unknown)
            errors->append(QStringLiteral("/key: unknown variable '%1' (known: %2)").arg(name, RequestVariables::knownNames()));
        return k;
    }
    k.m_type = Type::Var;
    if (k.m_key.startsWith(QLatin1Char('$')))
        k.m_key.remove(0, 1);
    if (!RequestVariables::isKnown(k.m_key))
        errors->append(QStringLiteral("/key: unknown variable '%1' (known: %2)").arg(k.m_key, RequestVariables::knownNames()));
    return k;
}

QString LimitKey::resolve(const RequestContext &ctx) const
{
    QString key;
    switch (m_type) {
    case Type::Constant: key = m_key; break;
    case Type::Var: key = RequestVariables::value(ctx, m_key); break;
    case Type::VarCombination: key = RequestVariables::expand(m_key, ctx).trimmed(); break;
    }
    return key.isEmpty() ? ctx.request->remoteAddress : key;
}

QJsonObject LimitKey::schemaProperties()
{
    return QJsonDocument::fromJson(R"json({
        "key_type": {"type": "string", "enum": ["var", "var_combination", "constant"], "default": "var",
                     "description": "var: key names one variable; var_combination: key is a template of $variables; constant: key is used as is"},
        "key": {"type": "string", "minLength": 1, "default": "remote_addr",
                "description": "remote_addr, consumer_name, route_id, http_<header>, arg_<name>, cookie_<name>, ..."}
    })json").object();
}

void RateLimitQuota::addHeaders(RequestContext &ctx) const
{
    ctx.responseHeaders.append({QByteArrayLiteral("x-ratelimit-limit"), QByteArray::number(limit)});
    ctx.responseHeaders.append({QByteArrayLiteral("x-ratelimit-remaining"), QByteArray::number(qMax<qint64>(0, remaining))});
    if (resetSeconds >= 0)
        ctx.responseHeaders.append({QByteArrayLiteral("x-ratelimit-reset"), QByteArray::number(resetSeconds)});
}

LimitRejection LimitRejection::fromConfig(const QJsonObject &config)
{
    LimitRejection r;
    r.code = config.value(QStringLiteral("rejected_code")).toInt(429);
    r.message = config.value(QStringLiteral("rejected_msg")).toString();
    r.quotaHeaders = config.value(QStringLiteral("show_limit_quota_header")).toBool(true);
    return r;
}

ApiResponse LimitRejection::response(const QString &detail, qint64 retryAfterSeconds) const
{
    ApiResponse r = ApiResponse::problem(code, message.isEmpty() ? detail : message, QStringLiteral("rate-limited"));
    if (retryAfterSeconds >= 0)
        r.setHeader(QByteArrayLiteral("retry-after"), QByteArray::number(qMax<qint64>(1, retryAfterSeconds)));
    return r;
}

QJsonObject LimitRejection::schemaProperties()
{
    return QJsonDocument::fromJson(R"json({
        "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 429},
        "rejected_msg": {"type": "string", "minLength": 1, "description": "detail of the problem+json answer"},
        "show_limit_quota_header": {"type": "boolean", "default": true},
        "policy": {"type": "string", "enum": ["local"], "default": "local"},
        "allow_degradation": {"type": "boolean", "default": false, "description": "accepted for APISIX compatibility; local counters never degrade"}
    })json").object();
}

void addLimiterProperties(QJsonObject *schema)
{
    QJsonObject properties = schema->value(QStringLiteral("properties")).toObject();
    for (const QJsonObject &more : {LimitKey::schemaProperties(), LimitRejection::schemaProperties()}) {
        for (auto it = more.begin(); it != more.end(); ++it)
            properties.insert(it.key(), it.value());
    }
    schema->insert(QStringLiteral("properties"), properties);
}

} // namespace Gatehouse
