// proxy-rewrite: changes what the upstream receives -- path (uri, or regex_uri with $1..
// captures), query, method, Host and other headers -- without changing which route matched.

#include "builtinplugins.h"
#include "config/ecmaregex.h"
#include "requestvariables.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <optional>

namespace Gatehouse::BuiltinPlugins {

namespace {
struct HeaderEdit
{
    enum Kind { Add, Remove, Set };
    Kind kind;
    QByteArray name;   // lower case
    QString value;     // may name variables
};

struct Rewrite
{
    std::optional<QString> uri;
    QList<std::pair<QRegularExpression, QString>> regexUri;
    QByteArray method;
    std::optional<QString> host;
    QList<HeaderEdit> headers;   // in the order APISIX applies them: add, remove, set
};

class ProxyRewritePlugin final : public Plugin
{
public:
    explicit ProxyRewritePlugin(Rewrite rewrite) : m_rewrite(std::move(rewrite))
    {
        // The query parameters whose values the rewrite passes on ($arg_<name>).
        QStringList templates;
        if (m_rewrite.uri)
            templates.append(*m_rewrite.uri);
        for (const auto &pattern : std::as_const(m_rewrite.regexUri))
            templates.append(pattern.second);
        if (m_rewrite.host)
            templates.append(*m_rewrite.host);
        for (const HeaderEdit &e : std::as_const(m_rewrite.headers))
            templates.append(e.value);
        for (const QString &text : std::as_const(templates)) {
            for (const QString &name : RequestVariables::referencedIn(text)) {
                if (name.startsWith(QLatin1String("arg_")) && !m_argNames.contains(name.mid(4)))
                    m_argNames.append(name.mid(4));
            }
        }
    }

    PluginVerdict access(RequestContext &ctx) override
    {
        ApiRequest &r = *ctx.request;
        // A parameter passed on must be one value, as sent: not a guess between two, not U+FFFD
        // for a malformed %-escape (as the gateway's own query handlers answer).
        if (QString error; !RequestVariables::checkArgs(r, m_argNames, &error))
            return PluginVerdict::respond(ApiResponse::problem(400, error, QStringLiteral("bad-parameter")));
        // Every value is computed from the request as it arrived, then applied.
        std::optional<QByteArray> target;
        if (m_rewrite.uri) {
            target = RequestVariables::expandUri(*m_rewrite.uri, ctx);
        } else {
            const QString path = QString::fromUtf8(r.path);
            for (const auto &[pattern, replacement] : m_rewrite.regexUri) {
                const QRegularExpressionMatch m = pattern.match(path);
                if (m.hasMatch()) {
                    target = path.left(m.capturedStart()).toUtf8() + RequestVariables::expandUri(replacement, ctx, m.capturedTexts())
                        + path.mid(m.capturedEnd()).toUtf8();
                    break;
                }
            }
        }
        QList<std::pair<const HeaderEdit *, QByteArray>> edits;
        for (const HeaderEdit &e : m_rewrite.headers)
            edits.append({&e, RequestVariables::expand(e.value, ctx).toUtf8()});
        const std::optional<QByteArray> host = m_rewrite.host ? std::optional(RequestVariables::expand(*m_rewrite.host, ctx).toUtf8()) : std::nullopt;
        // A decoded variable ($arg_x of "a%0D%0AX-Admin:%201") must not end a header line and
        // start another one in the upstream's request: refused, as nginx refuses such a value.
        const auto breaksLine = [](const QByteArray &v) { return v.contains('\r') || v.contains('\n') || v.contains('\0'); };
        bool refused = host && breaksLine(*host);
        for (const auto &edit : std::as_const(edits))
            refused = refused || breaksLine(edit.second);
        if (refused) {
            return PluginVerdict::respond(ApiResponse::problem(400, QStringLiteral("a header proxy-rewrite sets would hold a line break or NUL"),
                                                               QStringLiteral("bad-header-value")));
        }
        // The path made from variables passes the check a client's own path passes
        // (ApiRequest::checkPath): a "." or ".." segment ($arg_p of ".."), an escaped control
        // character ("..%00"), a backslash -- none may reach the upstream this way either.
        if (target) {
            ApiRequest made;
            made.path = target->left(target->indexOf('?') < 0 ? target->size() : target->indexOf('?'));
            if (QString error; !made.checkPath(&error, false))
                return PluginVerdict::respond(ApiResponse::problem(400, QStringLiteral("the path proxy-rewrite makes is refused: ") + error,
                                                                   QStringLiteral("malformed-path")));
        }

        if (target) {
            // As APISIX: the client's query string is kept, after any query the new URI brings.
            const auto question = target->indexOf('?');
            const QByteArray query = question < 0 ? QByteArray() : target->mid(question + 1);
            r.path = question < 0 ? *target : target->left(question);
            if (!query.isEmpty())
                r.query = r.query.isEmpty() ? query : query + '&' + r.query;
        }
        if (!m_rewrite.method.isEmpty())
            r.method = m_rewrite.method;
        if (host)
            setHeader(r, QByteArrayLiteral("host"), *host);
        for (const auto &[edit, value] : std::as_const(edits)) {
            switch (edit->kind) {
            case HeaderEdit::Add: r.headers.append({edit->name, value}); break;
            // An init-capture: clang before 16 cannot capture a structured binding.
            case HeaderEdit::Remove: r.headers.removeIf([&name = edit->name](const auto &h) { return h.first == name; }); break;
            case HeaderEdit::Set: setHeader(r, edit->name, value); break;
            }
        }
        return PluginVerdict::proceed();
    }

private:
    static void setHeader(ApiRequest &r, const QByteArray &name, const QByteArray &value)
    {
        r.headers.removeIf([&](const auto &h) { return h.first == name; });
        r.headers.append({name, value});
    }

    Rewrite m_rewrite;
    QStringList m_argNames;   // the parameters of its $arg_<name> variables
};

bool isHeaderName(const QString &name)
{
    static const QRegularExpression token(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
    return token.match(name).hasMatch();
}

void checkVariables(const QString &text, const QString &pointer, bool capturesAllowed, QStringList *errors)
{
    for (const QString &name : RequestVariables::unknownIn(text))
        errors->append(pointer + QStringLiteral(": unknown variable '%1' (known: %2)").arg(name, RequestVariables::knownNames()));
    if (capturesAllowed)
        return;
    for (const QString &name : RequestVariables::referencedIn(text)) {
        if (!name.isEmpty() && name.front().isDigit())
            errors->append(pointer + QStringLiteral(": $%1 is a regex capture; captures only exist in regex_uri's replacements").arg(name));
    }
}

void readHeaders(const QJsonObject &headers, Rewrite *rw, QStringList *errors)
{
    auto add = [&](HeaderEdit::Kind kind, const QString &name, const QString &value, const QString &pointer) {
        if (!isHeaderName(name))
            errors->append(pointer + QStringLiteral(": '%1' is not a header name").arg(name));
        checkVariables(value, pointer, false, errors);
        rw->headers.append({kind, name.toLower().toLatin1(), value});
    };
    const QJsonObject adds = headers.value(QStringLiteral("add")).toObject();
    for (auto it = adds.begin(); it != adds.end(); ++it)
        add(HeaderEdit::Add, it.key(), it.value().toString(), QStringLiteral("/headers/add/") + it.key());
    const QJsonArray removes = headers.value(QStringLiteral("remove")).toArray();
    for (qsizetype i = 0; i < removes.size(); ++i)
        add(HeaderEdit::Remove, removes.at(i).toString(), QString(), QStringLiteral("/headers/remove/%1").arg(i));
    const QJsonObject sets = headers.value(QStringLiteral("set")).toObject();
    for (auto it = sets.begin(); it != sets.end(); ++it)
        add(HeaderEdit::Set, it.key(), it.value().toString(), QStringLiteral("/headers/set/") + it.key());
    // The older flat form: {"name": "value"} sets, {"name": ""} removes.
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        if (it.key() == QLatin1String("add") || it.key() == QLatin1String("remove") || it.key() == QLatin1String("set"))
            continue;
        const QString value = it.value().toString();
        add(value.isEmpty() ? HeaderEdit::Remove : HeaderEdit::Set, it.key(), value, QStringLiteral("/headers/") + it.key());
    }
}
} // namespace

PluginDescriptor proxyRewrite()
{
    PluginDescriptor d;
    d.name = QStringLiteral("proxy-rewrite");
    d.priority = 1008;
    d.phase = QStringLiteral("transform");
    d.schema = QJsonDocument::fromJson(R"json({
        "type": "object",
        "properties": {
            "uri": {"type": "string", "minLength": 1, "maxLength": 4096, "pattern": "^[/$][^\\s]*$",
                    "description": "new upstream path (and query); may use variables such as $arg_name; wins over regex_uri"},
            "regex_uri": {"type": "array", "minItems": 2, "items": {"type": "string"},
                          "description": "pairs of [pattern, replacement]; the first matching pattern's replacement ($1.. are its captures) replaces the matched part of the path"},
            "method": {"type": "string", "enum": ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "MKCOL", "COPY", "MOVE",
                                                  "PROPFIND", "LOCK", "UNLOCK", "PATCH", "TRACE"]},
            "host": {"type": "string", "minLength": 1, "maxLength": 253, "pattern": "^[^\\s]+$", "description": "new Host header"},
            "headers": {"type": "object", "properties": {
                "add": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n\\x00]*$"}, "description": "appended, even when present"},
                "set": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n\\x00]*$"}, "description": "replaced or added"},
                "remove": {"type": "array", "items": {"type": "string", "minLength": 1}}},
                "additionalProperties": {"type": "string", "pattern": "^[^\\r\\n\\x00]*$"}}
        },
        "additionalProperties": false
    })json").object();
    d.create = [](const QJsonObject &config, const PluginEnvironment &, QStringList *errors) -> std::shared_ptr<Plugin> {
        const auto before = errors->size();
        Rewrite rw;
        if (config.contains(QStringLiteral("uri"))) {
            rw.uri = config.value(QStringLiteral("uri")).toString();
            checkVariables(*rw.uri, QStringLiteral("/uri"), false, errors);
        }
        const QJsonArray regex = config.value(QStringLiteral("regex_uri")).toArray();
        if (regex.size() % 2 != 0)
            errors->append(QStringLiteral("/regex_uri: must hold pairs of pattern and replacement (an even number of strings)"));
        for (qsizetype i = 0; i + 1 < regex.size(); i += 2) {
            QRegularExpression re(EcmaRegex::withMatchLimit(regex.at(i).toString()));
            if (!re.isValid())
                errors->append(QStringLiteral("/regex_uri/%1: invalid regular expression: %2").arg(i).arg(re.errorString()));
            const QString replacement = regex.at(i + 1).toString();
            checkVariables(replacement, QStringLiteral("/regex_uri/%1").arg(i + 1), true, errors);
            rw.regexUri.append({re, replacement});
        }
        rw.method = config.value(QStringLiteral("method")).toString().toLatin1();
        if (config.contains(QStringLiteral("host"))) {
            rw.host = config.value(QStringLiteral("host")).toString();
            checkVariables(*rw.host, QStringLiteral("/host"), false, errors);
        }
        readHeaders(config.value(QStringLiteral("headers")).toObject(), &rw, errors);
        if (errors->size() != before)
            return nullptr;
        return std::make_shared<ProxyRewritePlugin>(std::move(rw));
    };
    return d;
}

} // namespace Gatehouse::BuiltinPlugins
