// The overview page against a real engine: the flow diagram's boxes and the rolling charts
// follow what the engine does.

#include "guifixture.h"
#include "pages/overviewpage.h"
#include "widgets/flowdiagram.h"
#include "widgets/metricchart.h"

#include <QChart>
#include <QCheckBox>
#include <QComboBox>
#include <QLegend>
#include <QLineSeries>
#include <QTest>

using namespace Gatehouse;

class tst_OverviewPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void diagramAndChartsFollowTheEngine();
    void faultedProjectionTurnsRed();
    void chartRangesKeepAnHourAndMinutesBeyond();
    void chartHoverAndBreakdown();
    void requestsAndLatencyByRoute();
};

void tst_OverviewPage::diagramAndChartsFollowTheEngine()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::OverviewPage page(f.client.get());
    page.resize(1100, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    Ui::FlowDiagram *diagram = page.diagram();
    QCOMPARE(diagram->nodeIds().size(), 10);
    QCOMPARE(diagram->nodeHealth(QStringLiteral("eventlog")), Ui::FlowDiagram::Health::Idle);
    QCOMPARE(diagram->nodeValue(QStringLiteral("mqtt")), QStringLiteral("off"));

    double maxRequests = 0, maxEvents = 0;
    connect(f.client.get(), &Ui::EngineClient::statusUpdated, this, [&] {
        maxRequests = qMax(maxRequests, page.rates().requestsPerSecond);
        maxEvents = qMax(maxEvents, page.rates().eventsPerSecond);
    });
    int answered = 0;
    for (int i = 0; i < 40; ++i) {
        f.client->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("name"), QStringLiteral("p%1").arg(i)}, {QStringLiteral("price"), i}},
                          this, [&](const Ui::ClientReply &r) { answered += r.status == 202; });
    }
    QTRY_COMPARE_WITH_TIMEOUT(answered, 40, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(maxRequests > 0, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(maxEvents > 0, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(diagram->nodeValue(QStringLiteral("eventlog")), QStringLiteral("%1 events").arg(QLocale().toString(40)), 5000);
    QCOMPARE(diagram->nodeHealth(QStringLiteral("eventlog")), Ui::FlowDiagram::Health::Ok);
    QTRY_COMPARE_WITH_TIMEOUT(diagram->nodeValue(QStringLiteral("projections")), QStringLiteral("current"), 5000);
    QCOMPARE(diagram->nodeHealth(QStringLiteral("projections")), Ui::FlowDiagram::Health::Ok);
    for (Ui::MetricChart *chart : page.charts())
        QTRY_VERIFY2(chart->pointCount() >= 2, qPrintable(chart->title()));
}

void tst_OverviewPage::faultedProjectionTurnsRed()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::OverviewPage page(f.client.get());
    // An event whose data is not a JSON object stops the upsert projection with a fault.
    AppendRequest r;
    r.stream = QStringLiteral("products-bad");
    r.expected = ExpectedVersion::any();
    r.events = {NewEvent{{}, QStringLiteral("products.created"), "[1,2]", "{}"}};
    QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());
    QTRY_COMPARE_WITH_TIMEOUT(page.diagram()->nodeHealth(QStringLiteral("projections")), Ui::FlowDiagram::Health::Error, 10000);
    QVERIFY(page.diagram()->nodeValue(QStringLiteral("projections")).contains(QLatin1String("faulted")));
}

void tst_OverviewPage::chartRangesKeepAnHourAndMinutesBeyond()
{
    // Two hours of one sample a second: the last hour kept as it came, the hour before as
    // minute averages; at most kMaxDrawn points drawn whatever the range.
    Ui::MetricChart chart(QStringLiteral("Requests/s"), QStringLiteral("req/s"));
    const qint64 start = QDateTime(QDate(2026, 12, 6), QTime(8, 0), Qt::UTC).toMSecsSinceEpoch();
    for (int i = 0; i <= 7200; ++i)
        chart.addPoint(start + i * 1000LL, i < 3600 ? 10 : 20);   // 10 in the first hour, 20 in the second
    QCOMPARE(chart.range(), Ui::MetricChart::Range::FiveMinutes);
    QCOMPARE(chart.spanMs(), 5 * 60 * 1000);
    QVERIFY2(chart.pointCount() >= 300 && chart.pointCount() <= 301, qPrintable(QString::number(chart.pointCount())));
    chart.setRange(Ui::MetricChart::Range::OneHour);
    QCOMPARE(chart.spanMs(), 3600 * 1000);
    QVERIFY2(chart.pointCount() <= Ui::MetricChart::kMaxDrawn && chart.pointCount() >= 600, qPrintable(QString::number(chart.pointCount())));
    chart.setRange(Ui::MetricChart::Range::SinceStart);
    QCOMPARE(chart.spanMs(), 7200 * 1000);
    QVERIFY2(chart.pointCount() <= Ui::MetricChart::kMaxDrawn, qPrintable(QString::number(chart.pointCount())));
    // The first hour, as minute averages, is still there: the line starts at 10.
    auto *line = qobject_cast<QLineSeries *>(chart.chart()->series().first());
    QVERIFY(line);
    QCOMPARE(line->at(0).y(), 10.0);
    QCOMPARE(line->at(line->count() - 1).y(), 20.0);
    QVERIFY(line->at(0).x() < double(start + 5 * 60 * 1000));
    QCOMPARE(chart.lastValue(), 20.0);
}

void tst_OverviewPage::chartHoverAndBreakdown()
{
    Ui::MetricChart chart(QStringLiteral("Latency"), QStringLiteral("ms"));
    chart.resize(400, 200);
    chart.show();
    const qint64 t = QDateTime(QDate(2026, 12, 6), QTime(10, 11, 12), Qt::LocalTime).toMSecsSinceEpoch();
    chart.addPoint(t, 3.25);
    auto *line = qobject_cast<QLineSeries *>(chart.chart()->series().first());
    Q_EMIT line->hovered(QPointF(double(t), 3.25), true);
    QCOMPARE(chart.hoverText(), QStringLiteral("%1 ms at 10:11:12").arg(QLocale().toString(3.25, 'f', 2)));
    // A breakdown: a line per name, at most kMaxSeries, with a legend; the total hidden.
    for (int i = 0; i < 3; ++i) {
        QHash<QString, double> byRoute;
        for (int r = 0; r < 12; ++r)
            byRoute.insert(QStringLiteral("route-%1").arg(r, 2, 10, QLatin1Char('0')), r + i);
        chart.addPoints(t + (i + 1) * 1000, byRoute);
    }
    QCOMPARE(chart.seriesNames().size(), Ui::MetricChart::kMaxSeries);
    QVERIFY(!chart.chart()->legend()->isVisible());
    chart.setBreakdown(true);
    QVERIFY(chart.chart()->legend()->isVisible());
    QVERIFY(!line->isVisible());
    QCOMPARE(chart.pointCount(), Ui::MetricChart::kMaxSeries * 3);
    QLineSeries *first = nullptr;
    for (QAbstractSeries *s : chart.chart()->series()) {
        if (s->name() == chart.seriesNames().first())
            first = qobject_cast<QLineSeries *>(s);
    }
    QVERIFY(first && first->isVisible());
    Q_EMIT first->hovered(QPointF(double(t + 1000), 0), true);
    QVERIFY2(chart.hoverText().startsWith(chart.seriesNames().first() + QStringLiteral(": ")), qPrintable(chart.hoverText()));
    chart.setBreakdown(false);
    QVERIFY(line->isVisible());
    QCOMPARE(chart.pointCount(), 1);
}

void tst_OverviewPage::requestsAndLatencyByRoute()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::OverviewPage page(f.client.get());
    page.resize(1100, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    // The range applies to every chart.
    auto *range = page.findChild<QComboBox *>(QStringLiteral("overviewRange"));
    range->setCurrentIndex(range->findData(int(Ui::MetricChart::Range::OneHour)));
    for (Ui::MetricChart *chart : page.charts())
        QCOMPARE(chart->range(), Ui::MetricChart::Range::OneHour);
    // Requests on two routes while the breakdown is on: a line for each on both charts.
    page.findChild<QCheckBox *>(QStringLiteral("overviewByRoute"))->setChecked(true);
    Ui::MetricChart *requests = page.charts().at(0);
    Ui::MetricChart *latency = page.charts().at(2);
    QVERIFY(requests->breakdown() && latency->breakdown());
    QVERIFY(!page.charts().at(1)->breakdown());
    bool stop = false;
    int sent = 0;
    std::function<void()> more = [&] {
        if (stop)
            return;
        const bool post = sent++ % 2 == 0;
        const auto again = [&](const Ui::ClientReply &) { more(); };
        if (post)
            f.client->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("name"), QStringLiteral("n")}, {QStringLiteral("price"), 1}}, &page, again);
        else
            f.client->get("/api/products/nothing", &page, again);
    };
    more();
    QTRY_VERIFY_WITH_TIMEOUT(requests->seriesNames().size() >= 2, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(latency->seriesNames().size() >= 2, 15000);
    stop = true;
    QVERIFY2(sent > 10, qPrintable(QString::number(sent)));
    QVERIFY(requests->pointCount() > 0);
}

QTEST_MAIN(tst_OverviewPage)
#include "tst_overviewpage.moc"
