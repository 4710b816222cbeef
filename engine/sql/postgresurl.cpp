#include "postgresurl.h"

#include <QSet>
#include <QStringDecoder>

namespace Gatehouse {

namespace {

// What a parse failure says: the part that is wrong and what was expected.
struct Failure
{
    QString message;
};

int hexValue(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'0' && u <= u'9')
        return u - u'0';
    if (u >= u'a' && u <= u'f')
        return u - u'a' + 10;
    if (u >= u'A' && u <= u'F')
        return u - u'A' + 10;
    return -1;
}

// Characters a component may hold as they are; everything else must be percent-encoded.
// `extra` adds the delimiters a component may contain (':' in a password, '/' in a value).
bool isPlain(QChar c, QStringView extra)
{
    const char16_t u = c.unicode();
    if ((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9'))
        return true;
    if (QStringView(u"-._~!$&'()*+,;=").contains(c))
        return true;
    return extra.contains(c);
}

// Percent-decodes one component, which must be valid UTF-8 without control characters.
std::optional<QString> decode(QStringView raw, const char *part, QStringView extra, Failure *failure)
{
    QByteArray bytes;
    bytes.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const QChar c = raw[i];
        if (c == u'%') {
            const int hi = i + 2 < raw.size() ? hexValue(raw[i + 1]) : -1;
            const int lo = i + 2 < raw.size() ? hexValue(raw[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                failure->message = QStringLiteral("the %1 has a '%' that is not followed by two hex digits")
                                       .arg(QLatin1StringView(part));
                return std::nullopt;
            }
            bytes.append(char(hi * 16 + lo));
            i += 2;
            continue;
        }
        if (!isPlain(c, extra)) {
            failure->message = QStringLiteral("the %1 contains '%2', which must be percent-encoded")
                                   .arg(QLatin1StringView(part), c);
            return std::nullopt;
        }
        bytes.append(char(c.unicode()));
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (utf8.hasError()) {
        failure->message = QStringLiteral("the %1 is not valid UTF-8 once decoded").arg(QLatin1StringView(part));
        return std::nullopt;
    }
    for (const QChar c : std::as_const(text)) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
            failure->message = QStringLiteral("the %1 contains a control character").arg(QLatin1StringView(part));
            return std::nullopt;
        }
    }
    return text;
}

bool isHostName(QStringView host)
{
    if (host.size() > 253)
        return false;
    const auto labels = host.split(u'.');
    for (const QStringView label : labels) {
        if (label.isEmpty() || label.size() > 63 || label.startsWith(u'-') || label.endsWith(u'-'))
            return false;
        for (const QChar c : label) {
            const char16_t u = c.unicode();
            const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
                || u == u'-' || u == u'_';
            if (!ok)
                return false;
        }
    }
    return true;
}

bool isIpv6Literal(QStringView text)
{
    if (text.size() < 2 || text.size() > 45 || text.count(u':') < 2)
        return false;
    for (const QChar c : text) {
        if (hexValue(c) < 0 && c != u':' && c != u'.')
            return false;
    }
    return true;
}

// A decimal number of at most `maxDigits` digits, without sign or spaces; -1 otherwise.
int strictNumber(QStringView text, int maxDigits)
{
    if (text.isEmpty() || text.size() > maxDigits)
        return -1;
    int value = 0;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9')
            return -1;
        value = value * 10 + (c.unicode() - u'0');
    }
    return value;
}

bool parseQuery(QStringView query, PostgresUrl *url, QString *socketDir, Failure *failure)
{
    static const QSet<QString> sslModes = {QStringLiteral("disable"), QStringLiteral("allow"),
                                           QStringLiteral("prefer"), QStringLiteral("require"),
                                           QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    QSet<QString> seen;
    for (const QStringView pair : query.split(u'&')) {
        const qsizetype eq = pair.indexOf(u'=');
        if (pair.isEmpty() || eq <= 0) {
            failure->message = QStringLiteral("the query has a part that is not name=value");
            return false;
        }
        const QString key = pair.left(eq).toString();
        if (key != u"sslmode" && key != u"connect_timeout" && key != u"host") {
            failure->message = QStringLiteral("unknown parameter '%1' (known: sslmode, connect_timeout, host)")
                                   .arg(key.left(40));
            return false;
        }
        if (seen.contains(key)) {
            failure->message = QStringLiteral("the parameter %1 is given twice").arg(key);
            return false;
        }
        seen.insert(key);
        const auto value = decode(pair.mid(eq + 1), "query", u"/:@?", failure);
        if (!value)
            return false;
        if (value->isEmpty()) {
            failure->message = QStringLiteral("the parameter %1 is empty").arg(key);
            return false;
        }
        if (key == u"sslmode") {
            if (!sslModes.contains(*value)) {
                failure->message = QStringLiteral("sslmode must be disable, allow, prefer, require, verify-ca or verify-full");
                return false;
            }
            url->sslMode = *value;
        } else if (key == u"connect_timeout") {
            const int seconds = strictNumber(*value, 3);
            if (seconds < 1 || seconds > PostgresUrl::kMaxConnectTimeoutS) {
                failure->message = QStringLiteral("connect_timeout must be a whole number of seconds from 1 to %1")
                                       .arg(PostgresUrl::kMaxConnectTimeoutS);
                return false;
            }
            url->connectTimeoutS = seconds;
        } else {
            if (!value->startsWith(u'/') || value->size() > 1024) {
                failure->message = QStringLiteral("host= must name a Unix-socket directory (an absolute path)");
                return false;
            }
            *socketDir = *value;
        }
    }
    return true;
}

bool parsePort(QStringView text, PostgresUrl *url, Failure *failure)
{
    const int port = strictNumber(text, 5);
    if (port < 1 || port > 65535) {
        failure->message = QStringLiteral("the port must be a number from 1 to 65535");
        return false;
    }
    url->port = port;
    return true;
}

// host, [ipv6], host:port or [ipv6]:port; the host may be empty when ?host= names a socket
// directory (checked by the caller).
bool parseHostPort(QStringView hostPort, PostgresUrl *url, Failure *failure)
{
    QStringView host = hostPort;
    QStringView rest;
    if (hostPort.startsWith(u'[')) {
        const qsizetype close = hostPort.indexOf(u']');
        if (close < 0 || !isIpv6Literal(hostPort.mid(1, close - 1))) {
            failure->message = QStringLiteral("the host in [...] is not an IPv6 address");
            return false;
        }
        host = hostPort.mid(1, close - 1);
        rest = hostPort.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(u':')) {
            failure->message = QStringLiteral("unexpected text after the IPv6 address");
            return false;
        }
    } else {
        const qsizetype colon = hostPort.indexOf(u':');
        if (colon >= 0) {
            if (hostPort.indexOf(u':', colon + 1) >= 0) {
                failure->message = QStringLiteral("an IPv6 host must be written in brackets, e.g. [::1]");
                return false;
            }
            host = hostPort.left(colon);
            rest = hostPort.mid(colon);
        }
        if (!host.isEmpty() && !isHostName(host)) {
            failure->message = QStringLiteral("the host '%1' is not a host name or an IP address").arg(host.left(60));
            return false;
        }
    }
    url->host = host.toString();
    if (!rest.isEmpty())
        return parsePort(rest.mid(1), url, failure);
    return true;
}

bool parseAuthority(QStringView authority, PostgresUrl *url, Failure *failure)
{
    const qsizetype at = authority.indexOf(u'@');
    if (at < 0) {
        failure->message = QStringLiteral("no user name (expected postgresql://user@host/dbname)");
        return false;
    }
    if (authority.indexOf(u'@', at + 1) >= 0) {
        failure->message = QStringLiteral("more than one '@' (an '@' in the user or password is written %40)");
        return false;
    }
    const QStringView userInfo = authority.left(at);
    const QStringView hostPort = authority.mid(at + 1);

    const qsizetype colon = userInfo.indexOf(u':');
    const auto user = decode(colon < 0 ? userInfo : userInfo.left(colon), "user name", {}, failure);
    if (!user)
        return false;
    if (user->isEmpty()) {
        failure->message = QStringLiteral("the user name is empty");
        return false;
    }
    if (user->toUtf8().size() > PostgresUrl::kMaxNameBytes) {
        failure->message = QStringLiteral("the user name is longer than %1 bytes").arg(PostgresUrl::kMaxNameBytes);
        return false;
    }
    url->user = *user;
    if (colon >= 0) {
        const auto password = decode(userInfo.mid(colon + 1), "password", u":", failure);
        if (!password)
            return false;
        if (password->isEmpty()) {
            failure->message = QStringLiteral("the password after ':' is empty (leave out the ':' for none)");
            return false;
        }
        url->password = *password;
    }

    return parseHostPort(hostPort, url, failure);
}

QString encode(const QString &text, QStringView keep)
{
    QString out;
    const QByteArray utf8 = text.toUtf8();
    for (const char byte : utf8) {
        const QChar c = QLatin1Char(byte);
        const auto u = static_cast<unsigned char>(byte);
        const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
            || u == '-' || u == '.' || u == '_' || u == '~';
        if (unreserved || (u < 0x80 && keep.contains(c)))
            out += c;
        else
            out += u'%' + QString::number(u, 16).toUpper().rightJustified(2, u'0');
    }
    return out;
}

QString format(const PostgresUrl &url, bool withPassword)
{
    QString out = QStringLiteral("postgresql://") + encode(url.user, {});
    if (withPassword && !url.password.isEmpty())
        out += u':' + encode(url.password, {});
    out += u'@';
    const bool socket = url.host.startsWith(u'/');
    if (!socket)
        out += url.host.contains(u':') ? u'[' + url.host + u']' : url.host;
    out += u':' + QString::number(url.port) + u'/' + encode(url.database, {});
    QStringList query;
    if (socket)
        query << QStringLiteral("host=") + encode(url.host, u"/");
    if (!url.sslMode.isEmpty())
        query << QStringLiteral("sslmode=") + url.sslMode;
    if (url.connectTimeoutS != PostgresUrl().connectTimeoutS)
        query << QStringLiteral("connect_timeout=") + QString::number(url.connectTimeoutS);
    if (!query.isEmpty())
        out += u'?' + query.join(u'&');
    return out;
}

} // namespace

std::optional<PostgresUrl> PostgresUrl::parse(const QString &text, QString *error)
{
    Failure failure;
    auto fail = [&](const QString &message) -> std::optional<PostgresUrl> {
        if (error)
            *error = QStringLiteral("invalid PostgreSQL URL: ") + message;
        return std::nullopt;
    };
    if (text.size() > kMaxTextLength)
        return fail(QStringLiteral("longer than %1 characters").arg(kMaxTextLength));
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t u = text[i].unicode();
        if (u <= 0x20 || u >= 0x7f)
            return fail(QStringLiteral("a space, control or non-ASCII character at offset %1 (percent-encode it)").arg(i));
    }
    const qsizetype schemeEnd = text.indexOf(u"://");
    const QStringView scheme = QStringView(text).left(qMax<qsizetype>(schemeEnd, 0));
    if (schemeEnd < 0
        || (scheme.compare(u"postgresql", Qt::CaseInsensitive) != 0 && scheme.compare(u"postgres", Qt::CaseInsensitive) != 0))
        return fail(QStringLiteral("it must start with postgresql:// or postgres://"));
    QStringView rest = QStringView(text).mid(schemeEnd + 3);
    if (rest.contains(u'#'))
        return fail(QStringLiteral("a fragment ('#') is not allowed"));

    PostgresUrl url;
    QString socketDir;
    const qsizetype question = rest.indexOf(u'?');
    if (question >= 0) {
        if (!parseQuery(rest.mid(question + 1), &url, &socketDir, &failure))
            return fail(failure.message);
        rest = rest.left(question);
    }
    const qsizetype slash = rest.indexOf(u'/');
    if (slash < 0)
        return fail(QStringLiteral("no database name (expected postgresql://user@host/dbname)"));
    if (!parseAuthority(rest.left(slash), &url, &failure))
        return fail(failure.message);

    const QStringView path = rest.mid(slash + 1);
    if (path.contains(u'/'))
        return fail(QStringLiteral("the database name contains '/' (write it %2F)"));
    const auto database = decode(path, "database name", {}, &failure);
    if (!database)
        return fail(failure.message);
    if (database->isEmpty())
        return fail(QStringLiteral("the database name is empty"));
    if (database->toUtf8().size() > kMaxNameBytes)
        return fail(QStringLiteral("the database name is longer than %1 bytes").arg(kMaxNameBytes));
    url.database = *database;

    if (!socketDir.isEmpty()) {
        if (!url.host.isEmpty())
            return fail(QStringLiteral("both a host and ?host= are given"));
        url.host = socketDir;
    } else if (url.host.isEmpty()) {
        return fail(QStringLiteral("the host is empty"));
    }
    return url;
}

QString PostgresUrl::redacted() const
{
    return format(*this, false);
}

QString PostgresUrl::toString() const
{
    return format(*this, true);
}

PostgresUrl PostgresUrl::withDatabase(const QString &name) const
{
    PostgresUrl copy = *this;
    copy.database = name;
    return copy;
}

} // namespace Gatehouse
