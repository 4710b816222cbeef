#include "testerrequests.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSettings>
#include <QUrl>

namespace Gatehouse::Ui {

namespace {
constexpr auto kKey = "requestTester/saved";

QJsonArray all()
{
    return QJsonDocument::fromJson(QSettings().value(QLatin1String(kKey)).toByteArray()).array();
}

QJsonArray without(const QString &name)
{
    QJsonArray kept;
    for (const QJsonValue &v : all()) {
        if (v.toObject().value(QLatin1String("name")).toString() != name)
            kept.append(v);
    }
    return kept;
}

void store(const QJsonArray &requests)
{
    QSettings().setValue(QLatin1String(kKey), QJsonDocument(requests).toJson(QJsonDocument::Compact));
}

const QRegularExpression &paramPattern()
{
    static const QRegularExpression re(QStringLiteral(R"((?<=/):([A-Za-z_][A-Za-z0-9_]*))"));
    return re;
}

// A shell word in single quotes: ' becomes '\''.
QString shellQuoted(const QString &text)
{
    QString out = text;
    out.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return u'\'' + out + u'\'';
}
} // namespace

QStringList SavedRequests::names()
{
    QStringList out;
    for (const QJsonValue &v : all())
        out.append(v.toObject().value(QLatin1String("name")).toString());
    return out;
}

std::optional<RequestTesterEntry> SavedRequests::find(const QString &name)
{
    for (const QJsonValue &v : all()) {
        const QJsonObject o = v.toObject();
        if (o.value(QLatin1String("name")).toString() != name)
            continue;
        RequestTesterEntry e;
        e.method = o.value(QLatin1String("method")).toString().toLatin1();
        e.path = o.value(QLatin1String("path")).toString();
        for (const QJsonValue &h : o.value(QLatin1String("headers")).toArray())
            e.headers.append({h.toArray().at(0).toString(), h.toArray().at(1).toString()});
        e.body = o.value(QLatin1String("body")).toString().toUtf8();
        return e;
    }
    return std::nullopt;
}

void SavedRequests::save(const QString &name, const RequestTesterEntry &request)
{
    QJsonArray headerPairs;
    for (const auto &[n, v] : request.headers)
        headerPairs.append(QJsonArray{n, v});
    QJsonArray requests = without(name);
    requests.prepend(QJsonObject{{QStringLiteral("name"), name},
                                 {QStringLiteral("method"), QString::fromLatin1(request.method)},
                                 {QStringLiteral("path"), request.path},
                                 {QStringLiteral("headers"), headerPairs},
                                 {QStringLiteral("body"), QString::fromUtf8(request.body)}});
    while (requests.size() > kMax)
        requests.removeLast();
    store(requests);
}

void SavedRequests::remove(const QString &name)
{
    store(without(name));
}

QStringList pathParams(const QString &path)
{
    QStringList names;
    QRegularExpressionMatchIterator it = paramPattern().globalMatch(path);
    while (it.hasNext()) {
        const QString name = it.next().captured(1);
        if (!names.contains(name))
            names.append(name);
    }
    return names;
}

QString fillPathParams(const QString &path, const QHash<QString, QString> &values, QString *missing)
{
    QString result;
    qsizetype last = 0;
    QRegularExpressionMatchIterator it = paramPattern().globalMatch(path);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        const QString value = values.value(m.captured(1));
        if (value.isEmpty() && missing && missing->isEmpty())
            *missing = m.captured(1);
        result += path.mid(last, m.capturedStart() - last);
        result += QString::fromLatin1(QUrl::toPercentEncoding(value));
        last = m.capturedEnd();
    }
    result += path.mid(last);
    return result;
}

QString curlCommand(const RequestTesterEntry &request, const QString &gatewayUrl, const QString &certificateFile)
{
    QString path = request.path.trimmed();
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    const QString method = QString::fromLatin1(request.method).trimmed().toUpper();
    QStringList words{QStringLiteral("curl")};
    if (method == QLatin1String("HEAD"))
        words.append(QStringLiteral("-I"));
    else if (method != QLatin1String("GET") || !request.body.isEmpty())
        words.append(QStringLiteral("-X ") + shellQuoted(method));
    if (!certificateFile.isEmpty())
        words.append(QStringLiteral("--cacert ") + shellQuoted(certificateFile));
    words.append(shellQuoted(gatewayUrl + path));
    bool hasType = false;
    for (const auto &[name, value] : request.headers) {
        words.append(QStringLiteral("-H ") + shellQuoted(name + QStringLiteral(": ") + value));
        hasType = hasType || name.compare(QLatin1String("content-type"), Qt::CaseInsensitive) == 0;
    }
    if (!request.body.isEmpty()) {
        if (!hasType && !QJsonDocument::fromJson(request.body).isNull())
            words.append(QStringLiteral("-H ") + shellQuoted(QStringLiteral("Content-Type: application/json")));
        words.append(QStringLiteral("--data-raw ") + shellQuoted(QString::fromUtf8(request.body)));
    }
    return words.join(u' ');
}

} // namespace Gatehouse::Ui
