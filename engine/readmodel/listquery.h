#pragma once

#include "sql/sqlvalue.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Gatehouse {

struct Collection;
class CursorSigner;

// A list request on one read collection, parsed and checked against the collection's schema:
//   field=value  field[gt|gte|lt|lte|ne]=value  field[in]=a,b  sort=field,-field  limit=1..1000
//   cursor=<opaque>  include_deleted=true
// Field names must be declared properties (or `id`); values are typed by the schema and only
// ever bound as parameters. Paging is keyset-based on (sort fields..., id), so no item is
// repeated or skipped while paging, even as other items are inserted between pages.
//
// A filter value may not hold U+0000 (PostgreSQL text cannot; see PgFieldKey).
//
// Bounded: the work SQLite does for a query grows with its sort keys (the keyset condition
// with their square) and filters, so each is capped (kMax*, 400 past them, the limit named).
// Cursors are signed (CursorSigner): parse() keeps the token, the read store opens it with
// its key before building SQL.
class ListQuery
{
public:
    enum class Op { Eq, Ne, Gt, Gte, Lt, Lte, In };
    struct Filter
    {
        QString field;
        Op op = Op::Eq;
        QList<SqlValue> values;
    };
    struct SortKey
    {
        QString field;
        bool descending = false;
    };
    // Which SQL toSql() speaks. The same query gives the same answer in both: PostgreSQL
    // compares and orders fields as SQLite's json_extract() does (see PgFieldKey).
    enum class Dialect { Sqlite, Postgres };
    struct Sql
    {
        QByteArray text;
        QList<SqlValue> bindings;   // one per ?, in order
        int sortColumn = 6;   // index of the first sort key column in the result
        // Result columns per sort key: SQLite 1 (the value); PostgreSQL 3 (rank, number as
        // text, text: see PgFieldKey and sortValue()).
        int keyColumns = 1;
    };

    static constexpr int kDefaultLimit = 50;
    static constexpr int kMaxLimit = 1000;
    static constexpr int kMaxSortKeys = 8;          // fields besides id, each at most once
    static constexpr int kMaxFilters = 16;          // filter parameters
    static constexpr int kMaxInValues = 100;        // values of one `in` filter
    static constexpr int kMaxValueChars = 1024;     // one filter value (each `in` value)
    static constexpr int kMaxQueryChars = 8192;     // the whole query string
    static constexpr int kMaxCursorChars = 4096;

    // `ignored`: parameters handled elsewhere (e.g. min_position). Returns false with a
    // message on any unknown field, bad operator, bad value, bad limit or exceeded cap. The
    // cursor is kept as given; openCursor() checks it.
    static bool parse(const QList<std::pair<QString, QString>> &items, const Collection &collection,
                      ListQuery *out, QString *error, const QStringList &ignored = {});

    // Verifies `cursor` (issued by `signer` for `collection`, with the same sort) and sets
    // `after`. False with a message for a tampered, truncated, foreign or mismatched cursor.
    bool openCursor(const CursorSigner &signer, const QString &collection, QString *error);

    // SELECT id, doc, version, position, updated_at, deleted, <sort keys> ... LIMIT limit+1.
    Sql toSql(const QByteArray &quotedTable, Dialect dialect = Dialect::Sqlite) const;
    // PostgreSQL: a sort key's value for the next cursor, from its three result columns.
    static SqlValue sortValue(qint64 rank, const QString &number, const QString &text);
    QByteArray nextCursor(const CursorSigner &signer, const QString &collection, const QList<SqlValue> &sortValues,
                          const QString &id) const;

    QList<Filter> filters;
    QList<SortKey> sort;          // without id, which always comes last
    bool idDescending = false;
    int limit = kDefaultLimit;
    bool includeDeleted = false;
    bool onlyByFunction = false;   // the engine's own (never from a client): StoredDocument::byFunction
    QByteArray cursor;                      // as the client gave it
    std::optional<QList<SqlValue>> after;   // opened cursor: sort values then id

    static QByteArray fieldExpression(const QString &field);
    static bool isSafeFieldName(const QString &field);

private:
    QString sortSignature() const;
    Sql toPostgresSql(const QByteArray &quotedTable) const;   // listquerypostgres.cpp
};

} // namespace Gatehouse
