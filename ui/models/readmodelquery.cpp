#include "readmodelquery.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"

#include <QCoreApplication>
#include <QUrl>

namespace Gatehouse::Ui {

namespace {

// SQLite's order of json_extract results: NULL, numbers (booleans are 0/1), text, then JSON text.
int rank(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined: return 0;
    case QJsonValue::Bool:
    case QJsonValue::Double: return 1;
    case QJsonValue::String: return 2;
    default: return 3;
    }
}

int compareJson(const QJsonValue &a, const QJsonValue &b)
{
    const int ra = rank(a);
    const int rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 1) {
        const double x = a.isBool() ? double(a.toBool()) : a.toDouble();
        const double y = b.isBool() ? double(b.toBool()) : b.toDouble();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (ra >= 2)   // SQLite compares text byte by byte (BINARY collation)
        return JsonRowsModel::displayText(a).toUtf8().compare(JsonRowsModel::displayText(b).toUtf8());
    return 0;
}

QByteArray encodeKey(const QString &key)
{
    return QUrl::toPercentEncoding(key, QByteArrayLiteral("[]"));
}

QString tr(const char *text)
{
    return QCoreApplication::translate("ReadModelQuery", text);
}

} // namespace

bool ReadModelQuery::parseFilter(const QString &text, Filter *out, QString *error)
{
    static const QStringList reserved{QStringLiteral("sort"), QStringLiteral("limit"), QStringLiteral("cursor"),
                                      QStringLiteral("include_deleted"), QStringLiteral("min_position")};
    // Every part is looked at: the good ones are kept, each bad one is named with its reason.
    Filter filter;
    QStringList problems;
    for (const QString &part : text.split(QLatin1Char('&'), Qt::SkipEmptyParts)) {
        const QString item = part.trimmed();
        if (item.isEmpty())
            continue;
        const auto eq = item.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            problems.append(tr("'%1' is not field=value or field[op]=value").arg(item));
            continue;
        }
        const QString key = item.left(eq).trimmed();
        if (reserved.contains(key)) {
            problems.append(key == QLatin1String("sort") ? tr("'%1': the sort is chosen by clicking a column header").arg(item)
                                                         : tr("'%1': %2 is set by the page").arg(item, key));
            continue;
        }
        filter.append({key, item.mid(eq + 1).trimmed()});
    }
    *out = filter;
    *error = problems.join(QStringLiteral("; "));
    return problems.isEmpty();
}

QByteArray ReadModelQuery::pageTarget(const QByteArray &cursor) const
{
    QByteArray target = "/api/" + EngineClient::encode(collection) + "?limit=" + QByteArray::number(pageSize);
    for (const auto &[key, value] : filter)
        target += '&' + encodeKey(key) + '=' + EngineClient::encode(value);
    if (!sortField.isEmpty())
        target += "&sort=" + QByteArray(sortDescending ? "-" : "") + EngineClient::encode(sortField);
    if (includeDeleted)
        target += "&include_deleted=true";
    if (!cursor.isEmpty())
        target += "&cursor=" + EngineClient::encode(QString::fromUtf8(cursor));
    return target;
}

QByteArray ReadModelQuery::changesTarget(const QStringList &ids) const
{
    QByteArray target = "/api/" + EngineClient::encode(collection) + "?limit=1000";
    for (const auto &[key, value] : filter)
        target += '&' + encodeKey(key) + '=' + EngineClient::encode(value);
    target += "&id[in]=" + EngineClient::encode(ids.join(QLatin1Char(',')));
    if (includeDeleted)
        target += "&include_deleted=true";
    return target;
}

bool ReadModelQuery::lessThan(const QJsonObject &a, const QJsonObject &b) const
{
    const bool byId = sortField.isEmpty() || sortField == QLatin1String("id");
    if (!byId) {
        const int c = compareJson(a.value(sortField), b.value(sortField));
        if (c != 0)
            return sortDescending ? c > 0 : c < 0;
    }
    // The API breaks ties by id, ascending unless the sort is "-id".
    const int c = a.value(QLatin1String("id")).toString().toUtf8().compare(b.value(QLatin1String("id")).toString().toUtf8());
    return byId && sortDescending ? c > 0 : c < 0;
}

QJsonValue ReadModelQuery::fieldValue(const QJsonObject &document, const QString &field)
{
    if (isMetaField(field))
        return document.value(QLatin1String("_meta")).toObject().value(field.mid(6));
    return document.value(field);
}

} // namespace Gatehouse::Ui
