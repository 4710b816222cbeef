// The read store (engine/readmodel/readstore.h) on the backend the test runs on -- a real
// readmodel.db, or (as tst_readstore@postgres) a real PostgreSQL database: documents come back
// as the very bytes stored, a batch keeps the last write of an id, documents and checkpoints
// commit together, reads of what is not there are empty answers inside a transaction too,
// long collection names stay apart, and two stores on one database sign cursors alike. On
// PostgreSQL also: a document another engine changed is read fresh (no cache), two engines
// create one collection at once, lost connections are reopened, an unreachable server is a
// prompt error, and tables written before documents were kept parsed (`fields`) are upgraded.
#include "config/collection.h"
#include "readmodel/listquery.h"
#include "readmodel/readstore.h"
#include "sql/pgconnection.h"
#include "testdatabase.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <thread>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

StoredDocument makeDoc(const QString &collection, const QString &id, const QByteArray &body, qint64 version = 0)
{
    StoredDocument d;
    d.collection = collection;
    d.id = id;
    d.doc = body;
    d.version = version;
    d.position = 100 + version;
    d.updatedAtMs = 1700000000123 + version;
    return d;
}

bool write(ReadStore &store, const QList<StoredDocument> &docs, const QStringList &collections = {u"items"_s})
{
    auto tx = store.begin();
    if (!tx)
        return false;
    for (const QString &c : collections) {
        if (!tx->ensureCollection(c, {}))
            return false;
    }
    return tx->put(docs) && tx->commit();
}

QStringList ids(const ReadStore::Page &page)
{
    QStringList out;
    for (const StoredDocument &d : page.items)
        out.append(d.id);
    return out;
}

// A list query of `collection` from a query string ("price[gte]=4&sort=-price"); one the test
// got wrong ends the test.
ListQuery listQuery(const Collection &collection, const QString &query)
{
    ListQuery q;
    QList<std::pair<QString, QString>> params;
    for (const QString &part : query.split(u'&'))
        params.append({part.section(u'=', 0, 0), part.section(u'=', 1)});
    QString error;
    if (!ListQuery::parse(params, collection, &q, &error))
        qFatal("%s", qPrintable(error));
    return q;
}

// Ends every other session on the store's database, as a server restart or a network cut would.
int terminateOtherSessions(const PostgresUrl &url)
{
    PgConnection admin;
    QString error;
    if (!admin.open(url, u"test admin"_s, &error))
        return -1;
    QSqlQuery q(admin.database());
    if (!q.exec(u"SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"_s) || !q.next())
        return -1;
    return q.value(0).toInt();
}

} // namespace

class tst_ReadStore : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void documentsComeBackAsStored_data();
    void documentsComeBackAsStored();
    void aBatchKeepsTheLastWriteOfAnId();
    void documentsAndCheckpointsCommitTogether();
    void aBatchAppliedElsewhereIsFencedOut();
    void missingCollectionsReadEmptyInsideATransaction();
    void longCollectionNamesStayApart();
    void twoStoresOnOneDatabaseSignAlike();
    void anotherEnginesChangeIsReadFresh();
    void twoEnginesCreateOneCollectionAtOnce();
    void lostConnectionsAreReopened();
    void tablesOfTheFirstLayoutAreUpgraded();
    void aResetOfTheProjectionKeepsWhatFunctionsWrote();
    void tablesWithoutTheOriginColumnAreUpgraded();
    void anUnreachableServerFailsPromptly();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ReadStore> m_store;
};

void tst_ReadStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = std::make_unique<ReadStore>();
    QString error;
    QVERIFY2(m_store->open(Test::target(m_dir->path(), u"readmodel.db"_s), &error), qPrintable(error));
}

void tst_ReadStore::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void tst_ReadStore::documentsComeBackAsStored_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("compact") << QByteArray(R"({"id":"x","n":1})");
    QTest::newRow("spaces and member order kept") << QByteArray(R"({ "z" : 1,  "a" : [ 1, 2 ] , "m":{"b":1,"a":2} })");
    QTest::newRow("raw unicode") << (u"{\"name\":\"\u00dcn\u00efc\u00f8d\u00e9 \u2603\"}"_s).toUtf8();
    QTest::newRow("escapes kept as written") << QByteArray(R"({"e":"caf\u00e9","q":"\"","b":"\\","t":"\t"})");
    QTest::newRow("an escaped U+0000") << QByteArray(R"({"name":"Null\u0000byte","n":2})");
    QTest::newRow("numbers as written") << QByteArray(R"({"big":9007199254740993,"min":-9223372036854775808,"f":1.50,"e":1E+2,"z":-0.0})");
    QTest::newRow("duplicate-looking quotes") << QByteArray(R"({"a'b":"x' OR 1=1 --"})");
    QTest::newRow("large") << QByteArray("{\"blob\":\"" + QByteArray(300000, 'x') + "\"}");
}

void tst_ReadStore::documentsComeBackAsStored()
{
    QFETCH(QByteArray, body);
    StoredDocument d = makeDoc(u"items"_s, u"doc-1"_s, body, 7);
    d.deleted = true;
    QVERIFY(write(*m_store, {d}));
    const auto read = m_store->document(u"items"_s, u"doc-1"_s);
    QVERIFY(read);
    QCOMPARE(read->doc, body);
    QCOMPARE(read->id, d.id);
    QCOMPARE(read->version, 7);
    QCOMPARE(read->position, 107);
    QCOMPARE(read->updatedAtMs, 1700000000130);
    QVERIFY(read->deleted);
    auto tx = m_store->begin();
    QVERIFY(tx);
    QCOMPARE(tx->get(u"items"_s, u"doc-1"_s)->doc, body);
    ListQuery q;
    q.includeDeleted = true;
    ReadStore::Page page;
    QVERIFY(m_store->list(u"items"_s, q, &page).ok());
    QCOMPARE(page.items.size(), 1);
    QCOMPARE(page.items.first().doc, body);
}

void tst_ReadStore::aBatchKeepsTheLastWriteOfAnId()
{
    // One put of many documents (one round trip per collection on PostgreSQL), with ids
    // written twice and collections interleaved: the last write of each id wins, as when the
    // documents are written one by one.
    QList<StoredDocument> docs;
    for (int i = 0; i < 2000; ++i)
        docs.append(makeDoc(i % 3 ? u"items"_s : u"others"_s, u"d%1"_s.arg(i % 700), "{\"i\":" + QByteArray::number(i) + '}', i));
    QVERIFY(write(*m_store, docs, {u"items"_s, u"others"_s}));
    for (int id = 0; id < 700; ++id) {
        for (const QString &collection : {u"items"_s, u"others"_s}) {
            int last = -1;
            for (int i = 0; i < 2000; ++i) {
                if (i % 700 == id && (collection == u"others"_s) == (i % 3 == 0))
                    last = i;
            }
            const auto doc = m_store->document(collection, u"d%1"_s.arg(id));
            if (last < 0) {
                QVERIFY(!doc);
                continue;
            }
            QVERIFY2(doc, qPrintable(collection + u'/' + QString::number(id)));
            QCOMPARE(doc->doc, "{\"i\":" + QByteArray::number(last) + '}');
            QCOMPARE(doc->version, last);
        }
    }
    QSet<QString> items, others;
    for (const StoredDocument &d : std::as_const(docs))
        (d.collection == u"items"_s ? items : others).insert(d.id);
    QCOMPARE(m_store->count(u"items"_s), qint64(items.size()));
    QCOMPARE(m_store->count(u"others"_s), qint64(others.size()));
}

void tst_ReadStore::documentsAndCheckpointsCommitTogether()
{
    QVERIFY(write(*m_store, {}));
    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"v":1})")));
        QVERIFY(tx->setCheckpoint(u"upsert"_s, 42));
    }   // rolled back: neither
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 0);
    QVERIFY(!m_store->document(u"items"_s, u"a"_s));
    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"v":2})")));
        QVERIFY(tx->setCheckpoint(u"upsert"_s, 43));
        QVERIFY(tx->setCheckpoint(u"other"_s, 5));
        QVERIFY(tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 43);
    QCOMPARE(m_store->checkpoint(u"other"_s), 5);
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->doc, QByteArray(R"({"v":2})"));
}

// Two engines on one read store, the second taking over the projection while the first still
// runs: whichever commits a batch first wins, the other's transaction fails whole (its
// documents too) instead of applying the batch a second time.
void tst_ReadStore::aBatchAppliedElsewhereIsFencedOut()
{
    QVERIFY(write(*m_store, {}));
    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        QVERIFY(tx->setCheckpointAfter(u"upsert"_s, 10, 1));   // no row yet: checkpoint 0
        QVERIFY(tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 10);
    {
        auto tx = m_store->begin();   // the new owner applies 11..20
        QVERIFY(tx);
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"by":"new owner"})")));
        QVERIFY(tx->setCheckpointAfter(u"upsert"_s, 20, 11));
        QVERIFY(tx->commit());
    }
    const quint64 failuresBefore = m_store->storageFailures();
    {
        auto tx = m_store->begin();   // the old owner, late with 11..15
        QVERIFY(tx);
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"by":"old owner"})")));
        QVERIFY(!tx->setCheckpointAfter(u"upsert"_s, 15, 11));
        QVERIFY2(tx->errorString().contains(u"already reached position 11"_s), qPrintable(tx->errorString()));
        QVERIFY(!tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 20);
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->doc, QByteArray(R"({"by":"new owner"})"));
    if (Test::usesPostgres())
        QCOMPARE(m_store->storageFailures(), failuresBefore + 1);   // so the runner reads the checkpoint back
    {
        auto tx = m_store->begin();   // the next batch, 21.., passes; unfenced writes always do
        QVERIFY(tx);
        QVERIFY(tx->setCheckpointAfter(u"upsert"_s, 25, 21));
        QVERIFY(tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 25);
    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        QVERIFY(tx->setCheckpoint(u"upsert"_s, 0));   // a rebuild starts over
        QVERIFY(tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 0);
}

void tst_ReadStore::missingCollectionsReadEmptyInsideATransaction()
{
    // A function reading a collection nobody projected yet gets nothing -- and its other
    // writes still commit (a failed statement would abort a PostgreSQL transaction).
    auto tx = m_store->begin();
    QVERIFY(tx);
    QVERIFY(!tx->get(u"nothing_yet"_s, u"x"_s));
    QVERIFY(!tx->remove(u"nothing_yet"_s, u"x"_s));
    QVERIFY(tx->ensureCollection(u"items"_s, {u"name"_s}));
    QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"name":"A"})")));
    QVERIFY(tx->setCheckpoint(u"f"_s, 3));
    QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
    tx.reset();
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->doc, QByteArray(R"({"name":"A"})"));
    QCOMPARE(m_store->checkpoint(u"f"_s), 3);
    ReadStatus status = ReadStatus::failed(u"not set"_s);
    QCOMPARE(m_store->collections(&status), QStringList{u"items"_s});
    QVERIFY(status.ok());
}

void tst_ReadStore::longCollectionNamesStayApart()
{
    // PostgreSQL cuts names at 63 bytes; "rm_" + 63 characters does not fit. Two names that
    // differ only past that point are still two tables, listed by their full names.
    const QString prefix(60, u'c');
    const QString one = prefix + u"one"_s, two = prefix + u"two"_s;
    QVERIFY(write(*m_store, {makeDoc(one, u"a"_s, R"({"n":1})"), makeDoc(two, u"a"_s, R"({"n":2})")}, {one, two}));
    {
        auto tx = m_store->begin();
        QVERIFY(tx && tx->ensureCollection(one, {u"n"_s, u"a_field_with_a_long_name_that_makes_the_index_name_long"_s}));
        QVERIFY(tx->commit());
    }
    QCOMPARE(m_store->document(one, u"a"_s)->doc, QByteArray(R"({"n":1})"));
    QCOMPARE(m_store->document(two, u"a"_s)->doc, QByteArray(R"({"n":2})"));
    QCOMPARE(m_store->collections(), (QStringList{one, two}));
    auto tx = m_store->begin();
    QVERIFY(tx && tx->dropCollection(one) && tx->commit());
    tx.reset();
    QVERIFY(!m_store->document(one, u"a"_s));
    QCOMPARE(m_store->collections(), QStringList{two});
}

void tst_ReadStore::twoStoresOnOneDatabaseSignAlike()
{
    // Every engine on one database signs cursors with the key kept there: a cursor engine A
    // handed out pages on engine B. (On SQLite: two stores on one readmodel.db.)
    QList<StoredDocument> docs;
    for (int i = 0; i < 10; ++i)
        docs.append(makeDoc(u"items"_s, u"d%1"_s.arg(i), "{\"price\":" + QByteArray::number(10 - i / 2) + '}'));
    QVERIFY(write(*m_store, docs));
    ReadStore other;
    QString error;
    QVERIFY2(other.open(Test::target(m_dir->path(), u"readmodel.db"_s), &error), qPrintable(error));

    QStringList errors;
    const Collection items = Collection::fromJson(
        u"items"_s, QJsonDocument::fromJson(R"({"schema":{"type":"object","properties":{"price":{"type":"number"}}}})").object(), &errors);
    QVERIFY(errors.isEmpty());
    auto parse = [&](const QString &query) { return listQuery(items, query); };
    ReadStore::Page first, second, fromOther;
    QVERIFY(m_store->list(u"items"_s, parse(u"sort=-price&limit=4"_s), &first).ok());
    QCOMPARE(ids(first), (QStringList{u"d0"_s, u"d1"_s, u"d2"_s, u"d3"_s}));
    const QString next = QString::fromLatin1(first.nextCursor);
    QVERIFY(m_store->list(u"items"_s, parse(u"sort=-price&limit=4&cursor="_s + next), &second).ok());
    const ReadStatus status = other.list(u"items"_s, parse(u"sort=-price&limit=4&cursor="_s + next), &fromOther);
    QVERIFY2(status.ok(), qPrintable(status.detail));
    QCOMPARE(ids(fromOther), (QStringList{u"d4"_s, u"d5"_s, u"d6"_s, u"d7"_s}));
    QCOMPARE(ids(fromOther), ids(second));
    QCOMPARE(fromOther.nextCursor.isEmpty(), second.nextCursor.isEmpty());
}

void tst_ReadStore::anotherEnginesChangeIsReadFresh()
{
    if (!Test::usesPostgres())
        QSKIP("one engine owns a readmodel.db; its DocumentCache is exact for its own commits");
    QVERIFY(write(*m_store, {makeDoc(u"items"_s, u"a"_s, R"({"v":1})", 1)}));
    ReadStore engineB;
    QString error;
    QVERIFY(engineB.open(Test::target(m_dir->path(), u"readmodel.db"_s), &error));
    QCOMPARE(engineB.document(u"items"_s, u"a"_s)->version, 1);   // read once (a cache would keep it)
    QCOMPARE(engineB.document(u"items"_s, u"a"_s)->version, 1);
    QVERIFY(write(*m_store, {makeDoc(u"items"_s, u"a"_s, R"({"v":2})", 2)}));
    QCOMPARE(engineB.document(u"items"_s, u"a"_s)->version, 2);
    QVERIFY(!engineB.cachedDocument(u"items"_s, u"a"_s));
    QCOMPARE(engineB.cacheStats().entries, 0);
}

void tst_ReadStore::twoEnginesCreateOneCollectionAtOnce()
{
    if (!Test::usesPostgres())
        QSKIP("one engine owns a readmodel.db");
    // Concurrent CREATE TABLE IF NOT EXISTS of one name collide in PostgreSQL's catalog unless
    // serialised: both engines' transactions must succeed, many times over.
    std::vector<std::unique_ptr<ReadStore>> engines;
    for (int i = 0; i < 2; ++i) {
        engines.push_back(std::make_unique<ReadStore>());
        QString error;
        QVERIFY(engines.back()->open(Test::target(m_dir->path(), u"readmodel.db"_s), &error));
    }
    std::atomic<int> failures{0};
    auto run = [&](ReadStore *store, int engine) {
        for (int round = 0; round < 15; ++round) {
            auto tx = store->begin();
            const QString collection = u"c%1"_s.arg(round);
            if (!tx || !tx->ensureCollection(collection, {u"name"_s, u"price"_s})
                || !tx->put(makeDoc(collection, u"e%1"_s.arg(engine), R"({"name":"x"})")) || !tx->commit()) {
                qWarning("engine %d round %d: %s", engine, round, tx ? qPrintable(tx->errorString()) : "no transaction");
                failures.fetch_add(1);
            }
        }
    };
    std::thread a(run, engines[0].get(), 0), b(run, engines[1].get(), 1);
    a.join();
    b.join();
    QCOMPARE(failures.load(), 0);
    for (int round = 0; round < 15; ++round)
        QCOMPARE(m_store->count(u"c%1"_s.arg(round)), qint64(2));
}

void tst_ReadStore::lostConnectionsAreReopened()
{
    if (!Test::usesPostgres())
        QSKIP("about PostgreSQL connections");
    const PostgresUrl url = Test::target(m_dir->path(), u"readmodel.db"_s).postgres;
    {
        auto tx = m_store->begin();
        QVERIFY(tx && tx->ensureCollection(u"items"_s, {}) && tx->put(makeDoc(u"items"_s, u"a"_s, R"({"v":1})", 1)));
        QVERIFY(tx->setCheckpoint(u"upsert"_s, 1) && tx->commit());
    }
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 1);
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 1);   // a connection without a time budget

    // Idle connections cut: the next reads and the next transaction open new ones (a
    // checkpoint read as 0 would have the projection start over).
    QVERIFY(terminateOtherSessions(url) >= 2);
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 1);
    ReadStatus status;
    const auto doc = m_store->document(u"items"_s, u"a"_s, &status);
    QVERIFY2(status.ok(), qPrintable(status.detail));
    QCOMPARE(doc->version, 1);
    QVERIFY2(write(*m_store, {makeDoc(u"items"_s, u"a"_s, R"({"v":2})", 2)}), qPrintable(m_store->errorString()));
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 2);

    // Cut in the middle of a transaction: it fails as a storage failure (the projection retries
    // after reading its checkpoint back), nothing of it is committed, the next one works.
    const quint64 before = m_store->storageFailures();
    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"v":3})", 3)));
        QVERIFY(terminateOtherSessions(url) >= 1);
        const bool wrote = tx->setCheckpoint(u"upsert"_s, 3) && tx->commit();
        QVERIFY(!wrote);
    }
    QVERIFY(m_store->storageFailures() > before);
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 1);
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 2);
    {
        auto tx = m_store->begin();
        QVERIFY2(tx, qPrintable(m_store->errorString()));
        QVERIFY(tx->put(makeDoc(u"items"_s, u"a"_s, R"({"v":4})", 4)) && tx->setCheckpoint(u"upsert"_s, 4) && tx->commit());
    }
    QCOMPARE(m_store->checkpoint(u"upsert"_s), 4);
    QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 4);
}

void tst_ReadStore::tablesOfTheFirstLayoutAreUpgraded()
{
    if (!Test::usesPostgres())
        QSKIP("about PostgreSQL's tables");
    const PostgresUrl url = Test::target(m_dir->path(), u"readmodel.db"_s).postgres;
    QList<StoredDocument> docs;
    for (int i = 0; i < 6; ++i)
        docs.append(makeDoc(u"items"_s, u"d%1"_s.arg(i), "{\"price\":" + QByteArray::number(i) + ",\"tags\":[\"t\",  " + QByteArray::number(i) + "]}"));
    QVERIFY(write(*m_store, docs));
    m_store.reset();
    {
        // The layout of schema version 3: no `fields`, an index over the json text.
        PgConnection admin;
        QString error;
        QVERIFY2(admin.open(url, u"test admin"_s, &error), qPrintable(error));
        QVERIFY2(admin.exec(u"ALTER TABLE rm_items DROP COLUMN fields;"
                            " CREATE INDEX rm_items__price ON rm_items (((doc ->> 'price')::numeric));"
                            " UPDATE gatehouse_schema SET version = 3 WHERE component = 'readmodel'"_s),
                 qPrintable(admin.errorString()));
    }
    m_store = std::make_unique<ReadStore>();
    QString error;
    QVERIFY2(m_store->open(Test::target(m_dir->path(), u"readmodel.db"_s), &error), qPrintable(error));

    PgConnection admin;
    QVERIFY2(admin.open(url, u"test admin"_s, &error), qPrintable(error));
    QSqlQuery q(admin.database());
    QVERIFY(q.exec(u"SELECT count(*) FILTER (WHERE fields ->> 'price' = '3'), count(*) FROM rm_items"_s) && q.next());
    QCOMPARE(q.value(0).toInt(), 1);
    QCOMPARE(q.value(1).toInt(), 6);
    QVERIFY(q.exec(u"SELECT count(*) FROM pg_indexes WHERE tablename = 'rm_items' AND indexname <> 'rm_items_pkey'"
                   " AND indexname <> 'rm_items__$origin'"_s) && q.next());
    QCOMPARE(q.value(0).toInt(), 0);   // the old index went; the engine builds the new one at start

    {
        auto tx = m_store->begin();
        QVERIFY(tx && tx->ensureCollection(u"items"_s, {u"price"_s}) && tx->commit());
    }
    QVERIFY(q.exec(u"SELECT indexdef FROM pg_indexes WHERE tablename = 'rm_items' AND indexname = 'rm_items__price'"_s) && q.next());
    QVERIFY2(q.value(0).toString().contains(u"fields"_s), qPrintable(q.value(0).toString()));

    // Queries answer as before, arrays compared as written (the spaces kept).
    QStringList errors;
    const Collection items = Collection::fromJson(u"items"_s, QJsonDocument::fromJson(
        R"({"schema":{"type":"object","properties":{"price":{"type":"number"},"tags":{"type":"array"}}}})").object(), &errors);
    QVERIFY(errors.isEmpty());
    auto parse = [&](const QString &query) { return listQuery(items, query); };
    ReadStore::Page page;
    QVERIFY(m_store->list(u"items"_s, parse(u"price[gte]=4&sort=-price"_s), &page).ok());
    QCOMPARE(ids(page), (QStringList{u"d5"_s, u"d4"_s}));
    QVERIFY(m_store->list(u"items"_s, parse(u"tags=[\"t\",  2]"_s), &page).ok());
    QCOMPARE(ids(page), QStringList{u"d2"_s});
    QVERIFY2(write(*m_store, {makeDoc(u"items"_s, u"d9"_s, R"({"price":9})", 1)}), qPrintable(m_store->errorString()));
    QVERIFY(m_store->list(u"items"_s, parse(u"price[gt]=5"_s), &page).ok());
    QCOMPARE(ids(page), QStringList{u"d9"_s});
}

void tst_ReadStore::aResetOfTheProjectionKeepsWhatFunctionsWrote()
{
    // A rebuild of the upsert projection starts with resetProjected() on every collection: what
    // the projection wrote goes, what a function wrote (ctx.upsert) stays, as the rebuild could
    // not write it again.
    auto byFunction = [](StoredDocument d) {
        d.byFunction = true;
        return d;
    };
    StoredDocument snap = makeDoc(u"mixed"_s, u"p1"_s, R"({"n":0})");
    QVERIFY(write(*m_store, {makeDoc(u"mixed"_s, u"p1"_s, R"({"n":1})"), makeDoc(u"mixed"_s, u"p2"_s, R"({"n":2})"),
                             byFunction(makeDoc(u"mixed"_s, u"f1"_s, R"({"by":"function"})")),
                             byFunction(makeDoc(u"mixed"_s, u"taken"_s, R"({"by":"function"})")),
                             makeDoc(u"plain"_s, u"p1"_s, R"({"n":1})")},
                  {u"mixed"_s, u"plain"_s}));
    {
        // The projection writes over a function's document: it is the projection's from then on.
        auto tx = m_store->begin();
        QVERIFY(tx && tx->put(makeDoc(u"mixed"_s, u"taken"_s, R"({"by":"projection"})", 1)) && tx->putSnapshots({snap}));
        QVERIFY(tx->commit());
    }
    QVERIFY(m_store->snapshot(u"mixed"_s, u"p1"_s, 1000));
    {
        // Inside a transaction the origin is known, per document and per collection, and the
        // index behind that survives dropping the field indexes.
        auto tx = m_store->begin();
        QVERIFY(tx);
        QCOMPARE(tx->get(u"mixed"_s, u"f1"_s)->byFunction, true);
        QCOMPARE(tx->get(u"mixed"_s, u"taken"_s)->byFunction, false);
        QCOMPARE(tx->hasFunctionDocuments(u"mixed"_s), std::optional<bool>(true));
        QCOMPARE(tx->hasFunctionDocuments(u"plain"_s), std::optional<bool>(false));
        QCOMPARE(tx->hasFunctionDocuments(u"never_written"_s), std::optional<bool>(false));
        QVERIFY(tx->dropIndexesExcept(u"mixed"_s, {}));
        QVERIFY(tx->commit());
    }
    if (Test::usesPostgres()) {
        PgConnection admin;
        QString error;
        QVERIFY2(admin.open(Test::target(m_dir->path(), u"readmodel.db"_s).postgres, u"test admin"_s, &error), qPrintable(error));
        QSqlQuery q(admin.database());
        QVERIFY(q.exec(u"SELECT count(*) FROM pg_indexes WHERE tablename = 'rm_mixed' AND indexdef LIKE '%WHERE (origin <> 0)%'"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), 1);
    } else {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"indexes"_s);
        db.setDatabaseName(Test::target(m_dir->path(), u"readmodel.db"_s).sqlitePath);
        QVERIFY(db.open());
        {
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'rm_mixed' AND sql LIKE '%WHERE origin <> 0%'"_s) && q.next());
            QCOMPARE(q.value(0).toInt(), 1);
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"indexes"_s);
    }
    QCOMPARE(m_store->document(u"mixed"_s, u"f1"_s)->doc, QByteArray(R"({"by":"function"})"));   // cached now
    // Statements on `plain` prepared before its table goes, as a reader's are.
    ReadStore::Page page;
    QVERIFY(m_store->storedDocument(u"plain"_s, u"p1"_s));
    QCOMPARE(m_store->count(u"plain"_s, true), 1);
    QVERIFY(m_store->list(u"plain"_s, ListQuery(), &page).ok());
    QCOMPARE(page.items.size(), 1);

    {
        auto tx = m_store->begin();
        QVERIFY(tx);
        for (const QString &c : {u"mixed"_s, u"plain"_s, u"never_written"_s})
            QVERIFY2(tx->resetProjected(c), qPrintable(c + u": "_s + tx->errorString()));
        QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
    }
    ReadStatus status;
    QCOMPARE(m_store->count(u"mixed"_s, true, &status), 1);
    QVERIFY(status.ok());
    QCOMPARE(m_store->document(u"mixed"_s, u"f1"_s)->doc, QByteArray(R"({"by":"function"})"));
    for (const QString &id : {u"p1"_s, u"p2"_s, u"taken"_s}) {
        QVERIFY2(!m_store->document(u"mixed"_s, id, &status), qPrintable(id));
        QVERIFY(status.ok());
    }
    QVERIFY(!m_store->snapshot(u"mixed"_s, u"p1"_s, 1000));
    // Nothing of the functions' in `plain`: its table went, and reading it is an empty answer.
    QCOMPARE(m_store->collections(&status), QStringList{u"mixed"_s});
    QVERIFY(!m_store->document(u"plain"_s, u"p1"_s, &status));
    QVERIFY(status.ok());
    QVERIFY(!m_store->storedDocument(u"plain"_s, u"p1"_s, &status));
    QVERIFY(status.ok());
    QCOMPARE(m_store->count(u"plain"_s, true, &status), 0);
    QVERIFY(status.ok());
    QVERIFY(m_store->list(u"plain"_s, ListQuery(), &page).ok());
    QVERIFY(page.items.isEmpty());

    // The projection writes `p1` again; a reset after it takes it and still leaves `f1`.
    QVERIFY(write(*m_store, {makeDoc(u"mixed"_s, u"p1"_s, R"({"n":1})")}, {u"mixed"_s}));
    {
        auto tx = m_store->begin();
        QVERIFY(tx && tx->resetProjected(u"mixed"_s) && tx->commit());
    }
    QVERIFY(m_store->list(u"mixed"_s, ListQuery(), &page).ok());
    QCOMPARE(ids(page), QStringList{u"f1"_s});
}

void tst_ReadStore::tablesWithoutTheOriginColumnAreUpgraded()
{
    // Tables written before documents were told apart by their writer get the column when the
    // store opens; what they hold counts as the projection's.
    QVERIFY(write(*m_store, {makeDoc(u"items"_s, u"a"_s, R"({"n":1})"), makeDoc(u"items"_s, u"b"_s, R"({"n":2})")}));
    m_store.reset();
    const StorageTarget target = Test::target(m_dir->path(), u"readmodel.db"_s);
    if (Test::usesPostgres()) {
        PgConnection admin;
        QString error;
        QVERIFY2(admin.open(target.postgres, u"test admin"_s, &error), qPrintable(error));
        QVERIFY2(admin.exec(u"ALTER TABLE rm_items DROP COLUMN origin;"
                            " UPDATE gatehouse_schema SET version = 4 WHERE component = 'readmodel'"_s),
                 qPrintable(admin.errorString()));
    } else {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"old layout"_s);
        db.setDatabaseName(target.sqlitePath);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY2(q.exec(u"DROP INDEX \"rm_items__$origin\""_s), qPrintable(q.lastError().text()));
        QVERIFY2(q.exec(u"ALTER TABLE rm_items DROP COLUMN origin"_s), qPrintable(q.lastError().text()));
        QVERIFY(!q.exec(u"SELECT origin FROM rm_items"_s));
        q = QSqlQuery();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(u"old layout"_s);
    }
    m_store = std::make_unique<ReadStore>();
    QString error;
    QVERIFY2(m_store->open(target, &error), qPrintable(error));
    StoredDocument f = makeDoc(u"items"_s, u"f"_s, R"({"by":"function"})");
    f.byFunction = true;
    QVERIFY2(write(*m_store, {f}), qPrintable(m_store->errorString()));
    {
        auto tx = m_store->begin();
        QVERIFY(tx && tx->resetProjected(u"items"_s));
        QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
    }
    ReadStore::Page page;
    QVERIFY(m_store->list(u"items"_s, ListQuery(), &page).ok());
    QCOMPARE(ids(page), QStringList{u"f"_s});
}

void tst_ReadStore::anUnreachableServerFailsPromptly()
{
    if (!Test::usesPostgres())
        QSKIP("about PostgreSQL connections");
    // A port nothing listens on (taken, then given back).
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    PostgresUrl url = Test::target(m_dir->path(), u"readmodel.db"_s).postgres;
    url.port = port;
    ReadStore store;
    QString error;
    QElapsedTimer timer;
    timer.start();
    QVERIFY(!store.open(StorageTarget::postgresql(url), &error));
    QVERIFY2(error.contains(url.redacted()), qPrintable(error));
    QVERIFY(!store.isOpen());
    QVERIFY(!store.begin());
    ReadStatus status;
    QVERIFY(!store.document(u"items"_s, u"a"_s, &status));
    QCOMPARE(status.kind, ReadStatus::Kind::Unavailable);
    qInfo("refused after %lld ms", qint64(timer.elapsed()));
}

QTEST_GUILESS_MAIN(tst_ReadStore)

#include "tst_readstore.moc"
