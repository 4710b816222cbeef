// The Functions page against a real engine: deploy from the editor and see the function listed
// and firing, a syntax error shown at its line, versions and rollback, dead letters replayed
// after a fix and skipped; and the JavaScript highlighting of the editor.

#include "guifixture.h"
#include "mainwindow.h"
#include "models/jsonrowsmodel.h"
#include "pages/functionspage.h"
#include "widgets/flowdiagram.h"
#include "models/linediff.h"
#include "widgets/functiondeadletterspanel.h"
#include "widgets/functionversionspanel.h"
#include "widgets/jscodeeditor.h"
#include "widgets/metricchart.h"
#include "widgets/jshighlighter.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTimer>
#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QLineSeries>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

#include <memory>

using namespace Gatehouse;
using Ui::JsonRowsModel;

namespace {

using Test::waitFor;

// The product catalog plus fn_hits, a collection the test functions write (so the query API
// serves it).
QString writeProject(const QTemporaryDir &dir)
{
    QFile source(QStringLiteral(GATEHOUSE_SOURCE_DIR "/resources/default-project.json"));
    if (!source.open(QIODevice::ReadOnly))
        return {};
    QJsonObject project = QJsonDocument::fromJson(source.readAll()).object();
    QJsonObject collections = project.value(QLatin1String("collections")).toObject();
    collections.insert(QStringLiteral("fn_hits"), QJsonObject{{QStringLiteral("schema"), QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}}}});
    project.insert(QStringLiteral("collections"), collections);
    QFile file(dir.filePath(QStringLiteral("project.json")));
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(QJsonDocument(project).toJson());
    return file.fileName();
}

// The page with item-model testers on every model, and its widgets by object name.
struct Page
{
    explicit Page(Test::GuiFixture &f)
        : page(f.client.get())
    {
        for (QAbstractItemModel *m : {static_cast<QAbstractItemModel *>(page.functions()), static_cast<QAbstractItemModel *>(page.versions()),
                                      static_cast<QAbstractItemModel *>(page.deadLetters()->letters())})
            testers.push_back(std::make_unique<QAbstractItemModelTester>(m, QAbstractItemModelTester::FailureReportingMode::QtTest));
        page.resize(1280, 760);
        page.show();
        name = page.findChild<QLineEdit *>(QStringLiteral("functionName"));
        code = page.findChild<Ui::JsCodeEditor *>(QStringLiteral("functionCode"));
        settings = page.findChild<QPlainTextEdit *>(QStringLiteral("functionSettings"));
        deploy = page.findChild<QPushButton *>(QStringLiteral("functionDeploy"));
        message = page.findChild<QLabel *>(QStringLiteral("functionMessage"));
        tabs = page.findChild<QTabWidget *>(QStringLiteral("functionTabs"));
    }

    // Types the function into the editors as a user would, and presses Deploy.
    void typeAndDeploy(const QString &functionName, const QStringList &codeLines, const QString &settingsJson)
    {
        name->selectAll();
        QTest::keyClicks(name, functionName);
        code->selectAll();
        QTest::keyClick(code, Qt::Key_Delete);
        for (qsizetype i = 0; i < codeLines.size(); ++i) {
            if (i > 0)
                QTest::keyClick(code, Qt::Key_Return);
            QTest::keyClicks(code, codeLines.at(i));
        }
        settings->selectAll();
        QTest::keyClick(settings, Qt::Key_Delete);
        QTest::keyClicks(settings, settingsJson);
        QTest::mouseClick(deploy, Qt::LeftButton);
    }

    QString stat(const QString &function, int column) const
    {
        const int row = page.functions()->rowOf(function);
        return row < 0 ? QString() : page.functions()->index(row, column).data().toString();
    }

    Ui::FunctionsPage page;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
    QLineEdit *name = nullptr;
    Ui::JsCodeEditor *code = nullptr;
    QPlainTextEdit *settings = nullptr;
    QPushButton *deploy = nullptr;
    QLabel *message = nullptr;
    QTabWidget *tabs = nullptr;
};

constexpr int kInvocationsColumn = 3;
constexpr int kDeadLettersColumn = 10;
const QString kProductTrigger = QStringLiteral(R"({"triggers":[{"type":"event","filter":{"type":{"prefix":"products."}}}]})");

} // namespace

class tst_FunctionsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QStandardPaths::setTestModeEnabled(true); }
    void deployFromTheEditorAndSeeItFire();
    void syntaxErrorIsShownAtItsLine();
    void versionsAndRollback();
    void deadLetterReplayAfterAFixAndSkip();
    void deadLettersInBulk();
    void testTabRunsWithoutWriting();
    void versionsShowADiff();
    void lineDiff();
    void highlighterColoursJavaScript();
    void rendersForScreenshot();
};

void tst_FunctionsPage::deployFromTheEditorAndSeeItFire()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    QVERIFY(p.name && p.code && p.settings && p.deploy && p.message);
    p.typeAndDeploy(QStringLiteral("hits"),
                    {QStringLiteral("function handle(e, ctx) {"), QStringLiteral("ctx.upsert('fn_hits', e.subject, {type: e.type});"),
                     QStringLiteral("ctx.log('hit ' + e.subject);"), QStringLiteral("}")},
                    kProductTrigger);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("Deployed hits version 1")), qPrintable(p.message->text()));
    QTRY_VERIFY(p.page.functions()->rowOf(QStringLiteral("hits")) >= 0);
    QCOMPARE(p.stat(QStringLiteral("hits"), 2), QStringLiteral("event type=products.*"));
    QCOMPARE(p.stat(QStringLiteral("hits"), kInvocationsColumn), QStringLiteral("0"));
    QCOMPARE(p.code->errorLine(), 0);

    const Ui::ClientReply created = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("products"), {}, {}, {{QStringLiteral("id"), QStringLiteral("fire-1")}, {QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("price"), 1}}, ctx, cb);
    });
    QCOMPARE(created.status, 202);
    // The list's stats follow (refreshed while the page is visible), and the log shows its line.
    QTRY_COMPARE_WITH_TIMEOUT(p.stat(QStringLiteral("hits"), kInvocationsColumn), QStringLiteral("1"), 15000);
    auto *log = p.page.findChild<QPlainTextEdit *>(QStringLiteral("functionLog"));
    QTRY_VERIFY(log->toPlainText().contains(QLatin1String("hit fire-1")));
    auto *stats = p.page.findChild<QLabel *>(QStringLiteral("functionStats"));
    QVERIFY2(stats->text().contains(QLatin1String("invocations: 1")), qPrintable(stats->text()));
    // The stats over time: the invocation shows as a rate above zero, errors stay at zero.
    auto *invocations = p.page.findChild<Ui::MetricChart *>(QStringLiteral("functionInvocationsChart"));
    auto *errors = p.page.findChild<Ui::MetricChart *>(QStringLiteral("functionErrorsChart"));
    auto *p99 = p.page.findChild<Ui::MetricChart *>(QStringLiteral("functionP99Chart"));
    QVERIFY(invocations && errors && p99);
    QTRY_VERIFY_WITH_TIMEOUT(invocations->pointCount() >= 2, 10000);
    QVERIFY(errors->pointCount() >= 2);
    QCOMPARE(errors->lastValue(), 0.0);
    const auto *series = qobject_cast<QLineSeries *>(invocations->chart()->series().first());
    bool sawRate = false;
    for (const QPointF &point : series->points())
        sawRate = sawRate || point.y() > 0;
    QVERIFY(sawRate);
    const Ui::ClientReply doc = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/fn_hits/fire-1", ctx, cb); });
    QCOMPARE(doc.status, 200);
    QCOMPARE(doc.object().value(QLatin1String("type")).toString(), QStringLiteral("products.created"));
}

void tst_FunctionsPage::syntaxErrorIsShownAtItsLine()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    p.typeAndDeploy(QStringLiteral("broken"),
                    {QStringLiteral("// a comment"), QStringLiteral("function handle(e, ctx) {"), QStringLiteral("  return 1 +;"), QStringLiteral("}")},
                    kProductTrigger);
    QTRY_COMPARE_WITH_TIMEOUT(p.code->errorLine(), 3, 10000);
    QVERIFY(!p.code->errorMessage().isEmpty());
    QVERIFY2(p.message->text().contains(QLatin1String("line 3")), qPrintable(p.message->text()));
    QCOMPARE(p.code->textCursor().blockNumber(), 2);   // the cursor went to the line
    bool marked = false;
    for (const QTextEdit::ExtraSelection &s : p.code->extraSelections())
        marked = marked || (s.cursor.blockNumber() == 2 && s.format.background().color() == QColor(255, 220, 220));
    QVERIFY(marked);
    QCOMPARE(p.page.functions()->rowOf(QStringLiteral("broken")), -1);
    // Editing clears the mark.
    QTest::keyClick(p.code, Qt::Key_Space);
    QCOMPARE(p.code->errorLine(), 0);

    // A refused definition without a line is shown as the problem's list.
    p.typeAndDeploy(QStringLiteral("broken"), {QStringLiteral("function handle(e, ctx) {}")}, QStringLiteral(R"({"timeout_ms":-5})"));
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("timeout_ms")), qPrintable(p.message->text()));
    QCOMPARE(p.code->errorLine(), 0);
    // Settings that are not JSON never leave the page.
    p.typeAndDeploy(QStringLiteral("broken"), {QStringLiteral("function handle(e, ctx) {}")}, QStringLiteral("{oops"));
    QVERIFY2(p.message->text().contains(QLatin1String("Triggers and settings")), qPrintable(p.message->text()));
}

void tst_FunctionsPage::versionsAndRollback()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    const QString one = QStringLiteral("function handle(e, ctx) { return 'one'; }");
    const QString two = QStringLiteral("function handle(e, ctx) { return 'two'; }");
    p.typeAndDeploy(QStringLiteral("versioned"), {one}, QStringLiteral("[]"));
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 1")), qPrintable(p.message->text()));
    p.typeAndDeploy(QStringLiteral("versioned"), {two}, QStringLiteral("[]"));
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 2")), qPrintable(p.message->text()));
    JsonRowsModel *versions = p.page.versions();
    QTRY_COMPARE(versions->rowCount(), 2);
    QCOMPARE(versions->key(0), QStringLiteral("2"));   // newest first

    p.tabs->setCurrentIndex(1);
    auto *table = p.page.findChild<QTableView *>(QStringLiteral("functionVersions"));
    auto *rollback = p.page.findChild<QPushButton *>(QStringLiteral("functionRollback"));
    auto *versionCode = p.page.findChild<Ui::JsCodeEditor *>(QStringLiteral("functionVersionCode"));
    QVERIFY(table && rollback && versionCode);
    QVERIFY(!rollback->isEnabled());
    const QRect rect = table->visualRect(versions->index(versions->rowOf(QStringLiteral("1")), 0));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(versionCode->toPlainText(), one);
    QVERIFY(rollback->isEnabled());
    QTest::mouseClick(rollback, Qt::LeftButton);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("now version 3")), qPrintable(p.message->text()));
    QCOMPARE(p.code->toPlainText(), one);
    QTRY_COMPARE(versions->rowCount(), 3);
    QCOMPARE(versions->item(0).value(QLatin1String("rolled_back_from")).toInt(), 1);
    QTRY_COMPARE(p.stat(QStringLiteral("versioned"), 1), QStringLiteral("3"));
}

void tst_FunctionsPage::deadLetterReplayAfterAFixAndSkip()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    const QString settings = QStringLiteral(R"({"retry":{"max_attempts":1,"delay_ms":10},"triggers":[{"type":"event","filter":{"type":"orders.placed"}}]})");
    p.typeAndDeploy(QStringLiteral("flaky"), {QStringLiteral("function handle(e, ctx) { throw new Error('boom ' + e.subject); }")}, settings);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 1")), qPrintable(p.message->text()));
    for (const QString &subject : {QStringLiteral("o1"), QStringLiteral("o2")}) {
        AppendRequest r;
        r.stream = QStringLiteral("orders-") + subject;
        r.expected = ExpectedVersion::any();
        r.events = {NewEvent{{}, QStringLiteral("orders.placed"), "{\"total\":5}", "{}"}};
        QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());
    }
    p.tabs->setCurrentIndex(3);
    JsonRowsModel *letters = p.page.deadLetters()->letters();
    QTRY_COMPARE_WITH_TIMEOUT(letters->rowCount(), 2, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(p.stat(QStringLiteral("flaky"), kDeadLettersColumn), QStringLiteral("2"), 10000);
    int o1 = -1;
    for (int row = 0; row < letters->rowCount(); ++row) {
        QVERIFY(letters->index(row, 6).data().toString().contains(QLatin1String("boom")));
        if (letters->index(row, 2).data().toString() == QLatin1String("o1"))
            o1 = row;
    }
    QVERIFY(o1 >= 0);

    // Fix the code in the editor, deploy, then replay o1's letter: it goes, and the fix ran.
    p.tabs->setCurrentIndex(0);
    p.typeAndDeploy(QStringLiteral("flaky"), {QStringLiteral("function handle(e, ctx) { ctx.upsert('fn_hits', 'replayed-' + e.subject, {total: e.data.total}); }")}, settings);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 2")), qPrintable(p.message->text()));
    p.tabs->setCurrentIndex(3);
    auto *table = p.page.findChild<QTableView *>(QStringLiteral("functionDeadLetters"));
    auto *replay = p.page.findChild<QPushButton *>(QStringLiteral("deadLetterReplay"));
    auto *skip = p.page.findChild<QPushButton *>(QStringLiteral("deadLetterSkip"));
    auto *status = p.page.findChild<QLabel *>(QStringLiteral("deadLetterStatus"));
    QVERIFY(table && replay && skip && status);
    // The table shows the letters sorted (by position first): rows are found in what it shows.
    const QAbstractItemModel *shown = table->model();
    o1 = -1;
    for (int row = 0; row < shown->rowCount(); ++row) {
        if (shown->index(row, 2).data().toString() == QLatin1String("o1"))
            o1 = row;
    }
    QVERIFY(o1 >= 0);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(shown->index(o1, 0)).center());
    QVERIFY(replay->isEnabled());
    QTest::mouseClick(replay, Qt::LeftButton);
    QTRY_VERIFY2(status->text().contains(QLatin1String("Replayed")), qPrintable(status->text()));
    QTRY_COMPARE(letters->rowCount(), 1);
    QCOMPARE(letters->index(0, 2).data().toString(), QStringLiteral("o2"));
    const Ui::ClientReply doc = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/fn_hits/replayed-o1", ctx, cb); });
    QCOMPARE(doc.status, 200);
    QCOMPARE(doc.object().value(QLatin1String("total")).toInt(), 5);

    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(shown->index(0, 0)).center());
    QTest::mouseClick(skip, Qt::LeftButton);
    QTRY_COMPARE(letters->rowCount(), 0);
    QCOMPARE(status->text(), QStringLiteral("Skipped"));
    const Ui::ClientReply none = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/dead-letters", ctx, cb); });
    QCOMPARE(none.object().value(QLatin1String("total")).toInt(), 0);
}

void tst_FunctionsPage::deadLettersInBulk()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    // Orders a1, a2 fail with one error, b1 with another.
    const QString settings = QStringLiteral(R"({"retry":{"max_attempts":1,"delay_ms":10},"triggers":[{"type":"event","filter":{"type":"orders.placed"}}]})");
    p.typeAndDeploy(QStringLiteral("picky"), {QStringLiteral("function handle(e, ctx) { throw new Error('no ' + e.subject.charAt(0)); }")}, settings);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 1")), qPrintable(p.message->text()));
    for (const QString &subject : {QStringLiteral("b1"), QStringLiteral("a1"), QStringLiteral("a2")}) {
        AppendRequest r;
        r.stream = QStringLiteral("orders-") + subject;
        r.expected = ExpectedVersion::any();
        r.events = {NewEvent{{}, QStringLiteral("orders.placed"), "{\"total\":5}", "{}"}};
        QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());
    }
    Ui::FunctionDeadLettersPanel *panel = p.page.deadLetters();
    QTRY_COMPARE_WITH_TIMEOUT(panel->count(), 3, 15000);
    // The tab counts them; the engine's status (the sidebar's badge, the Overview's box) too.
    QCOMPARE(p.tabs->tabText(3), QStringLiteral("Dead letters (3)"));
    QTRY_COMPARE_WITH_TIMEOUT(f.client->status().deadLetters, 3, 10000);
    {
        Ui::MainWindow window(f.client.get());
        auto *sidebar = window.findChild<QListWidget *>(QStringLiteral("sidebar"));
        QTRY_COMPARE(sidebar->item(Ui::MainWindow::Functions)->text(), QStringLiteral("Functions (3)"));
        auto *diagram = window.findChild<Ui::FlowDiagram *>();
        QTRY_COMPARE(diagram->nodeValue(QStringLiteral("functions")), QStringLiteral("3 dead letters"));
        QCOMPARE(diagram->nodeHealth(QStringLiteral("functions")), Ui::FlowDiagram::Health::Warning);
    }
    p.tabs->setCurrentIndex(3);

    // Sorted by position at first; by error on a click of its header.
    QTableView *table = panel->view();
    const QAbstractItemModel *shown = table->model();
    QCOMPARE(shown->index(0, 2).data().toString(), QStringLiteral("b1"));
    QCOMPARE(shown->index(2, 2).data().toString(), QStringLiteral("a2"));
    QTest::mouseClick(table->horizontalHeader()->viewport(), Qt::LeftButton, {},
                      QPoint(table->horizontalHeader()->sectionViewportPosition(6) + 5, 5));
    QTRY_COMPARE(shown->index(2, 2).data().toString(), QStringLiteral("b1"));   // "no a" < "no b"

    // An event's dead letters, as a link from elsewhere opens them.
    QString a1Event;
    for (int row = 0; row < panel->letters()->rowCount(); ++row) {
        const QJsonObject letter = panel->letters()->item(row);
        if (letter.value(QLatin1String("event")).toObject().value(QLatin1String("subject")).toString() == QLatin1String("a1"))
            a1Event = letter.value(QLatin1String("event")).toObject().value(QLatin1String("id")).toString();
    }
    QVERIFY(!a1Event.isEmpty());
    p.page.openDeadLettersOfEvent(a1Event);
    QCOMPARE(p.tabs->currentIndex(), 3);
    QCOMPARE(panel->selectedIds().size(), 1);
    p.page.openDeadLettersOfEvent(QStringLiteral("no-such-event"));
    QVERIFY(panel->selectedIds().isEmpty());
    QVERIFY2(panel->findChild<QLabel *>(QStringLiteral("deadLetterStatus"))->text().startsWith(QLatin1String("No dead letter")),
             qPrintable(panel->findChild<QLabel *>(QStringLiteral("deadLetterStatus"))->text()));

    // "Same error" selects a1 and a2; the buttons say how many they act on.
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(shown->index(0, 0)).center());
    auto *sameError = panel->findChild<QPushButton *>(QStringLiteral("deadLetterSameError"));
    auto *replay = panel->findChild<QPushButton *>(QStringLiteral("deadLetterReplay"));
    auto *skip = panel->findChild<QPushButton *>(QStringLiteral("deadLetterSkip"));
    auto *status = panel->findChild<QLabel *>(QStringLiteral("deadLetterStatus"));
    QTest::mouseClick(sameError, Qt::LeftButton);
    QCOMPARE(panel->selectedIds().size(), 2);
    QCOMPARE(replay->text(), QStringLiteral("Replay 2"));

    // Replayed against the unchanged function, both fail again and stay; the outcome is counted.
    QTest::mouseClick(replay, Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(status->text().startsWith(QLatin1String("Replayed 0 of 2")), qPrintable(status->text()), 15000);
    QVERIFY2(status->text().contains(QLatin1String("2 failed")), qPrintable(status->text()));
    QCOMPARE(panel->count(), 3);
    // Skipping the two asks first; cancelled, they stay.
    QCOMPARE(panel->selectedIds().size(), 2);
    QTest::mouseClick(skip, Qt::LeftButton);
    QMessageBox *confirm = nullptr;
    QVERIFY(QTest::qWaitFor([&] { return (confirm = panel->findChild<QMessageBox *>(QStringLiteral("deadLetterSkipConfirm"))) != nullptr; }, 5000));
    QVERIFY2(confirm->text().contains(QLatin1String("2 dead letters")), qPrintable(confirm->text()));
    confirm->button(QMessageBox::Cancel)->click();
    QTest::qWait(200);
    QCOMPARE(panel->count(), 3);

    // After a fix, the same two go; b1 stays.
    p.tabs->setCurrentIndex(0);
    p.typeAndDeploy(QStringLiteral("picky"), {QStringLiteral("function handle(e, ctx) { ctx.upsert('fn_hits', e.subject, {total: e.data.total}); }")}, settings);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 2")), qPrintable(p.message->text()));
    p.tabs->setCurrentIndex(3);
    QTRY_COMPARE(panel->count(), 3);
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, table->visualRect(shown->index(0, 0)).center());
    QTest::mouseClick(sameError, Qt::LeftButton);
    QCOMPARE(panel->selectedIds().size(), 2);
    QTest::mouseClick(replay, Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(status->text() == QLatin1String("Replayed 2 of 2"), qPrintable(status->text()), 15000);
    QTRY_COMPARE(panel->count(), 1);
    QTRY_COMPARE(p.tabs->tabText(3), QStringLiteral("Dead letters (1)"));
    for (const QString &id : {QStringLiteral("a1"), QStringLiteral("a2")}) {
        const Ui::ClientReply doc = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/fn_hits/" + id.toUtf8(), ctx, cb); });
        QCOMPARE(doc.status, 200);
    }

    // A letter's context menu leads to its function and its event.
    QSignalSpy opened(&p.page, &Ui::FunctionsPage::openRequested);
    QStringList offered;
    QTimer::singleShot(0, table, [&] {
        auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        if (!menu)
            return;
        QAction *function = nullptr;
        for (QAction *a : menu->actions()) {
            offered.append(a->text());
            if (a->text() == QLatin1String("Open function picky"))
                function = a;
        }
        menu->close();
        if (function)
            function->trigger();
    });
    Q_EMIT table->customContextMenuRequested(table->visualRect(shown->index(0, 0)).center());
    QVERIFY2(offered.contains(QStringLiteral("Show in Events")) && offered.contains(QStringLiteral("Open stream at this event")),
             qPrintable(offered.join(u',')));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.at(0).at(0).value<Ui::Location>(), Ui::Location::ofFunction(QStringLiteral("picky")));

    // Skipping more than one asks first; all of them go.
    QTest::mouseClick(panel->findChild<QPushButton *>(QStringLiteral("deadLetterSelectAll")), Qt::LeftButton);
    QCOMPARE(panel->selectedIds().size(), 1);
    QTest::mouseClick(skip, Qt::LeftButton);   // one: no question
    QTRY_COMPARE(panel->count(), 0);
    QCOMPARE(status->text(), QStringLiteral("Skipped"));
    QCOMPARE(p.tabs->tabText(3), QStringLiteral("Dead letters"));
    QTRY_COMPARE_WITH_TIMEOUT(f.client->status().deadLetters, 0, 10000);
}

void tst_FunctionsPage::testTabRunsWithoutWriting()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    const QString settings = QStringLiteral(R"({"triggers":[{"type":"event","filter":{"type":"orders.placed"}}]})");
    p.typeAndDeploy(QStringLiteral("tally"), {QStringLiteral("function handle(e, ctx) {"),
                                              QStringLiteral("ctx.upsert('fn_hits', e.subject, {total: e.data.total}); console.log('tally ' + e.subject); return e.data.total * 2; }")},
                    settings);
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 1")), qPrintable(p.message->text()));
    p.tabs->setCurrentIndex(4);
    QCOMPARE(p.tabs->tabText(4), QStringLiteral("Test"));
    auto *sample = p.page.findChild<QPlainTextEdit *>(QStringLiteral("functionTestSample"));
    auto *run = p.page.findChild<QPushButton *>(QStringLiteral("functionTestRun"));
    auto *status = p.page.findChild<QLabel *>(QStringLiteral("functionTestStatus"));
    auto *output = p.page.findChild<QPlainTextEdit *>(QStringLiteral("functionTestOutput"));
    QVERIFY(sample && run && status && output);
    QTRY_VERIFY(run->isEnabled());
    sample->setPlainText(QStringLiteral(R"({"type":"orders.placed","subject":"sample-1","data":{"total":21}})"));
    QTest::mouseClick(run, Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(status->text().contains(QLatin1String("nothing was written")), qPrintable(status->text()), 10000);
    QVERIFY2(output->toPlainText().contains(QLatin1String("upsert fn_hits/sample-1")), qPrintable(output->toPlainText()));
    QVERIFY2(output->toPlainText().contains(QLatin1String("tally sample-1")), qPrintable(output->toPlainText()));
    QVERIFY2(output->toPlainText().contains(QLatin1String("// Returned\n42")), qPrintable(output->toPlainText()));
    const Ui::ClientReply none = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/fn_hits/sample-1", ctx, cb); });
    QCOMPARE(none.status, 404);

    // An event of the log, by position, with the editor's code (not deployed) that throws.
    AppendRequest r;
    r.stream = QStringLiteral("orders-o9");
    r.expected = ExpectedVersion::any();
    r.events = {NewEvent{{}, QStringLiteral("orders.placed"), "{\"total\":7}", "{}"}};
    const AppendResult appended = f.engine.eventStore()->appendAndWait(std::move(r));
    QVERIFY(appended.ok());
    sample->clear();
    p.page.findChild<QLineEdit *>(QStringLiteral("functionTestPosition"))->setText(QString::number(appended.firstPosition));
    p.code->setPlainText(QStringLiteral("function handle(e, ctx) {\n  throw new Error('bad total ' + e.data.total);\n}"));
    p.page.findChild<QCheckBox *>(QStringLiteral("functionTestUseEditor"))->setChecked(true);
    QTest::mouseClick(run, Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(status->text().contains(QLatin1String("failed")), qPrintable(status->text()), 10000);
    QVERIFY2(status->text().contains(QLatin1String("line 2: Error: bad total 7")) || status->text().contains(QLatin1String("line 2: bad total 7")),
             qPrintable(status->text()));
    QVERIFY2(status->text().contains(QStringLiteral("#%1").arg(appended.firstPosition)), qPrintable(status->text()));
    QCOMPARE(p.code->errorLine(), 2);
    QCOMPARE(p.stat(QStringLiteral("tally"), 1), QStringLiteral("1"));   // still version 1
}

void tst_FunctionsPage::versionsShowADiff()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    p.typeAndDeploy(QStringLiteral("diffed"), {QStringLiteral("function handle(e, ctx) {"), QStringLiteral("  return 1;"), QStringLiteral("}")}, QStringLiteral("{}"));
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 1")), qPrintable(p.message->text()));
    p.typeAndDeploy(QStringLiteral("diffed"), {QStringLiteral("function handle(e, ctx) {"), QStringLiteral("  console.log('two');"), QStringLiteral("  return 2;"), QStringLiteral("}")},
                    QStringLiteral("{}"));
    QTRY_VERIFY2(p.message->text().contains(QLatin1String("version 2")), qPrintable(p.message->text()));
    p.tabs->setCurrentIndex(1);
    auto *panel = p.page.findChild<Ui::FunctionVersionsPanel *>(QStringLiteral("functionVersionsPanel"));
    auto *table = panel->findChild<QTableView *>(QStringLiteral("functionVersions"));
    QTRY_COMPARE_WITH_TIMEOUT(p.page.versions()->rowCount(), 2, 10000);
    table->selectRow(0);   // version 2, newest first
    QVERIFY(panel->shownText().contains(QLatin1String("return 2;")));
    QVERIFY(!panel->shownText().startsWith(QLatin1String("  ")));
    panel->compareWith(1);
    const QString diff = panel->shownText();
    QVERIFY2(diff.contains(QLatin1String("-   return 1;")), qPrintable(diff));
    QVERIFY2(diff.contains(QLatin1String("+   console.log('two');")), qPrintable(diff));
    QVERIFY2(diff.contains(QLatin1String("+   return 2;")), qPrintable(diff));
    QVERIFY2(diff.startsWith(QLatin1String("  function handle(e, ctx) {")), qPrintable(diff));
    panel->compareWith(0);
    QVERIFY(panel->shownText().startsWith(QLatin1String("function handle")));
}

void tst_FunctionsPage::lineDiff()
{
    using K = Ui::DiffLine::Kind;
    const auto kinds = [](const QList<Ui::DiffLine> &lines) {
        QString out;
        for (const Ui::DiffLine &l : lines)
            out += l.kind == K::Same ? u'=' : l.kind == K::Added ? u'+' : u'-';
        return out;
    };
    const QStringList a{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")};
    QCOMPARE(kinds(Ui::LineDiff::compare(a, a)), QStringLiteral("===="));
    QCOMPARE(kinds(Ui::LineDiff::compare(a, {QStringLiteral("a"), QStringLiteral("x"), QStringLiteral("c"), QStringLiteral("d")})), QStringLiteral("=-+=="));
    QCOMPARE(kinds(Ui::LineDiff::compare(a, {QStringLiteral("b"), QStringLiteral("c")})), QStringLiteral("-==-"));
    QCOMPARE(kinds(Ui::LineDiff::compare({}, {QStringLiteral("n")})), QStringLiteral("+"));
    QCOMPARE(Ui::LineDiff::unified(Ui::LineDiff::compare({QStringLiteral("x")}, {QStringLiteral("y")})), QStringLiteral("- x\n+ y\n"));
    // Bounded: too many changed lines are not compared.
    QStringList many, other;
    for (int i = 0; i < Ui::LineDiff::kMaxLines + 1; ++i) {
        many.append(QString::number(i));
        other.append(QStringLiteral("o%1").arg(i));
    }
    bool tooLarge = false;
    QVERIFY(Ui::LineDiff::compare(many, other, &tooLarge).isEmpty());
    QVERIFY(tooLarge);
    // A long text with a small change is compared (the common head and tail are cut first).
    QStringList changed = many;
    changed[1000] = QStringLiteral("changed");
    QCOMPARE(Ui::LineDiff::compare(many, changed, &tooLarge).size(), many.size() + 1);
    QVERIFY(!tooLarge);
}

void tst_FunctionsPage::highlighterColoursJavaScript()
{
    Ui::JsCodeEditor editor;
    editor.setPlainText(QStringLiteral("function handle(e) { // note\n"
                                       "  const s = 'a // b', n = 42.5e3;\n"
                                       "  const t = `x ${e}\n"
                                       "  still template`; /* one\n"
                                       "  two */ return null;\n"
                                       "}\n"));
    editor.show();
    QVERIFY(QTest::qWaitForWindowExposed(&editor));
    // The kind of format at (line, column), by its foreground colour.
    const auto kindAt = [&](int line, int column) -> int {
        const QTextBlock block = editor.document()->findBlockByNumber(line);
        for (const QTextLayout::FormatRange &r : block.layout()->formats()) {
            if (column >= r.start && column < r.start + r.length) {
                for (int k = Ui::JsHighlighter::Keyword; k <= Ui::JsHighlighter::Call; ++k) {
                    if (Ui::JsHighlighter::format(Ui::JsHighlighter::Kind(k)).foreground() == r.format.foreground())
                        return k;
                }
            }
        }
        return -1;
    };
    QCOMPARE(kindAt(0, 0), int(Ui::JsHighlighter::Keyword));    // function
    QCOMPARE(kindAt(0, 9), int(Ui::JsHighlighter::Call));       // handle(
    QCOMPARE(kindAt(0, 23), int(Ui::JsHighlighter::Comment));   // // note
    QCOMPARE(kindAt(1, 2), int(Ui::JsHighlighter::Keyword));    // const
    QCOMPARE(kindAt(1, 14), int(Ui::JsHighlighter::String));    // "//" inside a string is no comment
    QCOMPARE(kindAt(1, 27), int(Ui::JsHighlighter::Number));    // 42.5e3
    QCOMPARE(kindAt(2, 12), int(Ui::JsHighlighter::Template));
    QCOMPARE(kindAt(3, 4), int(Ui::JsHighlighter::Template));   // a template spans lines
    QCOMPARE(kindAt(3, 20), int(Ui::JsHighlighter::Comment));
    QCOMPARE(kindAt(4, 2), int(Ui::JsHighlighter::Comment));    // so does a block comment
    QCOMPARE(kindAt(4, 9), int(Ui::JsHighlighter::Keyword));    // return
    QCOMPARE(kindAt(4, 16), int(Ui::JsHighlighter::Literal));   // null
    QCOMPARE(kindAt(1, 8), -1);                                  // s: a plain name
    QVERIFY(editor.lineNumberAreaWidth() > 0);
}

void tst_FunctionsPage::rendersForScreenshot()
{
    Test::GuiFixture f;
    QVERIFY(f.start(writeProject(f.dir)));
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    p.typeAndDeploy(QStringLiteral("count-products"),
                    {QStringLiteral("// Counts the events of each product."), QStringLiteral("function handle(event, ctx) {"),
                     QStringLiteral("  const old = ctx.get('fn_hits', event.subject);"),
                     QStringLiteral("  ctx.upsert('fn_hits', event.subject, {seen: (old ? old.seen : 0) + 1});"),
                     QStringLiteral("  ctx.log(`${event.type} ${event.subject}`);"), QStringLiteral("  return 1 +;"), QStringLiteral("}")},
                    kProductTrigger);
    QTRY_COMPARE_WITH_TIMEOUT(p.code->errorLine(), 6, 10000);
    const QImage image = p.page.grab().toImage();
    QVERIFY(!image.isNull());
    const QString dir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        QVERIFY(image.save(QDir(dir).filePath(QStringLiteral("functions.png"))));
}

QTEST_MAIN(tst_FunctionsPage)
#include "tst_functionspage.moc"
