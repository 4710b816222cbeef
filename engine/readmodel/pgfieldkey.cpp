#include "pgfieldkey.h"

namespace Gatehouse {

namespace {
// The document as json operators can read it. PostgreSQL refuses to take any value out of a
// json text that holds the escape \u0000 anywhere (text cannot hold U+0000), which would make
// every key of such a document -- and its index entry, and so its write -- fail. SQLite's
// json_extract() ends such a string at the U+0000; so does this: each string is cut at its
// first \u0000 escape (one preceded by an even number of backslashes). The stored document
// is untouched: a GET returns it as written.
QByteArray readable()
{
    return QByteArrayLiteral(R"sql((CASE WHEN strpos(doc::text, '\u0000') = 0 THEN doc ELSE regexp_replace(doc::text, '((?:^|[^\\])(?:\\\\)*)\\u0000(?:[^"\\]|\\.)*"', '\1"', 'g')::json END))sql");
}
// Types, strings and numbers come from the parsed copy (`fields`, see fieldsColumn()): a
// look-up there is a binary search among the keys, where one on the json text parses the
// whole document again (each key's three expressions took seven such parses).
QByteArray value(const QString &field)
{
    return "(fields -> '" + field.toLatin1() + "')";
}
QByteArray scalar(const QString &field)
{
    return "(fields ->> '" + field.toLatin1() + "')";
}
QByteArray typeOf(const QString &field)
{
    return "jsonb_typeof" + value(field);
}
// Arrays and objects as they are written in the document: jsonb would give its own text
// (spaces, members reordered), SQLite gives them compact and in their order.
QByteArray writtenJson(const QString &field)
{
    return "(" + readable() + " -> '" + field.toLatin1() + "')";
}
} // namespace

QByteArray PgFieldKey::fieldsColumn()
{
    return "fields jsonb GENERATED ALWAYS AS (" + readable() + "::jsonb) STORED";
}

QByteArray PgFieldKey::rank(const QString &field)
{
    return "(CASE " + typeOf(field)
        + " WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 2 WHEN 'object' THEN 2"
          " ELSE 0 END)";
}

QByteArray PgFieldKey::number(const QString &field)
{
    // jsonb keeps a number as the exact numeric of its literal, and Qt and JavaScript write the
    // shortest text that reads back as the same double: distinct doubles stay distinct and in
    // order, and integers stay exact (2^53 + 1 included), as SQLite keeps them.
    return "(CASE " + typeOf(field) + " WHEN 'number' THEN " + scalar(field) + "::numeric WHEN 'boolean' THEN CASE "
        + scalar(field) + " WHEN 'true' THEN 1 ELSE 0 END END)";
}

QByteArray PgFieldKey::text(const QString &field)
{
    // Arrays and objects as their JSON text, which the json column keeps as stored (compact,
    // members in their order), as SQLite's json_extract() gives it.
    const QByteArray j = writtenJson(field);
    return "(CASE " + typeOf(field) + " WHEN 'string' THEN " + scalar(field) + " WHEN 'array' THEN " + j
        + "::text WHEN 'object' THEN " + j + "::text END COLLATE \"C\")";
}

QByteArray PgFieldKey::columns(const QString &field, const QByteArray &suffix)
{
    return rank(field) + suffix + ", " + number(field) + suffix + ", " + text(field) + suffix;
}

QByteArray PgFieldKey::bind(const SqlValue &value, QList<SqlValue> *bindings)
{
    bindings->append(value);
    return value.type == SqlValue::Text ? QByteArrayLiteral("?::text") : QByteArrayLiteral("?::numeric");
}

QByteArray PgFieldKey::compare(const QString &field, Op op, const SqlValue &value, QList<SqlValue> *bindings)
{
    if (value.type == SqlValue::Null) {
        // SQLite: `IS NULL`, `IS NOT NULL`; an order comparison with NULL is never true.
        switch (op) {
        case Op::Eq: return rank(field) + " = 0";
        case Op::Ne: return rank(field) + " <> 0";
        default: return QByteArrayLiteral("false");
        }
    }
    const bool isText = value.type == SqlValue::Text;
    const QByteArray r = rank(field);
    const QByteArray same = r + (isText ? " = 2" : " = 1");
    const QByteArray e = isText ? text(field) : number(field);
    auto with = [&](const char *sqlOp) -> QByteArray {
        return "(" + same + " AND " + e + ' ' + sqlOp + ' ' + bind(value, bindings) + ')';
    };
    // Numbers sort below text: above a number lies every text, below a text every number.
    auto orAlso = [&](const char *rankIs, const QByteArray &condition) -> QByteArray {
        return "(" + r + rankIs + " OR " + condition + ')';
    };
    switch (op) {
    case Op::Eq: return with("=");
    case Op::Ne: return "NOT " + with("=");   // a missing field is "not equal" too (never NULL here)
    case Op::Gt: return isText ? with(">") : orAlso(" = 2", with(">"));
    case Op::Gte: return isText ? with(">=") : orAlso(" = 2", with(">="));
    case Op::Lt: return isText ? orAlso(" = 1", with("<")) : with("<");
    case Op::Lte: return isText ? orAlso(" = 1", with("<=")) : with("<=");
    }
    return QByteArrayLiteral("false");
}

} // namespace Gatehouse
