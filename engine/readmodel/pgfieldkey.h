#pragma once

#include "sql/sqlvalue.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace Gatehouse {

// How a document field is compared and ordered on PostgreSQL, so list queries answer there
// exactly as SQLite answers with json_extract(): NULL (or missing) < numbers (booleans are
// 0 and 1) < text, numbers by value, text by bytes; arrays and objects compare as their JSON
// text. PostgreSQL has no such cross-type order, so a field's key is three expressions over
// the document -- over `fields`, the jsonb copy PostgreSQL makes of the `json` column as a row
// is written (fieldsColumn()), and for arrays and objects over the `json` text itself, which
// keeps them as written:
//   rank    0 null or missing, 1 number or boolean, 2 string, array or object
//   number  the exact numeric value when rank is 1
//   text    the string (COLLATE "C": bytes) or the array's or object's JSON text when rank is 2
// Ordering by (rank, number, text) is SQLite's order; comparisons are spelt per type of the
// bound value, as SQLite's rules decide them (a number is below every text, NULL equals
// nothing). An "index": true field gets one expression index over the three, which these
// very expressions use.
//
// U+0000, which PostgreSQL text cannot hold: a document string holding it is cut there, as
// SQLite's json_extract() cuts it (see readable() in the .cpp); a filter value holding it is
// refused by ListQuery on both backends. One known difference: an array or object holding
// such a string compares as its JSON text with the string cut (SQLite keeps the escape).
//
// Field names must be safe (ListQuery::isSafeFieldName): they are spliced as literals so the
// expressions match the index; values are always bound (?), never spliced.
namespace PgFieldKey {
// The generated column every collection's table has: the document parsed once per write.
QByteArray fieldsColumn();
QByteArray rank(const QString &field);
QByteArray number(const QString &field);
QByteArray text(const QString &field);
// "(rank), (number), (text)": an index's columns, or an ORDER BY's with `suffix` (" DESC").
QByteArray columns(const QString &field, const QByteArray &suffix = {});

// `field <op> value` as SQLite decides it, with the value bound as the next parameter(s):
// each bound value is appended to `bindings` and written as a positional `?`.
enum class Op { Eq, Ne, Gt, Gte, Lt, Lte };
QByteArray compare(const QString &field, Op op, const SqlValue &value, QList<SqlValue> *bindings);
// The placeholder of a newly bound value, cast to the type it is compared as.
QByteArray bind(const SqlValue &value, QList<SqlValue> *bindings);
}

} // namespace Gatehouse
