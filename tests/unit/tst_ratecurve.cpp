// The arithmetic of arrival-rate executors: how many iterations a curve holds and when each is
// due (the integral of the rate reaches its number), for constant rates, linear ramps, pauses
// and jumps; and the VU count of ramping-vus over time.
#include "simulation/ratecurve.h"

#include <QtTest>

using namespace Gatehouse::Simulation;

Q_DECLARE_METATYPE(Gatehouse::Simulation::Stage)

class tst_RateCurve : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void constantRate_data();
    void constantRate();
    void ramps_data();
    void ramps();
    void vus();
};

void tst_RateCurve::constantRate_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<qint64>("unitMs");
    QTest::addColumn<qint64>("durationMs");
    QTest::addColumn<qint64>("total");
    QTest::newRow("200/s, 3 s") << 200.0 << qint64(1000) << qint64(3000) << qint64(600);
    QTest::newRow("1/min, 150 s") << 1.0 << qint64(60000) << qint64(150000) << qint64(3);   // at 0, 60 s, 120 s
    QTest::newRow("3/s, 1 s") << 3.0 << qint64(1000) << qint64(1000) << qint64(3);
    QTest::newRow("0.3/s, 10 s") << 0.3 << qint64(1000) << qint64(10000) << qint64(3);
    QTest::newRow("100000/s, 1 s") << 100000.0 << qint64(1000) << qint64(1000) << qint64(100000);
    QTest::newRow("no duration") << 10.0 << qint64(1000) << qint64(0) << qint64(0);
}

void tst_RateCurve::constantRate()
{
    QFETCH(double, rate);
    QFETCH(qint64, unitMs);
    QFETCH(qint64, durationMs);
    QFETCH(qint64, total);
    const RateCurve curve = RateCurve::constant(rate, unitMs, durationMs);
    QCOMPARE(curve.totalIterations(), total);
    for (qint64 i = 0; i < total; i += qMax<qint64>(1, total / 50))
        QCOMPARE(curve.timeOf(i), double(i) * double(unitMs) / rate);
    QVERIFY(curve.timeOf(total) > double(durationMs));   // never due
}

void tst_RateCurve::ramps_data()
{
    QTest::addColumn<double>("start");
    QTest::addColumn<QList<Stage>>("stages");
    QTest::addColumn<qint64>("total");
    QTest::addColumn<qint64>("durationMs");
    QTest::newRow("up, hold, down") << 0.0 << QList<Stage>{{100, 1000}, {100, 1000}, {0, 1000}} << qint64(200) << qint64(3000);
    QTest::newRow("from a start rate") << 20.0 << QList<Stage>{{60, 2000}} << qint64(80) << qint64(2000);
    QTest::newRow("down to zero") << 50.0 << QList<Stage>{{0, 2000}} << qint64(50) << qint64(2000);
    QTest::newRow("jumps and a pause") << 0.0 << QList<Stage>{{40, 1000}, {0, 0}, {0, 1000}, {40, 0}, {40, 500}} << qint64(40)
                                       << qint64(2500);
    QTest::newRow("fractional area") << 0.0 << QList<Stage>{{3, 1000}} << qint64(2) << qint64(1000);   // 1.5 -> 0 and 1
}

void tst_RateCurve::ramps()
{
    QFETCH(double, start);
    QFETCH(QList<Stage>, stages);
    QFETCH(qint64, total);
    QFETCH(qint64, durationMs);
    const RateCurve curve = RateCurve::ramping(start, stages, 1000);
    QCOMPARE(curve.durationMs(), durationMs);
    QCOMPARE(curve.totalIterations(), total);
    double previous = -1;
    for (qint64 i = 0; i < total; ++i) {
        const double t = curve.timeOf(i);
        QVERIFY2(t >= previous && t >= 0 && t < double(durationMs), qPrintable(QString::number(t)));
        // Due exactly when the integral of the rate reaches i.
        QVERIFY2(qAbs(curve.cumulative(t) - double(i)) < 1e-6, qPrintable(QStringLiteral("%1 at %2").arg(curve.cumulative(t)).arg(t)));
        previous = t;
    }
    QVERIFY(curve.timeOf(total) > double(durationMs));
    // Asked out of order (a thread asks its own numbers), the answers are the same.
    QCOMPARE(curve.timeOf(0), 0.0);
    if (total > 1)
        QCOMPARE(curve.timeOf(total - 1), RateCurve::ramping(start, stages, 1000).timeOf(total - 1));
}

void tst_RateCurve::vus()
{
    const RateCurve curve = RateCurve::ramping(0, {{10, 1000}, {10, 1000}, {2, 500}}, 1);
    QCOMPARE(curve.valueAt(0), 0.0);
    QCOMPARE(curve.valueAt(500), 5.0);
    QCOMPARE(curve.valueAt(1500), 10.0);
    QCOMPARE(curve.valueAt(2250), 6.0);
    QCOMPARE(curve.valueAt(99999), 2.0);
    QCOMPARE(curve.maxValue(), 10.0);
}

QTEST_GUILESS_MAIN(tst_RateCurve)
#include "tst_ratecurve.moc"
