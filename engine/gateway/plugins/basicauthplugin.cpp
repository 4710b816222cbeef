// basic-auth: the consumer is whoever owns the user name in `Authorization: Basic`, when the
// password matches.

#include "base/constanttime.h"
#include "builtinplugins.h"
#include "gateway/consumerindex.h"

#include <QJsonDocument>

namespace Gatehouse::BuiltinPlugins {

namespace {
class BasicAuthPlugin final : public Plugin
{
public:
    BasicAuthPlugin(std::shared_ptr<const ConsumerIndex> consumers, bool hide, const QString &realm)
        : m_consumers(std::move(consumers)), m_hide(hide)
        , m_challenge("Basic realm=\"" + realm.toLatin1() + "\"") {}

    PluginVerdict access(RequestContext &ctx) override
    {
        const QByteArray header = ctx.request->header("authorization").trimmed();
        if (header.isEmpty())
            return PluginVerdict::respond(unauthorized(QStringLiteral("Missing authorization in request")));
        const auto space = header.indexOf(' ');
        if (space < 0 || header.left(space).toLower() != "basic")
            return PluginVerdict::respond(unauthorized(QStringLiteral("Invalid authorization in request: expected Basic credentials")));
        const auto decoded = QByteArray::fromBase64Encoding(header.mid(space + 1).trimmed(), QByteArray::AbortOnBase64DecodingErrors);
        const auto colon = decoded.decoded.indexOf(':');
        if (!decoded || colon <= 0)
            return PluginVerdict::respond(unauthorized(QStringLiteral("Invalid authorization in request: expected base64 of user:password")));
        const QString user = QString::fromUtf8(decoded.decoded.left(colon));
        const QByteArray password = decoded.decoded.mid(colon + 1);
        const QJsonObject *consumer = m_consumers->byBasicAuthUser(user);
        // Compare against something even for an unknown user, so both cases take the same time.
        const QByteArray expected = consumer
            ? consumer->value(QStringLiteral("plugins")).toObject().value(QStringLiteral("basic-auth")).toObject()
                  .value(QStringLiteral("password")).toString().toUtf8()
            : QByteArray();
        if (!constantTimeEquals(password, expected) || !consumer)
            return PluginVerdict::respond(unauthorized(QStringLiteral("Invalid user authorization")));
        ctx.consumer = consumer->value(QStringLiteral("username")).toString();
        ctx.consumerObject = *consumer;
        if (m_hide)
            ctx.request->headers.removeIf([](const auto &h) { return h.first == "authorization"; });
        return PluginVerdict::proceed();
    }

private:
    ApiResponse unauthorized(const QString &detail) const
    {
        ApiResponse r = ApiResponse::problem(401, detail, QStringLiteral("unauthorized"));
        r.setHeader(QByteArrayLiteral("www-authenticate"), m_challenge);
        return r;
    }

    std::shared_ptr<const ConsumerIndex> m_consumers;
    bool m_hide;
    QByteArray m_challenge;
};
} // namespace

PluginDescriptor basicAuth()
{
    PluginDescriptor d;
    d.name = QStringLiteral("basic-auth");
    d.priority = 2520;
    d.phase = QStringLiteral("auth");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "hide_credentials": {"type": "boolean", "default": false, "description": "do not pass the Authorization header upstream"},
            "realm": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[\\x20-\\x7e]+$", "default": "gatehouse",
                      "description": "realm of the WWW-Authenticate challenge"}
        },
        "additionalProperties": false
    })json").object();
    d.consumerSchema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "username": {"type": "string", "minLength": 1, "pattern": "^[^:]+$"},
            "password": {"type": "string", "minLength": 1}
        },
        "required": ["username", "password"],
        "additionalProperties": false
    })json").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *errors) -> std::shared_ptr<Plugin> {
        const QString realm = config.value(QStringLiteral("realm")).toString(QStringLiteral("gatehouse"));
        if (realm.contains(QLatin1Char('"')) || realm.contains(QLatin1Char('\\'))) {
            errors->append(QStringLiteral("/realm: must not contain \" or \\"));
            return nullptr;
        }
        return std::make_shared<BasicAuthPlugin>(env.consumers, config.value(QStringLiteral("hide_credentials")).toBool(false), realm);
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
