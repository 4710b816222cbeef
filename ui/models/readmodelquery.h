#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

namespace Gatehouse::Ui {

// One list request of the query API as the Read models page builds it: collection, filter
// pairs (field=value, field[op]=value), sort field and direction, include_deleted and page
// size; the request targets, and the order the API returns rows in (the sort field, then id),
// so a row that arrives live can be put where a fresh query would put it. Plain value type.
struct ReadModelQuery
{
    using Filter = QList<std::pair<QString, QString>>;   // "price[gt]" -> "5"

    QString collection;
    Filter filter;
    QString sortField;          // empty: by id
    bool sortDescending = false;
    bool includeDeleted = false;
    int pageSize = 100;

    // "price[gt]=5&name=Lamp" -> pairs. False when a part is not a filter (no "=", or what the
    // page sets itself, like sort): `out` still has the good parts, `error` names each bad one.
    static bool parseFilter(const QString &text, Filter *out, QString *error);
    // GET /api/{collection}?limit&filter&sort&include_deleted[&cursor]
    QByteArray pageTarget(const QByteArray &cursor = {}) const;
    // The same filter narrowed to `ids` (id[in]=…), unsorted: which of them match now.
    QByteArray changesTarget(const QStringList &ids) const;
    // Whether `a` comes before `b` in the API's order for this query.
    bool lessThan(const QJsonObject &a, const QJsonObject &b) const;

    // A document's value for a column: a top-level field, or "_meta.version" and the like.
    static QJsonValue fieldValue(const QJsonObject &document, const QString &field);
    static bool isMetaField(const QString &field) { return field.startsWith(QLatin1String("_meta.")); }
};

} // namespace Gatehouse::Ui
