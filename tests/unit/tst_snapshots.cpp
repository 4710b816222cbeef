#include "config/collection.h"
#include "config/collectioncatalog.h"
#include "config/projectconfig.h"
#include "projections/upsertprojection.h"
#include "readmodel/entityfold.h"
#include "readmodel/readstore.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"
#include "testdatabase.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// A collection "items" that keeps a snapshot every `every` events of a stream.
ProjectConfig projectWith(int every, const QByteArray &more = {})
{
    const QByteArray json = R"({"collections": {"items": {"schema": {"type": "object"}, "snapshot_every": )"
        + QByteArray::number(every) + more + "}}}";
    QStringList errors;
    ProjectConfig project = ProjectConfig::fromJson(json, &errors);
    if (!errors.isEmpty())
        qFatal("bad test project: %s", qPrintable(errors.join(u'\n')));
    return project;
}

QByteArray randomObject(QRandomGenerator &random, bool patch)
{
    QJsonObject o;
    const int fields = int(random.bounded(1, 4));
    for (int i = 0; i < fields; ++i) {
        const QString key = QString(QChar(u'a' + int(random.bounded(5))));
        switch (random.bounded(patch ? 4 : 3)) {
        case 0: o.insert(key, int(random.bounded(1000))); break;
        case 1: o.insert(key, QString::number(random.bounded(100000), 36)); break;
        case 2: o.insert(key, QJsonObject{{u"n"_s, int(random.bounded(10))}}); break;
        default: o.insert(key, QJsonValue::Null); break;   // a merge patch removes the member
        }
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Random streams of `entities` entities: created, updated (merge patches), deleted, created
// again, and events of other verbs that change nothing but the stream's version.
void appendRandomStreams(EventStore &store, QRandomGenerator &random, int entities, int events, const QByteArray &metadata = "{}")
{
    QList<bool> exists(entities, false);
    for (int e = 0; e < entities; ++e)
        exists[e] = store.streamHead(CloudEvent::streamName(u"items"_s, u"item-%1"_s.arg(e))).version >= 0;
    for (int n = 0; n < events; ++n) {
        const int e = int(random.bounded(entities));
        QString verb;
        QByteArray data = "{}";
        const quint32 roll = random.bounded(100);
        if (!exists[e] || roll < 4) {
            verb = u"created"_s;
            data = randomObject(random, false);
            exists[e] = true;
        } else if (roll < 10) {
            verb = u"deleted"_s;
            exists[e] = false;
        } else if (roll < 20) {
            verb = u"noted"_s;
        } else {
            verb = u"updated"_s;
            data = randomObject(random, true);
        }
        AppendRequest request;
        request.stream = CloudEvent::streamName(u"items"_s, u"item-%1"_s.arg(e));
        request.expected = ExpectedVersion::any();
        request.events.append(NewEvent{{}, u"items."_s + verb, data, metadata});
        const AppendResult r = store.appendAndWait(std::move(request));
        QVERIFY2(r.ok(), qPrintable(r.error));
    }
}

// Applies the whole log to `projection` in batches of random size, live or as a rebuild.
void project(EventStore &store, ReadStore &readStore, UpsertProjection &projection, QRandomGenerator &random, bool bulk)
{
    const RecordedEvents all = store.readAll(1, 1000000);
    if (bulk)
        projection.beginBulk();
    qsizetype at = 0;
    while (at < all.size()) {
        const qsizetype n = std::min<qsizetype>(all.size() - at, qsizetype(random.bounded(1, 40)));
        const RecordedEvents batch = all.mid(at, n);
        std::unique_ptr<ReadStore::WriteTransaction> tx = readStore.begin();
        QVERIFY(tx);
        ProjectionFault fault;
        QVERIFY2(projection.apply(batch, *tx, &fault), qPrintable(fault.error));
        if (bulk && projection.bulkNeedsFlush()) {
            QString error;
            QVERIFY2(projection.flushBulk(*tx, &error), qPrintable(error));
        }
        QVERIFY(tx->setCheckpoint(projection.name(), batch.last().position));
        QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
        projection.committed();
        at += n;
    }
    if (bulk) {
        std::unique_ptr<ReadStore::WriteTransaction> tx = readStore.begin();
        QString error;
        QVERIFY2(projection.flushBulk(*tx, &error), qPrintable(error));
        QVERIFY2(projection.endBulk(*tx, &error), qPrintable(error));
        QVERIFY2(tx->commit(), qPrintable(tx->errorString()));
        projection.committed();
    }
}

// An event log and a read store on the test's backend, and the upsert projection of a project
// whose collection "items" keeps a snapshot every `every` events.
struct Stores
{
    QTemporaryDir dir;
    EventStore store;
    ReadStore readStore;
    CollectionCatalog catalog;
    std::unique_ptr<UpsertProjection> projection;

    Collection items() const { return *catalog.collection(u"items"_s); }
    bool open(int every, const QByteArray &more = {})
    {
        EventStore::Options options;
        options.target = Test::target(dir.path(), u"events.db"_s);
        QString error;
        if (!dir.isValid() || !store.open(options) || !readStore.open(Test::target(dir.path(), u"readmodel.db"_s), &error)) {
            qWarning("cannot open the stores: %s", qPrintable(error));
            return false;
        }
        catalog.replace(projectWith(every, more));
        projection = std::make_unique<UpsertProjection>(&catalog);
        return true;
    }
};

void compare(const EntityFold::Result &actual, const EntityFold::Result &expected, const QString &where)
{
    QVERIFY2(actual.status.ok(), qPrintable(where + u": "_s + actual.status.detail));
    QCOMPARE(actual.streamVersion, expected.streamVersion);
    QCOMPARE(actual.record.has_value(), expected.record.has_value());
    if (!expected.record)
        return;
    QCOMPARE(actual.record->doc, expected.record->doc);
    QCOMPARE(actual.record->version, expected.record->version);
    QCOMPARE(actual.record->position, expected.record->position);
    QCOMPARE(actual.record->updatedAtMs, expected.record->updatedAtMs);
    QCOMPARE(actual.record->deleted, expected.record->deleted);
    QCOMPARE(actual.record->id, expected.record->id);
}

} // namespace

class tst_Snapshots : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotEveryIsRead_data();
    void snapshotEveryIsRead();
    void foldFromSnapshotsEqualsTheFullFold_data();
    void foldFromSnapshotsEqualsTheFullFold();
    void droppedWithTheirCollection();
    void noSnapshotsWhenTurnedOff();
    void upcastOnEveryFold_data();
    void upcastOnEveryFold();
};

void tst_Snapshots::snapshotEveryIsRead_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<int>("expected");   // -1: refused
    QTest::newRow("absent: the default") << QByteArray() << Collection::kDefaultSnapshotEvery;
    QTest::newRow("0: none") << QByteArray("0") << 0;
    QTest::newRow("1") << QByteArray("1") << 1;
    QTest::newRow("250.0 is 250") << QByteArray("250.0") << 250;
    QTest::newRow("largest") << QByteArray("1000000") << 1000000;
    QTest::newRow("too large") << QByteArray("1000001") << -1;
    QTest::newRow("huge") << QByteArray("1e300") << -1;
    QTest::newRow("negative") << QByteArray("-1") << -1;
    QTest::newRow("fraction") << QByteArray("2.5") << -1;
    QTest::newRow("string") << QByteArray("\"100\"") << -1;
    QTest::newRow("boolean") << QByteArray("true") << -1;
    QTest::newRow("null") << QByteArray("null") << -1;
}

void tst_Snapshots::snapshotEveryIsRead()
{
    QFETCH(QByteArray, value);
    QFETCH(int, expected);
    const QByteArray json = value.isNull() ? QByteArray("{}") : "{\"snapshot_every\": " + value + '}';
    QStringList errors;
    const Collection c = Collection::fromJson(u"items"_s, QJsonDocument::fromJson(json).object(), &errors, u"/collections/items"_s);
    if (expected < 0) {
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().startsWith(u"/collections/items/snapshot_every: must be an integer"_s), qPrintable(errors.first()));
        return;
    }
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u'\n')));
    QCOMPARE(c.snapshotEvery, expected);
    // Written back only when it is not the default, and read back the same.
    const QJsonObject written = c.toJson();
    QCOMPARE(written.contains(u"snapshot_every"_s), expected != Collection::kDefaultSnapshotEvery);
    QCOMPARE(Collection::fromJson(u"items"_s, written, &errors).snapshotEvery, expected);
}

void tst_Snapshots::foldFromSnapshotsEqualsTheFullFold_data()
{
    QTest::addColumn<int>("every");
    QTest::addColumn<bool>("bulk");
    QTest::addColumn<quint32>("seed");
    for (const int every : {1, 3, 7, 50}) {
        for (const bool bulk : {false, true}) {
            const quint32 seed = quint32(every * 7919 + (bulk ? 1 : 0));
            QTest::addRow("every %d, %s, seed %u", every, bulk ? "rebuild" : "live", seed) << every << bulk << seed;
        }
    }
}

// The property: at every position of the log, every entity folded from its nearest snapshot
// is what folding its whole stream gives -- document, version, position, time, deletion and
// the stream's version.
void tst_Snapshots::foldFromSnapshotsEqualsTheFullFold()
{
    QFETCH(int, every);
    QFETCH(bool, bulk);
    QFETCH(quint32, seed);
    QRandomGenerator random(seed);
    Stores s;
    QVERIFY(s.open(every));
    EventStore &store = s.store;
    ReadStore &readStore = s.readStore;
    UpsertProjection &projection = *s.projection;
    if (bulk)
        projection.setBulkMemoryBudget(4096);   // flushes now and then, with snapshots held in between

    constexpr int kEntities = 4;
    appendRandomStreams(store, random, kEntities, 240);
    if (QTest::currentTestFailed())
        return;
    project(store, readStore, projection, random, bulk);
    if (QTest::currentTestFailed())
        return;

    const qint64 head = store.headPosition();
    qint64 snapshotFolds = 0, foldedWith = 0, foldedWithout = 0;
    for (qint64 at = 1; at <= head; ++at) {
        for (int e = 0; e < kEntities; ++e) {
            const QString id = u"item-%1"_s.arg(e);
            const EntityFold::Result full = EntityFold::fold(store, nullptr, s.items(), id, at);
            const EntityFold::Result fromSnapshot = EntityFold::fold(store, &readStore, s.items(), id, at);
            compare(fromSnapshot, full, u"%1 at %2"_s.arg(id).arg(at));
            if (QTest::currentTestFailed()) {
                qWarning("%s at position %lld differs (seed %u)", qPrintable(id), at, seed);
                return;
            }
            QVERIFY(!full.fromSnapshot);
            snapshotFolds += fromSnapshot.fromSnapshot ? 1 : 0;
            foldedWith += fromSnapshot.eventsFolded;
            foldedWithout += full.eventsFolded;
        }
    }
    // Snapshots were there to be used, and saved reading.
    QVERIFY(snapshotFolds > 0);
    QVERIFY2(foldedWith < foldedWithout, qPrintable(u"%1 vs %2"_s.arg(foldedWith).arg(foldedWithout)));
    if (every == 1) {
        // A snapshot after every event that changes the record: at most the events of other
        // verbs since it are read.
        for (int e = 0; e < kEntities; ++e) {
            const EntityFold::Result latest = EntityFold::fold(store, &readStore, s.items(), u"item-%1"_s.arg(e));
            QVERIFY(latest.fromSnapshot);
        }
    }
    const ReadStore::SnapshotUse use = readStore.snapshotUse().value(u"items"_s);
    QCOMPARE(qint64(use.hits), snapshotFolds + (every == 1 ? kEntities : 0));
    QVERIFY(use.misses > 0);   // positions before an entity's first snapshot
}

void tst_Snapshots::droppedWithTheirCollection()
{
    QRandomGenerator random(42);
    Stores s;
    QVERIFY(s.open(2));
    EventStore &store = s.store;
    ReadStore &readStore = s.readStore;
    UpsertProjection &projection = *s.projection;
    QString error;
    appendRandomStreams(store, random, 2, 40);
    project(store, readStore, projection, random, false);
    QVERIFY(readStore.snapshot(u"items"_s, u"item-0"_s, store.headPosition()).has_value());

    // A rebuild starts from reset(): the table and its snapshots go together.
    std::unique_ptr<ReadStore::WriteTransaction> tx = readStore.begin();
    QVERIFY(projection.reset(*tx, &error));
    QVERIFY(tx->commit());
    ReadStatus status;
    QVERIFY(!readStore.snapshot(u"items"_s, u"item-0"_s, store.headPosition(), &status).has_value());
    QVERIFY(status.ok());
    QVERIFY(!EntityFold::fold(store, &readStore, s.items(), u"item-0"_s).fromSnapshot);
}

void tst_Snapshots::noSnapshotsWhenTurnedOff()
{
    QRandomGenerator random(7);
    Stores s;
    QVERIFY(s.open(0));
    EventStore &store = s.store;
    ReadStore &readStore = s.readStore;
    UpsertProjection &projection = *s.projection;
    appendRandomStreams(store, random, 2, 60);
    project(store, readStore, projection, random, false);
    for (int e = 0; e < 2; ++e)
        QVERIFY(!readStore.snapshot(u"items"_s, u"item-%1"_s.arg(e), store.headPosition()).has_value());
    // The document the projection wrote is the fold of the whole stream.
    const EntityFold::Result full = EntityFold::fold(store, &readStore, s.items(), u"item-0"_s);
    QVERIFY(!full.fromSnapshot);
    const std::optional<StoredDocument> doc = readStore.document(u"items"_s, u"item-0"_s);
    QVERIFY(doc && full.record);
    QCOMPARE(doc->doc, full.record->doc);
    QCOMPARE(doc->version, full.record->version);
}

void tst_Snapshots::upcastOnEveryFold_data()
{
    QTest::addColumn<bool>("bulk");
    QTest::newRow("live") << false;
    QTest::newRow("rebuild") << true;
}

// Events written under versions 1, 2 and 3 of the schema, folded at version 3 through the
// upcasters: the projection's documents, folds from snapshots and full folds agree at every
// position; an old event reads in the current shape; and when the upcasters change, the
// snapshots taken through the old ones are not used.
void tst_Snapshots::upcastOnEveryFold()
{
    QFETCH(bool, bulk);
    QRandomGenerator random(bulk ? 11 : 12);
    // 1 -> 2: "a" is renamed "f", "b" becomes a string; 2 -> 3: "d" goes, "g" defaults to 0.
    const QByteArray upcasters = R"(, "schema_version": 3, "upcasters": {
        "1": {"rename": {"a": "f"}, "cast": {"b": "string"}},
        "2": {"remove": ["d"], "default": {"g": 0}}})";
    Stores s;
    QVERIFY(s.open(3, upcasters));
    QVERIFY(!s.items().upcastTag.isEmpty());
    QCOMPARE(s.items().snapshotKey(), u"items@"_s + s.items().upcastTag);
    constexpr int kEntities = 3;
    appendRandomStreams(s.store, random, kEntities, 60, "{}");   // before versions: version 1
    appendRandomStreams(s.store, random, kEntities, 60, R"({"dataschema":"/schemas/items/2"})");
    appendRandomStreams(s.store, random, kEntities, 60, R"({"dataschema":"/schemas/items/3"})");
    // One entity created under version 1 with every member a step touches.
    AppendRequest old;
    old.stream = CloudEvent::streamName(u"items"_s, u"old"_s);
    old.events.append(NewEvent{{}, u"items.created"_s, R"({"a":1,"b":2,"d":3})", "{}"});
    QVERIFY(s.store.appendAndWait(std::move(old)).ok());
    if (QTest::currentTestFailed())
        return;
    project(s.store, s.readStore, *s.projection, random, bulk);
    if (QTest::currentTestFailed())
        return;

    const std::optional<StoredDocument> oldDoc = s.readStore.document(u"items"_s, u"old"_s);
    QVERIFY(oldDoc);
    QCOMPARE(QJsonDocument::fromJson(oldDoc->doc).object(), (QJsonObject{{u"f"_s, 1}, {u"b"_s, u"2"_s}, {u"g"_s, 0}}));

    const qint64 head = s.store.headPosition();
    qint64 snapshotFolds = 0;
    for (qint64 at = 1; at <= head; ++at) {
        for (int e = 0; e < kEntities; ++e) {
            const QString id = u"item-%1"_s.arg(e);
            const EntityFold::Result full = EntityFold::fold(s.store, nullptr, s.items(), id, at);
            const EntityFold::Result fromSnapshot = EntityFold::fold(s.store, &s.readStore, s.items(), id, at);
            compare(fromSnapshot, full, u"%1 at %2"_s.arg(id).arg(at));
            if (QTest::currentTestFailed())
                return;
            snapshotFolds += fromSnapshot.fromSnapshot ? 1 : 0;
            if (at == head) {
                const std::optional<StoredDocument> doc = s.readStore.document(u"items"_s, id);
                QVERIFY(doc && full.record);
                QCOMPARE(QJsonDocument::fromJson(doc->doc).object(), QJsonDocument::fromJson(full.record->doc).object());
            }
        }
    }
    QVERIFY(snapshotFolds > 0);

    // Other upcasters: another key, so the snapshots above are another state and go unused.
    Collection changed = s.items();
    s.catalog.replace(projectWith(3, R"(, "schema_version": 3, "upcasters": {"1": {"rename": {"a": "h"}}})"));
    QVERIFY(s.items().snapshotKey() != changed.snapshotKey());
    const EntityFold::Result refolded = EntityFold::fold(s.store, &s.readStore, s.items(), u"old"_s);
    QVERIFY(!refolded.fromSnapshot);
    QVERIFY(refolded.record);
    QCOMPARE(QJsonDocument::fromJson(refolded.record->doc).object(), (QJsonObject{{u"h"_s, 1}, {u"b"_s, 2}, {u"d"_s, 3}}));
    // Dropping the stale ones keeps the current key's.
    QVERIFY(s.readStore.snapshot(changed.snapshotKey(), u"item-0"_s, head).has_value());
    std::unique_ptr<ReadStore::WriteTransaction> tx = s.readStore.begin();
    QVERIFY(tx->dropSnapshots(u"items"_s, s.items().snapshotKey()));
    QVERIFY(tx->commit());
    QVERIFY(!s.readStore.snapshot(changed.snapshotKey(), u"item-0"_s, head).has_value());
}

QTEST_GUILESS_MAIN(tst_Snapshots)
#include "tst_snapshots.moc"
