#include "listquery.h"

#include "config/collection.h"
#include "cursorsigner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace Gatehouse {

namespace {

const QStringList kReserved{QStringLiteral("sort"), QStringLiteral("limit"), QStringLiteral("cursor"),
                            QStringLiteral("include_deleted")};

bool typedValue(const QString &type, const QString &text, SqlValue *out)
{
    bool ok = true;
    if (type == QLatin1String("integer")) {
        const qint64 v = text.toLongLong(&ok);
        if (ok) {
            *out = SqlValue::ofInt(v);
            return true;
        }
        const double d = text.toDouble(&ok);
        *out = SqlValue::ofReal(d);
        return ok && std::isfinite(d);
    }
    if (type == QLatin1String("number")) {
        const double d = text.toDouble(&ok);
        *out = SqlValue::ofReal(d);
        return ok && std::isfinite(d);
    }
    if (type == QLatin1String("boolean")) {
        if (text == QLatin1String("true") || text == QLatin1String("false")) {
            *out = SqlValue::ofInt(text == QLatin1String("true") ? 1 : 0);
            return true;
        }
        return false;
    }
    if (text == QLatin1String("null") && type.isEmpty()) {
        *out = SqlValue::null();
        return true;
    }
    *out = SqlValue::ofText(text);
    return true;
}

QString typeName(const QString &type)
{
    return type == QLatin1String("boolean") ? QStringLiteral("true or false") : QStringLiteral("a ") + type;
}

} // namespace

bool ListQuery::isSafeFieldName(const QString &field)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,63}$"));
    return re.match(field).hasMatch();
}

QByteArray ListQuery::fieldExpression(const QString &field)
{
    if (field == QLatin1String("id"))
        return QByteArrayLiteral("id");
    // Safe names only (checked by parse): the literal path lets SQLite use expression indexes.
    return "json_extract(doc, '$." + field.toLatin1() + "')";
}

QString ListQuery::sortSignature() const
{
    QStringList parts;
    for (const SortKey &k : sort)
        parts.append((k.descending ? QStringLiteral("-") : QString()) + k.field);
    parts.append(idDescending ? QStringLiteral("-id") : QStringLiteral("id"));
    return parts.join(QLatin1Char(','));
}

bool ListQuery::parse(const QList<std::pair<QString, QString>> &items, const Collection &collection, ListQuery *out,
                      QString *error, const QStringList &ignored)
{
    qsizetype queryChars = 0;
    for (const auto &[key, value] : items)
        queryChars += key.size() + value.size() + 2;
    if (queryChars > kMaxQueryChars) {
        *error = QStringLiteral("the query string is %1 characters long; at most %2").arg(queryChars).arg(kMaxQueryChars);
        return false;
    }
    ListQuery q;
    QStringList properties = collection.schema.propertyNames();
    properties.removeAll(QStringLiteral("id"));
    auto knownField = [&](const QString &f) {
        return f == QLatin1String("id") || (properties.contains(f) && isSafeFieldName(f));
    };
    bool idSeen = false;
    QSet<QString> sortFields;
    for (const auto &[key, value] : items) {
        if (ignored.contains(key))
            continue;
        if (key == QLatin1String("limit")) {
            bool ok = false;
            q.limit = value.toInt(&ok);
            if (!ok || q.limit < 1 || q.limit > kMaxLimit) {
                *error = QStringLiteral("limit must be 1..%1, got '%2'").arg(kMaxLimit).arg(value.left(64));
                return false;
            }
        } else if (key == QLatin1String("sort")) {
            const QStringList parts = value.split(QLatin1Char(','), Qt::SkipEmptyParts);
            // Checked before anything else: the keys' number is what makes a query expensive.
            if (parts.size() + sortFields.size() > kMaxSortKeys + 1) {
                *error = QStringLiteral("sort has %1 keys; at most %2 (plus id)").arg(parts.size() + sortFields.size()).arg(kMaxSortKeys);
                return false;
            }
            for (const QString &part : parts) {
                SortKey k;
                k.descending = part.startsWith(QLatin1Char('-'));
                k.field = k.descending || part.startsWith(QLatin1Char('+')) ? part.mid(1) : part;
                if (!knownField(k.field)) {
                    *error = QStringLiteral("cannot sort by unknown field '%1'").arg(k.field.left(64));
                    return false;
                }
                if (idSeen) {
                    *error = QStringLiteral("id must be the last sort key (it breaks ties), got '%1' after it").arg(part);
                    return false;
                }
                if (k.field == QLatin1String("id")) {
                    // id is always the last key; asking for it explicitly only sets its direction.
                    q.idDescending = k.descending;
                    idSeen = true;
                    continue;
                }
                if (sortFields.contains(k.field)) {
                    *error = QStringLiteral("sort names '%1' more than once; each field may appear once").arg(k.field);
                    return false;
                }
                sortFields.insert(k.field);
                if (q.sort.size() == kMaxSortKeys) {
                    *error = QStringLiteral("sort has more than %1 keys (plus id)").arg(kMaxSortKeys);
                    return false;
                }
                q.sort.append(k);
            }
        } else if (key == QLatin1String("cursor")) {
            if (value.size() > kMaxCursorChars) {
                *error = QStringLiteral("the cursor is %1 characters long; at most %2").arg(value.size()).arg(kMaxCursorChars);
                return false;
            }
            q.cursor = value.toLatin1();
        } else if (key == QLatin1String("include_deleted")) {
            if (value != QLatin1String("true") && value != QLatin1String("false")) {
                *error = QStringLiteral("include_deleted is true or false");
                return false;
            }
            q.includeDeleted = value == QLatin1String("true");
        } else {
            Filter f;
            f.field = key;
            QString op = QStringLiteral("eq");
            if (const auto open = key.indexOf(QLatin1Char('[')); open > 0 && key.endsWith(QLatin1Char(']'))) {
                f.field = key.left(open);
                op = key.mid(open + 1, key.size() - open - 2);
            }
            if (!knownField(f.field)) {
                *error = QStringLiteral("unknown field '%1' (known: %2)").arg(f.field.left(64), (QStringList{QStringLiteral("id")} + properties).join(QStringLiteral(", ")));
                return false;
            }
            static const QHash<QString, Op> ops{{QStringLiteral("eq"), Op::Eq}, {QStringLiteral("ne"), Op::Ne},
                                                {QStringLiteral("gt"), Op::Gt}, {QStringLiteral("gte"), Op::Gte},
                                                {QStringLiteral("lt"), Op::Lt}, {QStringLiteral("lte"), Op::Lte},
                                                {QStringLiteral("in"), Op::In}};
            if (!ops.contains(op)) {
                *error = QStringLiteral("unknown operator '%1' (known: eq, ne, gt, gte, lt, lte, in)").arg(op.left(64));
                return false;
            }
            if (q.filters.size() == kMaxFilters) {
                *error = QStringLiteral("more than %1 filters; at most %1").arg(kMaxFilters);
                return false;
            }
            f.op = ops.value(op);
            const QString type = f.field == QLatin1String("id") ? QStringLiteral("string") : collection.schema.propertyType(f.field);
            const QStringList texts = f.op == Op::In ? value.split(QLatin1Char(',')) : QStringList{value};
            if (texts.size() > kMaxInValues) {
                *error = QStringLiteral("%1[in] has %2 values; at most %3").arg(f.field).arg(texts.size()).arg(kMaxInValues);
                return false;
            }
            for (const QString &t : texts) {
                if (t.size() > kMaxValueChars) {
                    *error = QStringLiteral("a value of %1 is %2 characters long; at most %3").arg(f.field).arg(t.size()).arg(kMaxValueChars);
                    return false;
                }
                if (t.contains(QChar(0))) {
                    // PostgreSQL text cannot hold it: refused on both backends, so both answer alike.
                    *error = QStringLiteral("a value of %1 holds the character U+0000, which filters do not take").arg(f.field);
                    return false;
                }
                SqlValue v;
                if (!typedValue(type, t, &v)) {
                    *error = QStringLiteral("%1 must be %2, got '%3'").arg(f.field, typeName(type), t);
                    return false;
                }
                f.values.append(v);
            }
            q.filters.append(f);
        }
    }
    *out = std::move(q);
    return true;
}

bool ListQuery::openCursor(const CursorSigner &signer, const QString &collection, QString *error)
{
    after.reset();
    if (cursor.isEmpty())
        return true;
    const std::optional<QByteArray> payload = signer.open(collection, cursor);
    const QJsonObject c = payload ? QJsonDocument::fromJson(*payload).object() : QJsonObject();
    const QJsonArray values = c.value(QStringLiteral("v")).toArray();
    QList<SqlValue> decoded;
    bool ok = payload && c.value(QStringLiteral("s")).toString() == sortSignature() && values.size() == sort.size() + 1;
    for (qsizetype i = 0; ok && i < values.size(); ++i) {
        SqlValue v;
        ok = SqlValue::fromTaggedJson(values.at(i), &v);
        decoded.append(v);
    }
    if (!ok) {
        *error = payload ? QStringLiteral("the cursor is not valid for this query (it was issued for another sort; "
                                          "use next_cursor with the sort it came with)")
                         : QStringLiteral("the cursor is not valid: it was not issued by this engine for this collection "
                                          "(tampered, truncated or foreign)");
        return false;
    }
    after = std::move(decoded);
    return true;
}

ListQuery::Sql ListQuery::toSql(const QByteArray &quotedTable, Dialect dialect) const
{
    if (dialect == Dialect::Postgres)
        return toPostgresSql(quotedTable);
    Sql sql;
    const QList<SortKey> &keys = sort;
    QByteArray select = "SELECT id, doc, version, position, updated_at, deleted";
    for (const SortKey &k : keys)
        select += ", " + fieldExpression(k.field);
    QByteArrayList where;
    if (!includeDeleted)
        where.append("deleted = 0");
    if (onlyByFunction)
        where.append("origin <> 0");
    for (const Filter &f : filters) {
        const QByteArray e = fieldExpression(f.field);
        switch (f.op) {
        case Op::Eq: where.append(e + (f.values.value(0).type == SqlValue::Null ? " IS ?" : " = ?")); break;
        case Op::Ne: where.append(e + " IS NOT ?"); break;   // a missing field is "not equal" too
        case Op::Gt: where.append(e + " > ?"); break;
        case Op::Gte: where.append(e + " >= ?"); break;
        case Op::Lt: where.append(e + " < ?"); break;
        case Op::Lte: where.append(e + " <= ?"); break;
        case Op::In: {
            QByteArrayList marks(f.values.size(), "?");
            where.append(e + " IN (" + marks.join(',') + ')');
            break;
        }
        }
        sql.bindings += f.values;
    }
    if (after) {
        // Keyset predicate, expanded so each key may have its own direction, with NULLs
        // ordered as SQLite orders them (first ascending, last descending).
        QByteArrayList alternatives;
        QByteArray prefix;
        QList<SqlValue> prefixBindings;
        const qsizetype n = keys.size();
        for (qsizetype i = 0; i <= n; ++i) {
            const bool isId = i == n;
            const QByteArray e = isId ? QByteArrayLiteral("id") : fieldExpression(keys.at(i).field);
            const bool desc = isId ? idDescending : keys.at(i).descending;
            const SqlValue &v = after->at(i);
            QByteArray beyond;
            QList<SqlValue> beyondBindings;
            if (v.type == SqlValue::Null) {
                if (!desc)
                    beyond = e + " IS NOT NULL";
            } else if (desc) {
                beyond = "(" + e + " < ? OR " + e + " IS NULL)";
                beyondBindings.append(v);
            } else {
                beyond = e + " > ?";
                beyondBindings.append(v);
            }
            if (!beyond.isEmpty()) {
                alternatives.append("(" + prefix + beyond + ")");
                sql.bindings += prefixBindings;
                sql.bindings += beyondBindings;
            }
            prefix += e + " IS ? AND ";
            prefixBindings.append(v);
        }
        where.append(alternatives.isEmpty() ? QByteArrayLiteral("0") : "(" + alternatives.join(" OR ") + ")");
    }
    QByteArrayList order;
    for (const SortKey &k : keys)
        order.append(fieldExpression(k.field) + (k.descending ? " DESC" : ""));
    order.append(idDescending ? QByteArrayLiteral("id DESC") : QByteArrayLiteral("id"));
    sql.text = select + " FROM " + quotedTable + (where.isEmpty() ? QByteArray() : " WHERE " + where.join(" AND "))
        + " ORDER BY " + order.join(", ") + " LIMIT " + QByteArray::number(limit + 1);
    return sql;
}

QByteArray ListQuery::nextCursor(const CursorSigner &signer, const QString &collection, const QList<SqlValue> &sortValues,
                                 const QString &id) const
{
    QJsonArray values;
    for (const SqlValue &v : sortValues)
        values.append(v.toTaggedJson());
    values.append(SqlValue::ofText(id).toTaggedJson());
    const QJsonObject c{{QStringLiteral("s"), sortSignature()}, {QStringLiteral("v"), values}};
    return signer.sign(collection, QJsonDocument(c).toJson(QJsonDocument::Compact));
}

} // namespace Gatehouse
