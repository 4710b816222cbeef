// The Simulation page against a real engine whose simulations run against its own gateway:
// the shipped example scenarios listed; the form and the JSON text of one document kept in
// step; the engine's validation errors shown at the field they name; a short scenario started
// from the page running to its end with live charts and coloured thresholds; Stop keeping what
// was measured; the history, the comparison of two runs, and the exports parsed back.

#include "guifixture.h"
#include "models/runcomparisonmodel.h"
#include "models/simulationrunsmodel.h"
#include "pages/simulationpage.h"
#include "widgets/jsonarraytable.h"
#include "widgets/runchart.h"
#include "widgets/runcomparisonview.h"
#include "widgets/runhistorypanel.h"
#include "widgets/runview.h"
#include "widgets/scenarioeditor.h"
#include "widgets/scenarioform.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDeadlineTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

using namespace Gatehouse;
using Ui::RunView;

namespace {

using Test::waitFor;
constexpr int kRunWaitMs = 60000;

QString s(const char *latin1)
{
    return QString::fromLatin1(latin1);
}

// A light scenario: `rate` creates and gets a second for `duration`, one threshold that holds
// and one that cannot.
QJsonObject shortScenario(const QString &name, const QString &duration, int rate)
{
    return QJsonObject{
        {s("name"), name},
        {s("seed"), 3},
        {s("duration"), duration},
        {s("workloads"), QJsonArray{QJsonObject{
                             {s("name"), s("w")},
                             {s("executor"), s("constant-arrival-rate")},
                             {s("rate"), rate},
                             {s("time_unit"), s("1s")},
                             {s("pre_allocated_vus"), 4},
                             {s("max_vus"), 20},
                             {s("operations"), QJsonArray{QJsonObject{{s("op"), s("create")}, {s("collection"), s("products")}, {s("weight"), 1}},
                                                          QJsonObject{{s("op"), s("get")}, {s("collection"), s("products")}, {s("weight"), 1}}}},
                         }}},
        {s("thresholds"), QJsonObject{{s("errors"), QJsonArray{s("rate<0.5")}}, {s("http_reqs"), QJsonArray{s("count<1")}}}},
    };
}

struct Page
{
    explicit Page(Test::GuiFixture &f)
        : page(f.client.get())
        , historyTester(page.history()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest)
        , comparisonTester(page.comparison()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        page.resize(1300, 900);
        page.show();
        editor = page.editor();
        form = editor->form();
    }

    void click(const char *name)
    {
        auto *button = page.findChild<QPushButton *>(QString::fromLatin1(name));
        QVERIFY2(button, name);
        QVERIFY2(button->isEnabled(), name);
        QTest::mouseClick(button, Qt::LeftButton);
    }

    // Replaces the JSON text as a user would (the form follows).
    void setJson(const QJsonObject &document)
    {
        editor->jsonEdit()->setPlainText(QString::fromUtf8(QJsonDocument(document).toJson()));
    }

    QJsonObject jsonText() const
    {
        return QJsonDocument::fromJson(editor->jsonEdit()->toPlainText().toUtf8()).object();
    }

    // Types into a form field as a user would: select all, type.
    static void retype(QLineEdit *edit, const QString &text)
    {
        edit->selectAll();
        QTest::keyClick(edit, Qt::Key_Backspace);
        QTest::keyClicks(edit, text);
    }

    Ui::SimulationPage page;
    QAbstractItemModelTester historyTester;
    QAbstractItemModelTester comparisonTester;
    Ui::ScenarioEditor *editor = nullptr;
    Ui::ScenarioForm *form = nullptr;
};

QJsonObject waitForRunEnd(Test::GuiFixture &f, const QString &id)
{
    QJsonObject run;
    QDeadlineTimer deadline(kRunWaitMs);
    while (!deadline.hasExpired()) {
        run = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/runs/" + id.toUtf8(), ctx, cb); }).object();
        if (run.value(s("state")).toString() != QLatin1String("running"))
            break;
        QTest::qWait(200);
    }
    return run;
}

QString startThroughAdmin(Test::GuiFixture &f, const QJsonObject &scenario)
{
    const QString name = scenario.value(s("name")).toString();
    const Ui::ClientReply put = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->admin("PUT", "/admin/scenarios/" + name.toUtf8(), QJsonDocument(scenario).toJson(), ctx, cb);
    });
    if (!put.isSuccess())
        qWarning("PUT: %s", qPrintable(put.errorText()));
    const Ui::ClientReply run = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->admin("POST", "/admin/scenarios/" + name.toUtf8() + "/run", {}, ctx, cb);
    });
    if (run.status != 201)
        qWarning("run: %d %s", run.status, qPrintable(run.errorText()));
    return run.object().value(s("id")).toString();
}

int thresholdCount(const RunView *view, const QString &state)
{
    int n = 0;
    for (int i = 0; i < view->thresholds()->count(); ++i)
        n += view->thresholds()->item(i)->data(RunView::ThresholdStateRole).toString() == state;
    return n;
}

} // namespace

class tst_SimulationPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsTheExamples();
    void formAndJsonStayInStep();
    void invalidEditShowsTheErrorAtItsField_data();
    void invalidEditShowsTheErrorAtItsField();
    void shortScenarioRunsToTheEnd();
    void stopKeepsWhatWasMeasured();
    void historyComparesAndExports();
    void newDuplicateAndDelete();
};

void tst_SimulationPage::listsTheExamples()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    // The page lists what the engine stores, sorted: the shipped examples that read against
    // this engine's project (every one without a setup, at least).
    QStringList stored;
    const QJsonObject list = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/scenarios", ctx, cb); }).object();
    for (const QJsonValue &v : list.value(s("items")).toArray())
        stored.append(v.toObject().value(s("name")).toString());
    stored.sort();
    QVERIFY(stored.contains(s("steady-shop")));
    QVERIFY(stored.contains(s("broker-outage")));
    QTRY_COMPARE(t.page.scenarioList()->count(), int(stored.size()));
    for (int i = 0; i < stored.size(); ++i)
        QCOMPARE(t.page.scenarioList()->item(i)->text(), stored.at(i));
    const QStringList examples = stored;
    // The first is loaded into the editor, timestamps left out.
    QTRY_COMPARE(t.editor->document().value(s("name")).toString(), examples.constFirst());
    QVERIFY(!t.editor->document().contains(s("create_time")));
    QVERIFY(!t.editor->isModified());

    t.page.selectScenario(s("broker-outage"));
    QTRY_COMPARE(t.form->field(s("name"))->text(), s("broker-outage"));
    QCOMPARE(t.form->field(s("duration"))->text(), s("45s"));
    QCOMPARE(t.form->workloadPicker()->count(), 1);
    QCOMPARE(t.form->executor()->currentText(), s("constant-arrival-rate"));
    QCOMPARE(t.form->workloadField(s("rate"))->text(), s("100"));
    QCOMPARE(t.form->operations()->rowCount(), 2);
    QCOMPARE(t.form->operations()->item(1, 0)->text(), s("update"));
    QCOMPARE(t.form->thresholds()->rowCount(), 2);
    QCOMPARE(t.form->faults()->rowCount(), 1);
    QCOMPARE(t.form->faults()->item(0, 0)->text(), s("broker"));
    QCOMPARE(t.form->faults()->item(0, 1)->text(), s("10s"));
}

void tst_SimulationPage::formAndJsonStayInStep()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    QTRY_VERIFY(t.page.scenarioList()->count() > 0);
    t.page.selectScenario(s("steady-shop"));
    QTRY_COMPARE(t.form->field(s("duration"))->text(), s("60s"));

    // Form -> JSON: a top-level field, a workload field, a cell of the operation mix.
    Page::retype(t.form->field(s("duration")), s("45s"));
    QCOMPARE(t.jsonText().value(s("duration")).toString(), s("45s"));
    Page::retype(t.form->workloadField(s("rate")), s("120"));
    const QJsonObject workload = t.jsonText().value(s("workloads")).toArray().at(0).toObject();
    QCOMPARE(workload.value(s("rate")).toDouble(), 120.0);
    t.form->operations()->item(1, 2)->setText(s("7"));   // get's weight
    QJsonArray operations = t.jsonText().value(s("workloads")).toArray().at(0).toObject().value(s("operations")).toArray();
    QCOMPARE(operations.at(1).toObject().value(s("weight")).toDouble(), 7.0);
    // What the form does not show is kept: the list operation's query and cursor paging.
    QCOMPARE(operations.at(2).toObject().value(s("follow_cursor")).toBool(), true);
    QCOMPARE(operations.at(2).toObject().value(s("query")).toObject().value(s("sort")).toString(), s("-price"));
    QVERIFY(t.editor->isModified());

    // JSON -> form.
    QJsonObject document = t.jsonText();
    document.insert(s("seed"), 99);
    document.insert(s("target"), s("http://127.0.0.1:1"));
    QJsonArray workloads = document.value(s("workloads")).toArray();
    QJsonObject w = workloads.at(0).toObject();
    w.insert(s("executor"), s("constant-vus"));
    w.insert(s("vus"), 3);
    workloads.replace(0, w);
    document.insert(s("workloads"), workloads);
    t.setJson(document);
    QCOMPARE(t.form->field(s("seed"))->text(), s("99"));
    QCOMPARE(t.form->field(s("target"))->text(), s("http://127.0.0.1:1"));
    QCOMPARE(t.form->executor()->currentText(), s("constant-vus"));
    QCOMPARE(t.form->workloadField(s("vus"))->text(), s("3"));
    QCOMPARE(t.editor->document(), document);

    // Text that does not parse leaves the form as it was.
    t.editor->jsonEdit()->setPlainText(s("{\"seed\": 5,"));
    QVERIFY(!t.editor->textParses());
    QCOMPARE(t.form->field(s("seed"))->text(), s("99"));
    QCOMPARE(t.editor->document(), document);
}

void tst_SimulationPage::invalidEditShowsTheErrorAtItsField_data()
{
    QTest::addColumn<QString>("pointer");   // where the bad value is written
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<bool>("inForm");       // the form has a field for it

    QTest::newRow("duration") << s("/duration") << QJsonValue(s("soon")) << true;
    QTest::newRow("seed") << s("/seed") << QJsonValue(-4) << true;
    QTest::newRow("workload rate") << s("/workloads/0/rate") << QJsonValue(-5) << true;
    QTest::newRow("operation op") << s("/workloads/0/operations/0/op") << QJsonValue(s("fly")) << true;
    QTest::newRow("unknown member") << s("/colour") << QJsonValue(s("blue")) << false;
}

void tst_SimulationPage::invalidEditShowsTheErrorAtItsField()
{
    QFETCH(QString, pointer);
    QFETCH(QJsonValue, value);
    QFETCH(bool, inForm);

    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    QTRY_VERIFY(t.page.scenarioList()->count() > 0);
    t.page.selectScenario(s("steady-shop"));
    QTRY_COMPARE(t.form->field(s("name"))->text(), s("steady-shop"));

    QJsonObject document = t.editor->document();
    const QStringList path = Ui::ScenarioForm::pointerTokens(pointer);
    if (path.size() == 1) {
        document.insert(path.at(0), value);
    } else if (path.size() == 3) {
        QJsonArray workloads = document.value(s("workloads")).toArray();
        QJsonObject w = workloads.at(0).toObject();
        w.insert(path.at(2), value);
        workloads.replace(0, w);
        document.insert(s("workloads"), workloads);
    } else {
        QJsonArray workloads = document.value(s("workloads")).toArray();
        QJsonObject w = workloads.at(0).toObject();
        QJsonArray ops = w.value(s("operations")).toArray();
        QJsonObject op = ops.at(0).toObject();
        op.insert(path.at(4), value);
        ops.replace(0, op);
        w.insert(s("operations"), ops);
        workloads.replace(0, w);
        document.insert(s("workloads"), workloads);
    }
    t.setJson(document);
    t.click("scenarioSave");
    QTRY_VERIFY(t.page.message().contains(QLatin1String("not saved")));
    if (inForm) {
        QVERIFY2(!t.form->fieldError(pointer).isEmpty(), qPrintable(t.editor->listedErrors().join(QLatin1Char('\n'))));
        QVERIFY(!t.editor->listedErrors().join(QLatin1Char('\n')).contains(pointer + QLatin1Char(':')));
    } else {
        QVERIFY(t.form->fieldError(pointer).isEmpty());
        QVERIFY2(t.editor->listedErrors().join(QLatin1Char('\n')).contains(pointer), qPrintable(t.editor->listedErrors().join(QLatin1Char('\n'))));
    }
    // Nothing was stored.
    const QJsonObject stored = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/scenarios/steady-shop", ctx, cb); }).object();
    QCOMPARE(stored.value(s("duration")).toString(), s("60s"));

    // Putting it right and saving clears the errors.
    QJsonObject fixed = stored;
    fixed.remove(s("create_time"));
    fixed.remove(s("update_time"));
    t.setJson(fixed);
    t.click("scenarioSave");
    QTRY_VERIFY(t.page.message().contains(QLatin1String("saved")) && !t.page.message().contains(QLatin1String("not saved")));
    QVERIFY(t.form->fieldError(pointer).isEmpty());
    QVERIFY(t.editor->listedErrors().isEmpty());
}

void tst_SimulationPage::shortScenarioRunsToTheEnd()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    QTRY_VERIFY(t.page.scenarioList()->count() > 0);

    // A new scenario, made short and light through the form, started from the page.
    t.click("scenarioNew");
    QVERIFY(t.editor->isModified());
    Page::retype(t.form->field(s("name")), s("gui-short"));
    Page::retype(t.form->field(s("duration")), s("2s"));
    Page::retype(t.form->workloadField(s("rate")), s("50"));
    QCOMPARE(t.form->thresholds()->item(0, 0)->text(), s("errors"));
    t.form->thresholds()->item(0, 1)->setText(s("rate<0.9"));
    t.form->thresholds()->appendRow(QJsonObject{{s("metric"), s("http_reqs")}, {s("expressions"), QJsonArray{s("count<1")}}});
    QCOMPARE(t.editor->document().value(s("thresholds")).toObject().value(s("errors")).toArray().at(0).toString(), s("rate<0.9"));
    QCOMPARE(t.editor->document().value(s("thresholds")).toObject().value(s("http_reqs")).toArray().at(0).toString(), s("count<1"));

    QSignalSpy ended(&t.page, &Ui::SimulationPage::runEnded);
    t.click("simulationStart");
    QTRY_VERIFY(!t.page.liveRunId().isEmpty());
    const QString id = t.page.liveRunId();
    QCOMPARE(t.page.tabs()->currentIndex(), int(Ui::SimulationPage::RunTab));
    // While it runs, the thresholds wait.
    QCOMPARE(thresholdCount(t.page.liveView(), s("pending")), 2);
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunWaitMs);
    QCOMPARE(ended.at(0).at(0).toString(), id);
    QCOMPARE(ended.at(0).at(1).toString(), s("finished"));
    QVERIFY(t.page.liveRunId().isEmpty());

    // The charts show samples, the thresholds their verdict in colour.
    const RunView *live = t.page.liveView();
    QVERIFY(live->chart(RunView::Rate)->pointCount(0) > 0);
    QVERIFY(live->chart(RunView::Rate)->pointCount(1) > 0);
    QVERIFY(live->chart(RunView::Latency)->pointCount(1) > 0);
    QVERIFY(live->chart(RunView::Vus)->pointCount(0) > 0);
    QCOMPARE(thresholdCount(live, s("pass")), 1);
    QCOMPARE(thresholdCount(live, s("fail")), 1);
    for (int i = 0; i < live->thresholds()->count(); ++i) {
        const QListWidgetItem *item = live->thresholds()->item(i);
        const bool pass = item->data(RunView::ThresholdStateRole).toString() == QLatin1String("pass");
        QCOMPARE(item->background().color(), pass ? QColor(200, 230, 201) : QColor(255, 205, 210));
    }
    QVERIFY(Ui::SimulationRunsModel::requestsOf(live->run()) > 0);
    QVERIFY(live->summaryText().contains(QLatin1String("http_reqs")));

    // The history lists it.
    Ui::SimulationRunsModel *history = t.page.history()->model();
    QTRY_VERIFY(history->rowOf(id) >= 0);
    const int row = history->rowOf(id);
    QCOMPARE(history->index(row, Ui::SimulationRunsModel::Scenario).data().toString(), s("gui-short"));
    QTRY_COMPARE(history->index(history->rowOf(id), Ui::SimulationRunsModel::State).data().toString(), s("finished"));
    QCOMPARE(history->index(row, Ui::SimulationRunsModel::Passed).data().toString(), s("failed"));
    QVERIFY(history->index(row, Ui::SimulationRunsModel::Requests).data().toString() != QLatin1String("0"));
    // And the stored scenario is the one the form made.
    QTRY_VERIFY(!t.page.scenarioList()->findItems(s("gui-short"), Qt::MatchExactly).isEmpty());
}

void tst_SimulationPage::stopKeepsWhatWasMeasured()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    QTRY_VERIFY(t.page.scenarioList()->count() > 0);
    t.page.newScenario();
    t.setJson(shortScenario(s("gui-long"), s("60s"), 20));
    QSignalSpy ended(&t.page, &Ui::SimulationPage::runEnded);
    t.click("simulationStart");
    QTRY_VERIFY(!t.page.liveRunId().isEmpty());
    const QString id = t.page.liveRunId();
    // Live samples arrive while it runs.
    QTRY_VERIFY_WITH_TIMEOUT(t.page.liveView()->chart(RunView::Rate)->pointCount(1) >= 2, 20000);
    QVERIFY(t.page.liveView()->stateText().contains(QLatin1String("/60s")) || !t.page.liveView()->stateText().isEmpty());
    t.click("simulationStop");
    QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, kRunWaitMs);
    QCOMPARE(ended.at(0).at(1).toString(), s("stopped"));
    const QJsonObject report = t.page.liveView()->run();
    QCOMPARE(report.value(s("state")).toString(), s("stopped"));
    QVERIFY(Ui::SimulationRunsModel::requestsOf(report) > 0);
    QVERIFY(report.value(s("elapsed_ms")).toDouble() < 60000);
    QVERIFY(t.page.liveView()->chart(RunView::Rate)->pointCount(1) > 0);
    // The engine kept it too.
    const QJsonObject stored = waitForRunEnd(f, id);
    QCOMPARE(stored.value(s("state")).toString(), s("stopped"));
    QVERIFY(Ui::SimulationRunsModel::requestsOf(stored) > 0);
    QTRY_VERIFY(t.page.history()->model()->rowOf(id) >= 0);
}

void tst_SimulationPage::historyComparesAndExports()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    const QString first = startThroughAdmin(f, shortScenario(s("cmp-a"), s("1s"), 20));
    QVERIFY(!first.isEmpty());
    QCOMPARE(waitForRunEnd(f, first).value(s("state")).toString(), s("finished"));
    const QString second = startThroughAdmin(f, shortScenario(s("cmp-b"), s("1s"), 40));
    QVERIFY(!second.isEmpty());
    QCOMPARE(waitForRunEnd(f, second).value(s("state")).toString(), s("finished"));

    Page t(f);
    t.page.tabs()->setCurrentIndex(Ui::SimulationPage::HistoryTab);
    Ui::RunHistoryPanel *history = t.page.history();
    QTRY_COMPARE(history->model()->rowCount(), 2);
    QCOMPARE(history->model()->id(0), second);   // newest first
    QCOMPARE(history->model()->id(1), first);

    // One selected: its report, charts and summary.
    history->selectRun(first);
    QTRY_COMPARE(history->detailReport().value(s("id")).toString(), first);
    QVERIFY(history->detail()->chart(RunView::Rate)->pointCount(1) > 0);
    QVERIFY(history->detail()->summaryText().contains(QLatin1String("cmp-a")) || !history->detail()->summaryText().isEmpty());

    // Exports parse back.
    QTemporaryDir out;
    QString error;
    const QString json = out.filePath(s("run.json"));
    QVERIFY2(history->exportReport(Ui::RunExport::Format::Json, json, &error), qPrintable(error));
    QFile jsonFile(json);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject exported = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(exported.value(s("id")).toString(), first);
    QVERIFY(!exported.value(s("series")).toArray().isEmpty());
    for (const auto format : {Ui::RunExport::Format::OperationsCsv, Ui::RunExport::Format::SeriesCsv}) {
        const QString csv = out.filePath(format == Ui::RunExport::Format::SeriesCsv ? s("series.csv") : s("operations.csv"));
        QVERIFY2(history->exportReport(format, csv, &error), qPrintable(error));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QVERIFY(lines.size() >= 2);   // a header and at least one row
        const qsizetype columns = lines.at(0).count(',');
        QVERIFY(columns > 0);
        for (const QByteArray &line : lines)
            QCOMPARE(line.count(','), columns);
    }
    const QString png = out.filePath(s("run.png"));
    QVERIFY2(history->exportReport(Ui::RunExport::Format::Image, png, &error), qPrintable(error));
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 800 && image.height() >= 600);

    // Two selected: compared side by side, the older as A.
    history->selectRuns({first, second});
    auto *compare = t.page.findChild<QPushButton *>(s("runCompare"));
    QVERIFY(compare->isEnabled());
    QTest::mouseClick(compare, Qt::LeftButton);
    QTRY_COMPARE(t.page.tabs()->currentIndex(), int(Ui::SimulationPage::CompareTab));
    Ui::RunComparisonView *view = t.page.comparison();
    QVERIFY(view->headline().contains(first) && view->headline().contains(second));
    const Ui::RunComparisonModel *model = view->model();
    QCOMPARE(model->rowCount(), 2);   // w/create and w/get in both
    for (int row = 0; row < model->rowCount(); ++row) {
        for (auto part : {Ui::RunComparisonModel::A, Ui::RunComparisonModel::B, Ui::RunComparisonModel::Delta})
            QVERIFY(model->index(row, Ui::RunComparisonModel::column(Ui::RunComparisonModel::Requests, part)).data(Ui::RunComparisonModel::ValueRole).isValid());
    }
    double requestsA = 0;
    double requestsB = 0;
    for (int row = 0; row < model->rowCount(); ++row) {
        requestsA += model->index(row, Ui::RunComparisonModel::column(Ui::RunComparisonModel::Requests, Ui::RunComparisonModel::A)).data(Ui::RunComparisonModel::ValueRole).toDouble();
        requestsB += model->index(row, Ui::RunComparisonModel::column(Ui::RunComparisonModel::Requests, Ui::RunComparisonModel::B)).data(Ui::RunComparisonModel::ValueRole).toDouble();
    }
    QVERIFY2(requestsB > requestsA, qPrintable(QStringLiteral("%1 vs %2").arg(requestsA).arg(requestsB)));   // 40/s against 20/s
    QVERIFY(view->p99Chart()->pointCount(0) > 0 && view->p99Chart()->pointCount(1) > 0);
    QVERIFY(view->rateChart()->pointCount(0) > 0 && view->rateChart()->pointCount(1) > 0);

    // Deleting one asks first.
    t.page.tabs()->setCurrentIndex(Ui::SimulationPage::HistoryTab);
    history->selectRun(first);
    QTRY_VERIFY(t.page.findChild<QPushButton *>(s("runDelete"))->isEnabled());
    QTest::mouseClick(t.page.findChild<QPushButton *>(s("runDelete")), Qt::LeftButton);
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.page.findChild<QMessageBox *>(s("runDeleteConfirm"))));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(history->model()->rowCount(), 1);
    QCOMPARE(history->model()->id(0), second);
}

void tst_SimulationPage::newDuplicateAndDelete()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page t(f);
    QTRY_VERIFY(t.page.scenarioList()->count() > 0);
    const int examples = t.page.scenarioList()->count();
    t.page.selectScenario(s("broker-outage"));
    QTRY_COMPARE(t.form->field(s("name"))->text(), s("broker-outage"));
    t.click("scenarioDuplicate");
    QCOMPARE(t.form->field(s("name"))->text(), s("broker-outage-copy"));
    t.click("scenarioSave");
    QTRY_COMPARE(t.page.scenarioList()->count(), examples + 1);
    QCOMPARE(t.page.currentScenario(), s("broker-outage-copy"));
    const QJsonObject copy = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/scenarios/broker-outage-copy", ctx, cb); }).object();
    const QJsonObject original = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/scenarios/broker-outage", ctx, cb); }).object();
    QCOMPARE(copy.value(s("workloads")), original.value(s("workloads")));
    QCOMPARE(copy.value(s("faults")), original.value(s("faults")));

    // Delete asks; Cancel keeps it, Yes removes it.
    t.click("scenarioDelete");
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.page.findChild<QMessageBox *>(s("scenarioDeleteConfirm"))));
    QTest::mouseClick(confirm->button(QMessageBox::Cancel), Qt::LeftButton);
    QTRY_VERIFY(!t.page.findChild<QMessageBox *>(s("scenarioDeleteConfirm")));
    t.click("scenarioDelete");
    QTRY_VERIFY((confirm = t.page.findChild<QMessageBox *>(s("scenarioDeleteConfirm"))));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(t.page.scenarioList()->count(), examples);
    QCOMPARE(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/scenarios/broker-outage-copy", ctx, cb); }).status, 404);

    // New starts from a template that the engine accepts as it is.
    t.click("scenarioNew");
    QCOMPARE(t.form->field(s("name"))->text(), s("scenario"));
    t.click("scenarioSave");
    QTRY_COMPARE(t.page.scenarioList()->count(), examples + 1);
    QCOMPARE(t.page.currentScenario(), s("scenario"));
    QVERIFY(!t.editor->isModified());
}

QTEST_MAIN(tst_SimulationPage)
#include "tst_simulationpage.moc"
