#include "requestvariables.h"

#include "api/percentencoding.h"
#include "gateway/plugin.h"
#include "gateway/route.h"

#include <QHash>

namespace Gatehouse::RequestVariables {

namespace {
const QStringList kPlain{QStringLiteral("remote_addr"), QStringLiteral("remote_port"), QStringLiteral("consumer_name"),
                         QStringLiteral("route_id"), QStringLiteral("uri"), QStringLiteral("request_uri"),
                         QStringLiteral("args"), QStringLiteral("request_method"), QStringLiteral("host")};
const QStringList kFamilies{QStringLiteral("http_"), QStringLiteral("arg_"), QStringLiteral("cookie_")};

bool isNameChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

bool isCaptureIndex(QStringView name, int *index)
{
    bool ok = false;
    const int i = name.toInt(&ok);
    if (ok && index)
        *index = i;
    return ok && !name.isEmpty() && name.front().isDigit();
}

QString cookieValue(const ApiRequest &request, QStringView name)
{
    const QString header = QString::fromLatin1(request.header("cookie"));
    for (const QString &part : header.split(QLatin1Char(';'))) {
        const auto eq = part.indexOf(QLatin1Char('='));
        if (eq > 0 && QStringView(part).left(eq).trimmed() == name)
            return part.mid(eq + 1).trimmed();
    }
    return {};
}

int countCookies(const ApiRequest &request, QStringView name)
{
    int n = 0;
    for (const auto &[header, value] : request.headers) {
        if (header != "cookie")
            continue;
        for (const QString &part : QString::fromLatin1(value).split(QLatin1Char(';'))) {
            const auto eq = part.indexOf(QLatin1Char('='));
            n += eq > 0 && QStringView(part).left(eq).trimmed() == name;
        }
    }
    return n;
}

// Calls `visit(name, start, length)` for every $name / ${name}; `length` covers the whole reference.
template<typename Visit>
void scan(const QString &text, Visit visit)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('$') || i + 1 >= text.size())
            continue;
        if (text.at(i + 1) == QLatin1Char('{')) {
            const auto close = text.indexOf(QLatin1Char('}'), i + 2);
            if (close < 0)
                return;
            visit(QStringView(text).mid(i + 2, close - i - 2), i, close - i + 1);
            i = close;
            continue;
        }
        qsizetype end = i + 1;
        // $1..$9 are single digits, so "$10" is capture 1 followed by "0" (as in PCRE replacements).
        if (text.at(end).isDigit())
            ++end;
        else
            while (end < text.size() && isNameChar(text.at(end)))
                ++end;
        if (end == i + 1)
            continue;
        visit(QStringView(text).mid(i + 1, end - i - 1), i, end - i);
        i = end - 1;
    }
}
} // namespace

bool isKnown(QStringView name)
{
    if (kPlain.contains(name))
        return true;
    for (const QString &family : kFamilies) {
        if (name.startsWith(family) && name.size() > family.size())
            return true;
    }
    return false;
}

QString knownNames()
{
    return kPlain.join(QStringLiteral(", ")) + QStringLiteral(", http_<header>, arg_<name>, cookie_<name>");
}

QString value(const RequestContext &ctx, QStringView name)
{
    const ApiRequest &r = *ctx.request;
    if (name == u"remote_addr")
        return r.remoteAddress;
    if (name == u"remote_port")
        return r.remotePort ? QString::number(r.remotePort) : QString();
    if (name == u"consumer_name")
        return ctx.consumer;
    if (name == u"route_id")
        return ctx.route ? ctx.route->id : r.routeId;
    if (name == u"uri")
        return QString::fromUtf8(QByteArray::fromPercentEncoding(r.path));
    if (name == u"request_uri")
        return QString::fromUtf8(r.query.isEmpty() ? r.path : QByteArray(r.path + '?' + r.query));
    if (name == u"args")
        return QString::fromUtf8(r.query);
    if (name == u"request_method")
        return QString::fromLatin1(r.method);
    if (name == u"host") {
        const QString host = QString::fromLatin1(r.header("host"));
        if (host.startsWith(QLatin1Char('[')))   // [::1]:9080
            return host.left(host.indexOf(QLatin1Char(']')) + 1);
        return host.section(QLatin1Char(':'), 0, 0);
    }
    if (name.startsWith(u"http_")) {
        QByteArray header = name.mid(5).toLatin1().toLower();
        header.replace('_', '-');
        return QString::fromLatin1(r.header(header));
    }
    if (name.startsWith(u"arg_"))
        return r.queryItem(name.mid(4).toString());
    if (name.startsWith(u"cookie_"))
        return cookieValue(r, name.mid(7));
    return {};
}

QString expand(const QString &text, const RequestContext &ctx, const QStringList &captures)
{
    QString out;
    qsizetype copied = 0;
    scan(text, [&](QStringView name, qsizetype start, qsizetype length) {
        out += QStringView(text).mid(copied, start - copied);
        int index = 0;
        if (isCaptureIndex(name, &index))
            out += index < captures.size() ? captures.at(index) : QString();
        else
            out += value(ctx, name);
        copied = start + length;
    });
    out += QStringView(text).mid(copied);
    return out;
}

namespace {
// RFC 3986: unreserved, and in a path segment also sub-delims, ':' and '@'; '/' separates them.
bool keptInSegment(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("-._~!$&'()*+,;=:@").contains(c);
}

bool keptInQuery(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || QByteArrayView("-._~").contains(c);
}

enum class Part { Path, Segment, Query };

void appendEncoded(QByteArray &out, const QString &value, Part part)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const char c : value.toUtf8()) {
        const bool kept = part == Part::Query ? keptInQuery(c) : (keptInSegment(c) || (part == Part::Path && c == '/'));
        if (kept) {
            out += c;
        } else {
            out += '%';
            out += hex[(uchar(c) >> 4) & 0xF];
            out += hex[uchar(c) & 0xF];
        }
    }
}
} // namespace

QByteArray expandUri(const QString &text, const RequestContext &ctx, const QStringList &captures)
{
    QByteArray out;
    qsizetype copied = 0;
    bool inQuery = false;
    scan(text, [&](QStringView name, qsizetype start, qsizetype length) {
        const QStringView literal = QStringView(text).mid(copied, start - copied);
        inQuery = inQuery || literal.contains(u'?');
        out += literal.toUtf8();
        int index = 0;
        QByteArray raw;
        if (isCaptureIndex(name, &index))
            raw = (index < captures.size() ? captures.at(index) : QString()).toUtf8();
        else if (name == u"request_uri" || name == u"args")
            raw = value(ctx, name).toUtf8();
        else   // only $uri is a path of its own; any other value stays within one segment
            appendEncoded(out, value(ctx, name), inQuery ? Part::Query : (name == u"uri" ? Part::Path : Part::Segment));
        out += raw;
        inQuery = inQuery || raw.contains('?');   // $request_uri brings its query along
        copied = start + length;
    });
    out += QStringView(text).mid(copied).toUtf8();
    return out;
}

bool checkArgs(const ApiRequest &request, const QStringList &argNames, QString *error)
{
    if (argNames.isEmpty() || request.query.isEmpty())
        return true;
    QHash<QString, int> seen;
    for (const QByteArray &part : request.query.split('&')) {
        if (part.isEmpty())
            continue;
        const auto eq = part.indexOf('=');
        QByteArray rawName = eq < 0 ? part : part.left(eq);
        rawName.replace('+', ' ');
        const QString name = QString::fromUtf8(QByteArray::fromPercentEncoding(rawName));   // as queryItems() reads it
        if (!argNames.contains(name))
            continue;
        if (!PercentEncoding::isWellFormed(QByteArrayView(part).first(eq < 0 ? part.size() : eq))
            || (eq >= 0 && !PercentEncoding::isWellFormed(QByteArrayView(part).sliced(eq + 1)))) {
            *error = QStringLiteral("the parameter '%1' has a malformed %-escape or is not UTF-8").arg(name.left(64));
            return false;
        }
        if (++seen[name] > 1) {
            *error = QStringLiteral("the parameter '%1' is given more than once").arg(name.left(64));
            return false;
        }
    }
    return true;
}

int headerCount(const ApiRequest &request, QByteArrayView lowerCaseName)
{
    return int(std::count_if(request.headers.cbegin(), request.headers.cend(), [&](const auto &h) { return h.first == lowerCaseName; }));
}

int queryCount(const ApiRequest &request, const QString &name)
{
    int n = 0;
    for (const auto &[key, value] : request.queryItems())
        n += key == name;
    return n;
}

int cookieCount(const ApiRequest &request, QStringView name)
{
    return countCookies(request, name);
}

QStringList referencedIn(const QString &text)
{
    QStringList names;
    scan(text, [&](QStringView name, qsizetype, qsizetype) { names.append(name.toString()); });
    return names;
}

QStringList unknownIn(const QString &text)
{
    QStringList unknown;
    for (const QString &name : referencedIn(text)) {
        if (!isCaptureIndex(name, nullptr) && !isKnown(name))
            unknown.append(name);
    }
    return unknown;
}

} // namespace Gatehouse::RequestVariables
