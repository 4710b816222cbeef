// limit-conn: at most `conn` requests of one key in flight; up to `burst` more wait
// (default_conn_delay, times how far over the limit they are unless only_use_default_delay)
// and then go ahead; beyond that they are rejected. A request stops counting when its
// answer passes back through the plugin.

#include "builtinplugins.h"
#include "gateway/pluginstate.h"
#include "limitkey.h"

#include <QHash>
#include <QJsonDocument>
#include <QMutex>

#include <cmath>

namespace Gatehouse::BuiltinPlugins {

namespace {
// Requests in flight per key; shared by the plugin instances of one configuration.
class ConnectionCount final
{
public:
    qint64 enter(const QString &key)
    {
        QMutexLocker lock(&m_mutex);
        return ++m_inFlight[key];
    }
    void leave(const QString &key)
    {
        QMutexLocker lock(&m_mutex);
        const auto it = m_inFlight.find(key);
        if (it != m_inFlight.end() && --*it <= 0)
            m_inFlight.erase(it);
    }

private:
    QMutex m_mutex;
    QHash<QString, qint64> m_inFlight;
};

class LimitConnPlugin final : public Plugin
{
public:
    LimitConnPlugin(std::shared_ptr<ConnectionCount> count, LimitKey key, LimitRejection rejection, qint64 conn, qint64 burst,
                    double delaySec, bool onlyDefaultDelay)
        : m_count(std::move(count)), m_key(std::move(key)), m_rejection(std::move(rejection))
        , m_conn(conn), m_burst(burst), m_delaySec(delaySec), m_onlyDefaultDelay(onlyDefaultDelay) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        const QString key = m_key.resolve(ctx);
        const qint64 inFlight = m_count->enter(key);
        if (m_rejection.quotaHeaders)
            RateLimitQuota{m_conn, m_conn - inFlight, -1}.addHeaders(ctx);
        if (inFlight > m_conn + m_burst) {
            m_count->leave(key);
            return PluginVerdict::respond(m_rejection.response(
                QStringLiteral("too many requests in flight: %1 allowed, %2 more may wait").arg(m_conn).arg(m_burst),
                qint64(std::ceil(m_delaySec))));
        }
        {
            QMutexLocker lock(&m_mutex);
            m_keys.insert(&ctx, key);
        }
        if (inFlight <= m_conn)
            return PluginVerdict::proceed();
        const double delay = m_onlyDefaultDelay ? m_delaySec : m_delaySec * double(inFlight - m_conn);
        return PluginVerdict::delay(int(std::lround(delay * 1000.0)));
    }

    void response(RequestContext &ctx, ApiResponse &) override
    {
        QString key;
        {
            QMutexLocker lock(&m_mutex);
            key = m_keys.take(&ctx);
        }
        m_count->leave(key);
    }

private:
    std::shared_ptr<ConnectionCount> m_count;
    LimitKey m_key;
    LimitRejection m_rejection;
    qint64 m_conn;
    qint64 m_burst;
    double m_delaySec;
    bool m_onlyDefaultDelay;
    QMutex m_mutex;
    QHash<const RequestContext *, QString> m_keys;   // the key each request in flight counted against
};
} // namespace

PluginDescriptor limitConn()
{
    PluginDescriptor d;
    d.name = QStringLiteral("limit-conn");
    d.priority = 1003;
    d.phase = QStringLiteral("traffic");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "conn": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1000000, "description": "requests in flight allowed per key"},
            "burst": {"type": "integer", "minimum": 0, "maximum": 1000000, "description": "requests beyond conn that wait instead of being rejected"},
            "default_conn_delay": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600, "description": "seconds an excess request waits"},
            "only_use_default_delay": {"type": "boolean", "default": false,
                                       "description": "wait default_conn_delay, not default_conn_delay times the excess"}
        },
        "required": ["conn", "burst", "default_conn_delay"],
        "additionalProperties": false
    })json").object();
    addLimiterProperties(&d.schema);
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        LimitKey key = LimitKey::fromConfig(config, errors);
        if (errors->size() != before)
            return nullptr;
        return std::make_shared<LimitConnPlugin>(env.state->get<ConnectionCount>(env.scope), std::move(key), LimitRejection::fromConfig(config),
                                                 config.value(QStringLiteral("conn")).toInteger(),
                                                 config.value(QStringLiteral("burst")).toInteger(),
                                                 config.value(QStringLiteral("default_conn_delay")).toDouble(),
                                                 config.value(QStringLiteral("only_use_default_delay")).toBool(false));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
