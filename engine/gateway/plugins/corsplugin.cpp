// cors: answers CORS preflight requests itself and adds the Access-Control-* headers to the
// answers for allowed origins; other origins get no CORS headers at all.

#include "builtinplugins.h"
#include "config/ecmaregex.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace Gatehouse::BuiltinPlugins {

namespace {
const QByteArray kAllMethods = QByteArrayLiteral("GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS,CONNECT,TRACE");

struct CorsPolicy
{
    QString origins;                   // "*", "**" or a comma list
    QStringList originList;            // lower case
    QList<QRegularExpression> originPatterns;
    QByteArray methods;
    QByteArray headers;
    QByteArray exposeHeaders;          // empty: not sent
    int maxAge = 5;
    bool credentials = false;
};

class CorsPlugin final : public Plugin
{
public:
    explicit CorsPlugin(CorsPolicy policy) : m_policy(std::move(policy)) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        const QByteArray origin = ctx.request->header("origin");
        const bool preflight = ctx.request->method == "OPTIONS" && !origin.isEmpty() && ctx.request->hasHeader("access-control-request-method");
        if (!preflight)
            return PluginVerdict::proceed();
        ApiResponse r;
        r.status = 204;
        if (allows(origin)) {
            addOriginHeaders(r, origin);
            r.setHeader(QByteArrayLiteral("access-control-allow-methods"),
                        m_policy.methods == "*" || m_policy.methods == "**" ? kAllMethods : m_policy.methods);
            const QByteArray requested = ctx.request->header("access-control-request-headers");
            const QByteArray headers = m_policy.headers == "**" ? requested : m_policy.headers;
            if (!headers.isEmpty())
                r.setHeader(QByteArrayLiteral("access-control-allow-headers"), headers);
            r.setHeader(QByteArrayLiteral("access-control-max-age"), QByteArray::number(m_policy.maxAge));
        }
        return PluginVerdict::respond(std::move(r));
    }

    void response(RequestContext &ctx, ApiResponse &response) override
    {
        const QByteArray origin = ctx.request->header("origin");
        if (origin.isEmpty() || !allows(origin) || response.header("access-control-allow-origin").size())
            return;
        addOriginHeaders(response, origin);
        if (!m_policy.exposeHeaders.isEmpty())
            response.setHeader(QByteArrayLiteral("access-control-expose-headers"), m_policy.exposeHeaders);
    }

private:
    bool allows(const QByteArray &origin) const
    {
        if (m_policy.origins == QLatin1String("*") || m_policy.origins == QLatin1String("**"))
            return true;
        const QString o = QString::fromLatin1(origin).toLower();
        if (m_policy.originList.contains(o))
            return true;
        return std::any_of(m_policy.originPatterns.cbegin(), m_policy.originPatterns.cend(),
                           [&](const QRegularExpression &re) { return re.match(QString::fromLatin1(origin)).hasMatch(); });
    }

    void addOriginHeaders(ApiResponse &r, const QByteArray &origin) const
    {
        const bool anyOrigin = m_policy.origins == QLatin1String("*") && m_policy.originPatterns.isEmpty();
        r.setHeader(QByteArrayLiteral("access-control-allow-origin"), anyOrigin ? QByteArrayLiteral("*") : origin);
        if (!anyOrigin) {
            const QByteArray vary = r.header("vary");
            r.setHeader(QByteArrayLiteral("vary"), vary.isEmpty() ? QByteArrayLiteral("Origin") : vary + ", Origin");
        }
        if (m_policy.credentials)
            r.setHeader(QByteArrayLiteral("access-control-allow-credentials"), QByteArrayLiteral("true"));
    }

    CorsPolicy m_policy;
};
} // namespace

PluginDescriptor cors()
{
    PluginDescriptor d;
    d.name = QStringLiteral("cors");
    d.priority = 4000;
    d.phase = QStringLiteral("transform");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "allow_origins": {"type": "string", "minLength": 1, "pattern": "^[^\\r\\n\\x00]+$", "default": "*",
                              "description": "* (any), ** (any, even with credentials) or a comma list of scheme://host:port"},
            "allow_origins_by_regex": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                                       "description": "origins matching any of these regular expressions are allowed too"},
            "allow_methods": {"type": "string", "minLength": 1, "pattern": "^[^\\r\\n\\x00]+$", "default": "*", "description": "* / ** (all) or a comma list"},
            "allow_headers": {"type": "string", "minLength": 1, "pattern": "^[^\\r\\n\\x00]+$", "default": "*",
                              "description": "*, ** (echo the requested ones) or a comma list"},
            "expose_headers": {"type": "string", "minLength": 1, "pattern": "^[^\\r\\n\\x00]+$", "description": "comma list; not sent when absent"},
            "max_age": {"type": "integer", "minimum": -1, "maximum": 86400, "default": 5, "description": "seconds a browser may cache a preflight answer"},
            "allow_credential": {"type": "boolean", "default": false}
        },
        "additionalProperties": false
    })json").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        CorsPolicy p;
        p.origins = config.value(QStringLiteral("allow_origins")).toString(QStringLiteral("*"));
        p.methods = config.value(QStringLiteral("allow_methods")).toString(QStringLiteral("*")).toLatin1();
        p.headers = config.value(QStringLiteral("allow_headers")).toString(QStringLiteral("*")).toLatin1();
        p.exposeHeaders = config.value(QStringLiteral("expose_headers")).toString().toLatin1();
        p.maxAge = config.value(QStringLiteral("max_age")).toInt(5);
        p.credentials = config.value(QStringLiteral("allow_credential")).toBool(false);
        for (const QString &o : p.origins.split(QLatin1Char(','), Qt::SkipEmptyParts))
            p.originList.append(o.trimmed().toLower());
        const QJsonArray patterns = config.value(QStringLiteral("allow_origins_by_regex")).toArray();
        for (qsizetype i = 0; i < patterns.size(); ++i) {
            QRegularExpression re(EcmaRegex::withMatchLimit(patterns.at(i).toString()));
            if (!re.isValid())
                errors->append(QStringLiteral("/allow_origins_by_regex/%1: invalid regular expression: %2").arg(i).arg(re.errorString()));
            p.originPatterns.append(re);
        }
        if (p.credentials) {
            // Browsers refuse "*" on credentialed requests; APISIX insists on "**" to force it.
            const std::pair<const char *, QString> wildcards[] = {
                {"allow_origins", p.origins}, {"allow_methods", QString::fromLatin1(p.methods)},
                {"allow_headers", QString::fromLatin1(p.headers)}, {"expose_headers", QString::fromLatin1(p.exposeHeaders)}};
            for (const auto &[field, value] : wildcards) {
                if (value == QLatin1String("*"))
                    errors->append(QStringLiteral("/%1: '*' is not allowed with allow_credential; list the values or use '**'").arg(QLatin1String(field)));
            }
        }
        if (errors->size() != before)
            return nullptr;
        return std::make_shared<CorsPlugin>(std::move(p));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
