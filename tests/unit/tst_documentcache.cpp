// The read store's document cache (readmodel/documentcache.h) on a real readmodel.db: reads
// by id are served from memory, and no commit -- put, remove, drop, a large batch -- ever
// leaves a reader with an older document than the one committed. The last case races a
// writer against readers on real threads and checks read-your-writes on every read.
//
// Also run as @postgres: PostgreSQL has no document cache (another engine may change a
// document), so there the tests of the cache itself skip and the ones about what readers see
// after commits, rollbacks, removals and drops run as they are.
#include "readmodel/documentcache.h"
#include "readmodel/readstore.h"
#include "testdatabase.h"

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
StoredDocument makeDoc(const QString &id, qint64 version, const QByteArray &body = {})
{
    StoredDocument d;
    d.collection = u"items"_s;
    d.id = id;
    d.version = version;
    d.position = version + 1;
    d.updatedAtMs = 1700000000000 + version;
    d.doc = body.isEmpty() ? "{\"id\":\"" + id.toUtf8() + "\",\"n\":" + QByteArray::number(version) + '}' : body;
    return d;
}

bool write(ReadStore &store, const QList<StoredDocument> &docs)
{
    auto tx = store.begin();
    return tx && tx->ensureCollection(u"items"_s, {}) && tx->put(docs) && tx->commit();
}
} // namespace

class tst_DocumentCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_store = std::make_unique<ReadStore>();
        QString error;
        QVERIFY2(m_store->open(Test::target(m_dir->path(), u"readmodel.db"_s), &error), qPrintable(error));
    }
    void cleanup()
    {
        m_store.reset();
        m_dir.reset();
    }

    void repeatedReadsComeFromMemory()
    {
        if (Test::usesPostgres())
            QSKIP("PostgreSQL has no document cache (another engine may change a document)");
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0)}));
        const auto before = m_store->cacheStats();
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
        const auto after = m_store->cacheStats();
        QCOMPARE(after.misses - before.misses, 1u);
        QCOMPARE(after.hits - before.hits, 1u);
        QCOMPARE(after.entries, 1);
        QVERIFY(after.bytes > 0);
        // A missing document is not cached: once written, it is found.
        QVERIFY(!m_store->document(u"items"_s, u"b"_s));
        QVERIFY(write(*m_store, {makeDoc(u"b"_s, 0)}));
        QVERIFY(m_store->document(u"items"_s, u"b"_s));
    }

    void commitsReplaceCachedDocuments()
    {
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0)}));
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);   // now cached
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 1)}));
        const auto doc = m_store->document(u"items"_s, u"a"_s);
        QCOMPARE(doc->version, 1);
        QCOMPARE(doc->doc, QByteArray("{\"id\":\"a\",\"n\":1}"));

        StoredDocument gone = makeDoc(u"a"_s, 2);
        gone.deleted = true;
        QVERIFY(write(*m_store, {gone}));
        QVERIFY(m_store->document(u"items"_s, u"a"_s)->deleted);
    }

    void rolledBackWritesLeaveTheCacheRight()
    {
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0)}));
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
        {
            auto tx = m_store->begin();
            QVERIFY(tx && tx->put(makeDoc(u"a"_s, 5)));
        }   // rolled back
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
    }

    void removeAndDropForgetDocuments()
    {
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0), makeDoc(u"b"_s, 0)}));
        QVERIFY(m_store->document(u"items"_s, u"a"_s));
        QVERIFY(m_store->document(u"items"_s, u"b"_s));
        {
            auto tx = m_store->begin();
            QVERIFY(tx && tx->remove(u"items"_s, u"a"_s) && tx->commit());
        }
        QVERIFY(!m_store->document(u"items"_s, u"a"_s));
        QVERIFY(m_store->document(u"items"_s, u"b"_s));
        {
            auto tx = m_store->begin();
            QVERIFY(tx && tx->dropCollection(u"items"_s) && tx->commit());
        }
        QVERIFY(!m_store->document(u"items"_s, u"b"_s));
        QCOMPARE(m_store->cacheStats().entries, 0);   // on PostgreSQL never more than 0
    }

    void largeBatchesClearEverything()
    {
        // Past the number of documents a transaction tracks one by one, it forgets them all.
        QList<StoredDocument> docs;
        for (int i = 0; i < 5000; ++i)
            docs.append(makeDoc(u"d%1"_s.arg(i), 0));
        QVERIFY(write(*m_store, docs));
        for (int i = 0; i < 5000; i += 7)
            QCOMPARE(m_store->document(u"items"_s, u"d%1"_s.arg(i))->version, 0);
        for (StoredDocument &d : docs)
            d = makeDoc(d.id, 1);
        QVERIFY(write(*m_store, docs));
        for (int i = 0; i < 5000; i += 7)
            QCOMPARE(m_store->document(u"items"_s, u"d%1"_s.arg(i))->version, 1);
    }

    void staleRowsAreRefused()
    {
        DocumentCache cache;
        cache.setBudget(1 << 20);
        const quint64 generation = cache.beginRead();
        cache.invalidate({{u"items"_s, u"other"_s}});   // a commit between the read and the insert
        cache.insert(makeDoc(u"a"_s, 0), generation);
        QVERIFY(!cache.find(u"items"_s, u"a"_s));
        cache.insert(makeDoc(u"a"_s, 0), cache.beginRead());
        QCOMPARE(cache.find(u"items"_s, u"a"_s)->version, 0);
    }

    void budgetBoundsMemory()
    {
        DocumentCache cache;
        const qint64 budget = 64 * 1024;
        cache.setBudget(budget);
        const QByteArray body(300, 'x');
        for (int i = 0; i < 2000; ++i)
            cache.insert(makeDoc(u"d%1"_s.arg(i), 0, body), cache.beginRead());
        const auto stats = cache.stats();
        QVERIFY2(stats.bytes <= budget, qPrintable(u"%1 bytes held"_s.arg(stats.bytes)));
        QVERIFY(stats.entries > 50);
        QVERIFY(stats.entries < 2000);
        // Documents too large for their share are not kept at all.
        cache.insert(makeDoc(u"big"_s, 0, QByteArray(budget, 'y')), cache.beginRead());
        QVERIFY(!cache.find(u"items"_s, u"big"_s));
    }

    void recentlyReadDocumentsSurviveEviction()
    {
        DocumentCache cache;
        cache.setBudget(64 * 1024);
        const QByteArray body(300, 'x');
        cache.insert(makeDoc(u"hot"_s, 0, body), cache.beginRead());
        for (int i = 0; i < 2000; ++i) {
            QVERIFY2(cache.find(u"items"_s, u"hot"_s), qPrintable(u"evicted after %1 inserts"_s.arg(i)));
            cache.insert(makeDoc(u"d%1"_s.arg(i), 0, body), cache.beginRead());
        }
    }

    void zeroBudgetTurnsItOff()
    {
        if (Test::usesPostgres())
            QSKIP("PostgreSQL has no document cache (another engine may change a document)");
        m_store->setCacheBudget(0);
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0)}));
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 0);
        const auto stats = m_store->cacheStats();
        QCOMPARE(stats.hits, 0u);
        QCOMPARE(stats.entries, 0);
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 1)}));
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 1);
    }

    void readersNeverSeeOlderThanCommitted()
    {
        // The writer publishes a version only after its commit returned (as a projection
        // publishes its position); a reader that saw version v published must never read
        // an older document afterwards, hot cache or not.
        QVERIFY(write(*m_store, {makeDoc(u"a"_s, 0), makeDoc(u"b"_s, 0)}));
        std::atomic<qint64> published{0};
        std::atomic<bool> done{false};
        std::atomic<int> violations{0};
        std::atomic<qint64> reads{0};
        auto reader = [&] {
            while (!done.load()) {
                const qint64 seen = published.load();
                for (const QString &id : {u"a"_s, u"b"_s}) {
                    const auto doc = m_store->document(u"items"_s, id);
                    if (!doc || doc->version < seen)
                        violations.fetch_add(1);
                    reads.fetch_add(1);
                }
            }
        };
        std::thread r1(reader), r2(reader);
        for (qint64 v = 1; v <= 1500; ++v) {
            // One of the two documents per commit; the other stays hot in the cache.
            QList<StoredDocument> docs{makeDoc(u"a"_s, v)};
            if (v % 3 == 0)
                docs.append(makeDoc(u"b"_s, v));
            if (!write(*m_store, docs))
                break;
            if (v % 3 == 0)
                published.store(v);
        }
        done = true;
        r1.join();
        r2.join();
        QCOMPARE(violations.load(), 0);
        QVERIFY(reads.load() > 100);
        if (!Test::usesPostgres())
            QVERIFY(m_store->cacheStats().hits > 0);
        QCOMPARE(m_store->document(u"items"_s, u"a"_s)->version, 1500);
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ReadStore> m_store;
};

QTEST_GUILESS_MAIN(tst_DocumentCache)
#include "tst_documentcache.moc"
