// limit-count: at most `count` requests per `time_window` seconds per key, in fixed or
// sliding windows. Every answer carries the quota; a rejection also says when to retry.
// policy "local" counts per engine; "cluster" counts in the database every engine shares
// (SharedCounters), and when that cannot answer, refuses with 503 unless allow_degradation
// lets the engine count alone for a while. An engine that is alone (SQLite) has no shared
// counters: its own are the cluster's.

#include "base/steadyclock.h"
#include "builtinplugins.h"
#include "gateway/pluginstate.h"
#include "limitkey.h"
#include "windowcounter.h"

#include <QJsonDocument>

namespace Gatehouse::BuiltinPlugins {

namespace {
qint64 ceilSeconds(qint64 ms)
{
    return (ms + 999) / 1000;
}

class LimitCountPlugin final : public Plugin
{
public:
    LimitCountPlugin(std::shared_ptr<WindowCounter> counter, LimitKey key, LimitRejection rejection, qint64 count,
                     qint64 windowSec, WindowCounter::Mode mode)
        : m_counter(std::move(counter)), m_key(std::move(key)), m_rejection(std::move(rejection))
        , m_count(count), m_windowSec(windowSec), m_mode(mode) {}

    // policy "cluster": `shared` counts, under `sharedKey` + the request's key.
    void shareWith(std::shared_ptr<SharedCounters> shared, QString sharedKey, bool allowDegradation)
    {
        m_shared = std::move(shared);
        m_sharedKey = std::move(sharedKey);
        m_allowDegradation = allowDegradation;
    }

    PluginVerdict access(RequestContext &ctx) override
    {
        const QString key = m_key.resolve(ctx);
        const qint64 windowMs = m_windowSec * 1000;
        WindowCounter::Result r;
        std::optional<SharedCounters::Window> w;
        if (m_shared)
            w = m_shared->take(m_sharedKey + key, m_count, windowMs, m_mode == WindowCounter::Mode::Sliding);
        if (w) {
            r = WindowCounter::answer(w->start, w->current, w->previous, w->now, w->allowed, m_count, windowMs, m_mode);
        } else if (m_shared && !m_allowDegradation) {
            return PluginVerdict::respond(ApiResponse::problem(
                503, QStringLiteral("the cluster's rate-limit counters cannot be reached; try again shortly"),
                QStringLiteral("rate-limit-unavailable")));
        } else {
            r = m_counter->take(key, steadyNowMs(), m_count, windowMs, m_mode);
        }
        if (m_rejection.quotaHeaders)
            RateLimitQuota{m_count, r.remaining, ceilSeconds(r.resetMs)}.addHeaders(ctx);
        if (r.allowed)
            return PluginVerdict::proceed();
        return PluginVerdict::respond(m_rejection.response(
            QStringLiteral("rate limit exceeded: %1 requests per %2 s").arg(m_count).arg(m_windowSec), ceilSeconds(r.retryAfterMs)));
    }

private:
    std::shared_ptr<WindowCounter> m_counter;
    LimitKey m_key;
    LimitRejection m_rejection;
    qint64 m_count;
    qint64 m_windowSec;
    WindowCounter::Mode m_mode;
    std::shared_ptr<SharedCounters> m_shared;
    QString m_sharedKey;
    bool m_allowDegradation = false;
};
} // namespace

PluginDescriptor limitCount()
{
    PluginDescriptor d;
    d.name = QStringLiteral("limit-count");
    d.priority = 1002;
    d.phase = QStringLiteral("traffic");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "count": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1000000000, "description": "requests allowed per time_window"},
            "time_window": {"type": "integer", "exclusiveMinimum": 0, "maximum": 31536000, "description": "seconds (at most a year)"},
            "window_type": {"type": "string", "enum": ["fixed", "sliding"], "default": "fixed",
                            "description": "sliding adds the previous window's count, weighted by its overlap"},
            "window": {"type": "string", "enum": ["fixed", "sliding"], "description": "alias of window_type"},
            "group": {"type": "string", "minLength": 1, "description": "routes with the same group share one counter"}
        },
        "required": ["count", "time_window"],
        "additionalProperties": false
    })json").object();
    addLimiterProperties(&d.schema);
    // Of the limiters, only limit-count shares its counters between engines (limit-req and
    // limit-conn keep the common "local" only).
    QJsonObject properties = d.schema.value(QStringLiteral("properties")).toObject();
    properties.insert(QStringLiteral("policy"), QJsonDocument::fromJson(R"json({
        "type": "string", "enum": ["local", "cluster"], "default": "local",
        "description": "local: each engine counts alone; cluster: every engine on the database shares the counters"
    })json").object());
    properties.insert(QStringLiteral("allow_degradation"), QJsonDocument::fromJson(R"json({
        "type": "boolean", "default": false,
        "description": "cluster: when the shared counters cannot be reached, count on this engine instead of answering 503"
    })json").object());
    d.schema.insert(QStringLiteral("properties"), properties);
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        LimitKey key = LimitKey::fromConfig(config, errors);
        const QString windowType = config.value(QStringLiteral("window_type")).toString();
        const QString window = config.value(QStringLiteral("window")).toString();
        if (!windowType.isEmpty() && !window.isEmpty() && windowType != window)
            errors->append(QStringLiteral("/window: contradicts window_type (window is an alias of window_type)"));
        const QString type = windowType.isEmpty() ? window : windowType;
        const qint64 count = config.value(QStringLiteral("count")).toInteger();
        const qint64 windowSec = config.value(QStringLiteral("time_window")).toInteger();
        if (errors->size() != before)
            return nullptr;
        // A group shares its counter between routes, so it must not depend on the route's scope;
        // APISIX requires the same count and time_window throughout a group, so key by those too.
        const QString stateKey = config.contains(QStringLiteral("group"))
            ? QStringLiteral("limit-count-group/%1/%2/%3/%4").arg(config.value(QStringLiteral("group")).toString(), QString::number(count),
                                                                  QString::number(windowSec), type)
            : env.scope;
        auto plugin = std::make_shared<LimitCountPlugin>(env.state->get<WindowCounter>(stateKey), std::move(key),
                                                         LimitRejection::fromConfig(config), count, windowSec,
                                                         type == QLatin1String("sliding") ? WindowCounter::Mode::Sliding : WindowCounter::Mode::Fixed);
        if (config.value(QStringLiteral("policy")).toString() == QLatin1String("cluster")) {
            if (std::shared_ptr<SharedCounters> shared = env.state->sharedCounters()) {
                // Every engine builds the same state key (scope and configuration digest, or the
                // group) from the same configuration, so they all count under the same name.
                plugin->shareWith(std::move(shared), stateKey + QLatin1Char('/'),
                                  config.value(QStringLiteral("allow_degradation")).toBool());
            }
        }
        return plugin;
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
