// The query string of a list request (GET /api/{collection}?...) through the list-query parser
// (engine/readmodel/listquery.*: filters, operators, sort keys, limit, cursor) and, when it is
// accepted, the SQL it builds, run by the real read store (engine/readmodel/readstore.*) over a
// small products collection with missing, null, mixed-type and deleted values.
// Checked besides memory safety and time:
//  - the generated SQL always prepares, with exactly as many parameters as bindings;
//  - a page never holds more than the limit, and paging with the returned cursors from the
//    first page on visits every matching document exactly once (keyset paging stays exact);
//  - a cursor the store handed out is accepted by the same query again.

#include "api/apirequest.h"
#include "config/collection.h"
#include "fuzzsupport.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>

#include <sqlite3.h>

#include <cstdint>

using namespace Gatehouse;

namespace {

const char *const kCollection = R"json({"schema": {"type": "object", "properties": {
  "name": {"type": "string"}, "price": {"type": "number", "index": true}, "qty": {"type": "integer"},
  "active": {"type": "boolean"}, "category": {"type": "string", "index": true}, "tags": {"type": "array"},
  "note": {"type": ["string", "null"]}, "rank": {}}}})json";

// Documents with every kind of value a field can hold in the store, deleted ones included.
const char *const kDocuments[] = {
    R"({"id":"a","name":"Lamp","price":19.5,"qty":3,"active":true,"category":"home","rank":1})",
    R"({"id":"b","name":"Chair","price":49,"qty":0,"active":false,"category":"home","rank":"x"})",
    R"({"id":"c","name":"Desk","price":null,"qty":12,"category":"office","note":null,"rank":null})",
    R"({"id":"d","name":"Pen","price":1.25,"qty":9007199254740993,"category":"office","tags":["a","b"]})",
    R"({"id":"e","name":"","price":-0.0,"qty":-7,"active":true,"rank":{"k":1}})",
    R"({"id":"f","name":"Ünïcødé ☃","price":1e308,"qty":2,"category":"h\u00f6me","note":"n"})",
    R"({"id":"g","name":"Mug","price":"12","qty":1.5,"category":"kitchen","rank":[1,2]})",
    R"({"id":"h","name":"Mug","price":12,"qty":1,"category":"kitchen","rank":2.5})",
    R"({"id":"i","name":"Null\u0000byte","price":12,"qty":1,"active":null,"category":"kitchen"})",
    R"({"id":"j","price":0,"qty":-9223372036854775808,"category":"","rank":true})",
    R"({"id":"k","name":"Zed","price":5e-324,"qty":100,"category":"Home","tags":[]})",
    R"({"id":"l","name":"quote\"d","price":12,"qty":1,"category":"kitchen","rank":false})",
    R"({"id":"m-deleted","name":"Gone","price":3,"qty":3,"category":"home"})",
    R"({"id":"n-deleted","name":"Gone too","price":null,"category":"office"})",
    R"({"id":"o","name":"Lamp","price":19.5,"qty":3,"active":true,"category":"home","rank":1})",
};

struct Fixture
{
    QTemporaryDir dir;
    ReadStore store;
    Collection collection;
    sqlite3 *db = nullptr;   // our own read connection, to check the SQL text itself
};

Fixture *fixture()
{
    static Fixture *f = [] {
        auto *fx = new Fixture;
        QStringList errors;
        fx->collection = Collection::fromJson(QStringLiteral("products"), QJsonDocument::fromJson(kCollection).object(), &errors);
        QString error;
        if (!errors.isEmpty() || !fx->dir.isValid() || !fx->store.open(StorageTarget::sqlite(fx->dir.filePath(QStringLiteral("readmodel.db"))), &error))
            Fuzz::fail(__FILE__, __LINE__, "setup", errors.join(QLatin1Char('\n')) + error);
        auto tx = fx->store.begin();
        tx->ensureCollection(QStringLiteral("products"), fx->collection.indexedFields);
        qint64 position = 0;
        for (const char *json : kDocuments) {
            const QJsonObject doc = QJsonDocument::fromJson(json).object();
            StoredDocument stored;
            stored.collection = QStringLiteral("products");
            stored.id = doc.value(QStringLiteral("id")).toString();
            stored.doc = json;
            stored.version = 0;
            stored.position = ++position;
            stored.updatedAtMs = 1700000000000 + position;
            stored.deleted = stored.id.endsWith(QLatin1String("-deleted"));
            tx->put(stored);
        }
        if (!tx->commit())
            Fuzz::fail(__FILE__, __LINE__, "commit", tx->errorString());
        const QByteArray path = fx->dir.filePath(QStringLiteral("readmodel.db")).toUtf8();
        if (sqlite3_open_v2(path.constData(), &fx->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
            Fuzz::fail(__FILE__, __LINE__, "sqlite3_open_v2", QString::fromUtf8(sqlite3_errmsg(fx->db)));
        return fx;
    }();
    return f;
}

void checkSql(const ListQuery &query)
{
    const ListQuery::Sql sql = query.toSql(ReadStore::quotedTable(QStringLiteral("products")));
    sqlite3_stmt *st = nullptr;
    const int rc = sqlite3_prepare_v2(fixture()->db, sql.text.constData(), int(sql.text.size()), &st, nullptr);
    const QString message = QString::fromUtf8(sqlite3_errmsg(fixture()->db));
    const int parameters = st ? sqlite3_bind_parameter_count(st) : -1;
    sqlite3_finalize(st);
    FUZZ_CHECK(rc == SQLITE_OK, QStringLiteral("generated SQL does not prepare (%1): %2").arg(message, QString::fromUtf8(sql.text.left(300))));
    FUZZ_CHECK(parameters == sql.bindings.size(), QStringLiteral("%1 parameters, %2 bindings").arg(parameters).arg(sql.bindings.size()));
}

using Items = QList<std::pair<QString, QString>>;

Items withCursor(Items items, const QByteArray &cursor)
{
    items.removeIf([](const auto &item) { return item.first == QLatin1String("cursor"); });
    items.append({QStringLiteral("cursor"), QString::fromLatin1(cursor)});
    return items;
}

// Parses and runs one list request as the query service does. False when it is refused (a
// bad parameter, a cursor this store did not issue, or the time budget ran out: all answers
// a client gets); a failing statement is a finding.
bool list(const Items &items, ReadStore::Page *page, ListQuery *query)
{
    QString error;
    if (!ListQuery::parse(items, fixture()->collection, query, &error, {QStringLiteral("min_position")})) {
        FUZZ_CHECK(!error.isEmpty(), QStringLiteral("refused without a message"));
        return false;
    }
    // The SQL as the store builds it, keyset condition included when the cursor opens.
    ListQuery opened = *query;
    if (opened.cursor.isEmpty() || opened.openCursor(fixture()->store.cursorSigner(), QStringLiteral("products"), &error))
        checkSql(opened);
    const ReadStatus status = fixture()->store.list(QStringLiteral("products"), *query, page);
    FUZZ_CHECK(status.ok() || status.kind == ReadStatus::Kind::BadRequest || status.kind == ReadStatus::Kind::TimedOut,
               QStringLiteral("the read failed: %1").arg(status.detail));
    if (!status.ok())
        return false;
    FUZZ_CHECK(page->items.size() <= query->limit, QStringLiteral("page over the limit"));
    FUZZ_CHECK(page->nextCursor.isEmpty() || page->items.size() == query->limit, QStringLiteral("cursor after a short page"));
    return true;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    Fuzz::quietLogs();
    fixture();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ApiRequest request;
    request.query = QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
    const Items items = request.queryItems();
    ReadStore::Page page;
    ListQuery query;
    if (!list(items, &page, &query))
        return 0;
    const bool fromStart = query.cursor.isEmpty();

    // Walk the pages with the cursors the store hands out.
    QSet<QString> seen;
    for (const StoredDocument &doc : page.items) {
        FUZZ_CHECK(!seen.contains(doc.id), QStringLiteral("'%1' twice on one page").arg(doc.id));
        seen.insert(doc.id);
    }
    int pages = 1;
    while (!page.nextCursor.isEmpty() && pages < 64) {
        ReadStore::Page next;
        ListQuery nextQuery;
        FUZZ_CHECK(list(withCursor(items, page.nextCursor), &next, &nextQuery),
                   QStringLiteral("our own cursor was refused: %1").arg(QString::fromLatin1(page.nextCursor)));
        for (const StoredDocument &doc : next.items) {
            FUZZ_CHECK(!seen.contains(doc.id), QStringLiteral("'%1' on two pages").arg(doc.id));
            seen.insert(doc.id);
        }
        page = next;
        ++pages;
    }
    if (fromStart && page.nextCursor.isEmpty()) {
        // Everything the query matches, in one page: the walk must have seen exactly that.
        Items all = items;
        all.removeIf([](const auto &item) { return item.first == QLatin1String("limit"); });
        all.append({QStringLiteral("limit"), QString::number(ListQuery::kMaxLimit)});
        ReadStore::Page whole;
        ListQuery wholeQuery;
        FUZZ_CHECK(list(all, &whole, &wholeQuery), QStringLiteral("the same query with the largest limit was refused"));
        QSet<QString> expected;
        for (const StoredDocument &doc : whole.items)
            expected.insert(doc.id);
        FUZZ_CHECK(expected == seen, QStringLiteral("paging saw %1 documents, one page holds %2").arg(seen.size()).arg(expected.size()));
    }
    return 0;
}
