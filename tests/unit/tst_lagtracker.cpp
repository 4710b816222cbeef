// The consistency-lag bookkeeping of a run: a sample per (connection, accepted position) seen,
// measured from the 202 (0 when the event came first), only for the collections a connection
// watches, duplicates counted once, what was not seen counted as missing -- and a position
// older than kMaxLagMs forgotten, so a long run's memory stays flat.
#include "base/steadyclock.h"
#include "simulation/lagtracker.h"

#include <QtTest>

using namespace Gatehouse;
using namespace Gatehouse::Simulation;

namespace {
constexpr qint64 kMs = 1000 * 1000;
}

class tst_LagTracker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void samplesFromThe202();
    void eventBeforeThe202IsLagZero();
    void collectionsFilter();
    void duplicatesCountOnce_data();
    void duplicatesCountOnce();
    void readAfterWrite();
    void intervalsAreTakenAway();
    void oldPositionsAreForgotten();
};

void tst_LagTracker::samplesFromThe202()
{
    LagTracker lag;
    const int ws = lag.addConnection(LagTracker::WebSocket, {});
    const int sse = lag.addConnection(LagTracker::Sse, {});
    const qint64 t = steadyNowNs();
    lag.accepted(10, QStringLiteral("products"), t);
    lag.accepted(11, QStringLiteral("products"), t);
    QCOMPARE(lag.outstanding(), 4);
    lag.seen(ws, 10, t + 5 * kMs);
    lag.seen(ws, 11, t + 7 * kMs);
    lag.seen(sse, 10, t + 20 * kMs);
    lag.seen(ws, 12, t + 1 * kMs);   // not a position of the run
    QCOMPARE(lag.outstanding(), 1);
    const LagTracker::Summary s = lag.summary();
    QVERIFY(s[LagTracker::WebSocket].used && s[LagTracker::Sse].used);
    QVERIFY(!s[LagTracker::Mqtt].used && !s[LagTracker::Get].used);
    QCOMPARE(s[LagTracker::WebSocket].lag.count(), 2u);
    QCOMPARE(s[LagTracker::WebSocket].lag.maxNs(), 7 * kMs);
    QCOMPARE(s[LagTracker::WebSocket].missing, 0);
    QCOMPARE(s[LagTracker::Sse].lag.count(), 1u);
    QCOMPARE(s[LagTracker::Sse].lag.minNs(), 20 * kMs);
    QCOMPARE(s[LagTracker::Sse].missing, 1);
}

void tst_LagTracker::eventBeforeThe202IsLagZero()
{
    LagTracker lag;
    const int ws = lag.addConnection(LagTracker::WebSocket, {});
    const qint64 t = steadyNowNs();
    lag.seen(ws, 5, t);
    QCOMPARE(lag.outstanding(), 0);
    lag.accepted(5, QStringLiteral("products"), t + 3 * kMs);
    const LagTracker::Summary s = lag.summary();
    QCOMPARE(s[LagTracker::WebSocket].lag.count(), 1u);
    QCOMPARE(s[LagTracker::WebSocket].lag.maxNs(), 0);
    QCOMPARE(s[LagTracker::WebSocket].missing, 0);
}

void tst_LagTracker::collectionsFilter()
{
    LagTracker lag;
    const int products = lag.addConnection(LagTracker::Mqtt, {QStringLiteral("products")});
    const int all = lag.addConnection(LagTracker::Mqtt, {});
    const qint64 t = steadyNowNs();
    lag.accepted(1, QStringLiteral("products"), t);
    lag.accepted(2, QStringLiteral("orders"), t);
    lag.seen(products, 1, t + kMs);
    lag.seen(products, 2, t + kMs);   // another collection's (a wildcard topic): not counted
    lag.seen(all, 1, t + kMs);
    const LagTracker::Summary s = lag.summary();
    QCOMPARE(s[LagTracker::Mqtt].lag.count(), 2u);
    QCOMPARE(s[LagTracker::Mqtt].missing, 1);   // `all` has not seen 2
}

void tst_LagTracker::duplicatesCountOnce_data()
{
    QTest::addColumn<int>("via");
    QTest::addColumn<QList<qint64>>("deliveries");
    QTest::addColumn<int>("samples");
    QTest::newRow("mqtt: at least once, any order") << int(LagTracker::Mqtt) << QList<qint64>{2, 1, 2, 1} << 2;
    QTest::newRow("websocket: in order") << int(LagTracker::WebSocket) << QList<qint64>{1, 2, 2} << 2;
    QTest::newRow("sse: a repeat of an earlier one") << int(LagTracker::Sse) << QList<qint64>{1, 2, 1} << 2;
}

void tst_LagTracker::duplicatesCountOnce()
{
    QFETCH(int, via);
    QFETCH(QList<qint64>, deliveries);
    QFETCH(int, samples);
    LagTracker lag;
    const int c = lag.addConnection(LagTracker::Via(via), {});
    const qint64 t = steadyNowNs();
    lag.accepted(1, QStringLiteral("products"), t);
    lag.accepted(2, QStringLiteral("products"), t);
    for (const qint64 p : deliveries)
        lag.seen(c, p, t + kMs);
    const LagTracker::Summary s = lag.summary();
    QCOMPARE(s[via].lag.count(), quint64(samples));
    QCOMPARE(s[via].missing, 0);
}

void tst_LagTracker::readAfterWrite()
{
    LagTracker lag;
    lag.getLag(-1, true);
    lag.getLag(4 * kMs, false);
    lag.getLag(-1, false);
    lag.getLag(2 * kMs, false);
    const LagTracker::Summary s = lag.summary();
    QVERIFY(s[LagTracker::Get].used);
    QCOMPARE(s[LagTracker::Get].lag.count(), 2u);
    QCOMPARE(s[LagTracker::Get].stale, 1);
    QCOMPARE(s[LagTracker::Get].missing, 0);
}

void tst_LagTracker::intervalsAreTakenAway()
{
    LagTracker lag;
    const int c = lag.addConnection(LagTracker::Sse, {});
    const qint64 t = steadyNowNs();
    lag.accepted(1, QStringLiteral("products"), t);
    lag.seen(c, 1, t + kMs);
    LagTracker::Summary interval;
    QCOMPARE(lag.summary(&interval)[LagTracker::Sse].lag.count(), 1u);
    QCOMPARE(interval[LagTracker::Sse].lag.count(), 1u);
    QCOMPARE(lag.summary(&interval)[LagTracker::Sse].lag.count(), 1u);
    QCOMPARE(interval[LagTracker::Sse].lag.count(), 0u);
}

// A position accepted longer than kMaxLagMs ago is forgotten at the next interval: an event for
// it no longer matches, and it stays missing.
void tst_LagTracker::oldPositionsAreForgotten()
{
    LagTracker lag;
    const int c = lag.addConnection(LagTracker::Mqtt, {});
    const qint64 now = steadyNowNs();
    const qint64 old = now - (LagTracker::kMaxLagMs + 1000) * kMs;
    lag.accepted(1, QStringLiteral("products"), old);
    lag.accepted(2, QStringLiteral("products"), now);
    LagTracker::Summary interval;
    lag.summary(&interval);
    lag.seen(c, 1, now);
    lag.seen(c, 2, now);
    const LagTracker::Summary s = lag.summary();
    QCOMPARE(s[LagTracker::Mqtt].lag.count(), 1u);
    QCOMPARE(s[LagTracker::Mqtt].missing, 1);
    QCOMPARE(lag.outstanding(), 1);
}

QTEST_GUILESS_MAIN(tst_LagTracker)
#include "tst_lagtracker.moc"
