// ListQuery's SQL for PostgreSQL: the same filters, sort and keyset condition as the SQLite
// SQL in listquery.cpp, spelt with PgFieldKey so they compare and order as SQLite does.
#include "listquery.h"
#include "pgfieldkey.h"

namespace Gatehouse {

namespace {
PgFieldKey::Op keyOp(ListQuery::Op op)
{
    switch (op) {
    case ListQuery::Op::Eq: return PgFieldKey::Op::Eq;
    case ListQuery::Op::Ne: return PgFieldKey::Op::Ne;
    case ListQuery::Op::Gt: return PgFieldKey::Op::Gt;
    case ListQuery::Op::Gte: return PgFieldKey::Op::Gte;
    case ListQuery::Op::Lt: return PgFieldKey::Op::Lt;
    case ListQuery::Op::Lte: return PgFieldKey::Op::Lte;
    case ListQuery::Op::In: break;
    }
    return PgFieldKey::Op::Eq;
}

bool isId(const QString &field)
{
    return field == QLatin1String("id");
}

// The id column is text COLLATE "C" and never NULL: plain comparisons are SQLite's.
QByteArray idCompare(PgFieldKey::Op op, const SqlValue &value, QList<SqlValue> *bindings)
{
    if (value.type != SqlValue::Text)   // ids are typed as strings; nothing else equals one
        return op == PgFieldKey::Op::Ne ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
    static const char *const ops[] = {" = ", " <> ", " > ", " >= ", " < ", " <= "};
    return "id" + QByteArray(ops[int(op)]) + PgFieldKey::bind(value, bindings);
}

QByteArray fieldCompare(const QString &field, PgFieldKey::Op op, const SqlValue &value, QList<SqlValue> *bindings)
{
    return isId(field) ? idCompare(op, value, bindings) : PgFieldKey::compare(field, op, value, bindings);
}
} // namespace

SqlValue ListQuery::sortValue(qint64 rank, const QString &number, const QString &text)
{
    if (rank == 0)
        return SqlValue::null();
    if (rank == 2)
        return SqlValue::ofText(text);
    bool isInteger = false;
    const qint64 i = number.toLongLong(&isInteger);
    if (isInteger)
        return SqlValue::ofInt(i);
    return SqlValue::ofReal(number.toDouble());
}

ListQuery::Sql ListQuery::toPostgresSql(const QByteArray &quotedTable) const
{
    Sql sql;
    sql.keyColumns = 3;
    QByteArray select = "SELECT id, doc, version, position, updated_at, deleted";
    for (const SortKey &k : sort) {
        select += ", " + PgFieldKey::rank(k.field) + ", " + PgFieldKey::number(k.field) + "::text, "
            + PgFieldKey::text(k.field);
    }
    QByteArrayList where;
    if (!includeDeleted)
        where.append("NOT deleted");
    if (onlyByFunction)
        where.append("origin <> 0");
    for (const Filter &f : filters) {
        if (f.op != Op::In) {
            where.append(fieldCompare(f.field, keyOp(f.op), f.values.value(0), &sql.bindings));
            continue;
        }
        // SQLite's IN matches a value equal to one listed; a NULL listed matches nothing.
        QByteArrayList any;
        for (const SqlValue &v : f.values) {
            if (v.type != SqlValue::Null)
                any.append(fieldCompare(f.field, PgFieldKey::Op::Eq, v, &sql.bindings));
        }
        where.append(any.isEmpty() ? QByteArrayLiteral("false") : "(" + any.join(" OR ") + ")");
    }
    if (after) {
        // Keyset predicate, one alternative per key: equal on the keys before it, beyond it on
        // this one, each in its own direction (NULL first ascending, last descending). Every
        // alternative binds its own values.
        QByteArrayList alternatives;
        const qsizetype n = sort.size();
        auto fieldAt = [&](qsizetype i) { return i == n ? QStringLiteral("id") : sort.at(i).field; };
        for (qsizetype i = 0; i <= n; ++i) {
            const QString field = fieldAt(i);
            const bool desc = i == n ? idDescending : sort.at(i).descending;
            const SqlValue &v = after->at(i);
            if (v.type == SqlValue::Null && desc)
                continue;   // nothing sorts after NULL descending
            QByteArrayList parts;
            for (qsizetype j = 0; j < i; ++j)
                parts.append(fieldCompare(fieldAt(j), PgFieldKey::Op::Eq, after->at(j), &sql.bindings));
            if (v.type == SqlValue::Null)
                parts.append(isId(field) ? QByteArrayLiteral("true") : PgFieldKey::rank(field) + " <> 0");
            else if (!desc)
                parts.append(fieldCompare(field, PgFieldKey::Op::Gt, v, &sql.bindings));
            else if (isId(field))
                parts.append(fieldCompare(field, PgFieldKey::Op::Lt, v, &sql.bindings));
            else   // below any value lies NULL too
                parts.append("(" + fieldCompare(field, PgFieldKey::Op::Lt, v, &sql.bindings) + " OR " + PgFieldKey::rank(field) + " = 0)");
            alternatives.append("(" + parts.join(" AND ") + ")");
        }
        where.append(alternatives.isEmpty() ? QByteArrayLiteral("false") : "(" + alternatives.join(" OR ") + ")");
    }
    QByteArrayList order;
    for (const SortKey &k : sort)
        order.append(PgFieldKey::columns(k.field, k.descending ? QByteArrayLiteral(" DESC") : QByteArray()));
    order.append(idDescending ? QByteArrayLiteral("id DESC") : QByteArrayLiteral("id"));
    sql.text = select + " FROM " + quotedTable + (where.isEmpty() ? QByteArray() : " WHERE " + where.join(" AND "))
        + " ORDER BY " + order.join(", ") + " LIMIT " + QByteArray::number(limit + 1);
    return sql;
}

} // namespace Gatehouse
