// jwt-auth: the consumer is whoever owns the `key` claim of a JSON Web Token found in the
// Authorization header (Bearer), a query parameter or a cookie, once the token's signature,
// algorithm, expiry and not-before time check out.

#include "builtinplugins.h"
#include "gateway/consumerindex.h"
#include "gateway/route.h"
#include "jsonwebtoken.h"
#include "requestvariables.h"

#include <QDateTime>

#include <algorithm>
#include <QJsonDocument>
#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcGateway)

namespace Gatehouse::BuiltinPlugins {

namespace {
// Only an external ("http") upstream gets the query string as the client sent it; the
// engine's own upstreams (query, events, sse, websocket, command, function) check it.
bool forwardsQueryString(const RequestContext &ctx)
{
    return ctx.route && ctx.route->upstream.type == QLatin1String("http");
}

struct JwtSources
{
    QByteArray header;
    QString query;
    QString cookie;
    QString keyClaim;
    bool hide = false;
};

class JwtAuthPlugin final : public Plugin
{
public:
    JwtAuthPlugin(std::shared_ptr<const ConsumerIndex> consumers, JwtSources sources)
        : m_consumers(std::move(consumers)), m_sources(std::move(sources)) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        bool twice = false;
        const QByteArray token = findToken(ctx, &twice);
        if (twice)
            return PluginVerdict::respond(unauthorized(QStringLiteral("JWT token invalid: the token is given more than once")));
        if (token.isEmpty())
            return PluginVerdict::respond(unauthorized(QStringLiteral("Missing JWT token in request")));
        QString error;
        const std::optional<JsonWebToken> jwt = JsonWebToken::parse(token, &error);
        if (!jwt)
            return PluginVerdict::respond(unauthorized(QStringLiteral("JWT token invalid: ") + error));
        const QJsonValue key = jwt->claims().value(m_sources.keyClaim);
        if (!key.isString() || key.toString().isEmpty())
            return PluginVerdict::respond(unauthorized(QStringLiteral("missing user key in JWT token")));
        const QJsonObject *consumer = m_consumers->byJwtKey(key.toString());
        if (!consumer)
            return PluginVerdict::respond(unauthorized(QStringLiteral("Invalid user key in JWT token")));
        const QJsonObject conf = consumer->value(QStringLiteral("plugins")).toObject().value(QStringLiteral("jwt-auth")).toObject();
        const QString algorithm = conf.value(QStringLiteral("algorithm")).toString(QStringLiteral("HS256"));
        if (jwt->algorithm() != algorithm)
            return PluginVerdict::respond(unauthorized(QStringLiteral("JWT token invalid: algorithm %1 is not the consumer's (%2)").arg(jwt->algorithm(), algorithm)));
        const std::optional<QByteArray> secret = keyMaterial(conf, algorithm, consumer->value(QStringLiteral("username")).toString(), nullptr);
        if (!secret)
            return PluginVerdict::respond(unauthorized(QStringLiteral("JWT token invalid: the consumer has no usable key")));
        if (!jwt->verify(*secret, &error))
            return PluginVerdict::respond(unauthorized(QStringLiteral("failed to verify jwt: ") + error));
        const qint64 leeway = conf.value(QStringLiteral("lifetime_grace_period")).toInteger(0);
        if (const QString timeError = checkTimes(jwt->claims(), leeway); !timeError.isEmpty())
            return PluginVerdict::respond(unauthorized(timeError));
        if (const QJsonValue exp = jwt->claims().value(QStringLiteral("exp")); exp.isDouble()) {
            // Clamped: an exp of 1e20 is "never" as far as a connection can tell.
            const double ms = std::clamp((exp.toDouble() + double(leeway)) * 1000.0, 1.0, 4.0e15);
            ctx.request->credentialExpiresAtMs = qint64(ms);
        }
        ctx.consumer = consumer->value(QStringLiteral("username")).toString();
        ctx.consumerObject = *consumer;
        if (m_sources.hide)
            hideToken(ctx);
        else if (!forwardsQueryString(ctx))
            ctx.request->removeQueryItem(m_sources.query);   // see key-auth: internal upstreams reject it
        return PluginVerdict::proceed();
    }

private:
    // The token from the first place that has one: the header, the query, the cookie. `twice`:
    // that place holds two -- which one counts would be a guess, and a proxy in front may take
    // the other (a second one elsewhere is not looked at).
    QByteArray findToken(const RequestContext &ctx, bool *twice) const
    {
        const ApiRequest &r = *ctx.request;
        QByteArray value = r.header(m_sources.header).trimmed();
        if (value.size() > 7 && value.left(7).toLower() == "bearer ")
            value = value.mid(7).trimmed();
        if (!value.isEmpty()) {
            *twice = RequestVariables::headerCount(r, m_sources.header) > 1;
            return value;
        }
        value = r.queryItem(m_sources.query).toUtf8();
        if (!value.isEmpty()) {
            *twice = RequestVariables::queryCount(r, m_sources.query) > 1;
            return value;
        }
        value = RequestVariables::value(ctx, QString(QStringLiteral("cookie_") + m_sources.cookie)).toUtf8();
        *twice = !value.isEmpty() && RequestVariables::cookieCount(r, m_sources.cookie) > 1;
        return value;
    }

public:
    // The consumer's verification key, or nullopt with the reason (in `problem`, as a pointer
    // below the consumer's jwt-auth config, when given; logged otherwise).
    static std::optional<QByteArray> keyMaterial(const QJsonObject &conf, const QString &algorithm, const QString &username, QString *problem)
    {
        const auto refuse = [&](const QString &member, const QString &why) -> std::optional<QByteArray> {
            if (problem)
                *problem = u'/' + member + QStringLiteral(": ") + why;
            else
                qCWarning(lcGateway, "jwt-auth: consumer %s: %s: %s", qPrintable(username), qPrintable(member), qPrintable(why));
            return std::nullopt;
        };
        const bool rsa = algorithm.startsWith(QLatin1String("RS"));
        const QString member = rsa ? QStringLiteral("public_key") : QStringLiteral("secret");
        const QString text = conf.value(member).toString();
        if (text.isEmpty())
            return refuse(member, QStringLiteral("%1 needs one").arg(algorithm));
        QByteArray key = text.toUtf8();
        if (!rsa && conf.value(QStringLiteral("base64_secret")).toBool(false)) {
            QString error;
            const std::optional<QByteArray> decoded = JsonWebToken::decodeSecret(text, &error);
            if (!decoded)
                return refuse(member, error);
            key = *decoded;
        }
        // Whether the key can verify is checked when the consumer is written (checkConsumer asks
        // with `problem`); the consumers a request finds have passed, so it is not checked again
        // for every request.
        if (problem) {
            if (const QString error = JsonWebToken::checkKey(algorithm, key); !error.isEmpty())
                return refuse(member, error);
        }
        return key;
    }

private:
    // exp and nbf (RFC 7519 4.1.4/4.1.5), numeric dates, with the consumer's leeway.
    static QString checkTimes(const QJsonObject &claims, qint64 leeway)
    {
        const double now = double(QDateTime::currentSecsSinceEpoch());
        const QJsonValue exp = claims.value(QStringLiteral("exp"));
        const QJsonValue nbf = claims.value(QStringLiteral("nbf"));
        if ((!exp.isUndefined() && !exp.isDouble()) || (!nbf.isUndefined() && !nbf.isDouble()))
            return QStringLiteral("JWT token invalid: exp and nbf must be numbers");
        if (exp.isDouble() && now >= exp.toDouble() + double(leeway))
            return QStringLiteral("JWT token expired");
        if (nbf.isDouble() && now + double(leeway) < nbf.toDouble())
            return QStringLiteral("JWT token not valid yet");
        return {};
    }

    void hideToken(RequestContext &ctx) const
    {
        ApiRequest &r = *ctx.request;
        r.headers.removeIf([this](const auto &h) { return h.first == m_sources.header; });
        r.removeQueryItem(m_sources.query);
        for (auto &[name, value] : r.headers) {
            if (name != "cookie")
                continue;
            QList<QByteArray> cookies;
            for (const QByteArray &c : value.split(';')) {
                const QByteArray cookie = c.trimmed();
                const auto eq = cookie.indexOf('=');
                if (!cookie.isEmpty() && (eq < 0 ? cookie : cookie.left(eq)).trimmed() != m_sources.cookie.toUtf8())
                    cookies.append(cookie);
            }
            value = cookies.join("; ");
        }
        r.headers.removeIf([](const auto &h) { return h.first == "cookie" && h.second.isEmpty(); });
    }

    static ApiResponse unauthorized(const QString &detail)
    {
        ApiResponse r = ApiResponse::problem(401, detail, QStringLiteral("unauthorized"));
        r.setHeader(QByteArrayLiteral("www-authenticate"), QByteArrayLiteral("Bearer realm=\"gatehouse\""));
        return r;
    }

    std::shared_ptr<const ConsumerIndex> m_consumers;
    JwtSources m_sources;
};
} // namespace

PluginDescriptor jwtAuth()
{
    PluginDescriptor d;
    d.name = QStringLiteral("jwt-auth");
    d.priority = 2510;
    d.phase = QStringLiteral("auth");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "header": {"type": "string", "minLength": 1, "default": "authorization", "description": "header with the token (optionally after Bearer)"},
            "query": {"type": "string", "minLength": 1, "default": "jwt", "description": "query parameter with the token, when the header has none"},
            "cookie": {"type": "string", "minLength": 1, "default": "jwt", "description": "cookie with the token, when neither has one"},
            "hide_credentials": {"type": "boolean", "default": false},
            "key_claim_name": {"type": "string", "minLength": 1, "default": "key", "description": "the claim naming the consumer's key"}
        },
        "additionalProperties": false
    })json").object();
    d.consumerSchema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "key": {"type": "string", "minLength": 1},
            "secret": {"type": "string", "minLength": 1, "description": "HS256/HS384/HS512 shared secret"},
            "public_key": {"type": "string", "minLength": 1, "description": "RS256/RS384/RS512: PEM public key"},
            "private_key": {"type": "string", "minLength": 1, "description": "RS256/RS384/RS512: PEM private key, for signing only"},
            "algorithm": {"type": "string", "enum": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"], "default": "HS256"},
            "exp": {"type": "integer", "minimum": 1, "maximum": 315360000, "default": 86400, "description": "lifetime in seconds of tokens signed for this consumer"},
            "base64_secret": {"type": "boolean", "default": false},
            "lifetime_grace_period": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 0, "description": "seconds of clock skew allowed on exp and nbf"}
        },
        "required": ["key"],
        "additionalProperties": false
    })json").object();
    // A consumer whose key could never verify a token -- or would verify anyone's (an empty or
    // all-zero HMAC key) -- is refused when written, not only at the first request. An HS*
    // consumer without a secret is kept (it logs nobody in), as before.
    d.checkConsumer = [](const QJsonObject &conf) {
        const QString algorithm = conf.value(QStringLiteral("algorithm")).toString(QStringLiteral("HS256"));
        if (!algorithm.startsWith(QLatin1String("RS")) && conf.value(QStringLiteral("secret")).toString().isEmpty())
            return QStringList();
        QString problem;
        if (!JwtAuthPlugin::keyMaterial(conf, algorithm, {}, &problem))
            return QStringList{problem};
        return QStringList();
    };
    d.create = [](const QJsonObject &config, const PluginEnvironment &env, QStringList *) -> std::shared_ptr<Plugin> {
        JwtSources s;
        s.header = config.value(QStringLiteral("header")).toString(QStringLiteral("authorization")).toLower().toLatin1();
        s.query = config.value(QStringLiteral("query")).toString(QStringLiteral("jwt"));
        s.cookie = config.value(QStringLiteral("cookie")).toString(QStringLiteral("jwt"));
        s.keyClaim = config.value(QStringLiteral("key_claim_name")).toString(QStringLiteral("key"));
        s.hide = config.value(QStringLiteral("hide_credentials")).toBool(false);
        return std::make_shared<JwtAuthPlugin>(env.consumers, std::move(s));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
