// LiveFeed's pacing of relays to the push clients: the first batch after a quiet interval goes
// out at once; what comes within the interval waits for its end and goes out as one relay,
// events in commit order, documents alongside, and before goingAway(); with an interval of 0
// every batch goes at once.
// The store and the projection are real objects whose signals the test emits, as their writer
// threads do (the feed's connections are queued either way).

#include "config/collectioncatalog.h"
#include "live/livefeed.h"
#include "projections/upsertprojection.h"
#include "store/eventstore.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace Gatehouse;
using namespace Gatehouse::Live;

namespace {

RecordedEvents batch(std::initializer_list<qint64> positions)
{
    RecordedEvents events;
    for (const qint64 position : positions) {
        RecordedEvent e;
        e.position = position;
        e.stream = QStringLiteral("products-%1").arg(position);
        e.type = QStringLiteral("products.created");
        events.append(e);
    }
    return events;
}

QList<qint64> positionsOf(const QList<QVariant> &signalArguments)
{
    QList<qint64> out;
    for (const RecordedEvent &e : signalArguments.at(0).value<RecordedEvents>())
        out.append(e.position);
    return out;
}

} // namespace

class tst_LiveFeed : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void gathersWhatComesWithinTheInterval();
    void zeroRelaysEveryBatch();
};

void tst_LiveFeed::initTestCase()
{
    qRegisterMetaType<RecordedEvents>();
    qRegisterMetaType<QList<StoredDocument>>();
}

void tst_LiveFeed::gathersWhatComesWithinTheInterval()
{
    constexpr int kBatchMs = 1500;
    EventStore store;
    CollectionCatalog catalog;
    UpsertProjection upsert(&catalog);
    LiveFeed feed(&store, &upsert, nullptr, kBatchMs);
    QSignalSpy events(&feed, &LiveFeed::eventsCommitted);
    QSignalSpy documents(&feed, &LiveFeed::documentsChanged);
    QElapsedTimer clock;
    clock.start();
    QList<qint64> relayedAt;   // ms on `clock`, taken as each relay happens
    connect(&feed, &LiveFeed::eventsCommitted, this, [&] { relayedAt.append(clock.elapsed()); });

    // The first batch goes out as soon as the feed has it: within one pass of the loop. The
    // feed's interval starts at that relay, after t0.
    const qint64 t0 = clock.elapsed();
    Q_EMIT store.eventsCommitted(batch({1, 2}));
    QCoreApplication::processEvents();
    QCOMPARE(events.count(), 1);
    QCOMPARE(positionsOf(events.at(0)), (QList<qint64>{1, 2}));

    StoredDocument doc;
    doc.collection = QStringLiteral("products");
    doc.id = QStringLiteral("p3");
    Q_EMIT store.eventsCommitted(batch({3}));
    Q_EMIT upsert.documentsChanged({doc});
    Q_EMIT store.eventsCommitted(batch({4, 5}));
    QCoreApplication::processEvents();
    if (clock.elapsed() - t0 >= kBatchMs - 1)
        QSKIP("the machine stalled for longer than the interval: nothing to tell from here");
    QCOMPARE(events.count(), 1);   // the feed has them, and holds them back
    QCOMPARE(documents.count(), 0);

    QTRY_COMPARE_WITH_TIMEOUT(events.count(), 2, 10 * kBatchMs);
    QVERIFY2(relayedAt.at(1) - t0 >= kBatchMs - 10,
             qPrintable(QStringLiteral("relayed %1 ms after the first batch came").arg(relayedAt.at(1) - t0)));
    QCOMPARE(positionsOf(events.at(1)), (QList<qint64>{3, 4, 5}));
    QCOMPARE(documents.count(), 1);   // in the same relay
    QCOMPARE(documents.at(0).at(0).value<QList<StoredDocument>>().size(), 1);

    // After a quiet interval the next batch goes out at once again.
    QTest::qWait(kBatchMs + 100);
    Q_EMIT store.eventsCommitted(batch({6}));
    QCoreApplication::processEvents();
    QCOMPARE(events.count(), 3);
    QCOMPARE(positionsOf(events.at(2)), (QList<qint64>{6}));

    // Going away sends what is held back first (unless a stall let the interval end already).
    Q_EMIT store.eventsCommitted(batch({7}));
    QCoreApplication::processEvents();
    if (events.count() == 3) {
        Q_EMIT feed.goingAway();
        QCOMPARE(events.count(), 4);
        QCOMPARE(positionsOf(events.at(3)), (QList<qint64>{7}));
    }
}

void tst_LiveFeed::zeroRelaysEveryBatch()
{
    EventStore store;
    LiveFeed feed(&store, nullptr, nullptr, 0);
    QSignalSpy events(&feed, &LiveFeed::eventsCommitted);
    Q_EMIT store.eventsCommitted(batch({1}));
    Q_EMIT store.eventsCommitted(batch({2, 3}));
    Q_EMIT store.eventsCommitted({});   // nothing to relay
    // All within one pass of the loop: nothing is held back for a timer.
    QCoreApplication::processEvents();
    QCOMPARE(events.count(), 2);
    QCOMPARE(positionsOf(events.at(0)), (QList<qint64>{1}));
    QCOMPARE(positionsOf(events.at(1)), (QList<qint64>{2, 3}));
}

QTEST_GUILESS_MAIN(tst_LiveFeed)
#include "tst_livefeed.moc"
