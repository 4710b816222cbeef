// ListQuery (DESIGN.md "Queries": filters, sorting, keyset paging) parsed from real query
// strings and run by a REAL ReadStore on a temporary readmodel.db holding 200 documents
// with varied, missing and null fields. Every result is compared with an oracle computed
// here from the same documents, which follows SQLite's rules for json_extract values
// (NULL < numbers < text, text by bytes, NULL never equal) -- independently of the code
// under test. The hostile cases check the bounds: caps on sort keys, filters and sizes (the
// request that once froze the gateway: 500 and 2,000 sort keys with a forged cursor), signed
// cursors, a time budget per statement, and failures that never read as empty pages.
//
// Also run as @postgres, where the same oracle checks PostgreSQL's answers (PgFieldKey spells
// SQLite's rules there), and where hostileQueriesAnswerAlikeOnBothBackends runs the fuzz
// corpus of list queries, and many more, against a SQLite and a PostgreSQL store side by side.
#include "api/apirequest.h"
#include "config/collection.h"
#include "config/projectconfig.h"
#include "readmodel/cursorsigner.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "sql/pgconnection.h"
#include "sql/sqliteconnection.h"
#include "testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QUrl>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

const QString kCollection = u"items"_s;

// One document as the test wrote it.
struct TestDoc
{
    QString id;
    QJsonObject doc;
    bool deleted = false;
};

// A value as SQLite sees json_extract(doc, '$.field'): NULL, INTEGER, REAL or TEXT.
struct SqlLike
{
    enum Kind { Null, Int, Real, Text };
    Kind kind = Null;
    qint64 i = 0;
    double r = 0;
    QByteArray text;   // UTF-8: SQLite's BINARY collation compares bytes

    static SqlLike null() { return {}; }
    static SqlLike ofInt(qint64 v) { SqlLike s; s.kind = Int; s.i = v; return s; }
    static SqlLike ofReal(double v) { SqlLike s; s.kind = Real; s.r = v; return s; }
    static SqlLike ofText(const QString &v) { SqlLike s; s.kind = Text; s.text = v.toUtf8(); return s; }
    bool isNull() const { return kind == Null; }
    bool isNumber() const { return kind == Int || kind == Real; }
};

// SQLite's ordering of two values: NULL < INTEGER/REAL (numerically) < TEXT (bytes).
int compare(const SqlLike &a, const SqlLike &b)
{
    auto rank = [](const SqlLike &v) { return v.isNull() ? 0 : v.isNumber() ? 1 : 2; };
    if (rank(a) != rank(b))
        return rank(a) < rank(b) ? -1 : 1;
    if (a.isNull())
        return 0;
    if (a.kind == SqlLike::Int && b.kind == SqlLike::Int)
        return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    if (a.isNumber()) {
        const double x = a.kind == SqlLike::Int ? double(a.i) : a.r;
        const double y = b.kind == SqlLike::Int ? double(b.i) : b.r;
        return x < y ? -1 : x > y ? 1 : 0;
    }
    const int c = std::memcmp(a.text.constData(), b.text.constData(), size_t(qMin(a.text.size(), b.text.size())));
    if (c != 0)
        return c < 0 ? -1 : 1;
    return a.text.size() < b.text.size() ? -1 : a.text.size() > b.text.size() ? 1 : 0;
}

SqlLike valueOf(const TestDoc &d, const QString &field)
{
    if (field == u"id"_s)
        return SqlLike::ofText(d.id);
    const QJsonValue v = d.doc.value(field);
    switch (v.type()) {
    case QJsonValue::Bool: return SqlLike::ofInt(v.toBool() ? 1 : 0);
    case QJsonValue::Double: {
        const QVariant var = v.toVariant();
        if (var.typeId() == QMetaType::LongLong)
            return SqlLike::ofInt(var.toLongLong());
        const double x = v.toDouble();
        // json_extract gives INTEGER for numbers written without a fraction.
        if (x == std::floor(x) && std::abs(x) < 1e15)
            return SqlLike::ofInt(qint64(x));
        return SqlLike::ofReal(x);
    }
    case QJsonValue::String: return SqlLike::ofText(v.toString());
    // Arrays and objects come out of json_extract as their minified JSON text.
    case QJsonValue::Array: return SqlLike::ofText(QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)));
    case QJsonValue::Object: return SqlLike::ofText(QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact)));
    default: return SqlLike::null();
    }
}

enum class Rel { Eq, Ne, Gt, Gte, Lt, Lte };

// `field <op> value` the way SQL evaluates it: comparisons with NULL are never true, except
// `ne`, which the read model defines as IS NOT (a missing field is "not equal" too).
bool rel(const TestDoc &d, const QString &field, Rel op, const SqlLike &value)
{
    const SqlLike v = valueOf(d, field);
    if (op == Rel::Ne)
        return v.isNull() != value.isNull() || (!v.isNull() && compare(v, value) != 0);
    if (v.isNull() || value.isNull())
        return false;
    const int c = compare(v, value);
    switch (op) {
    case Rel::Eq: return c == 0;
    case Rel::Gt: return c > 0;
    case Rel::Gte: return c >= 0;
    case Rel::Lt: return c < 0;
    case Rel::Lte: return c <= 0;
    case Rel::Ne: break;
    }
    return false;
}

SqlLike num(double v) { return SqlLike::ofReal(v); }
SqlLike integer(qint64 v) { return SqlLike::ofInt(v); }
SqlLike text(const QString &v) { return SqlLike::ofText(v); }

using Predicate = std::function<bool(const TestDoc &)>;

// The sort order the query asks for, as the oracle understands "sort=a,-b" (id last).
struct OracleSort
{
    QList<std::pair<QString, bool>> keys;   // field, descending
    bool idDescending = false;

    static OracleSort fromText(const QString &sort)
    {
        OracleSort s;
        for (const QString &part : sort.split(u',', Qt::SkipEmptyParts)) {
            const bool desc = part.startsWith(u'-');
            const QString field = desc || part.startsWith(u'+') ? part.mid(1) : part;
            if (field == u"id"_s) {
                s.idDescending = desc;
                break;
            }
            s.keys.append({field, desc});
        }
        return s;
    }
    bool less(const TestDoc &a, const TestDoc &b) const
    {
        for (const auto &[field, desc] : keys) {
            const int c = compare(valueOf(a, field), valueOf(b, field));
            if (c != 0)
                return desc ? c > 0 : c < 0;
        }
        const int c = compare(SqlLike::ofText(a.id), SqlLike::ofText(b.id));
        return idDescending ? c > 0 : c < 0;
    }
};

QList<std::pair<QString, QString>> itemsOf(const QByteArray &query)
{
    ApiRequest request;
    request.query = query;
    return request.queryItems();
}

QByteArray enc(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

QString describe(const SqlValue &v)
{
    switch (v.type) {
    case SqlValue::Null: return u"n"_s;
    case SqlValue::Integer: return u"i:"_s + QString::number(v.integer);
    case SqlValue::Real: return u"r:"_s + QString::number(v.real);
    case SqlValue::Text: return u"t:"_s + v.text;
    }
    return {};
}

// A parsed query in one line, e.g. "filters=[price gt r:20] sort=[-price] id=asc limit=50 deleted=false".
QString describe(const ListQuery &q)
{
    static const char *const ops[] = {"eq", "ne", "gt", "gte", "lt", "lte", "in"};
    QStringList filters;
    for (const ListQuery::Filter &f : q.filters) {
        QStringList values;
        for (const SqlValue &v : f.values)
            values.append(describe(v));
        filters.append(f.field + u' ' + QLatin1String(ops[int(f.op)]) + u' ' + values.join(u'|'));
    }
    QStringList sort;
    for (const ListQuery::SortKey &k : q.sort)
        sort.append((k.descending ? u"-"_s : QString()) + k.field);
    return u"filters=["_s + filters.join(u"; "_s) + u"] sort=["_s + sort.join(u',') + u"] id="_s
        + (q.idDescending ? u"desc"_s : u"asc"_s) + u" limit="_s + QString::number(q.limit) + u" deleted="_s
        + (q.includeDeleted ? u"true"_s : u"false"_s) + (q.cursor.isEmpty() ? QString() : u" cursor"_s);
}

// Runs `sql` on the store's database behind its back (to break or fill it by hand).
bool rawSql(const StorageTarget &target, const QByteArray &sql)
{
    if (target.isPostgres()) {
        PgConnection db;
        QString error;
        if (!db.open(target.postgres, u"test"_s, &error) || !db.exec(QString::fromUtf8(sql))) {
            qWarning("%s", qPrintable(error + db.errorString()));
            return false;
        }
        return true;
    }
    SqliteConnection db;
    return db.open(target.sqlitePath) && db.exec(sql);
}

ListQuery::Dialect dialect()
{
    return Test::usesPostgres() ? ListQuery::Dialect::Postgres : ListQuery::Dialect::Sqlite;
}

} // namespace

Q_DECLARE_METATYPE(Predicate)

class tst_ListQuery : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void parse_data();
    void parse();
    void parseRejects_data();
    void parseRejects();

    void filters_data();
    void filters();
    void valuesAreBoundNotSpliced();

    void sortAndPage_data();
    void sortAndPage();
    void pagingWhileInserting();
    void foreignOrTamperedCursorsAreRejected();
    void cursorsSurviveAReopenButNotAnotherKey();

    void capsAreEnforced_data();
    void capsAreEnforced();
    void hostileSortWithForgedCursorIsRefused_data();
    void hostileSortWithForgedCursorIsRefused();
    void failedReadsAreErrorsNotEmpty();
    void missingTableReadsAsEmpty();
    void slowStatementIsInterrupted();

    void injection_data();
    void injection();

    void hostileQueriesAnswerAlikeOnBothBackends();

private:
    const Collection &collection() const { return *m_project.collection(kCollection); }
    // Parses `query`; fails the test (returning false) when it does not parse.
    bool parseOk(const QByteArray &query, ListQuery *out);
    // Every id the query returns, following next_cursor page by page.
    QStringList pageAll(const QByteArray &query, int limit, int *pages = nullptr,
                        const std::function<void()> &betweenPages = {});
    QStringList oracle(const Predicate &matches, const QString &sort, bool includeDeleted = false) const;

    QTemporaryDir m_dir;
    ProjectConfig m_project;
    ReadStore m_store;
    QList<TestDoc> m_docs;
    int m_inserted = 0;
};

void tst_ListQuery::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // A schema with every kind of field the parser types: string, nullable number, integer,
    // boolean, untyped, array, plus declared properties whose NAMES are not safe in SQL.
    const QByteArray project = R"({"name":"t","collections":{"items":{"schema":{
        "type":"object",
        "properties":{
          "id":{"type":"string"},
          "name":{"type":"string","index":true},
          "price":{"type":["number","null"],"index":true},
          "stock":{"type":"integer"},
          "active":{"type":"boolean"},
          "category":{"type":"string","index":true},
          "note":{},
          "tags":{"type":"array","items":{"type":"string"}},
          "price)--":{"type":"number"},
          "a'b":{"type":"string"},
          "na\u00efve":{"type":"string"},
          "x y":{"type":"string"},
          "name[gt]":{"type":"string"}
        }}}}})";
    QStringList errors;
    m_project = ProjectConfig::fromJson(project, &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
    QVERIFY(m_project.collection(kCollection));

    QString error;
    QVERIFY2(m_store.open(Test::target(m_dir.path(), u"readmodel.db"_s), &error), qPrintable(error));

    static const QStringList specialNames{
        u"x' OR 1=1 --"_s, u"O'Brien"_s, u"\u00dcn\u00efc\u00f6d\u00e9 \u2603"_s, u"100%_match"_s, u"\"quoted\""_s,
        u"Robert'); DROP TABLE \"rm_items\";--"_s, u"a,b"_s};
    static const QStringList categories{u"tools"_s, u"toys"_s, u"food"_s};
    for (int i = 0; i < 200; ++i) {
        TestDoc d;
        d.id = QStringLiteral("item-%1").arg(i, 3, 10, QLatin1Char('0'));
        if (i == 7)
            d.id = u"o'brien"_s;
        if (i == 14)
            d.id = u"\u00fcn\u00ef-14"_s;
        if (i == 21)
            d.id = u"x\" OR \"1\"=\"1"_s;
        d.doc.insert(u"id"_s, d.id);
        if (i >= 5 && i < 5 + specialNames.size())
            d.doc.insert(u"name"_s, specialNames.at(i - 5));
        else if (i % 31 == 0)
            d.doc.insert(u"name"_s, QJsonValue::Null);
        else if (i % 23 != 0)
            d.doc.insert(u"name"_s, QStringLiteral("name-%1").arg(i % 17, 2, 10, QLatin1Char('0')));
        if (i % 29 == 0)
            d.doc.insert(u"price"_s, QJsonValue::Null);
        else if (i % 10 == 3)
            d.doc.insert(u"price"_s, i / 3.0);
        else if (i % 19 != 0)
            d.doc.insert(u"price"_s, ((i * 37) % 50) * 0.25);
        if (i == 42)
            d.doc.insert(u"stock"_s, qint64(9007199254740993LL));   // 2^53 + 1: beyond a double
        else if (i == 43)
            d.doc.insert(u"stock"_s, qint64(9007199254740992LL));
        else if (i % 11 != 0)
            d.doc.insert(u"stock"_s, i % 7);
        if (i % 13 != 0)
            d.doc.insert(u"active"_s, i % 3 == 0);
        if (i % 4 != 3)
            d.doc.insert(u"category"_s, categories.at(i % 4 % 3));
        if (i % 6 == 0)
            d.doc.insert(u"note"_s, QJsonValue::Null);
        else if (i % 6 == 1)
            d.doc.insert(u"note"_s, u"n\u00f1"_s);
        else if (i % 6 == 2)
            d.doc.insert(u"note"_s, i);
        d.doc.insert(u"tags"_s, QJsonArray{QString(u"t"_s + QString::number(i % 5))});
        d.deleted = i % 25 == 24;
        m_docs.append(d);
    }

    auto tx = m_store.begin();
    QVERIFY2(tx, qPrintable(m_store.errorString()));
    QVERIFY2(tx->ensureCollection(kCollection, collection().indexedFields), qPrintable(tx->errorString()));
    qint64 position = 0;
    for (const TestDoc &d : std::as_const(m_docs)) {
        StoredDocument s;
        s.collection = kCollection;
        s.id = d.id;
        s.doc = QJsonDocument(d.doc).toJson(QJsonDocument::Compact);
        s.version = 0;
        s.position = ++position;
        s.updatedAtMs = 1700000000000 + position;
        s.deleted = d.deleted;
        QVERIFY2(tx->put(s), qPrintable(tx->errorString()));
    }
    QVERIFY(tx->commit());
    tx.reset();
    QCOMPARE(m_store.count(kCollection, true), qint64(200));
    QCOMPARE(m_store.count(kCollection), qint64(200 - 8));
}

bool tst_ListQuery::parseOk(const QByteArray &query, ListQuery *out)
{
    QString error;
    if (!ListQuery::parse(itemsOf(query), collection(), out, &error)) {
        qWarning("'%s' did not parse: %s", query.constData(), qPrintable(error));
        return false;
    }
    return true;
}

QStringList tst_ListQuery::pageAll(const QByteArray &query, int limit, int *pages, const std::function<void()> &betweenPages)
{
    QStringList ids;
    QByteArray cursor;
    int n = 0;
    for (; n < 10000; ++n) {
        QByteArray q = query + (query.isEmpty() ? "" : "&") + "limit=" + QByteArray::number(limit);
        if (!cursor.isEmpty())
            q += "&cursor=" + cursor;
        ListQuery lq;
        if (!parseOk(q, &lq))
            return {u"<parse failed>"_s};
        ReadStore::Page page;
        QString error;
        if (!m_store.list(kCollection, lq, &page, &error))
            return {u"<list failed: "_s + error + u'>'};
        if (page.items.size() > limit)
            return {u"<page larger than the limit>"_s};
        for (const StoredDocument &d : std::as_const(page.items))
            ids.append(d.id);
        if (page.nextCursor.isEmpty())
            break;
        if (page.items.isEmpty())
            return {u"<empty page with a next cursor>"_s};
        cursor = page.nextCursor;
        if (betweenPages)
            betweenPages();
    }
    if (pages)
        *pages = n + 1;
    return ids;
}

QStringList tst_ListQuery::oracle(const Predicate &matches, const QString &sort, bool includeDeleted) const
{
    QList<TestDoc> selected;
    for (const TestDoc &d : m_docs) {
        if ((includeDeleted || !d.deleted) && (!matches || matches(d)))
            selected.append(d);
    }
    const OracleSort order = OracleSort::fromText(sort);
    std::stable_sort(selected.begin(), selected.end(), [&](const TestDoc &a, const TestDoc &b) { return order.less(a, b); });
    QStringList ids;
    for (const TestDoc &d : std::as_const(selected))
        ids.append(d.id);
    return ids;
}

// ---------------------------------------------------------------------------------------------
// parse

void tst_ListQuery::parse_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("parsed");

    QTest::newRow("defaults") << QByteArray() << u"filters=[] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("limit 1") << QByteArray("limit=1") << u"filters=[] sort=[] id=asc limit=1 deleted=false"_s;
    QTest::newRow("limit 1000") << QByteArray("limit=1000") << u"filters=[] sort=[] id=asc limit=1000 deleted=false"_s;
    QTest::newRow("eq string") << QByteArray("name=Desk%20lamp")
                               << u"filters=[name eq t:Desk lamp] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("plus is a space") << QByteArray("name=Desk+lamp")
                                     << u"filters=[name eq t:Desk lamp] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("string null is text") << QByteArray("name=null")
                                         << u"filters=[name eq t:null] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("number typed real") << QByteArray("price[gt]=20")
                                       << u"filters=[price gt r:20] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("integer typed int") << QByteArray("stock[gte]=3")
                                       << u"filters=[stock gte i:3] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("integer with fraction") << QByteArray("stock[lt]=2.5")
                                           << u"filters=[stock lt r:2.5] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("boolean") << QByteArray("active=true&active[ne]=false")
                             << u"filters=[active eq i:1; active ne i:0] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("untyped null") << QByteArray("note=null") << u"filters=[note eq n] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("untyped text") << QByteArray("note=5") << u"filters=[note eq t:5] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("every operator")
        << QByteArray("price[gt]=1&price[gte]=2&price[lt]=3&price[lte]=4&price[ne]=5&price[eq]=6&price[in]=7,8.5")
        << u"filters=[price gt r:1; price gte r:2; price lt r:3; price lte r:4; price ne r:5; price eq r:6; price in r:7|r:8.5] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("in strings") << QByteArray("category[in]=tools,toys")
                                << u"filters=[category in t:tools|t:toys] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("id filter") << QByteArray("id[gte]=item-100")
                               << u"filters=[id gte t:item-100] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("encoded brackets") << QByteArray("price%5Blte%5D=9")
                                      << u"filters=[price lte r:9] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("sort mixed") << QByteArray("sort=-price,name,%2Bstock")
                                << u"filters=[] sort=[-price,name,stock] id=asc limit=50 deleted=false"_s;
    QTest::newRow("sort id desc") << QByteArray("sort=-id") << u"filters=[] sort=[] id=desc limit=50 deleted=false"_s;
    QTest::newRow("sort then id desc") << QByteArray("sort=category,-id")
                                       << u"filters=[] sort=[category] id=desc limit=50 deleted=false"_s;
    QTest::newRow("include deleted") << QByteArray("include_deleted=true")
                                     << u"filters=[] sort=[] id=asc limit=50 deleted=true"_s;
    QTest::newRow("include deleted false") << QByteArray("include_deleted=false")
                                           << u"filters=[] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("unicode value") << QByteArray("name=") + enc(u"\u00dcn\u00efc\u00f6d\u00e9 \u2603"_s)
                                   << u"filters=[name eq t:\u00dcn\u00efc\u00f6d\u00e9 \u2603] sort=[] id=asc limit=50 deleted=false"_s;
    QTest::newRow("quote in value") << QByteArray("name=") + enc(u"x' OR 1=1 --"_s)
                                    << u"filters=[name eq t:x' OR 1=1 --] sort=[] id=asc limit=50 deleted=false"_s;
}

void tst_ListQuery::parse()
{
    QFETCH(QByteArray, query);
    QFETCH(QString, parsed);
    ListQuery q;
    QString error;
    QVERIFY2(ListQuery::parse(itemsOf(query), collection(), &q, &error), qPrintable(error));
    QCOMPARE(describe(q), parsed);
}

void tst_ListQuery::parseRejects_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("message");   // a part of the error message

    const QString limitMessage = u"limit must be 1..1000"_s;
    QTest::newRow("limit 0") << QByteArray("limit=0") << limitMessage;
    QTest::newRow("limit 1001") << QByteArray("limit=1001") << limitMessage;
    QTest::newRow("limit negative") << QByteArray("limit=-5") << limitMessage;
    QTest::newRow("limit text") << QByteArray("limit=ten") << limitMessage;
    QTest::newRow("limit empty") << QByteArray("limit=") << limitMessage;
    QTest::newRow("limit fraction") << QByteArray("limit=2.5") << limitMessage;
    QTest::newRow("limit huge") << QByteArray("limit=99999999999999999999") << limitMessage;

    QTest::newRow("unknown filter field") << QByteArray("colour=red") << u"unknown field 'colour'"_s;
    QTest::newRow("unknown field lists the known ones") << QByteArray("colour=red") << u"name"_s;
    QTest::newRow("unknown sort field") << QByteArray("sort=colour") << u"cannot sort by unknown field 'colour'"_s;
    QTest::newRow("unknown sort field desc") << QByteArray("sort=price,-colour") << u"unknown field 'colour'"_s;
    // id ends the order, but what follows it must still be a field.
    QTest::newRow("unknown sort field after id") << QByteArray("sort=id,colour") << u"unknown field 'colour'"_s;
    QTest::newRow("empty sort key") << QByteArray("sort=-") << u"cannot sort by unknown field ''"_s;
    QTest::newRow("sort with a space") << QByteArray("sort=price%20desc") << u"unknown field 'price desc'"_s;
    QTest::newRow("sort with SQL") << QByteArray("sort=price;DROP%20TABLE%20rm_items") << u"unknown field"_s;
    QTest::newRow("sort by an operator key") << QByteArray("sort=name[gt]") << u"unknown field"_s;

    QTest::newRow("unknown operator") << QByteArray("price[like]=5") << u"unknown operator 'like'"_s;
    QTest::newRow("empty operator") << QByteArray("price[]=5") << u"unknown operator ''"_s;
    QTest::newRow("two operators") << QByteArray("price[gt][lt]=5") << u"unknown operator"_s;
    QTest::newRow("operator case") << QByteArray("price[GT]=5") << u"unknown operator 'GT'"_s;
    QTest::newRow("index as operator") << QByteArray("tags[0]=t1") << u"unknown operator '0'"_s;
    QTest::newRow("unclosed bracket") << QByteArray("price[gt=5") << u"unknown field"_s;
    QTest::newRow("bracket only") << QByteArray("[gt]=5") << u"unknown field"_s;

    QTest::newRow("number not a number") << QByteArray("price=cheap") << u"price must be a number, got 'cheap'"_s;
    // JSON has no NaN: bound as a double it becomes SQL NULL and silently changes the filter.
    QTest::newRow("number NaN") << QByteArray("price[ne]=nan") << u"price must be a number, got 'nan'"_s;
    QTest::newRow("number empty") << QByteArray("price[gt]=") << u"price must be a number"_s;
    QTest::newRow("integer not a number") << QByteArray("stock=many") << u"got 'many'"_s;
    QTest::newRow("boolean yes") << QByteArray("active=yes") << u"active must be true or false, got 'yes'"_s;
    QTest::newRow("boolean 1") << QByteArray("active=1") << u"active must be true or false"_s;
    QTest::newRow("in with a bad member") << QByteArray("price[in]=1,two,3") << u"got 'two'"_s;
    QTest::newRow("in with an empty member") << QByteArray("price[in]=1,,3") << u"price must be a number"_s;
    QTest::newRow("include_deleted yes") << QByteArray("include_deleted=yes") << u"include_deleted is true or false"_s;

    QTest::newRow("cursor too long") << QByteArray("cursor=") + QByteArray(ListQuery::kMaxCursorChars + 1, 'a')
                                     << u"at most 4096"_s;
}

void tst_ListQuery::parseRejects()
{
    QFETCH(QByteArray, query);
    QFETCH(QString, message);
    ListQuery q;
    q.limit = 7;   // untouched on failure
    QString error;
    QVERIFY2(!ListQuery::parse(itemsOf(query), collection(), &q, &error), qPrintable(describe(q)));
    QVERIFY2(error.contains(message), qPrintable(error));
    QCOMPARE(q.limit, 7);
}

// ---------------------------------------------------------------------------------------------
// filters against the real store

void tst_ListQuery::filters_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<Predicate>("matches");
    QTest::addColumn<bool>("includeDeleted");

    auto row = [](const char *name, const QByteArray &query, Predicate p, bool includeDeleted = false) {
        QTest::newRow(name) << query << p << includeDeleted;
    };
    row("everything", QByteArray(), {});
    row("everything with deleted", "include_deleted=true", {}, true);
    row("price eq", "price=5", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Eq, num(5)); });
    row("price eq fraction", "price=7.25", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Eq, num(7.25)); });
    row("price gt", "price[gt]=10", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Gt, num(10)); });
    row("price gte", "price[gte]=10", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Gte, num(10)); });
    row("price lt", "price[lt]=3.5", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Lt, num(3.5)); });
    row("price lte", "price[lte]=3.5", [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Lte, num(3.5)); });
    row("price ne (missing and null count as not equal)", "price[ne]=5",
        [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Ne, num(5)); });
    row("price in", "price[in]=5,7.25,100",
        [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Eq, num(5)) || rel(d, u"price"_s, Rel::Eq, num(7.25)); });
    row("price range", "price[gt]=2&price[lte]=8",
        [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Gt, num(2)) && rel(d, u"price"_s, Rel::Lte, num(8)); });
    row("empty range", "price[gt]=8&price[lt]=2", [](const TestDoc &) { return false; });
    row("stock eq", "stock=3", [](const TestDoc &d) { return rel(d, u"stock"_s, Rel::Eq, integer(3)); });
    row("stock beyond a double", "stock=9007199254740993",
        [](const TestDoc &d) { return rel(d, u"stock"_s, Rel::Eq, integer(9007199254740993LL)); });
    row("stock gt fraction", "stock[gt]=2.5", [](const TestDoc &d) { return rel(d, u"stock"_s, Rel::Gt, num(2.5)); });
    row("stock ne", "stock[ne]=0", [](const TestDoc &d) { return rel(d, u"stock"_s, Rel::Ne, integer(0)); });
    row("stock in", "stock[in]=0,6", [](const TestDoc &d) {
        return rel(d, u"stock"_s, Rel::Eq, integer(0)) || rel(d, u"stock"_s, Rel::Eq, integer(6));
    });
    row("active true", "active=true", [](const TestDoc &d) { return rel(d, u"active"_s, Rel::Eq, integer(1)); });
    row("active false", "active=false", [](const TestDoc &d) { return rel(d, u"active"_s, Rel::Eq, integer(0)); });
    row("active ne true", "active[ne]=true", [](const TestDoc &d) { return rel(d, u"active"_s, Rel::Ne, integer(1)); });
    row("name eq", "name=name-04", [](const TestDoc &d) { return rel(d, u"name"_s, Rel::Eq, text(u"name-04"_s)); });
    row("name gte text order", "name[gte]=name-10",
        [](const TestDoc &d) { return rel(d, u"name"_s, Rel::Gte, text(u"name-10"_s)); });
    row("name lt text order", "name[lt]=O", [](const TestDoc &d) { return rel(d, u"name"_s, Rel::Lt, text(u"O"_s)); });
    row("name ne", "name[ne]=name-04", [](const TestDoc &d) { return rel(d, u"name"_s, Rel::Ne, text(u"name-04"_s)); });
    row("name in", "name[in]=name-01,name-02,nobody", [](const TestDoc &d) {
        return rel(d, u"name"_s, Rel::Eq, text(u"name-01"_s)) || rel(d, u"name"_s, Rel::Eq, text(u"name-02"_s));
    });
    row("string null is the text null", "name=null", [](const TestDoc &) { return false; });
    row("category and price", "category=tools&price[gte]=6", [](const TestDoc &d) {
        return rel(d, u"category"_s, Rel::Eq, text(u"tools"_s)) && rel(d, u"price"_s, Rel::Gte, num(6));
    });
    row("category ne includes missing", "category[ne]=food",
        [](const TestDoc &d) { return rel(d, u"category"_s, Rel::Ne, text(u"food"_s)); });
    row("id eq", "id=item-042", [](const TestDoc &d) { return d.id == u"item-042"_s; });
    row("id range", "id[gte]=item-100&id[lt]=item-120", [](const TestDoc &d) {
        return rel(d, u"id"_s, Rel::Gte, text(u"item-100"_s)) && rel(d, u"id"_s, Rel::Lt, text(u"item-120"_s));
    });
    row("id in", "id[in]=item-001,o'brien,item-024", [](const TestDoc &d) {
        return d.id == u"item-001"_s || d.id == u"o'brien"_s || d.id == u"item-024"_s;
    });
    row("deleted one by id with include_deleted", "id=item-024&include_deleted=true",
        [](const TestDoc &d) { return d.id == u"item-024"_s; }, true);
    row("deleted ones filtered", "include_deleted=true&stock=3",
        [](const TestDoc &d) { return rel(d, u"stock"_s, Rel::Eq, integer(3)); }, true);
    row("untyped text value", "note=" + enc(u"n\u00f1"_s),
        [](const TestDoc &d) { return rel(d, u"note"_s, Rel::Eq, text(u"n\u00f1"_s)); });
    row("untyped ne null: every present value", "note[ne]=null", [](const TestDoc &d) { return !valueOf(d, u"note"_s).isNull(); });
    // `note=null` is the one spelling that asks for records whose note is null (or absent):
    // the parser types it as SQL NULL on an untyped field, so it must match those records.
    row("untyped eq null: null or missing", "note=null", [](const TestDoc &d) { return valueOf(d, u"note"_s).isNull(); });
}

void tst_ListQuery::filters()
{
    QFETCH(QByteArray, query);
    QFETCH(Predicate, matches);
    QFETCH(bool, includeDeleted);
    const QStringList expected = oracle(matches, QString(), includeDeleted);
    QCOMPARE(pageAll(query, 1000), expected);
    // The same rows in pages of 7.
    QCOMPARE(pageAll(query, 7), expected);
}

void tst_ListQuery::valuesAreBoundNotSpliced()
{
    const QString evil = u"x' OR 1=1 --"_s;
    ListQuery q;
    QVERIFY(parseOk("name=" + enc(evil) + "&price[in]=1,2&sort=-price,name", &q));
    const ListQuery::Sql sql = q.toSql(ReadStore::quotedTable(kCollection), dialect());
    QVERIFY2(!sql.text.contains("OR 1=1"), sql.text.constData());
    QVERIFY2(!sql.text.contains("x'"), sql.text.constData());
    QCOMPARE(sql.bindings.size(), 3);
    QCOMPARE(sql.bindings.at(0).type, SqlValue::Text);
    QCOMPARE(sql.bindings.at(0).text, evil);
    QVERIFY2(sql.text.endsWith(" LIMIT 51"), sql.text.constData());
    QCOMPARE(sql.sortColumn, 6);

    // The cursor's values are bound too.
    ReadStore::Page page;
    QString error;
    ListQuery first;
    QVERIFY(parseOk("sort=name&limit=1", &first));
    QVERIFY(m_store.list(kCollection, first, &page, &error));
    QVERIFY(!page.nextCursor.isEmpty());
    ListQuery next;
    QVERIFY(parseOk("sort=name&limit=1&cursor=" + page.nextCursor, &next));
    QVERIFY2(next.openCursor(m_store.cursorSigner(), kCollection, &error), qPrintable(error));
    QVERIFY(next.after);
    const ListQuery::Sql pageSql = next.toSql(ReadStore::quotedTable(kCollection), dialect());
    QVERIFY2(!pageSql.text.contains(page.items.first().id.toUtf8()), pageSql.text.constData());
}

// ---------------------------------------------------------------------------------------------
// sorting and paging

void tst_ListQuery::sortAndPage_data()
{
    QTest::addColumn<QString>("sort");
    QTest::addColumn<QByteArray>("filter");
    QTest::addColumn<Predicate>("matches");
    QTest::addColumn<bool>("includeDeleted");

    auto row = [](const QString &sort, const QByteArray &filter = {}, Predicate p = {}, bool deleted = false) {
        QTest::newRow(qPrintable(u"sort="_s + sort + (filter.isEmpty() ? QString() : u" "_s + QString::fromUtf8(filter))))
            << sort << filter << p << deleted;
    };
    row(QString());
    row(u"-id"_s);
    row(u"name"_s);              // missing, null, equal names
    row(u"-name"_s);
    row(u"price"_s);             // reals, equal values, NULL and missing
    row(u"-price"_s);
    row(u"stock,-price"_s);      // mixed directions, many ties, 2^53 neighbours
    row(u"-stock,price"_s);
    row(u"category,-stock,name"_s);
    row(u"-category,stock,-name,-id"_s);
    row(u"active,-name"_s);
    row(u"price,-id"_s);
    row(u"-note"_s);             // untyped: NULL, numbers and text in one column
    row(u"note,price"_s);
    row(u"tags,-price"_s);       // arrays sort by their JSON text
    row(u"-price"_s, "category=tools", [](const TestDoc &d) { return rel(d, u"category"_s, Rel::Eq, text(u"tools"_s)); });
    row(u"name,price"_s, "price[gte]=3&stock[ne]=2",
        [](const TestDoc &d) { return rel(d, u"price"_s, Rel::Gte, num(3)) && rel(d, u"stock"_s, Rel::Ne, integer(2)); });
    row(u"-stock"_s, "include_deleted=true", {}, true);
}

void tst_ListQuery::sortAndPage()
{
    QFETCH(QString, sort);
    QFETCH(QByteArray, filter);
    QFETCH(Predicate, matches);
    QFETCH(bool, includeDeleted);

    QByteArray query = filter;
    if (!sort.isEmpty())
        query += QByteArray(query.isEmpty() ? "" : "&") + "sort=" + enc(sort);
    const QStringList expected = oracle(matches, sort, includeDeleted);
    QVERIFY(!expected.isEmpty());

    QCOMPARE(pageAll(query, 1000), expected);
    for (int limit : {1, 2, 3, 7, 50}) {
        int pages = 0;
        const QStringList got = pageAll(query, limit, &pages);
        // Every item once, none skipped, in order; the last page is not empty.
        QCOMPARE(got, expected);
        QCOMPARE(pages, int((expected.size() + limit - 1) / limit));
    }
}

void tst_ListQuery::pagingWhileInserting()
{
    // New documents arrive between pages, on both sides of the cursor and with sort values
    // equal to the ones on the page just read. The original documents come exactly once, in
    // order; nothing repeats.
    const QString sort = u"-price,stock"_s;
    const QByteArray query = "sort=" + enc(sort);
    const QStringList before = oracle({}, sort);
    QSet<QString> originals(before.cbegin(), before.cend());

    int step = 0;
    auto insert = [&] {
        auto tx = m_store.begin();
        QVERIFY(tx);
        for (int k = 0; k < 3; ++k) {
            TestDoc d;
            d.id = QStringLiteral("new-%1-%2").arg(step, 3, 10, QLatin1Char('0')).arg(k);
            d.doc = QJsonObject{{u"id"_s, d.id}, {u"name"_s, u"new"_s}, {u"stock"_s, (step + k) % 7}};
            if (k != 2)
                d.doc.insert(u"price"_s, ((step * 13 + k * 29) % 50) * 0.25);
            StoredDocument s;
            s.collection = kCollection;
            s.id = d.id;
            s.doc = QJsonDocument(d.doc).toJson(QJsonDocument::Compact);
            s.version = 0;
            s.position = 1000 + step;
            QVERIFY(tx->put(s));
            m_docs.append(d);
            ++m_inserted;
        }
        QVERIFY(tx->commit());
        ++step;
    };

    const QStringList got = pageAll(query, 5, nullptr, insert);
    QVERIFY(step > 10);

    QStringList originalsSeen;
    QSet<QString> seen;
    for (const QString &id : got) {
        QVERIFY2(!seen.contains(id), qPrintable(u"repeated: "_s + id));
        seen.insert(id);
        if (originals.contains(id))
            originalsSeen.append(id);
    }
    QCOMPARE(originalsSeen, before);
    // What was read is in the requested order (against everything that exists now).
    const QStringList now = oracle({}, sort);
    QStringList nowSeen;
    for (const QString &id : now) {
        if (seen.contains(id))
            nowSeen.append(id);
    }
    QCOMPARE(got, nowSeen);
    // And a fresh pass sees everything.
    QCOMPARE(pageAll(query, 9), now);
}

void tst_ListQuery::foreignOrTamperedCursorsAreRejected()
{
    ListQuery first;
    QVERIFY(parseOk("sort=price&limit=3", &first));
    ReadStore::Page page;
    QString error;
    QVERIFY(m_store.list(kCollection, first, &page, &error));
    const QByteArray cursor = page.nextCursor;
    QVERIFY(!cursor.isEmpty());

    auto status = [this](const QByteArray &query) {
        ListQuery q;
        QString e;
        if (!ListQuery::parse(itemsOf(query), collection(), &q, &e))
            return ReadStatus::failed(u"did not parse: "_s + e);
        ReadStore::Page p;
        return m_store.list(kCollection, q, &p);
    };
    // Same sort, other filters and limit: accepted.
    QVERIFY(status("sort=price&limit=10&cursor=" + cursor).ok());
    QVERIFY(status("sort=%2Bprice&price[gt]=1&cursor=" + cursor).ok());

    auto rejected = [&](const QByteArray &query) {
        const ReadStatus s = status(query);
        if (s.kind != ReadStatus::Kind::BadRequest || !s.detail.contains(u"cursor"_s)) {
            qWarning("%s: %s", query.constData(), qPrintable(s.detail));
            return false;
        }
        return true;
    };
    // Another sort than the one it was issued for.
    QVERIFY(rejected("sort=-price&cursor=" + cursor));
    QVERIFY(rejected("sort=price,-id&cursor=" + cursor));
    QVERIFY(rejected("sort=price,name&cursor=" + cursor));
    QVERIFY(rejected("sort=name&cursor=" + cursor));
    QVERIFY(rejected("cursor=" + cursor));
    // Truncated, tampered (each part), garbage.
    QVERIFY(rejected("sort=price&cursor=" + cursor.left(cursor.size() / 2)));
    QVERIFY(rejected("sort=price&cursor=" + cursor.left(cursor.size() - 1)));
    const qsizetype dot = cursor.indexOf('.');
    QVERIFY(dot > 0);
    for (qsizetype at : {qsizetype(0), dot / 2, dot - 1, dot + 1, cursor.size() - 2}) {
        QByteArray tampered = cursor;
        tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
        QVERIFY2(rejected("sort=price&cursor=" + tampered), tampered.constData());
    }
    QVERIFY(rejected("sort=price&cursor=" + cursor.left(dot)));   // the payload without its signature
    QVERIFY(rejected("sort=price&cursor=not-a-cursor"));
    QVERIFY(rejected("sort=price&cursor=."));

    // Hand-made cursors, as the unsigned ones were: even a well-formed position is refused now.
    auto make = [](const QByteArray &json) -> QByteArray {
        return "cursor=" + json.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    };
    QVERIFY(rejected("sort=price&" + make(R"({"s":"price,id","v":[["r",10],["t","item-999"]]})")));
    QVERIFY(rejected("sort=price&" + make(R"({"s":"price,id","v":[["i","1 OR 1=1"],["t","x"]]})")));
    QVERIFY(rejected("sort=price&" + make("[]")));

    // Signed for another collection: foreign.
    ListQuery q;
    QVERIFY(parseOk("sort=price&cursor=" + cursor, &q));
    QVERIFY(!q.openCursor(m_store.cursorSigner(), u"other"_s, &error));
    QVERIFY(q.openCursor(m_store.cursorSigner(), kCollection, &error));
}

void tst_ListQuery::cursorsSurviveAReopenButNotAnotherKey()
{
    // One store, closed and opened again (a restart), keeps its key: its cursors still work.
    QTemporaryDir dir;
    const Collection &items = collection();
    auto pageOf = [&](ReadStore &store, const QByteArray &query, ReadStore::Page *page) {
        ListQuery q;
        QString e;
        if (!ListQuery::parse(itemsOf(query), items, &q, &e))
            return ReadStatus::failed(e);
        return store.list(kCollection, q, page);
    };
    QByteArray cursor;
    QList<QString> secondPage;
    {
        ReadStore store;
        QString error;
        QVERIFY(store.open(Test::target(dir.path(), u"readmodel.db"_s), &error));
        auto tx = store.begin();
        QVERIFY(tx && tx->ensureCollection(kCollection, {}));
        for (int i = 0; i < 5; ++i) {
            StoredDocument d;
            d.collection = kCollection;
            d.id = u"r%1"_s.arg(i);
            d.doc = "{\"id\":\"r" + QByteArray::number(i) + "\",\"price\":" + QByteArray::number(10 - i) + '}';
            QVERIFY(tx->put(d));
        }
        QVERIFY(tx->commit());
        tx.reset();
        ReadStore::Page page;
        QVERIFY(pageOf(store, "sort=price&limit=2", &page).ok());
        cursor = page.nextCursor;
        QVERIFY(!cursor.isEmpty());
        QVERIFY(pageOf(store, "sort=price&limit=2&cursor=" + cursor, &page).ok());
        for (const StoredDocument &d : std::as_const(page.items))
            secondPage.append(d.id);
        QCOMPARE(secondPage, (QStringList{u"r2"_s, u"r1"_s}));
    }
    ReadStore reopened;
    QString error;
    QVERIFY(reopened.open(Test::target(dir.path(), u"readmodel.db"_s), &error));
    ReadStore::Page page;
    QVERIFY(pageOf(reopened, "sort=price&limit=2&cursor=" + cursor, &page).ok());
    QStringList ids;
    for (const StoredDocument &d : std::as_const(page.items))
        ids.append(d.id);
    QCOMPARE(ids, secondPage);

    // The same cursor at another data directory or database (another key): foreign.
    const ReadStatus foreign = pageOf(m_store, "sort=price&limit=2&cursor=" + cursor, &page);
    QCOMPARE(foreign.kind, ReadStatus::Kind::BadRequest);
    QVERIFY(page.items.isEmpty());
}

// ---------------------------------------------------------------------------------------------
// bounds

void tst_ListQuery::capsAreEnforced_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("message");   // names the limit

    auto repeat = [](const QByteArray &part, int n, char separator) {
        QByteArrayList parts(n, part);
        return parts.join(separator);
    };
    QByteArray eight = "name,price,stock,active,category,note,tags,-id";
    QTest::newRow("sort: 10 keys") << QByteArray("sort=name,price,stock,active,category,note,tags,id,name,price")
                                   << u"sort has 10 keys; at most 8"_s;
    QTest::newRow("sort: a field twice") << QByteArray("sort=price,-price") << u"more than once"_s;
    QTest::newRow("sort: a field twice over two parameters") << QByteArray("sort=price&sort=name,price") << u"more than once"_s;
    QTest::newRow("sort: 500 keys") << "sort=" + repeat("price", 500, ',') << u"at most 8"_s;
    QTest::newRow("sort: 2,000 keys") << "sort=" + repeat("price", 2000, ',') << u"at most 8"_s;
    QTest::newRow("sort: 8 per parameter, twice") << "sort=" + eight + "&sort=" + eight << u"at most 8"_s;
    QTest::newRow("filters: 17") << repeat("price[gt]=1", ListQuery::kMaxFilters + 1, '&') << u"at most 16"_s;
    QTest::newRow("in: 101 values") << "price[in]=" + repeat("1", ListQuery::kMaxInValues + 1, ',') << u"at most 100"_s;
    QTest::newRow("value: 1,025 characters") << "name=" + QByteArray(ListQuery::kMaxValueChars + 1, 'n') << u"at most 1024"_s;
    QTest::newRow("in value: 1,025 characters") << "name[in]=a," + QByteArray(ListQuery::kMaxValueChars + 1, 'n') << u"at most 1024"_s;
    QTest::newRow("query string: over 8,192 characters")
        << repeat("name=" + QByteArray(1000, 'n'), 9, '&') << u"at most 8192"_s;
}

void tst_ListQuery::capsAreEnforced()
{
    QFETCH(QByteArray, query);
    QFETCH(QString, message);
    ListQuery q;
    QString error;
    QVERIFY2(!ListQuery::parse(itemsOf(query), collection(), &q, &error), qPrintable(describe(q)));
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY2(error.size() < 2000, qPrintable(error.left(200)));

    // Right at the caps, everything is accepted and runs.
    static const QByteArray atCaps = [] {
        QByteArray in = "price[in]=0";
        for (int i = 1; i < ListQuery::kMaxInValues; ++i)
            in += ',' + QByteArray::number(i);
        QByteArray all = "sort=name,-price,stock,active,category,note,tags,-id&" + in + "&name[ne]=" + QByteArray(ListQuery::kMaxValueChars, 'z');
        for (int i = 2; i < ListQuery::kMaxFilters; ++i)
            all += "&stock[gt]=-" + QByteArray::number(i);
        return all;
    }();
    QVERIFY2(ListQuery::parse(itemsOf(atCaps), collection(), &q, &error), qPrintable(error));
    QCOMPARE(int(q.sort.size()), ListQuery::kMaxSortKeys - 1);   // every sortable field of this schema
    QCOMPARE(int(q.filters.size()), ListQuery::kMaxFilters);
    ReadStore::Page page;
    QVERIFY(m_store.list(kCollection, q, &page).ok());
}

void tst_ListQuery::hostileSortWithForgedCursorIsRefused_data()
{
    QTest::addColumn<int>("keys");
    QTest::newRow("500 sort keys") << 500;
    QTest::newRow("2,000 sort keys") << 2000;
}

void tst_ListQuery::hostileSortWithForgedCursorIsRefused()
{
    // The request that froze the gateway: GET ?sort=price,price,...&cursor=<forged to match>.
    // Its keyset condition grew with the square of the keys; SQLite compiled it for minutes.
    QFETCH(int, keys);
    QByteArrayList sortKeys(keys, "price");
    QJsonArray values;
    for (int i = 0; i < keys; ++i)
        values.append(QJsonArray{u"r"_s, 1.0});
    values.append(QJsonArray{u"t"_s, u"item-000"_s});
    const QByteArray signature = sortKeys.join(',') + ",id";
    const QByteArray forged = QJsonDocument(QJsonObject{{u"s"_s, QString::fromLatin1(signature)}, {u"v"_s, values}})
                                  .toJson(QJsonDocument::Compact)
                                  .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    const QByteArray query = "sort=" + sortKeys.join(',') + "&cursor=" + forged;
    ListQuery q;
    QString error;
    QVERIFY(!ListQuery::parse(itemsOf(query), collection(), &q, &error));
    QVERIFY2(error.contains(u"at most 8"_s), qPrintable(error.left(300)));

    // And with the keys within the cap, the forged cursor alone is refused before any SQL.
    const QByteArray capped = "sort=price&cursor=" + QJsonDocument(QJsonObject{
        {u"s"_s, u"price,id"_s}, {u"v"_s, QJsonArray{QJsonArray{u"r"_s, 1.0}, QJsonArray{u"t"_s, u"x"_s}}}})
        .toJson(QJsonDocument::Compact).toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    QVERIFY(ListQuery::parse(itemsOf(capped), collection(), &q, &error));
    ReadStore::Page page;
    const ReadStatus status = m_store.list(kCollection, q, &page);
    QCOMPARE(status.kind, ReadStatus::Kind::BadRequest);
    QVERIFY(page.items.isEmpty());
}

void tst_ListQuery::failedReadsAreErrorsNotEmpty()
{
    // A table that exists but cannot answer the read store's statements (made by hand with
    // another shape): every read is a failure, none an empty answer.
    const StorageTarget target = Test::target(m_dir.path(), u"readmodel.db"_s);
    QVERIFY(rawSql(target, "CREATE TABLE rm_broken(id TEXT PRIMARY KEY, other TEXT)"));
    auto drop = qScopeGuard([target] {
        if (!rawSql(target, "DROP TABLE rm_broken"))
            qWarning("could not drop rm_broken");
    });
    ListQuery q;
    QVERIFY(parseOk("sort=-id", &q));
    ReadStore::Page page;
    ReadStatus status = m_store.list(u"broken"_s, q, &page);
    QCOMPARE(status.kind, ReadStatus::Kind::Failed);
    QVERIFY2(status.detail.contains(Test::usesPostgres() ? u"column \"doc\" does not exist"_s : u"no such column"_s),
             qPrintable(status.detail));
    QVERIFY2(!status.detail.contains(u"SELECT"_s), qPrintable(status.detail));
    QString error;
    QVERIFY(!m_store.list(u"broken"_s, q, &page, &error));
    QCOMPARE(error, status.detail);

    QVERIFY(!m_store.document(u"broken"_s, u"x"_s, &status));
    QCOMPARE(status.kind, ReadStatus::Kind::Failed);
    QCOMPARE(m_store.count(u"broken"_s, false, &status), qint64(0));
    QCOMPARE(status.kind, ReadStatus::Kind::Failed);
    QVERIFY(m_store.collections(&status).contains(u"broken"_s));
    QVERIFY(status.ok());
}

void tst_ListQuery::missingTableReadsAsEmpty()
{
    // A collection with nothing projected yet has no table: that alone is an empty answer.
    ListQuery q;
    QVERIFY(parseOk("sort=-price", &q));
    ReadStore::Page page;
    ReadStatus status = ReadStatus::failed(u"not set"_s);
    status = m_store.list(u"nothing_yet"_s, q, &page);
    QVERIFY2(status.ok(), qPrintable(status.detail));
    QVERIFY(page.items.isEmpty());
    status = ReadStatus::failed(u"not set"_s);
    QVERIFY(!m_store.document(u"nothing_yet"_s, u"x"_s, &status));
    QVERIFY(status.ok());
    status = ReadStatus::failed(u"not set"_s);
    QCOMPARE(m_store.count(u"nothing_yet"_s, true, &status), qint64(0));
    QVERIFY(status.ok());
}

void tst_ListQuery::slowStatementIsInterrupted()
{
    // 200,000 documents sorted by a field no index covers: far more than a millisecond of
    // work. With a budget of 1 ms the statement is stopped and the read says so.
    QTemporaryDir dir;
    ReadStore store;
    QString error;
    const StorageTarget target = Test::target(dir.path(), u"readmodel.db"_s);
    QVERIFY(store.open(target, &error));
    {
        auto tx = store.begin();
        QVERIFY(tx && tx->ensureCollection(kCollection, {}));
        QVERIFY(tx->commit());
    }
    if (target.isPostgres()) {
        QVERIFY(rawSql(target, "INSERT INTO rm_items SELECT 'big-' || lpad(i::text, 6, '0'), json_build_object('id', 'big-'"
                               " || lpad(i::text, 6, '0'), 'name', md5(i::text), 'stock', i % 977), 0, i, 0, false"
                               " FROM generate_series(1, 200000) i"));
    } else {
        QVERIFY(rawSql(target, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)"
                               " INSERT INTO rm_items(id, doc, version, position, updated_at, deleted) SELECT printf('big-%06d', i), json_object('id', printf('big-%06d', i),"
                               " 'name', hex(randomblob(6)), 'stock', i % 977), 0, i, 0, 0 FROM n"));
    }
    ListQuery q;
    QVERIFY(parseOk("sort=-name,stock&limit=10", &q));
    ReadStore::Page page;
    QCOMPARE(store.queryBudgetMs(), ReadStore::kDefaultQueryBudgetMs);
    store.setQueryBudgetMs(1);
    const ReadStatus status = store.list(kCollection, q, &page);
    QCOMPARE(status.kind, ReadStatus::Kind::TimedOut);
    QCOMPARE(status.budgetMs, 1);
    QVERIFY(page.items.isEmpty());
    QVERIFY(page.nextCursor.isEmpty());
    ReadStatus countStatus;
    store.count(kCollection, false, &countStatus);
    QCOMPARE(countStatus.kind, ReadStatus::Kind::TimedOut);

    // Without a budget the same query answers.
    store.setQueryBudgetMs(0);
    QVERIFY(store.list(kCollection, q, &page).ok());
    QCOMPARE(page.items.size(), 10);
    QCOMPARE(store.count(kCollection, true), qint64(200000));
}

// ---------------------------------------------------------------------------------------------
// injection

void tst_ListQuery::injection_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<Predicate>("matches");   // when accepted: exactly these, literally

    auto literal = [](const char *name, const QString &field, const QString &value) {
        QTest::newRow(name) << QByteArray(enc(field) + '=' + enc(value)) << true
                            << Predicate([field, value](const TestDoc &d) { return rel(d, field, Rel::Eq, text(value)); });
    };
    auto refused = [](const char *name, const QByteArray &query) {
        QTest::newRow(name) << query << false << Predicate();
    };

    literal("quote OR 1=1", u"name"_s, u"x' OR 1=1 --"_s);
    literal("quote OR empty", u"name"_s, u"' OR ''='"_s);
    literal("double quotes", u"name"_s, u"\"quoted\""_s);
    literal("double quote OR", u"name"_s, u"\" OR \"\"=\""_s);
    literal("drop table", u"name"_s, u"Robert'); DROP TABLE \"rm_items\";--"_s);
    literal("percent and underscore are no wildcards", u"name"_s, u"100%_match"_s);
    literal("a lone percent", u"name"_s, u"%"_s);
    literal("unicode", u"name"_s, u"\u00dcn\u00efc\u00f6d\u00e9 \u2603"_s);
    literal("unicode lookalike", u"name"_s, u"\u00dcn\u00efc\u00f6d\u00e9 \u2604"_s);
    literal("backslash", u"name"_s, u"O\\'Brien"_s);
    literal("O'Brien", u"name"_s, u"O'Brien"_s);
    literal("id with a quote", u"id"_s, u"o'brien"_s);
    literal("id with double quotes", u"id"_s, u"x\" OR \"1\"=\"1"_s);
    literal("id comment", u"id"_s, u"item-001' --"_s);
    literal("json path in a value", u"name"_s, u"$.name"_s);
    QTest::newRow("in splits on commas only") << QByteArray("name[in]=" + enc(u"a','b"_s)) << true
                                             << Predicate([](const TestDoc &d) {
                                                    return rel(d, u"name"_s, Rel::Eq, text(u"a'"_s))
                                                        || rel(d, u"name"_s, Rel::Eq, text(u"'b"_s));
                                                });
    QTest::newRow("gt with a quote") << QByteArray("name[gt]=" + enc(u"z' OR '1'='1"_s)) << true
                                     << Predicate([](const TestDoc &d) { return rel(d, u"name"_s, Rel::Gt, text(u"z' OR '1'='1"_s)); });
    QTest::newRow("untyped field, SQL value") << QByteArray("note=" + enc(u"1 OR 1=1"_s)) << true
                                              << Predicate([](const TestDoc &d) { return rel(d, u"note"_s, Rel::Eq, text(u"1 OR 1=1"_s)); });

    refused("number with SQL", "price=" + enc(u"1 OR 1=1"_s));
    refused("number with a quote", "price[gt]=" + enc(u"0' OR '1'='1"_s));
    refused("integer with SQL", "stock[in]=" + enc(u"1) OR (1=1"_s));
    refused("boolean with SQL", "active=" + enc(u"true OR 1=1"_s));
    refused("undeclared field with SQL", enc(u"price)--"_s) + "=1");
    refused("declared field named price)--", enc(u"price)--"_s) + "[gt]=1");
    refused("declared field with a quote", enc(u"a'b"_s) + "=x");
    refused("declared field with a space", enc(u"x y"_s) + "=x");
    refused("declared field with unicode", enc(u"na\u00efve"_s) + "=x");
    refused("json_extract as a field", "json_extract=1");
    refused("json_extract call as a field", enc(u"json_extract(doc,'$.price')"_s) + "=1");
    refused("json path as a field", enc(u"$.price"_s) + "=1");
    refused("nested path as a field", "price.x=1");
    refused("doc column", "doc=x");
    refused("deleted column", "deleted=1");
    refused("rowid", "rowid=1");
    refused("field with a NUL", "name%00=x");
    refused("field with a comment", enc(u"name--"_s) + "=x");
    refused("operator with SQL", enc(u"price[gt] OR 1=1]"_s) + "=1");
    refused("operator with a quote", enc(u"price[gt']"_s) + "=1");
    refused("sort by SQL", "sort=" + enc(u"price; DROP TABLE rm_items"_s));
    refused("sort by a quoted field", "sort=" + enc(u"a'b"_s));
    refused("sort by json_extract", "sort=" + enc(u"json_extract(doc,'$.price')"_s));
    refused("sort by a declared field named name[gt]", "sort=" + enc(u"name[gt]"_s));
    refused("sort by price)--", "sort=" + enc(u"-price)--"_s));
    refused("sort by unicode", "sort=" + enc(u"na\u00efve"_s));
    refused("limit with SQL", "limit=" + enc(u"1; DROP TABLE rm_items"_s));
    // PostgreSQL text cannot hold U+0000: refused on both backends, so both answer alike.
    refused("nul byte", "name=" + enc(u"name-04\u0000' OR 1=1"_s));
    refused("nul byte in an in list", "name[in]=a," + enc(u"\u0000"_s));
}

void tst_ListQuery::injection()
{
    QFETCH(QByteArray, query);
    QFETCH(bool, accepted);
    QFETCH(Predicate, matches);

    ListQuery q;
    QString error;
    const bool ok = ListQuery::parse(itemsOf(query), collection(), &q, &error);
    QVERIFY2(ok == accepted, qPrintable(ok ? describe(q) : error));
    if (accepted)
        QCOMPARE(pageAll(query, 1000), oracle(matches, QString()));
    else
        QVERIFY(!error.isEmpty());
    // Nothing was changed or dropped.
    QCOMPARE(m_store.count(kCollection, true), qint64(200 + m_inserted));
    QCOMPARE(m_store.collections(), QStringList{kCollection});
}


// ---------------------------------------------------------------------------------------------
// both backends side by side

namespace {

// The fuzz target's collection and documents (tests/fuzz/fuzz_list_query.cpp): every kind of
// value a field holds, a string in a number field, 2^53 + 1, -2^63, 1e308, 5e-324, -0.0, a
// string holding U+0000, arrays and objects, deleted documents.
const char *const kProductsSchema = R"json({"schema": {"type": "object", "properties": {
  "name": {"type": "string"}, "price": {"type": "number", "index": true}, "qty": {"type": "integer"},
  "active": {"type": "boolean"}, "category": {"type": "string", "index": true}, "tags": {"type": "array"},
  "note": {"type": ["string", "null"]}, "rank": {}}}})json";

const char *const kProducts[] = {
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

// One list request as a client sees it: refused (and how), or every id of every page in
// order, following next_cursor.
QString answer(ReadStore &store, const Collection &collection, const QByteArray &query)
{
    ListQuery q;
    QString error;
    if (!ListQuery::parse(itemsOf(query), collection, &q, &error, {u"min_position"_s}))
        return u"refused: "_s + error;
    QStringList ids;
    for (int pages = 0; pages < 64; ++pages) {
        ReadStore::Page page;
        const ReadStatus status = store.list(collection.name, q, &page);
        if (!status.ok())
            return u"status %1 after %2"_s.arg(int(status.kind)).arg(ids.join(u','));
        for (const StoredDocument &d : std::as_const(page.items))
            ids.append(d.id);
        if (page.nextCursor.isEmpty())
            break;
        ids.append(u"|"_s);
        q.cursor = page.nextCursor;
    }
    return ids.join(u',');
}

} // namespace

void tst_ListQuery::hostileQueriesAnswerAlikeOnBothBackends()
{
    if (!Test::usesPostgres())
        QSKIP("compares SQLite with PostgreSQL: runs as tst_listquery@postgres");
    QStringList errors;
    const Collection products = Collection::fromJson(u"products"_s, QJsonDocument::fromJson(kProductsSchema).object(), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
    QTemporaryDir sqliteDir, postgresDir;
    ReadStore sqlite, postgres;
    QString error;
    QVERIFY2(sqlite.open(StorageTarget::sqlite(sqliteDir.filePath(u"readmodel.db"_s)), &error), qPrintable(error));
    QVERIFY2(postgres.open(Test::target(postgresDir.path(), u"readmodel.db"_s), &error), qPrintable(error));
    for (ReadStore *store : {&sqlite, &postgres}) {
        auto tx = store->begin();
        QVERIFY(tx && tx->ensureCollection(products.name, products.indexedFields));
        qint64 position = 0;
        for (const char *json : kProducts) {
            StoredDocument d;
            d.collection = products.name;
            d.id = QJsonDocument::fromJson(json).object().value(u"id"_s).toString();
            d.doc = json;
            d.version = 0;
            d.position = ++position;
            d.deleted = d.id.endsWith(u"-deleted"_s);
            QVERIFY(tx->put(d));
        }
        QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
    }
    // What a GET answers: the very bytes stored, on both.
    for (const char *json : kProducts) {
        const QString id = QJsonDocument::fromJson(json).object().value(u"id"_s).toString();
        QCOMPARE(postgres.document(products.name, id)->doc, QByteArray(json));
        QCOMPARE(sqlite.document(products.name, id)->doc, QByteArray(json));
    }

    // The fuzz corpus, then every operator on every field with values of every type, then
    // every sort, paged.
    QList<QByteArray> queries;
    const QDir corpus(QStringLiteral(GATEHOUSE_SOURCE_DIR "/tests/fuzz/corpus/list_query"));
    const QStringList seeds = corpus.entryList(QDir::Files, QDir::Name);
    QVERIFY(seeds.size() > 20);
    for (const QString &seed : seeds) {
        QFile file(corpus.filePath(seed));
        QVERIFY(file.open(QIODevice::ReadOnly));
        queries.append(file.readAll().trimmed());
    }
    const QList<QByteArray> fields{"id", "name", "price", "qty", "active", "category", "tags", "note", "rank"};
    const QList<QByteArray> ops{"", "[ne]", "[gt]", "[gte]", "[lt]", "[lte]", "[in]"};
    const QList<QByteArray> values{"0", "12", "1.5", "-7", "1e308", "5e-324", "9007199254740993", "-9223372036854775808",
                                   "Mug", "", "null", "true", "false", "x,12", "Home,home", enc(u"Ünïcødé ☃"_s),
                                   enc(u"quote\"d"_s), "Null", "%5B1%2C2%5D", "a", "h"};
    for (const QByteArray &field : fields) {
        for (const QByteArray &op : ops) {
            for (const QByteArray &value : values)
                queries.append(field + op + '=' + value + "&include_deleted=true");
        }
        queries.append("sort=" + field + "&limit=2");
        queries.append("sort=-" + field + ",-id&limit=3");
        queries.append("sort=" + field + ",-price&limit=1&include_deleted=true");
    }
    queries.append("sort=rank,-qty,name&limit=2");
    queries.append("sort=-category,price,-rank&limit=4&price[gte]=0");
    int accepted = 0;
    for (const QByteArray &query : std::as_const(queries)) {
        const QString fromSqlite = answer(sqlite, products, query);
        const QString fromPostgres = answer(postgres, products, query);
        if (fromSqlite != fromPostgres)
            QFAIL(qPrintable(u"%1\n   SQLite:     %2\n   PostgreSQL: %3"_s.arg(QString::fromUtf8(query), fromSqlite, fromPostgres)));
        accepted += fromSqlite.startsWith(u"refused"_s) ? 0 : 1;
    }
    QVERIFY2(accepted > 1000, qPrintable(QString::number(accepted)));
}

QTEST_GUILESS_MAIN(tst_ListQuery)

#include "tst_listquery.moc"
