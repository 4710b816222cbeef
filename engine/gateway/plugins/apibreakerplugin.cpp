// api-breaker: stops sending a route's requests upstream while the upstream keeps failing
// (unhealthy.failures answers in a row, or an error ratio over a window), answers for it with
// break_response_*, and lets single probes through after a window that doubles on each
// re-open, from min_breaker_sec up to max_breaker_sec.

#include "base/steadyclock.h"
#include "builtinplugins.h"
#include "circuitbreaker.h"
#include "gateway/pluginstate.h"
#include "requestvariables.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <optional>

namespace Gatehouse::BuiltinPlugins {

namespace {
class ApiBreakerPlugin final : public Plugin
{
public:
    ApiBreakerPlugin(std::shared_ptr<CircuitBreaker> breaker, BreakerSettings settings, int code, std::optional<QByteArray> body,
                     QList<std::pair<QByteArray, QString>> headers)
        : m_breaker(std::move(breaker)), m_settings(std::move(settings)), m_code(code), m_body(std::move(body)), m_headers(std::move(headers)) {}
    ~ApiBreakerPlugin() override { BreakerDirectory::remove(this); }

    PluginVerdict access(RequestContext &ctx) override
    {
        const CircuitBreaker::Admission a = m_breaker->admit(&ctx, steadyNowMs());
        if (a.allowed)
            return PluginVerdict::proceed();
        ApiResponse r;
        if (m_body) {
            r = ApiResponse::json(m_code, *m_body, QByteArrayLiteral("text/plain; charset=utf-8"));
        } else {
            r = ApiResponse::problem(m_code, QStringLiteral("the upstream keeps failing; requests are held back for a while"),
                                     QStringLiteral("circuit-open"));
        }
        r.setHeader(QByteArrayLiteral("retry-after"), QByteArray::number(qMax<qint64>(1, (a.retryAfterMs + 999) / 1000)));
        for (const auto &[name, value] : std::as_const(m_headers))
            r.setHeader(name, RequestVariables::expand(value, ctx).toUtf8());
        return PluginVerdict::respond(std::move(r));
    }

    void response(RequestContext &ctx, ApiResponse &response) override
    {
        m_breaker->record(m_settings, &ctx, response.status, steadyNowMs());
    }

private:
    std::shared_ptr<CircuitBreaker> m_breaker;
    BreakerSettings m_settings;
    int m_code;
    std::optional<QByteArray> m_body;
    QList<std::pair<QByteArray, QString>> m_headers;
};

QList<int> statuses(const QJsonValue &value, const QList<int> &fallback)
{
    if (!value.isArray())
        return fallback;
    QList<int> out;
    for (const QJsonValue &v : value.toArray())
        out.append(v.toInt());
    return out;
}
} // namespace

PluginDescriptor apiBreaker()
{
    PluginDescriptor d;
    d.name = QStringLiteral("api-breaker");
    d.priority = 1005;
    d.phase = QStringLiteral("traffic");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "break_response_code": {"type": "integer", "minimum": 200, "maximum": 599},
            "break_response_body": {"type": "string", "description": "sent as is; without it the answer is a problem+json"},
            "break_response_headers": {"type": "array", "items": {
                "type": "object",
                "properties": {"key": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$"},
                               "value": {"type": "string", "minLength": 1, "pattern": "^[^\\r\\n\\x00]+$"}},
                "required": ["key", "value"], "additionalProperties": false}},
            "max_breaker_sec": {"type": "integer", "minimum": 3, "maximum": 86400, "default": 300},
            "min_breaker_sec": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400, "default": 2,
                                "description": "the first open window; doubled on every re-open up to max_breaker_sec"},
            "policy": {"type": "string", "enum": ["consecutive", "error_ratio"], "default": "consecutive"},
            "unhealthy": {"type": "object", "properties": {
                "http_statuses": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 500, "maximum": 599}, "default": [500]},
                "failures": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 3}}, "additionalProperties": false},
            "healthy": {"type": "object", "properties": {
                "http_statuses": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 200, "maximum": 499}, "default": [200]},
                "successes": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 3}}, "additionalProperties": false},
            "error_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5,
                            "description": "error_ratio policy: share of unhealthy answers that opens the breaker"},
            "min_requests": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 10, "description": "error_ratio policy: answers needed before judging"},
            "window_sec": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 10, "description": "error_ratio policy: sliding window"}
        },
        "required": ["break_response_code"],
        "additionalProperties": false
    })json").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        BreakerSettings s;
        const QJsonObject unhealthy = config.value(QStringLiteral("unhealthy")).toObject();
        const QJsonObject healthy = config.value(QStringLiteral("healthy")).toObject();
        s.policy = config.value(QStringLiteral("policy")).toString() == QLatin1String("error_ratio") ? BreakerSettings::Policy::ErrorRatio
                                                                                                     : BreakerSettings::Policy::Consecutive;
        s.unhealthyStatuses = statuses(unhealthy.value(QStringLiteral("http_statuses")), s.unhealthyStatuses);
        s.failures = unhealthy.value(QStringLiteral("failures")).toInt(s.failures);
        s.healthyStatuses = statuses(healthy.value(QStringLiteral("http_statuses")), s.healthyStatuses);
        s.successes = healthy.value(QStringLiteral("successes")).toInt(s.successes);
        s.errorRatio = config.value(QStringLiteral("error_ratio")).toDouble(s.errorRatio);
        s.minRequests = config.value(QStringLiteral("min_requests")).toInt(s.minRequests);
        s.windowSec = config.value(QStringLiteral("window_sec")).toInt(s.windowSec);
        s.minBreakerSec = config.value(QStringLiteral("min_breaker_sec")).toDouble(s.minBreakerSec);
        s.maxBreakerSec = config.value(QStringLiteral("max_breaker_sec")).toDouble(s.maxBreakerSec);
        if (s.minBreakerSec > s.maxBreakerSec)
            errors->append(QStringLiteral("/min_breaker_sec: must not exceed max_breaker_sec (%1)").arg(s.maxBreakerSec));
        std::optional<QByteArray> body;
        if (config.contains(QStringLiteral("break_response_body")))
            body = config.value(QStringLiteral("break_response_body")).toString().toUtf8();
        QList<std::pair<QByteArray, QString>> headers;
        const QJsonArray headerList = config.value(QStringLiteral("break_response_headers")).toArray();
        for (qsizetype i = 0; i < headerList.size(); ++i) {
            const QJsonObject h = headerList.at(i).toObject();
            const QString value = h.value(QStringLiteral("value")).toString();
            for (const QString &name : RequestVariables::unknownIn(value))
                errors->append(QStringLiteral("/break_response_headers/%1/value: unknown variable '%2'").arg(i).arg(name));
            headers.append({h.value(QStringLiteral("key")).toString().toLower().toLatin1(), value});
        }
        if (!headers.isEmpty() && !body)
            errors->append(QStringLiteral("/break_response_headers: needs break_response_body (as in APISIX)"));
        if (errors->size() != before)
            return nullptr;
        auto breaker = env.state->get<CircuitBreaker>(env.scope);
        auto plugin = std::make_shared<ApiBreakerPlugin>(breaker, std::move(s), config.value(QStringLiteral("break_response_code")).toInt(),
                                                         std::move(body), std::move(headers));
        const QString scope = env.scope.left(env.scope.lastIndexOf(QStringLiteral("/api-breaker/")));
        BreakerDirectory::add(plugin.get(), scope, breaker, env.state.get());
        return plugin;
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
