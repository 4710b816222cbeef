// The Streams page against a real engine: create, two updates and a delete of one entity, then
// walk the slider and check the state and the diff after every event, and that the engine's
// own time travel (?at_position=N) agrees. Also the fold and diff rules on their own, id
// completion from live events and the query API, and following live events of the loaded
// entity. Every model runs under QAbstractItemModelTester.

#include "guifixture.h"
#include "models/streamdiffmodel.h"
#include "models/streameventsmodel.h"
#include "models/streamhistory.h"
#include "pages/streamspage.h"
#include "widgets/streamsbrowser.h"
#include "widgets/streamsentitypicker.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSlider>
#include <QTableView>
#include <QSignalSpy>
#include <QTest>

using namespace Gatehouse;
using Ui::StreamDiffModel;
using Change = Ui::StreamHistory::Change;

class tst_StreamsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void diffRules_data();
    void diffRules();
    void collectionsOfAFreshEngine();
    void walkTheSliderThroughCreateUpdatesAndDelete();
    void completesIdsFromLiveEventsAndTheQueryApi();
    void followsLiveEventsOfTheLoadedEntity();
    void browserFindsStreamsByRecencyPrefixAndField();
};

namespace {
using Test::waitFor;

Ui::ClientReply command(Test::GuiFixture &f, const QString &id, const QString &name, const QByteArray &json)
{
    return waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("products"), id, name, QJsonDocument::fromJson(json).object(), ctx, cb);
    });
}

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

struct Page
{
    explicit Page(Test::GuiFixture &f)
        : page(f.client.get())
        , eventsTester(page.findChild<Ui::StreamEventsModel *>(QStringLiteral("streamsEventsModel")),
                       QAbstractItemModelTester::FailureReportingMode::QtTest)
        , diffTester(page.findChild<StreamDiffModel *>(QStringLiteral("streamsDiffModel")),
                     QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        page.resize(1100, 700);
        page.show();
    }
    template<typename T>
    T *child(const char *name) { return page.findChild<T *>(QLatin1String(name)); }
    QString text(const char *labelName) { return child<QLabel>(labelName)->text(); }
    QAbstractItemModel *diff() { return child<QTableView>("streamsDiff")->model(); }
    QAbstractItemModel *events() { return child<QTableView>("streamsEvents")->model(); }

    Ui::StreamsPage page;
    QAbstractItemModelTester eventsTester;
    QAbstractItemModelTester diffTester;
};

// One diff row as "field kind before after".
QStringList diffRows(QAbstractItemModel *model)
{
    QStringList rows;
    for (int r = 0; r < model->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < StreamDiffModel::ColumnCount; ++c)
            cells.append(model->index(r, c).data().toString());
        rows.append(cells.join(QLatin1Char('|')));
    }
    rows.sort();
    return rows;
}
} // namespace

void tst_StreamsPage::init()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
}

void tst_StreamsPage::diffRules_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<QStringList>("changes");   // "field|kind|before|after", sorted

    QTest::newRow("same") << QByteArray(R"({"a":1})") << QByteArray(R"({"a":1})") << QStringList();
    QTest::newRow("added") << QByteArray("{}") << QByteArray(R"({"a":"x"})") << QStringList{QStringLiteral("a|added||\"x\"")};
    QTest::newRow("removed") << QByteArray(R"({"a":true})") << QByteArray("{}") << QStringList{QStringLiteral("a|removed|true|")};
    QTest::newRow("changed type") << QByteArray(R"({"a":5})") << QByteArray(R"({"a":"5"})") << QStringList{QStringLiteral("a|changed|5|\"5\"")};
    QTest::newRow("nested") << QByteArray(R"({"d":{"w":1,"h":2}})") << QByteArray(R"({"d":{"w":3,"l":4}})")
                            << QStringList{QStringLiteral("d.h|removed|2|"), QStringLiteral("d.l|added||4"), QStringLiteral("d.w|changed|1|3")};
    QTest::newRow("array replaced") << QByteArray(R"({"t":["a"]})") << QByteArray(R"({"t":["a","b"]})")
                                    << QStringList{QStringLiteral("t|changed|[\"a\"]|[\"a\",\"b\"]")};
    QTest::newRow("object to scalar") << QByteArray(R"({"d":{"w":1}})") << QByteArray(R"({"d":null})")
                                      << QStringList{QStringLiteral("d|changed|{\"w\":1}|null")};
}

void tst_StreamsPage::diffRules()
{
    QFETCH(QByteArray, before);
    QFETCH(QByteArray, after);
    QFETCH(QStringList, changes);
    Ui::StreamHistory::State a{true, false, object(before), {}};
    Ui::StreamHistory::State b{true, false, object(after), {}};
    StreamDiffModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setChanges(Ui::StreamHistory::diff(a, b));
    QCOMPARE(diffRows(&model), changes);
}

void tst_StreamsPage::collectionsOfAFreshEngine()
{
    // No read-model table exists yet: GET /admin/collections still answers (it used to crash
    // counting rows of a table that is not there).
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page p(f);
    auto *collection = p.child<QComboBox>("streamsCollection");
    QTRY_COMPARE_WITH_TIMEOUT(collection->count(), 1, 10000);
    QCOMPARE(collection->currentText(), QStringLiteral("products"));
    // An unknown entity loads as empty, and the engine agrees there is nothing.
    p.page.loadEntity(QStringLiteral("products"), QStringLiteral("none"));
    QTRY_VERIFY_WITH_TIMEOUT(p.text("streamsStatus").contains(QLatin1String("no events")), 10000);
}

void tst_StreamsPage::walkTheSliderThroughCreateUpdatesAndDelete()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QCOMPARE(command(f, {}, {}, R"({"id":"s1","name":"Lamp","price":10,"description":"old","tags":["a"]})").status, 202);
    QCOMPARE(command(f, QStringLiteral("s1"), {}, R"({"price":12,"tags":["a","b"]})").status, 202);
    QCOMPARE(command(f, QStringLiteral("s1"), {}, R"({"stock":3,"description":null})").status, 202);
    QCOMPARE(command(f, QStringLiteral("s1"), QStringLiteral("delete"), "{}").status, 202);
    // An event of another entity in between must not show up.
    QCOMPARE(command(f, {}, {}, R"({"id":"other","name":"Other","price":1})").status, 202);

    Page p(f);
    auto *collection = p.child<QComboBox>("streamsCollection");
    auto *id = p.child<QLineEdit>("streamsId");
    auto *slider = p.child<QSlider>("streamsSlider");
    auto *state = p.child<QPlainTextEdit>("streamsState");
    auto *server = p.child<QPlainTextEdit>("streamsServerState");
    QVERIFY(collection && id && slider && state && server);
    QTRY_VERIFY_WITH_TIMEOUT(collection->findText(QStringLiteral("products")) >= 0, 10000);
    collection->setCurrentIndex(collection->findText(QStringLiteral("products")));
    id->setFocus();
    QTest::keyClicks(id, QStringLiteral("s1"));
    QTest::keyClick(id, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(p.page.stepCount(), 4, 10000);
    QCOMPARE(p.events()->rowCount(), 4);
    QCOMPARE(p.events()->index(0, Ui::StreamEventsModel::TypeColumn).data().toString(), QStringLiteral("products.created"));
    QCOMPARE(p.events()->index(3, Ui::StreamEventsModel::TypeColumn).data().toString(), QStringLiteral("products.deleted"));
    QCOMPARE(p.events()->index(3, Ui::StreamEventsModel::VersionColumn).data().toInt(), 3);
    QCOMPARE(p.page.currentStep(), 3);   // opens at the latest state
    QCOMPARE(slider->maximum(), 3);

    struct Step
    {
        QByteArray state;
        QString status;
        QStringList diff;
    };
    const QList<Step> steps{
        {R"({"id":"s1","name":"Lamp","price":10,"description":"old","tags":["a"]})", QStringLiteral("exists"),
         {QStringLiteral("description|added||\"old\""), QStringLiteral("id|added||\"s1\""), QStringLiteral("name|added||\"Lamp\""),
          QStringLiteral("price|added||10"), QStringLiteral("tags|added||[\"a\"]")}},
        {R"({"id":"s1","name":"Lamp","price":12,"description":"old","tags":["a","b"]})", QStringLiteral("exists"),
         {QStringLiteral("price|changed|10|12"), QStringLiteral("tags|changed|[\"a\"]|[\"a\",\"b\"]")}},
        {R"({"id":"s1","name":"Lamp","price":12,"stock":3,"tags":["a","b"]})", QStringLiteral("exists"),
         {QStringLiteral("description|removed|\"old\"|"), QStringLiteral("stock|added||3")}},
        {R"({"id":"s1","name":"Lamp","price":12,"stock":3,"tags":["a","b"]})", QStringLiteral("deleted"),
         {QStringLiteral("(entity)|entity deleted||")}},
    };

    // Walk with the keyboard, from the first event to the last. The table is told of every
    // change of its selection (it repaints the rows it leaves from that: no stale highlight),
    // and exactly one row stays selected.
    auto *eventsView = p.child<QTableView>("streamsEvents");
    QSignalSpy selectionChanges(eventsView->selectionModel(), &QItemSelectionModel::selectionChanged);
    slider->setFocus();
    QTest::keyClick(slider, Qt::Key_Home);
    QVERIFY(selectionChanges.size() >= 1);
    QCOMPARE(eventsView->selectionModel()->selectedRows().size(), 1);
    for (int i = 0; i < steps.size(); ++i) {
        if (i > 0)
            QTest::keyClick(slider, Qt::Key_Right);
        QCOMPARE(p.page.currentStep(), i);
        QCOMPARE(p.child<QTableView>("streamsEvents")->currentIndex().row(), i);
        QCOMPARE(eventsView->selectionModel()->selectedRows().size(), 1);
        QCOMPARE(eventsView->selectionModel()->selectedRows().constFirst().row(), i);
        QVERIFY2(p.text("streamsStep").startsWith(QStringLiteral("Event %1 of 4").arg(i + 1)), qPrintable(p.text("streamsStep")));
        QCOMPARE(object(state->toPlainText().toUtf8()), object(steps[i].state));
        QCOMPARE(p.text("streamsStateStatus"), steps[i].status);
        QCOMPARE(diffRows(p.diff()), steps[i].diff);
        QTRY_VERIFY2_WITH_TIMEOUT(p.text("streamsAgreement").contains(QLatin1String("agrees")), qPrintable(p.text("streamsAgreement")), 10000);
        if (i < 3) {
            QJsonObject fromServer = object(server->toPlainText().toUtf8());
            QCOMPARE(fromServer.value(QLatin1String("_meta")).toObject().value(QLatin1String("version")).toInt(), i);
            fromServer.remove(QLatin1String("_meta"));
            QCOMPARE(fromServer, object(steps[i].state));
        } else {
            QVERIFY2(server->toPlainText().startsWith(QLatin1String("404")), qPrintable(server->toPlainText()));
        }
    }
    // Colours say what kind of change a row is.
    QCOMPARE(p.diff()->index(0, 0).data(StreamDiffModel::KindRole).toInt(), int(Change::Deleted));
    QVERIFY(p.diff()->index(0, 0).data(Qt::BackgroundRole).isValid());

    // Picking a row in the list moves the slider.
    auto *events = p.child<QTableView>("streamsEvents");
    events->setCurrentIndex(p.events()->index(1, 0));
    QCOMPARE(slider->value(), 1);
    QCOMPARE(diffRows(p.diff()), steps[1].diff);

    // An entity without events says so.
    p.page.loadEntity(QStringLiteral("products"), QStringLiteral("nobody"));
    QTRY_VERIFY_WITH_TIMEOUT(p.text("streamsStatus").contains(QLatin1String("no events")), 10000);
    QCOMPARE(p.page.stepCount(), 0);
    QCOMPARE(p.page.currentStep(), -1);
    QCOMPARE(p.diff()->rowCount(), 0);
    QVERIFY(state->toPlainText().isEmpty());
}

void tst_StreamsPage::completesIdsFromLiveEventsAndTheQueryApi()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    const Ui::ClientReply created = command(f, {}, {}, R"({"id":"listed1","name":"Listed","price":1})");
    QCOMPARE(created.status, 202);
    // Let the read model catch up, so the query API lists it.
    const Ui::ClientReply read = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->request("GET", "/api/products/listed1", {}, {{"X-Min-Position", created.header("x-event-position")}}, ctx, cb);
    });
    QCOMPARE(read.status, 200);

    Page p(f);
    auto *picker = p.child<Ui::StreamsEntityPicker>("streamsPicker");
    QVERIFY(picker);
    QTRY_VERIFY_WITH_TIMEOUT(picker->completions().contains(QStringLiteral("listed1")), 10000);
    QCOMPARE(command(f, {}, {}, R"({"id":"live1","name":"Live","price":1})").status, 202);
    QCOMPARE(command(f, {}, {}, R"({"id":"live2","name":"Live","price":1})").status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(picker->completions().contains(QStringLiteral("live2")), 10000);
    QCOMPARE(picker->completions().first(), QStringLiteral("live2"));   // the most recent first
    QVERIFY(picker->completions().contains(QStringLiteral("live1")));
    QVERIFY(picker->completions().contains(QStringLiteral("listed1")));
}

void tst_StreamsPage::followsLiveEventsOfTheLoadedEntity()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QCOMPARE(command(f, {}, {}, R"({"id":"f1","name":"Fan","price":20})").status, 202);
    Page p(f);
    p.page.loadEntity(QStringLiteral("products"), QStringLiteral("f1"));
    QTRY_COMPARE_WITH_TIMEOUT(p.page.stepCount(), 1, 10000);
    QCOMPARE(p.page.currentStep(), 0);
    QCOMPARE(p.child<QLineEdit>("streamsId")->text(), QStringLiteral("f1"));

    QCOMPARE(command(f, QStringLiteral("f1"), {}, R"({"price":25})").status, 202);
    QCOMPARE(command(f, {}, {}, R"({"id":"f2","name":"Other","price":1})").status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(p.page.stepCount(), 2, 10000);
    QCOMPARE(p.page.currentStep(), 1);   // it was at the end, so it follows
    QCOMPARE(diffRows(p.diff()), QStringList{QStringLiteral("price|changed|20|25")});
    QTRY_VERIFY_WITH_TIMEOUT(p.text("streamsAgreement").contains(QLatin1String("agrees")), 10000);

    // Looking at an earlier event, a new one is counted but the view stays where it is.
    p.page.setStep(0);
    QVERIFY2(p.text("streamsStep").startsWith(QLatin1String("Event 1 of 2")), qPrintable(p.text("streamsStep")));
    QCOMPARE(command(f, QStringLiteral("f1"), {}, R"({"price":30})").status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(p.page.stepCount(), 3, 10000);
    QCOMPARE(p.page.currentStep(), 0);
    QVERIFY2(p.text("streamsStep").startsWith(QLatin1String("Event 1 of 3")), qPrintable(p.text("streamsStep")));
}

void tst_StreamsPage::browserFindsStreamsByRecencyPrefixAndField()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Page p(f);
    QVERIFY(QTest::qWaitForWindowExposed(&p.page));
    Ui::StreamsBrowser *browser = p.page.browser();
    QCOMPARE(browser->scope(), QString());   // recent streams first
    QCOMPARE(command(f, {}, {}, R"({"id":"lamp-1","name":"Lamp","price":10})").status, 202);
    QCOMPARE(command(f, {}, {}, R"({"id":"lamp-2","name":"Lamp","price":12})").status, 202);
    QCOMPARE(command(f, {}, {}, R"({"id":"desk-1","name":"Desk","price":99})").status, 202);
    QCOMPARE(command(f, QStringLiteral("lamp-1"), {}, R"({"price":11})").status, 202);
    // Newest first, each stream once.
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), (QStringList{QStringLiteral("products/lamp-1"), QStringLiteral("products/desk-1"),
                                                                QStringLiteral("products/lamp-2")}), 10000);
    // Typing narrows the recent list at once.
    auto *search = p.child<QLineEdit>("streamsBrowserSearch");
    search->setText(QStringLiteral("lamp"));
    QCOMPARE(browser->entries(), (QStringList{QStringLiteral("products/lamp-1"), QStringLiteral("products/lamp-2")}));
    search->clear();

    // One collection: its entities by id, narrowed by id prefix or by a field, through the query API.
    QTRY_VERIFY(p.child<QComboBox>("streamsBrowserScope")->findData(QStringLiteral("products")) >= 0);
    browser->setScope(QStringLiteral("products"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), (QStringList{QStringLiteral("products/desk-1"), QStringLiteral("products/lamp-1"),
                                                                QStringLiteral("products/lamp-2")}), 10000);
    browser->search(QStringLiteral("lamp"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), (QStringList{QStringLiteral("products/lamp-1"), QStringLiteral("products/lamp-2")}), 10000);
    browser->search(QStringLiteral("name=Desk"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), QStringList{QStringLiteral("products/desk-1")}, 10000);
    browser->search(QStringLiteral("price[gt]=11"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), (QStringList{QStringLiteral("products/desk-1"), QStringLiteral("products/lamp-2")}), 10000);
    browser->search(QStringLiteral("nothing-like-it"));
    QTRY_VERIFY_WITH_TIMEOUT(browser->entries().isEmpty() && p.text("streamsBrowserStatus") == QLatin1String("No entity matches."), 10000);
    browser->search(QStringLiteral("price[zz]=1"));   // the query API's refusal is shown
    QTRY_VERIFY2_WITH_TIMEOUT(p.text("streamsBrowserStatus").startsWith(QLatin1String("The query API answered")),
                              qPrintable(p.text("streamsBrowserStatus")), 10000);

    // Activating an entry loads its stream.
    browser->search(QStringLiteral("lamp-1"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->entries(), QStringList{QStringLiteral("products/lamp-1")}, 10000);
    auto *list = p.child<QListWidget>("streamsBrowserList");
    list->setFocus();
    list->setCurrentRow(0);
    QTest::keyClick(list, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(p.page.stepCount(), 2, 10000);
    QCOMPARE(p.child<QLineEdit>("streamsId")->text(), QStringLiteral("lamp-1"));

    // What a search asks for.
    QCOMPARE(Ui::StreamsBrowser::queryFor(QStringLiteral(" lamp ")), QByteArrayLiteral("id[gte]=lamp&id[lt]=lamp%EF%BF%BF&sort=id"));
    QCOMPARE(Ui::StreamsBrowser::queryFor(QStringLiteral("name=Lamp")), QByteArrayLiteral("name=Lamp"));
    QCOMPARE(Ui::StreamsBrowser::queryFor(QString()), QByteArray());
}

QTEST_MAIN(tst_StreamsPage)
#include "tst_streamspage.moc"
