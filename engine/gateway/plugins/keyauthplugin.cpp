// key-auth: the consumer is whoever owns the key in the `apikey` header (or query parameter).

#include "builtinplugins.h"
#include "gateway/consumerindex.h"
#include "gateway/route.h"
#include "requestvariables.h"

#include <QJsonDocument>

namespace Gatehouse::BuiltinPlugins {

namespace {
// Only an external ("http") upstream gets the query string as the client sent it; the
// engine's own upstreams (query, events, sse, websocket, command, function) check it.
bool forwardsQueryString(const RequestContext &ctx)
{
    return ctx.route && ctx.route->upstream.type == QLatin1String("http");
}

class KeyAuthPlugin final : public Plugin
{
public:
    KeyAuthPlugin(std::shared_ptr<const ConsumerIndex> consumers, QByteArray header, QString query, bool hide)
        : m_consumers(std::move(consumers)), m_header(std::move(header)), m_query(std::move(query)), m_hide(hide) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        // Two keys where the key is taken from: which one counts would be a guess (and a proxy
        // in front may take the other).
        QString key = QString::fromUtf8(ctx.request->header(m_header));
        bool twice = !key.isEmpty() && RequestVariables::headerCount(*ctx.request, m_header) > 1;
        if (key.isEmpty()) {
            key = ctx.request->queryItem(m_query);
            twice = !key.isEmpty() && RequestVariables::queryCount(*ctx.request, m_query) > 1;
        }
        if (twice)
            return PluginVerdict::respond(unauthorized(QStringLiteral("the API key is given more than once")));
        if (key.isEmpty())
            return PluginVerdict::respond(unauthorized(QStringLiteral("Missing API key found in request")));
        const QJsonObject *consumer = m_consumers->byKeyAuth(key);
        if (!consumer)
            return PluginVerdict::respond(unauthorized(QStringLiteral("Invalid API key in request")));
        ctx.consumer = consumer->value(QStringLiteral("username")).toString();
        ctx.consumerObject = *consumer;
        if (m_hide) {
            // Neither the header nor the query parameter reaches the upstream (as APISIX does).
            ctx.request->headers.removeIf([this](const auto &h) { return h.first == m_header; });
            ctx.request->removeQueryItem(m_query);
        } else if (!forwardsQueryString(ctx)) {
            // The engine's own upstreams reject parameters they do not know, and a browser's
            // EventSource can only authenticate in the query string: the key has done its job.
            ctx.request->removeQueryItem(m_query);
        }
        return PluginVerdict::proceed();
    }

private:
    static ApiResponse unauthorized(const QString &detail)
    {
        ApiResponse r = ApiResponse::problem(401, detail, QStringLiteral("unauthorized"));
        r.setHeader(QByteArrayLiteral("www-authenticate"), QByteArrayLiteral("apikey"));
        return r;
    }

    std::shared_ptr<const ConsumerIndex> m_consumers;
    QByteArray m_header;
    QString m_query;
    bool m_hide;
};
} // namespace

PluginDescriptor keyAuth()
{
    PluginDescriptor d;
    d.name = QStringLiteral("key-auth");
    d.priority = 2500;
    d.phase = QStringLiteral("auth");
    d.schema = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "header": {"type": "string", "minLength": 1, "default": "apikey"},
            "query": {"type": "string", "minLength": 1, "default": "apikey"},
            "hide_credentials": {"type": "boolean", "default": false}
        },
        "additionalProperties": false
    })").object();
    d.consumerSchema = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {"key": {"type": "string", "minLength": 1}},
        "required": ["key"],
        "additionalProperties": false
    })").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *) -> std::shared_ptr<Plugin> {
        return std::make_shared<KeyAuthPlugin>(env.consumers,
                                               config.value(QStringLiteral("header")).toString(QStringLiteral("apikey")).toLower().toLatin1(),
                                               config.value(QStringLiteral("query")).toString(QStringLiteral("apikey")),
                                               config.value(QStringLiteral("hide_credentials")).toBool(false));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
