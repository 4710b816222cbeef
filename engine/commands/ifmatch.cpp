#include "ifmatch.h"

#include <QStringList>

namespace Gatehouse {

namespace {
bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

// A stream version: decimal digits only, without sign, small enough for qint64.
std::optional<qint64> version(QByteArrayView digits)
{
    if (digits.isEmpty() || digits.size() > 18)
        return std::nullopt;
    qint64 v = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}
} // namespace

std::optional<IfMatch> IfMatch::parse(QByteArrayView value)
{
    IfMatch result;
    qsizetype i = 0;
    const qsizetype n = value.size();
    auto skipOws = [&] {
        while (i < n && isOws(value[i]))
            ++i;
    };
    skipOws();
    qsizetype end = n;
    while (end > i && isOws(value[end - 1]))
        --end;
    if (value.sliced(i, end - i) == QByteArrayView("*")) {
        result.m_any = true;
        return result;
    }
    while (i < n) {
        skipOws();
        if (i < n && value[i] == ',') {   // an empty element
            ++i;
            continue;
        }
        if (i == n)
            break;
        if (value.sliced(i).startsWith("W/"))
            i += 2;
        std::optional<qint64> v;
        if (i < n && value[i] == '"') {
            const qsizetype close = value.sliced(i + 1).indexOf('"');
            if (close < 0)
                return std::nullopt;
            v = version(value.sliced(i + 1, close));
            i += close + 2;
        } else {
            const qsizetype start = i;
            while (i < n && value[i] != ',' && !isOws(value[i]))
                ++i;
            v = version(value.sliced(start, i - start));
        }
        if (!v)
            return std::nullopt;
        result.m_versions.append(*v);
        skipOws();
        if (i < n && value[i] != ',')
            return std::nullopt;   // two tags without a comma, or text after a tag
    }
    if (result.m_versions.isEmpty())
        return std::nullopt;
    return result;
}

std::optional<QByteArray> IfMatch::joinLines(const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    // A list field (RFC 9110 5.3): several lines are one list.
    std::optional<QByteArray> joined;
    for (const auto &[name, value] : headers) {
        if (name != "if-match")
            continue;
        if (joined)
            *joined += ", " + value;
        else
            joined = value;
    }
    return joined;
}

QString IfMatch::describe() const
{
    if (m_any)
        return QStringLiteral("an existing entity");
    QStringList versions;
    for (const qint64 v : m_versions)
        versions.append(QString::number(v));
    return QStringLiteral("version ") + versions.join(QStringLiteral(" or "));
}

} // namespace Gatehouse
