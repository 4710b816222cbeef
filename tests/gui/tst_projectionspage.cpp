// The Projections page against a real engine: the upsert projection's status, position and
// lag; pause, resume and rebuild from the buttons with the progress bar; a fault with its
// error and event.

#include "guifixture.h"
#include "models/projectiontablemodel.h"
#include "models/jsonrowsmodel.h"
#include "pages/projectionspage.h"
#include "widgets/parkedeventspanel.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QJsonArray>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QHeaderView>
#include <QTableView>
#include <QTest>

using namespace Gatehouse;
using Ui::ProjectionTableModel;

namespace {

using Test::waitFor;

QString cell(const ProjectionTableModel *m, const QString &name, int column)
{
    const int row = m->rowOf(name);
    return row < 0 ? QString() : m->index(row, column).data().toString();
}

const QString kUpsert = QStringLiteral("upsert");

struct Page
{
    explicit Page(Test::GuiFixture &f)
        : page(f.client.get())
        , tester(page.projections(), QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        page.resize(1100, 500);
        page.show();
        pause = page.findChild<QPushButton *>(QStringLiteral("projectionPause"));
        resume = page.findChild<QPushButton *>(QStringLiteral("projectionResume"));
        rebuild = page.findChild<QPushButton *>(QStringLiteral("projectionRebuild"));
        progress = page.findChild<QProgressBar *>(QStringLiteral("projectionProgress"));
        fault = page.findChild<QLabel *>(QStringLiteral("projectionFault"));
        action = page.findChild<QLabel *>(QStringLiteral("projectionActionStatus"));
        skip = page.findChild<QPushButton *>(QStringLiteral("projectionSkip"));
        release = page.findChild<QPushButton *>(QStringLiteral("parkedRelease"));
        parkedTable = page.findChild<QTableView *>(QStringLiteral("parkedEvents"));
    }
    Ui::ProjectionsPage page;
    QAbstractItemModelTester tester;
    QPushButton *pause = nullptr;
    QPushButton *resume = nullptr;
    QPushButton *rebuild = nullptr;
    QProgressBar *progress = nullptr;
    QLabel *fault = nullptr;
    QLabel *action = nullptr;
    QPushButton *skip = nullptr;
    QPushButton *release = nullptr;
    QTableView *parkedTable = nullptr;
};

} // namespace

class tst_ProjectionsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsTheProjectionWithPositionAndLag();
    void pauseResumeAndRebuildFromTheButtons();
    void faultShowsErrorAndEvent();
    void skipParksTheEventAndReleaseForgetsIt();
    void rendersForScreenshot();
};

void tst_ProjectionsPage::listsTheProjectionWithPositionAndLag()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(40);
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    ProjectionTableModel *m = p.page.projections();
    QTRY_VERIFY(m->rowOf(kUpsert) >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("40"), 10000);
    QTRY_COMPARE(cell(m, kUpsert, ProjectionTableModel::Head), QStringLiteral("40"));
    QTRY_COMPARE(cell(m, kUpsert, ProjectionTableModel::LagEvents), QStringLiteral("0"));
    QCOMPARE(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("running"));
    QCOMPARE(cell(m, kUpsert, ProjectionTableModel::Error), QString());
    QCOMPARE(m->headerData(ProjectionTableModel::EventsPerSecond, Qt::Horizontal).toString(), QStringLiteral("Events/s"));
    QVERIFY(!p.fault->isVisible());
    QCOMPARE(p.progress->value(), p.progress->maximum());
    QVERIFY(p.pause->isEnabled());
    QVERIFY(!p.resume->isEnabled());
    // New events move the position without any click (refreshed on the status samples).
    f.appendProducts(10, QStringLiteral("more"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("50"), 10000);
    // Every column is as wide as what it holds, also after values changed in place (the
    // status from "starting" to "running", the position from 2 digits to 3...).
    QAbstractItemView *table = p.page.findChild<QTableView *>(QStringLiteral("projectionTable"));
    f.appendProducts(60, QStringLiteral("wider"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("110"), 10000);
    auto *header = p.page.findChild<QTableView *>(QStringLiteral("projectionTable"))->horizontalHeader();
    for (int c = 0; c < m->columnCount() - 1; ++c)
        QTRY_VERIFY2(header->sectionSize(c) >= table->sizeHintForColumn(c),
                     qPrintable(QStringLiteral("column %1: %2 < %3").arg(c).arg(header->sectionSize(c)).arg(table->sizeHintForColumn(c))));
}

void tst_ProjectionsPage::pauseResumeAndRebuildFromTheButtons()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(300);
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    ProjectionTableModel *m = p.page.projections();
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("300"), 10000);

    QTest::mouseClick(p.pause, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("paused"), 10000);
    QVERIFY(p.resume->isEnabled());
    QVERIFY(!p.pause->isEnabled());
    // Paused: new events wait, the lag shows them and the bar stands below full.
    f.appendProducts(100, QStringLiteral("late"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::LagEvents), QStringLiteral("100"), 10000);
    QCOMPARE(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("300"));
    QVERIFY(p.progress->value() < p.progress->maximum());
    QVERIFY2(p.progress->text().contains(QLatin1String("paused")), qPrintable(p.progress->text()));

    QTest::mouseClick(p.resume, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("400"), 10000);
    QTRY_COMPARE(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("running"));
    QTRY_COMPARE(p.progress->value(), p.progress->maximum());

    // Rebuild: asked first; cancelled, nothing happens.
    const auto confirmation = [&] {
        QMessageBox *box = nullptr;
        if (!QTest::qWaitFor([&] { return (box = p.page.findChild<QMessageBox *>(QStringLiteral("projectionRebuildConfirm"))) != nullptr; }, 5000))
            qWarning("no confirmation asked");
        return box;
    };
    QTest::mouseClick(p.rebuild, Qt::LeftButton);
    QMessageBox *box = confirmation();
    QVERIFY(box && box->text().contains(QLatin1String("upsert")));
    box->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!p.page.findChild<QMessageBox *>(QStringLiteral("projectionRebuildConfirm")));
    QTest::qWait(200);
    QVERIFY2(!p.action->text().contains(QLatin1String("Rebuil")), qPrintable(p.action->text()));
    // Confirmed: the page follows it to the end and says so; the read model is whole again.
    QTest::mouseClick(p.rebuild, Qt::LeftButton);
    box = confirmation();
    QVERIFY(box);
    box->button(QMessageBox::Yes)->click();
    QTRY_VERIFY2_WITH_TIMEOUT(p.action->text().contains(QLatin1String("Rebuilt upsert")), qPrintable(p.action->text()), 30000);
    QVERIFY2(p.action->text().contains(QLatin1String("400")), qPrintable(p.action->text()));
    QCOMPARE(p.progress->value(), p.progress->maximum());
    QCOMPARE(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("400"));
    const Ui::ClientReply collection = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/collections/products", ctx, cb); });
    QCOMPARE(collection.object().value(QLatin1String("count")).toInt(), 400);
    // The message about the finished rebuild goes after a while.
    QTRY_VERIFY_WITH_TIMEOUT(p.action->text().isEmpty(), 15000);
}

void tst_ProjectionsPage::faultShowsErrorAndEvent()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    ProjectionTableModel *m = p.page.projections();
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("running"), 10000);
    // An event whose data is not an object stops the upsert projection at that event.
    AppendRequest r;
    r.stream = QStringLiteral("products-bad");
    r.expected = ExpectedVersion::any();
    r.events = {NewEvent{QStringLiteral("0b2f6f1e-0000-4000-8000-00000000bad1"), QStringLiteral("products.created"), "[1]", "{}"}};
    const AppendResult appended = f.engine.eventStore()->appendAndWait(std::move(r));
    QVERIFY(appended.ok());
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("faulted"), 10000);
    const QString error = cell(m, kUpsert, ProjectionTableModel::Error);
    QVERIFY2(error.contains(QLatin1String("not a JSON object")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("0b2f6f1e-0000-4000-8000-00000000bad1")), qPrintable(error));
    QVERIFY2(error.contains(QString::number(appended.lastPosition)), qPrintable(error));
    QTRY_VERIFY(p.fault->isVisible());
    QVERIFY(p.fault->text().contains(QLatin1String("0b2f6f1e-0000-4000-8000-00000000bad1")));
    QVERIFY(p.resume->isEnabled());   // retries from the checkpoint
    QTest::mouseClick(p.resume, Qt::LeftButton);
    QTRY_VERIFY(p.action->text().contains(QLatin1String("resume accepted")));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("faulted"), 10000);   // the same event again
}

void tst_ProjectionsPage::skipParksTheEventAndReleaseForgetsIt()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(5);
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    ProjectionTableModel *m = p.page.projections();
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("running"), 10000);
    QVERIFY(!p.skip->isEnabled());   // nothing to skip
    QAbstractItemModelTester parkedTester(p.page.parkedEvents()->events(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    AppendRequest r;
    r.stream = QStringLiteral("products-bad");
    r.expected = ExpectedVersion::any();
    r.events = {NewEvent{QStringLiteral("0b2f6f1e-0000-4000-8000-00000000bad2"), QStringLiteral("products.created"), "[1]", "{}"}};
    const AppendResult appended = f.engine.eventStore()->appendAndWait(std::move(r));
    QVERIFY(appended.ok());
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("faulted"), 10000);
    QTRY_VERIFY(p.skip->isEnabled());
    QTest::mouseClick(p.skip, Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(p.action->text().contains(QStringLiteral("parked the event at position %1").arg(appended.lastPosition)),
                              qPrintable(p.action->text()), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("running"), 10000);
    f.appendProducts(3, QStringLiteral("after"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::LagEvents), QStringLiteral("0"), 10000);

    Ui::JsonRowsModel *parked = p.page.parkedEvents()->events();
    QTRY_COMPARE_WITH_TIMEOUT(parked->rowCount(), 1, 10000);
    QCOMPARE(parked->key(0), QString::number(appended.lastPosition));
    QCOMPARE(parked->item(0).value(QLatin1String("event_id")).toString(), QStringLiteral("0b2f6f1e-0000-4000-8000-00000000bad2"));
    QVERIFY(parked->item(0).value(QLatin1String("error")).toString().contains(QLatin1String("not a JSON object")));

    p.parkedTable->selectRow(0);
    QVERIFY(p.release->isEnabled());
    QTest::mouseClick(p.release, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(parked->rowCount(), 0, 10000);
    const Ui::ClientReply list = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/projections/upsert/parked", ctx, cb); });
    QCOMPARE(list.object().value(QLatin1String("total")).toInt(), 0);
}

void tst_ProjectionsPage::rendersForScreenshot()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(2000);
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    ProjectionTableModel *m = p.page.projections();
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Position), QStringLiteral("2000"), 20000);
    QTest::mouseClick(p.pause, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::Status), QStringLiteral("paused"), 10000);
    f.appendProducts(500, QStringLiteral("later"));
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, kUpsert, ProjectionTableModel::LagEvents), QStringLiteral("500"), 10000);
    const QImage image = p.page.grab().toImage();
    QVERIFY(!image.isNull());
    const QString dir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        QVERIFY(image.save(QDir(dir).filePath(QStringLiteral("projections.png"))));
}

QTEST_MAIN(tst_ProjectionsPage)
#include "tst_projectionspage.moc"
