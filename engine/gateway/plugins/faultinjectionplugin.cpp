// fault-injection (APISIX's): delays some requests and answers others itself, to see what
// clients and callers do when a service is slow or failing. `delay` waits `duration` seconds
// and then goes on; `abort` answers `http_status` with `body` instead of the upstream. Each
// applies to `percentage` of the requests (all when absent) and only to requests matching its
// `vars` -- a list of expressions, any of which may match, each a list of route-vars terms
// that must all hold (lua-resty-expr's form without its nested AND/OR). When both apply, the
// delay comes first, then the abort answers. The delay never blocks a thread: the chain goes
// on from a timer (PluginVerdict::Delay).

#include "builtinplugins.h"
#include "gateway/resourceschematext.h"
#include "gateway/routevars.h"
#include "requestvariables.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace Gatehouse::BuiltinPlugins {

namespace {

constexpr int kMaxExpressions = 20;
constexpr double kMaxDelaySeconds = 3600;

// One half of the configuration (abort or delay): who it applies to.
class Selector
{
public:
    // `pointer`: "/abort" or "/delay", for the errors.
    static Selector fromConfig(const QJsonObject &config, const QString &pointer, QStringList *errors)
    {
        Selector s;
        s.m_percentage = config.contains(QStringLiteral("percentage")) ? std::optional<int>(config.value(QStringLiteral("percentage")).toInt())
                                                                       : std::nullopt;
        s.m_hasVars = config.contains(QStringLiteral("vars"));
        const QJsonArray vars = config.value(QStringLiteral("vars")).toArray();
        for (qsizetype i = 0; i < vars.size(); ++i) {
            QStringList termErrors;
            s.m_expressions.push_back(RouteVars::compile(vars.at(i).toArray(), &termErrors));
            // RouteVars names its terms "/vars/<n>"; here they sit one level deeper.
            const QString prefix = QStringLiteral("%1/vars/%2/").arg(pointer).arg(i);
            for (const QString &e : std::as_const(termErrors))
                errors->append(e.startsWith(QLatin1String("/vars/")) ? prefix + e.mid(6) : prefix + e);
        }
        return s;
    }

    bool applies(const ApiRequest &request) const
    {
        // APISIX: vars first (any expression), then the dice: math.random(1, 100) <= percentage.
        if (m_hasVars) {
            bool any = false;
            for (const RouteVars &expression : m_expressions) {
                if (expression.matches(request)) {
                    any = true;
                    break;
                }
            }
            if (!any)
                return false;
        }
        return !m_percentage || int(QRandomGenerator::global()->bounded(1, 101)) <= *m_percentage;
    }

private:
    std::optional<int> m_percentage;
    bool m_hasVars = false;
    std::vector<RouteVars> m_expressions;
};

struct Abort
{
    Selector selector;
    int status = 500;
    std::optional<QString> body;
    QList<std::pair<QByteArray, QString>> headers;
};

struct Delay
{
    Selector selector;
    int delayMs = 0;
};

class FaultInjectionPlugin final : public Plugin
{
public:
    FaultInjectionPlugin(std::optional<Abort> abort, std::optional<Delay> delay)
        : m_abort(std::move(abort)), m_delay(std::move(delay)) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        // Both are decided now, as APISIX decides them in one rewrite phase.
        const bool delay = m_delay && m_delay->delayMs > 0 && m_delay->selector.applies(*ctx.request);
        const bool abort = m_abort && m_abort->selector.applies(*ctx.request);
        if (abort) {
            ApiResponse r = answer(ctx);
            return delay ? PluginVerdict::delayThenRespond(m_delay->delayMs, std::move(r)) : PluginVerdict::respond(std::move(r));
        }
        return delay ? PluginVerdict::delay(m_delay->delayMs) : PluginVerdict::proceed();
    }

private:
    ApiResponse answer(const RequestContext &ctx) const
    {
        ApiResponse r;
        if (m_abort->body) {
            r = ApiResponse::json(m_abort->status, RequestVariables::expand(*m_abort->body, ctx).toUtf8(),
                                  QByteArrayLiteral("text/plain; charset=utf-8"));
        } else if (m_abort->status >= 400) {
            r = ApiResponse::problem(m_abort->status, QStringLiteral("answered by the route's fault-injection plugin"),
                                     QStringLiteral("fault-injected"));
        } else {
            r.status = m_abort->status;
        }
        for (const auto &[name, value] : m_abort->headers)
            r.setHeader(name, RequestVariables::expand(value, ctx).toUtf8());
        return r;
    }

    std::optional<Abort> m_abort;
    std::optional<Delay> m_delay;
};

void checkVariables(const QString &text, const QString &pointer, QStringList *errors)
{
    for (const QString &name : RequestVariables::unknownIn(text))
        errors->append(pointer + QStringLiteral(": unknown variable '%1' (known: %2)").arg(name, RequestVariables::knownNames()));
}

QJsonObject varsSchema()
{
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("array")},
        {QStringLiteral("maxItems"), kMaxExpressions},
        {QStringLiteral("description"),
         QStringLiteral("expressions, any of which may match; each is a list of [variable, operator, value] terms that must all hold "
                        "(as a route's vars; nested AND/OR are not supported)")},
        {QStringLiteral("items"), QJsonObject{{QStringLiteral("type"), QStringLiteral("array")},
                                              {QStringLiteral("minItems"), 1},
                                              {QStringLiteral("maxItems"), kMaxExpressions},
                                              {QStringLiteral("items"), ResourceSchemaText::fragments().value(QStringLiteral("var_term"))}}},
    };
}

} // namespace

PluginDescriptor faultInjection()
{
    PluginDescriptor d;
    d.name = QStringLiteral("fault-injection");
    d.priority = 11000;
    d.phase = QStringLiteral("traffic");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "abort": {"type": "object", "description": "answer instead of the upstream",
                "properties": {
                    "http_status": {"type": "integer", "minimum": 200, "maximum": 599},
                    "body": {"type": "string", "maxLength": 65536, "description": "sent as text/plain; $variables are replaced; without it a problem+json (>= 400) or nothing"},
                    "headers": {"type": "object", "maxProperties": 32,
                                "propertyNames": {"pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$", "errorMessage": "must be a header name"},
                                "additionalProperties": {"type": ["string", "number"], "pattern": "^[^\\r\\n\\x00]*$"},
                                "description": "added to the answer; $variables are replaced"},
                    "percentage": {"type": "integer", "minimum": 0, "maximum": 100, "description": "share of the requests, in percent; absent: all"},
                    "vars": {"type": "array"}
                },
                "required": ["http_status"], "additionalProperties": false},
            "delay": {"type": "object", "description": "wait before the request goes on",
                "properties": {
                    "duration": {"type": "number", "minimum": 0, "maximum": 3600, "description": "seconds"},
                    "percentage": {"type": "integer", "minimum": 0, "maximum": 100, "description": "share of the requests, in percent; absent: all"},
                    "vars": {"type": "array"}
                },
                "required": ["duration"], "additionalProperties": false}
        },
        "minProperties": 1,
        "additionalProperties": false
    })json").object();
    // The same terms as a route's vars, one level deeper.
    for (const char *half : {"abort", "delay"}) {
        QJsonObject part = d.schema.value(QStringLiteral("properties")).toObject().value(QLatin1String(half)).toObject();
        QJsonObject props = part.value(QStringLiteral("properties")).toObject();
        props.insert(QStringLiteral("vars"), varsSchema());
        part.insert(QStringLiteral("properties"), props);
        QJsonObject all = d.schema.value(QStringLiteral("properties")).toObject();
        all.insert(QLatin1String(half), part);
        d.schema.insert(QStringLiteral("properties"), all);
    }
    d.create = [](const QJsonObject &config, const PluginEnvironment &, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        std::optional<Abort> abort;
        std::optional<Delay> delay;
        if (config.contains(QStringLiteral("abort"))) {
            const QJsonObject a = config.value(QStringLiteral("abort")).toObject();
            abort = Abort{Selector::fromConfig(a, QStringLiteral("/abort"), errors), a.value(QStringLiteral("http_status")).toInt(500), {}, {}};
            if (a.contains(QStringLiteral("body"))) {
                abort->body = a.value(QStringLiteral("body")).toString();
                checkVariables(*abort->body, QStringLiteral("/abort/body"), errors);
            }
            const QJsonObject headers = a.value(QStringLiteral("headers")).toObject();
            for (auto it = headers.begin(); it != headers.end(); ++it) {
                const QString value = it.value().isDouble() ? QString::number(it.value().toDouble(), 'g', 17) : it.value().toString();
                checkVariables(value, QStringLiteral("/abort/headers/") + it.key(), errors);
                abort->headers.append({it.key().toLower().toLatin1(), value});
            }
        }
        if (config.contains(QStringLiteral("delay"))) {
            const QJsonObject dl = config.value(QStringLiteral("delay")).toObject();
            const double seconds = std::clamp(dl.value(QStringLiteral("duration")).toDouble(), 0.0, kMaxDelaySeconds);
            delay = Delay{Selector::fromConfig(dl, QStringLiteral("/delay"), errors), int(std::llround(seconds * 1000.0))};
        }
        if (!abort && !delay)
            errors->append(QStringLiteral("needs abort or delay (or both)"));
        if (errors->size() != before)
            return nullptr;
        return std::make_shared<FaultInjectionPlugin>(std::move(abort), std::move(delay));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
