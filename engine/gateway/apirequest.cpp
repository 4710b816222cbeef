#include "apirequest.h"

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
