// The overview page against a real engine: the flow diagram's boxes and the rolling charts
// follow what the engine does.

#include "guifixture.h"
#include "pages/overviewpage.h"
#include "widgets/flowdiagram.h"
#include "widgets/metricchart.h"

#include <QTest>

using namespace Gatehouse;

class tst_OverviewPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void diagramAndChartsFollowTheEngine();
    void faultedProjectionTurnsRed();
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

QTEST_MAIN(tst_OverviewPage)
#include "tst_overviewpage.moc"
