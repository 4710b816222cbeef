// request-id: keeps the client's request id (or makes a UUID), passes it upstream and always
// echoes it in the answer.

#include "builtinplugins.h"

#include <QJsonDocument>
#include <QUuid>

namespace Gatehouse::BuiltinPlugins {

namespace {
class RequestIdPlugin final : public Plugin
{
public:
    explicit RequestIdPlugin(QByteArray header) : m_header(std::move(header)) {}

    PluginVerdict access(RequestContext &ctx) override
    {
        QByteArray id = ctx.request->header(m_header);
        // Keep a sane incoming id; replace anything that could smuggle header syntax.
        const bool usable = !id.isEmpty() && id.size() <= 200
            && std::all_of(id.cbegin(), id.cend(), [](char c) { return c > 0x20 && c < 0x7f; });
        if (!usable) {
            id = QUuid::createUuid().toString(QUuid::WithoutBraces).toLatin1();
            ctx.request->headers.append({m_header, id});
        }
        ctx.requestId = QString::fromLatin1(id);
        ctx.responseHeaders.append({m_header, id});
        return PluginVerdict::proceed();
    }

private:
    QByteArray m_header;
};
} // namespace

PluginDescriptor requestId()
{
    PluginDescriptor d;
    d.name = QStringLiteral("request-id");
    d.priority = 12015;
    d.phase = QStringLiteral("observability");
    d.schema = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "header_name": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+$", "default": "X-Request-Id"},
            "include_in_response": {"type": "boolean", "default": true},
            "algorithm": {"type": "string", "enum": ["uuid"], "default": "uuid"}
        },
        "additionalProperties": false
    })").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &, QStringList *) -> std::shared_ptr<Plugin> {
        const QString header = config.value(QStringLiteral("header_name")).toString(QStringLiteral("X-Request-Id"));
        return std::make_shared<RequestIdPlugin>(header.toLower().toLatin1());
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
