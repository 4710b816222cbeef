#include "apirequest.h"

#include "percentencoding.h"

#include <QSet>

#include <cctype>

namespace Gatehouse {

namespace {
QString decodeComponent(QByteArray raw)
{
    raw.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
}
} // namespace

QByteArray ApiRequest::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return {};
}

bool ApiRequest::hasHeader(QByteArrayView lowerCaseName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerCaseName)
            return true;
    }
    return false;
}

QList<std::pair<QString, QString>> ApiRequest::queryItems() const
{
    QList<std::pair<QString, QString>> items;
    if (query.isEmpty())
        return items;
    for (const QByteArray &part : query.split('&')) {
        if (part.isEmpty())
            continue;
        const auto eq = part.indexOf('=');
        if (eq < 0)
            items.append({decodeComponent(part), QString()});
        else
            items.append({decodeComponent(part.left(eq)), decodeComponent(part.mid(eq + 1))});
    }
    return items;
}

bool ApiRequest::hasDotSegment(QByteArrayView path)
{
    // Segments end at '/' and also at an escaped '/' or '\' (%2F, %5C), which servers that
    // decode before they resolve take for one: "..%2Fadmin" climbs too.
    const auto separatorAt = [path](qsizetype i) -> qsizetype {   // its length, or 0
        if (path.at(i) == '/')
            return 1;
        if (path.at(i) == '%' && i + 2 < path.size()) {
            const char hi = path.at(i + 1), lo = char(path.at(i + 2) | 0x20);
            if ((hi == '2' && lo == 'f') || (hi == '5' && lo == 'c'))
                return 3;
        }
        return 0;
    };
    qsizetype start = 0;
    while (start <= path.size()) {
        qsizetype end = start;
        qsizetype separator = 0;
        while (end < path.size() && (separator = separatorAt(end)) == 0)
            ++end;
        // ".", "..", and the same with dots escaped as %2E (which many servers decode first)
        QByteArrayView segment = path.sliced(start, end - start);
        int dots = 0;
        while (!segment.isEmpty() && dots <= 2) {
            if (segment.front() == '.') {
                segment = segment.sliced(1);
            } else if (segment.size() >= 3 && segment.front() == '%' && segment.at(1) == '2' && (segment.at(2) == 'e' || segment.at(2) == 'E')) {
                segment = segment.sliced(3);
            } else {
                break;
            }
            ++dots;
        }
        // "..;x" too: servlet containers take what follows ';' for a parameter of the segment.
        if ((segment.isEmpty() || segment.front() == ';') && (dots == 1 || dots == 2))
            return true;
        start = end + qMax<qsizetype>(separator, 1);
    }
    return false;
}

bool ApiRequest::checkPath(QString *error, bool asText) const
{
    // Refused rather than resolved: a route chosen for "/public/*" must not pass on
    // "/public/../admin" for an upstream that resolves it. Browsers and HTTP clients resolve
    // dot segments before they send a request; a raw backslash, which some servers take for
    // a '/', is not a character of a path (RFC 3986) either.
    if (hasDotSegment(path)) {
        *error = QStringLiteral("the path has a '.' or '..' segment");
        return false;
    }
    if (path.contains('\\')) {
        *error = QStringLiteral("the path holds a backslash (escape it as %5C)");
        return false;
    }
    bool decodes = false;   // something to decode or to check as UTF-8
    for (qsizetype i = 0; i < path.size(); ++i) {
        const char c = path.at(i);
        if (uchar(c) >= 0x80) {
            decodes = true;
        } else if (c == '%') {
            if (i + 2 >= path.size() || !isxdigit(uchar(path.at(i + 1))) || !isxdigit(uchar(path.at(i + 2)))) {
                *error = QStringLiteral("the path has a malformed %-escape");
                return false;
            }
            // A control character (%00-%1F, %7F) names no entity and, decoded into a proxied
            // request's line, could end it early.
            const uchar byte = uchar(QByteArray::fromHex(path.mid(i + 1, 2)).at(0));
            if (byte < 0x20 || byte == 0x7f) {
                *error = QStringLiteral("the path escapes a control character (%%1)").arg(QString::fromLatin1(path.mid(i + 1, 2)));
                return false;
            }
            decodes = true;
            i += 2;
        }
    }
    if (asText && decodes && !QByteArrayView(QByteArray::fromPercentEncoding(path)).isValidUtf8()) {
        *error = QStringLiteral("the path does not decode to UTF-8");
        return false;
    }
    return true;
}

bool ApiRequest::checkQuery(QString *error) const
{
    using PercentEncoding::isWellFormed;
    QSet<QString> seen;
    for (const QByteArray &part : query.split('&')) {
        if (part.isEmpty())
            continue;
        const auto eq = part.indexOf('=');
        const QByteArrayView name = eq < 0 ? QByteArrayView(part) : QByteArrayView(part).first(eq);
        if (!isWellFormed(name) || (eq >= 0 && !isWellFormed(QByteArrayView(part).sliced(eq + 1)))) {
            *error = QStringLiteral("the query string has a malformed %-escape or is not UTF-8 near '%1'")
                         .arg(QString::fromLatin1(part.left(64)));
            return false;
        }
        const QString decoded = decodeComponent(name.toByteArray());
        if (seen.contains(decoded)) {
            *error = QStringLiteral("the parameter '%1' is given more than once").arg(decoded.left(64));
            return false;
        }
        seen.insert(decoded);
    }
    return true;
}

QString ApiRequest::queryItem(const QString &name, const QString &fallback) const
{
    for (const auto &[key, value] : queryItems()) {
        if (key == name)
            return value;
    }
    return fallback;
}

void ApiRequest::removeQueryItem(const QString &name)
{
    QByteArrayList kept;
    for (const QByteArray &part : query.split('&')) {
        const auto eq = part.indexOf('=');
        if (!part.isEmpty() && decodeComponent(eq < 0 ? part : part.left(eq)) != name)
            kept.append(part);
    }
    query = kept.join('&');
}

bool ApiRequest::hasQueryItem(const QString &name) const
{
    for (const auto &item : queryItems()) {
        if (item.first == name)
            return true;
    }
    return false;
}

} // namespace Gatehouse
