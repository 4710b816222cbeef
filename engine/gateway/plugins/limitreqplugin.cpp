// limit-req: a leaky bucket per key. Requests beyond `rate` per second wait in line (up to
// `burst` of them) so the upstream sees the rate; with `nodelay` they pass at once; beyond the
// burst they are rejected.

#include "base/steadyclock.h"
#include "builtinplugins.h"
#include "gateway/pluginstate.h"
#include "leakybucket.h"
#include "limitkey.h"

#include <QJsonDocument>

#include <cmath>
#include <limits>

namespace Gatehouse::BuiltinPlugins {

namespace {
class LimitReqPlugin final : public Plugin
{
public:
    LimitReqPlugin(std::shared_ptr<LeakyBucket> bucket, LimitKey key, LimitRejection rejection, double rate, double burst, bool nodelay)
        : m_bucket(std::move(bucket)), m_key(std::move(key)), m_rejection(std::move(rejection))
        , m_rate(rate), m_burst(burst), m_nodelay(nodelay) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        const LeakyBucket::Result r = m_bucket->take(m_key.resolve(ctx), steadyNowMs(), m_rate, m_burst);
        if (m_rejection.quotaHeaders) {
            // Limit: the rate; Remaining: room left in the burst queue; Reset: until the queue has drained.
            const double queued = r.allowed ? r.excess : std::max(0.0, r.excess - 1.0);
            RateLimitQuota{qint64(std::ceil(m_rate)), qint64(std::floor(m_burst - queued + 1e-9)),
                           qint64(std::ceil(queued / m_rate - 1e-9))}.addHeaders(ctx);
        }
        if (!r.allowed) {
            return PluginVerdict::respond(m_rejection.response(
                QStringLiteral("request rate exceeded: %1 per second with a burst of %2").arg(m_rate).arg(m_burst),
                (r.retryAfterMs + 999) / 1000));
        }
        if (m_nodelay || r.delayMs < 1)
            return PluginVerdict::proceed();
        return PluginVerdict::delay(int(std::min<qint64>(r.delayMs, std::numeric_limits<int>::max())));
    }

private:
    std::shared_ptr<LeakyBucket> m_bucket;
    LimitKey m_key;
    LimitRejection m_rejection;
    double m_rate;
    double m_burst;
    bool m_nodelay;
};
} // namespace

PluginDescriptor limitReq()
{
    PluginDescriptor d;
    d.name = QStringLiteral("limit-req");
    d.priority = 1001;
    d.phase = QStringLiteral("traffic");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000, "description": "requests per second"},
            "burst": {"type": "number", "minimum": 0, "maximum": 1000000, "description": "requests beyond the rate that wait (or pass with nodelay) instead of being rejected"},
            "nodelay": {"type": "boolean", "default": false}
        },
        "required": ["rate", "burst"],
        "additionalProperties": false
    })json").object();
    addLimiterProperties(&d.schema);
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        LimitKey key = LimitKey::fromConfig(config, errors);
        if (errors->size() != before)
            return nullptr;
        return std::make_shared<LimitReqPlugin>(env.state->get<LeakyBucket>(env.scope), std::move(key), LimitRejection::fromConfig(config),
                                                config.value(QStringLiteral("rate")).toDouble(),
                                                config.value(QStringLiteral("burst")).toDouble(),
                                                config.value(QStringLiteral("nodelay")).toBool(false));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
