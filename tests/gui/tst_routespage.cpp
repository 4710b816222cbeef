// The Routes page against a real engine: its models under QAbstractItemModelTester, the route
// editor driven like a user would (typing, checking, Save) with routes answering through the
// gateway's real socket via the request tester, schema errors shown as you type with Save
// disabled, the server's refusal shown, enable/disable, duplicate, delete, and consumers with
// key-auth. Set GATEHOUSE_SCREENSHOT_DIR to have `screenshots` write PNGs of the page.

#include "guifixture.h"

#include "models/consumertablemodel.h"
#include "models/jsonrowsmodel.h"
#include "models/requesttesterhistorymodel.h"
#include "models/routecounters.h"
#include "models/routetablemodel.h"
#include "pages/routespage.h"
#include "widgets/consumereditordialog.h"
#include "widgets/consumerspanel.h"
#include "widgets/pluginschemaform.h"
#include "widgets/requesttesterwidget.h"
#include "widgets/resourceeditors.h"
#include "widgets/routeeditordialog.h"
#include "widgets/routepluginsedit.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QGuiApplication>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QTest>

using namespace Gatehouse;
using Ui::RouteTableModel;

class tst_RoutesPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void countersFromMetrics_data();
    void countersFromMetrics();
    void routeModelKeepsRowsByIdUnderTester();
    void consumerAndHistoryModelsUnderTester();
    void editorCreatesRouteThatAnswersThroughTheGateway();
    void editorShowsSchemaErrorsAndDisablesSave();
    void editorShowsTheServersRefusal();
    void pluginFormFollowsTheSchema();
    void upstreamsGlobalRulesAndVars();
    void disableDuplicateAndDelete();
    void severalRoutesAtOnce();
    void testerParamsCredentialsRepeatCurlAndSaved();
    void consumerWithKeyAuthRoute();
    void screenshots();
};

namespace {
using Test::waitFor;

QJsonObject route(const QString &id, const QString &uri, const QString &upstreamType = QStringLiteral("events"))
{
    return QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("uri"), uri},
                       {QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), upstreamType}}}};
}

// A page on a started fixture, shown (offscreen) and with its models under the tester.
struct PageUnderTest
{
    explicit PageUnderTest(Ui::EngineClient *client)
        : page(client)
        , routesTester(page.routeModel(), QAbstractItemModelTester::FailureReportingMode::QtTest)
        , consumersTester(page.consumers()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest)
        , historyTester(page.requestTester()->history(), QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        page.resize(1200, 800);
        page.show();
    }

    template<typename T>
    T *child(const char *name) const
    {
        return page.findChild<T *>(QLatin1String(name));
    }
    QString cell(const QString &id, int column) const
    {
        const int row = page.routeModel()->rowOf(id);
        return row < 0 ? QString() : page.routeModel()->index(row, column).data().toString();
    }
    // The open editor, if exactly one is visible.
    template<typename Dialog>
    Dialog *dialog() const
    {
        Dialog *found = nullptr;
        for (Dialog *d : page.findChildren<Dialog *>()) {
            if (d->isVisible()) {
                if (found)
                    return nullptr;
                found = d;
            }
        }
        return found;
    }
    void click(const char *name) const
    {
        auto *button = child<QPushButton>(name);
        QVERIFY2(button, name);
        QVERIFY2(button->isEnabled(), name);
        QTest::mouseClick(button, Qt::LeftButton);
    }
    // Sends method + path (+ headers) through the tester's widgets; returns the status shown.
    int send(const QByteArray &method, const QString &path, const QList<std::pair<QString, QString>> &headers = {})
    {
        page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::TesterTab);
        auto *methodBox = child<QComboBox>("requestTesterMethod");
        auto *pathEdit = child<QLineEdit>("requestTesterPath");
        auto *table = child<QTableWidget>("requestTesterHeaders");
        methodBox->setCurrentText(QString::fromLatin1(method));
        pathEdit->clear();
        QTest::keyClicks(pathEdit, path);
        table->setRowCount(0);
        for (const auto &[name, value] : headers) {
            click("requestTesterAddHeader");
            table->item(table->rowCount() - 1, 0)->setText(name);
            table->item(table->rowCount() - 1, 1)->setText(value);
        }
        QSignalSpy finished(page.requestTester(), &Ui::RequestTesterWidget::finished);
        click("requestTesterSend");
        if (!QTest::qWaitFor([&] { return !finished.isEmpty(); }, 15000))
            return -1;
        // What the user sees: the status line begins with the code.
        return child<QLabel>("requestTesterStatus")->text().section(QLatin1Char(' '), 0, 0).toInt();
    }

    Ui::RoutesPage page;
    QAbstractItemModelTester routesTester;
    QAbstractItemModelTester consumersTester;
    QAbstractItemModelTester historyTester;
};

void setPluginsText(QPlainTextEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (i > 0)
            QTest::keyClick(edit, Qt::Key_Return);
        QTest::keyClicks(edit, lines.at(i));
    }
}
} // namespace

void tst_RoutesPage::countersFromMetrics_data()
{
    QTest::addColumn<QByteArray>("exposition");
    QTest::addColumn<QString>("route");
    QTest::addColumn<double>("hits");
    QTest::addColumn<double>("errors");
    const QByteArray text =
        "# HELP gatehouse_http_requests_total Requests answered by the gateway, by route and status.\n"
        "# TYPE gatehouse_http_requests_total counter\n"
        "gatehouse_http_requests_total{route=\"a\",status=\"200\"} 7\n"
        "gatehouse_http_requests_total{route=\"a\",status=\"404\"} 2\n"
        "gatehouse_http_requests_total{route=\"a\",status=\"502\"} 3\n"
        "gatehouse_http_requests_total{route=\"a\",status=\"504\"} 1\n"
        "gatehouse_http_requests_total{route=\"we\\\"ird\",status=\"200\"} 5\n"
        "gatehouse_http_requests_total{route=\"\",status=\"404\"} 9\n"
        "gatehouse_http_request_duration_seconds_count{route=\"a\"} 13\n"
        "gatehouse_plugin_rejections_total{route=\"a\",plugin=\"key-auth\",status=\"401\"} 1\n"
        "gatehouse_plugin_rejections_total{route=\"a\",plugin=\"limit-count\",status=\"429\"} 1\n";
    QTest::newRow("sums statuses, 5xx are errors") << text << QStringLiteral("a") << 13.0 << 4.0;
    QTest::newRow("escaped label value") << text << QStringLiteral("we\"ird") << 5.0 << 0.0;
    QTest::newRow("unmatched requests are no route") << text << QString() << 0.0 << 0.0;
    QTest::newRow("absent route") << text << QStringLiteral("b") << 0.0 << 0.0;
}

void tst_RoutesPage::countersFromMetrics()
{
    QFETCH(QByteArray, exposition);
    QFETCH(QString, route);
    QFETCH(double, hits);
    QFETCH(double, errors);
    const auto counters = Ui::RouteCounters::parse(exposition);
    QCOMPARE(counters.value(route).hits, hits);
    QCOMPARE(counters.value(route).errors, errors);
    QVERIFY(!counters.contains(QString()));
    if (route == QLatin1String("a")) {
        // 4xx apart from 5xx; plugin rejections by status (they are among the 4xx as well).
        QCOMPARE(counters.value(route).clientErrors, 2.0);
        QCOMPARE(counters.value(route).rejected, 2.0);
        QCOMPARE(counters.value(route).rejectionsText(), QStringLiteral("401: 1 · 429: 1"));
    }
}

void tst_RoutesPage::routeModelKeepsRowsByIdUnderTester()
{
    RouteTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QJsonObject a = route(QStringLiteral("a"), QStringLiteral("/a"));
    a.insert(QStringLiteral("methods"), QJsonArray{QStringLiteral("GET"), QStringLiteral("POST")});
    QJsonObject b = route(QStringLiteral("b"), QStringLiteral("/b/:id"), QStringLiteral("query"));
    b.insert(QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("query")}, {QStringLiteral("collection"), QStringLiteral("products")}});
    b.insert(QStringLiteral("plugins"), QJsonObject{{QStringLiteral("key-auth"), QJsonObject()}});
    b.insert(QStringLiteral("status"), 0);
    QJsonObject c = route(QStringLiteral("c"), QStringLiteral("/c"), QStringLiteral("http"));
    c.insert(QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("http")},
                                                     {QStringLiteral("nodes"), QJsonObject{{QStringLiteral("10.0.0.1:80"), 1}}}});
    model.setRoutes({a, b, c});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, RouteTableModel::Methods).data().toString(), QStringLiteral("GET, POST"));
    QCOMPARE(model.index(1, RouteTableModel::Methods).data().toString(), QStringLiteral("any"));
    QCOMPARE(model.index(1, RouteTableModel::Upstream).data().toString(), QStringLiteral("query · products"));
    QCOMPARE(model.index(2, RouteTableModel::Upstream).data().toString(), QStringLiteral("http · 10.0.0.1:80"));
    QCOMPARE(model.index(1, RouteTableModel::Plugins).data().toString(), QStringLiteral("key-auth"));
    QCOMPARE(model.index(1, RouteTableModel::Status).data().toString(), QStringLiteral("disabled"));
    QCOMPARE(model.index(0, RouteTableModel::Status).data().toString(), QStringLiteral("enabled"));

    // Removing b and adding d moves rows, it does not reset the model (a selection survives).
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const QPersistentModelIndex cIndex = model.index(2, 0);
    a.insert(QStringLiteral("uri"), QStringLiteral("/a2"));
    model.setRoutes({a, c, route(QStringLiteral("d"), QStringLiteral("/d"))});
    QCOMPARE(resets.size(), 0);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(changed.size(), 1);   // only a changed
    QCOMPARE(model.ids(), (QStringList{QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("d")}));
    QCOMPARE(cIndex.row(), 1);
    QCOMPARE(model.index(0, RouteTableModel::Uri).data().toString(), QStringLiteral("/a2"));
    // Another order is a reset, and still right.
    model.setRoutes({route(QStringLiteral("d"), QStringLiteral("/d")), a});
    QCOMPARE(resets.size(), 1);
    QCOMPARE(model.ids(), (QStringList{QStringLiteral("d"), QStringLiteral("a")}));

    // Counters only touch Hits, 4xx, 5xx and Rejected.
    changed.clear();
    Ui::RouteCounters counted{10, 2, 3, 1, {{429, 1}}};
    model.setCounters({{QStringLiteral("a"), counted}});
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toModelIndex().column(), int(RouteTableModel::Hits));
    QCOMPARE(changed.first().at(1).toModelIndex().column(), int(RouteTableModel::Rejected));
    QCOMPARE(model.index(1, RouteTableModel::Hits).data().toLongLong(), 10);
    QCOMPARE(model.index(1, RouteTableModel::Errors).data().toLongLong(), 2);
    QCOMPARE(model.index(1, RouteTableModel::ClientErrors).data().toLongLong(), 3);
    QCOMPARE(model.index(1, RouteTableModel::Rejected).data().toLongLong(), 1);
    QCOMPARE(model.headerData(RouteTableModel::ClientErrors, Qt::Horizontal).toString(), QStringLiteral("4xx"));
    QCOMPARE(model.headerData(RouteTableModel::Errors, Qt::Horizontal).toString(), QStringLiteral("5xx"));
    QVERIFY2(model.index(1, RouteTableModel::Rejected).data(Qt::ToolTipRole).toString().contains(QLatin1String("429: 1")),
             qPrintable(model.index(1, RouteTableModel::Rejected).data(Qt::ToolTipRole).toString()));
    QCOMPARE(model.index(0, RouteTableModel::Hits).data().toLongLong(), 0);
    model.setCounters({{QStringLiteral("a"), counted}});
    QCOMPARE(changed.size(), 1);   // nothing new, no signal
    model.setRoutes({});
    QCOMPARE(model.rowCount(), 0);
}

void tst_RoutesPage::consumerAndHistoryModelsUnderTester()
{
    Ui::ConsumerTableModel consumers;
    QAbstractItemModelTester consumerTester(&consumers, QAbstractItemModelTester::FailureReportingMode::QtTest);
    consumers.setConsumers({QJsonObject{{QStringLiteral("username"), QStringLiteral("alice")},
                                        {QStringLiteral("desc"), QStringLiteral("ops")},
                                        {QStringLiteral("plugins"), QJsonObject{{QStringLiteral("key-auth"), QJsonObject{{QStringLiteral("key"), QStringLiteral("s3cret")}}}}}}});
    QCOMPARE(consumers.rowCount(), 1);
    QCOMPARE(consumers.index(0, Ui::ConsumerTableModel::Credentials).data().toString(), QStringLiteral("key-auth"));
    QCOMPARE(consumers.index(0, Ui::ConsumerTableModel::Description).data().toString(), QStringLiteral("ops"));
    for (int column = 0; column < consumers.columnCount(); ++column)
        QVERIFY(!consumers.index(0, column).data().toString().contains(QLatin1String("s3cret")));   // secrets are not shown

    Ui::RequestTesterHistoryModel history(3);
    QAbstractItemModelTester historyTester(&history, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int i = 0; i < 5; ++i)
        history.add({"GET", QStringLiteral("/p%1").arg(i), {}, {}, 200 + i, 1.5});
    QCOMPARE(history.rowCount(), 3);
    QCOMPARE(history.entry(0).path, QStringLiteral("/p4"));   // newest first
    QCOMPARE(history.entry(2).path, QStringLiteral("/p2"));
    QVERIFY(history.index(0).data().toString().contains(QStringLiteral("GET /p4 → 204")));
}

void tst_RoutesPage::editorCreatesRouteThatAnswersThroughTheGateway()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("products-get")) >= 0);   // default routes are listed
    QCOMPARE(t.cell(QStringLiteral("products-get"), RouteTableModel::Upstream), QStringLiteral("query · products"));

    t.click("routeAdd");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    auto *id = editor->findChild<QLineEdit *>(QStringLiteral("routeEditorId"));
    auto *uri = editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"));
    auto *type = editor->findChild<QComboBox *>(QStringLiteral("routeEditorUpstreamType"));
    auto *collection = editor->findChild<QComboBox *>(QStringLiteral("routeEditorCollection"));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QTest::keyClicks(id, QStringLiteral("shop-item"));
    uri->clear();
    QVERIFY(!save->isEnabled());   // an empty URI is refused at once
    QVERIFY(editor->findChild<QLabel *>(QStringLiteral("routeEditorFieldErrors"))->text().contains(QLatin1String("URI")));
    QTest::keyClicks(uri, QStringLiteral("/shop/:id"));
    type->setCurrentIndex(type->findData(QStringLiteral("query")));
    QVERIFY(!save->isEnabled());   // a query upstream needs its collection
    collection->setCurrentText(QStringLiteral("products"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("shop-item")) >= 0);
    QTRY_VERIFY(!t.dialog<Ui::RouteEditorDialog>());
    QCOMPARE(t.page.selectedRouteId(), QStringLiteral("shop-item"));
    QCOMPARE(t.cell(QStringLiteral("shop-item"), RouteTableModel::Methods), QStringLiteral("GET"));

    // The route answers over a real socket: a product created through the command side is
    // served under the new path; a missing one is the query side's 404.
    const Ui::ClientReply created = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("id"), QStringLiteral("w1")}, {QStringLiteral("name"), QStringLiteral("Widget")}, {QStringLiteral("price"), 5}}, ctx, cb);
    });
    QCOMPARE(created.status, 202);
    QCOMPARE(t.send("GET", QStringLiteral("/shop/w1?min_position=") + QString::fromLatin1(created.header("x-event-position"))), 200);
    QVERIFY(t.child<QPlainTextEdit>("requestTesterResponseBody")->toPlainText().contains(QLatin1String("\"name\": \"Widget\"")));   // pretty JSON
    QVERIFY(!t.child<QLabel>("requestTesterElapsed")->text().isEmpty());
    QCOMPARE(t.send("GET", QStringLiteral("/shop/nothing")), 404);
    QCOMPARE(t.page.requestTester()->history()->rowCount(), 2);

    // An events route made the same way answers with the log.
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    t.click("routeAdd");
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    QTest::keyClicks(editor->findChild<QLineEdit *>(QStringLiteral("routeEditorId")), QStringLiteral("log"));
    editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"))->setText(QStringLiteral("/log"));
    auto *eventsType = editor->findChild<QComboBox *>(QStringLiteral("routeEditorUpstreamType"));
    eventsType->setCurrentIndex(eventsType->findData(QStringLiteral("events")));
    save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("log")) >= 0);
    QCOMPARE(t.send("GET", QStringLiteral("/log?from=1")), 200);
    QVERIFY(t.child<QPlainTextEdit>("requestTesterResponseBody")->toPlainText().contains(QLatin1String("products.created")));

    // Hits show up in the table from /metrics while the page is visible.
    QTRY_VERIFY_WITH_TIMEOUT(t.cell(QStringLiteral("shop-item"), RouteTableModel::Hits).toInt() >= 2, 15000);
    QCOMPARE(t.cell(QStringLiteral("shop-item"), RouteTableModel::Errors).toInt(), 0);
}

void tst_RoutesPage::editorShowsSchemaErrorsAndDisablesSave()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    t.click("routeAdd");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    auto *plugins = editor->findChild<Ui::RoutePluginsEdit *>(QStringLiteral("routeEditorPlugins"));
    auto *text = plugins->findChild<QPlainTextEdit *>(QStringLiteral("pluginsText"));
    auto *errors = plugins->findChild<QListWidget *>(QStringLiteral("pluginsErrors"));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"))->setText(QStringLiteral("/limited"));
    QTRY_VERIFY(save->isEnabled());
    auto errorText = [errors] {
        QStringList lines;
        for (int i = 0; i < errors->count(); ++i)
            lines.append(errors->item(i)->text());
        return lines.join(QLatin1Char('\n'));
    };

    // A schema violation: limit-count's count must be above 0.
    setPluginsText(text, QStringLiteral("{\n  \"limit-count\": {\"count\": -1, \"time_window\": 60}\n}"));
    QVERIFY(!save->isEnabled());   // unchecked text never saves
    QTRY_VERIFY(errorText().contains(QLatin1String("limit-count/count")));
    QVERIFY2(errorText().startsWith(QLatin1String("line 2:")), qPrintable(errorText()));
    QVERIFY(errors->isVisible());
    QVERIFY(!save->isEnabled());

    // A missing required member.
    setPluginsText(text, QStringLiteral("{\"limit-count\": {\"count\": 5}}"));
    QTRY_VERIFY(errorText().contains(QLatin1String("time_window")));
    QVERIFY(!save->isEnabled());

    // JSON syntax errors come with their position.
    setPluginsText(text, QStringLiteral("{\n  \"key-auth\": {,}\n}"));
    QTRY_VERIFY2(errorText().contains(QLatin1String("line 2, column")), qPrintable(errorText()));
    QVERIFY(!save->isEnabled());

    // An unknown plugin.
    setPluginsText(text, QStringLiteral("{\"no-such-plugin\": {}}"));
    QTRY_VERIFY(errorText().contains(QLatin1String("no-such-plugin: unknown plugin")));
    QVERIFY(!save->isEnabled());

    // Fixed: Save comes back, and the route saves with its plugin.
    setPluginsText(text, QStringLiteral("{\"limit-count\": {\"count\": 1, \"time_window\": 60}}"));
    QTRY_VERIFY(save->isEnabled());
    QVERIFY(errors->isHidden());
    QTest::keyClicks(editor->findChild<QLineEdit *>(QStringLiteral("routeEditorId")), QStringLiteral("limited"));
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("limited")) >= 0);
    QCOMPARE(t.cell(QStringLiteral("limited"), RouteTableModel::Plugins), QStringLiteral("limit-count"));
    QCOMPARE(t.send("GET", QStringLiteral("/limited")), 200);
    QCOMPARE(t.send("GET", QStringLiteral("/limited")), 429);
}

void tst_RoutesPage::pluginFormFollowsTheSchema()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    t.click("routeAdd");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    auto *plugins = editor->findChild<Ui::RoutePluginsEdit *>(QStringLiteral("routeEditorPlugins"));
    auto *text = plugins->findChild<QPlainTextEdit *>(QStringLiteral("pluginsText"));
    auto *addName = plugins->findChild<QComboBox *>(QStringLiteral("pluginsAddName"));
    Ui::PluginSchemaForm *form = plugins->form();
    QTRY_VERIFY(addName->findText(QStringLiteral("limit-count")) >= 0);
    // The plugin's schema is asked for as the plugin is checked; add it once known.
    plugins->setPlugins(QJsonObject{{QStringLiteral("key-auth"), QJsonObject()}});
    QTRY_VERIFY(plugins->isValid());
    setPluginsText(text, QStringLiteral("{\"key-auth\": {}, \"limit-count\": {\"count\": 1, \"time_window\": 1}}"));
    QTRY_VERIFY(plugins->isValid());
    setPluginsText(text, QStringLiteral("{\"key-auth\": {}}"));
    QTRY_VERIFY(plugins->isValid());

    // Added: its required members at their defaults, in the text and in the form.
    addName->setCurrentText(QStringLiteral("limit-count"));
    QTest::mouseClick(plugins->findChild<QPushButton *>(QStringLiteral("pluginsAdd")), Qt::LeftButton);
    QCOMPARE(plugins->plugins().value(QStringLiteral("limit-count")).toObject(),
             (QJsonObject{{QStringLiteral("count"), 1}, {QStringLiteral("time_window"), 1}}));
    QCOMPARE(plugins->findChild<QComboBox *>(QStringLiteral("pluginsFormChoice"))->currentText(), QStringLiteral("limit-count"));
    QCOMPARE(form->members().mid(0, 2), (QStringList{QStringLiteral("count"), QStringLiteral("time_window")}));
    auto *count = qobject_cast<QLineEdit *>(form->field(QStringLiteral("count")));
    auto *windowType = qobject_cast<QComboBox *>(form->field(QStringLiteral("window_type")));
    auto *policy = qobject_cast<QComboBox *>(form->field(QStringLiteral("policy")));
    QVERIFY(count && windowType && policy);
    QCOMPARE(count->text(), QStringLiteral("1"));
    QVERIFY2(count->toolTip().contains(QLatin1String("requests allowed")), qPrintable(count->toolTip()));   // the schema's description
    QCOMPARE(windowType->itemText(0), QStringLiteral("(default: fixed)"));
    QVERIFY(windowType->findText(QStringLiteral("sliding")) > 0);

    // Typing in the form writes the text; a value the schema refuses marks its field.
    count->setFocus();
    count->selectAll();
    QTest::keyClicks(count, QStringLiteral("-3"));
    QTRY_VERIFY2(text->toPlainText().contains(QLatin1String("\"count\": -3")), qPrintable(text->toPlainText()));
    QTRY_VERIFY(!form->fieldError(QStringLiteral("count")).isEmpty());
    QVERIFY(form->fieldError(QStringLiteral("time_window")).isEmpty());
    QVERIFY(!plugins->isValid());
    count->selectAll();
    QTest::keyClicks(count, QStringLiteral("50"));
    QTRY_VERIFY2(plugins->isValid(), qPrintable(plugins->errors().join(u'|') + text->toPlainText()));
    QVERIFY(form->fieldError(QStringLiteral("count")).isEmpty());
    windowType->setCurrentIndex(windowType->findText(QStringLiteral("sliding")));
    QTRY_COMPARE(plugins->plugins().value(QStringLiteral("limit-count")).toObject().value(QStringLiteral("window_type")).toString(), QStringLiteral("sliding"));
    QCOMPARE(plugins->plugins().value(QStringLiteral("limit-count")).toObject().value(QStringLiteral("count")).toInt(), 50);
    QVERIFY(plugins->plugins().contains(QStringLiteral("key-auth")));   // the others as they were
    QVERIFY(!plugins->plugins().value(QStringLiteral("limit-count")).toObject().contains(QStringLiteral("policy")));   // untouched: its default

    // Editing the text moves the form.
    text->setFocus();
    setPluginsText(text, QStringLiteral("{\"limit-count\": {\"count\": 9, \"time_window\": 60}}"));
    QTRY_COMPARE(count->text(), QStringLiteral("9"));
    QCOMPARE(qobject_cast<QLineEdit *>(form->field(QStringLiteral("time_window")))->text(), QStringLiteral("60"));
    QCOMPARE(windowType->currentIndex(), 0);
    // A missing required member marks its field too.
    setPluginsText(text, QStringLiteral("{\"limit-count\": {\"count\": 9}}"));
    QTRY_VERIFY2(!form->fieldError(QStringLiteral("time_window")).isEmpty(), qPrintable(plugins->errors().join(u'|')));
    editor->reject();
}

void tst_RoutesPage::upstreamsGlobalRulesAndVars()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    auto *tabs = t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"));
    const auto adminGet = [&](const QByteArray &path) {
        return waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet(path, ctx, cb); });
    };

    // An upstream: nodes with weights, timeouts, retries, an active health check.
    tabs->setCurrentIndex(Ui::RoutesPage::UpstreamsTab);
    QCOMPARE(tabs->tabText(Ui::RoutesPage::UpstreamsTab), QStringLiteral("Upstreams"));
    t.click("upstreamAdd");
    Ui::UpstreamEditorDialog *upstream = nullptr;
    QTRY_VERIFY((upstream = t.dialog<Ui::UpstreamEditorDialog>()));
    upstream->findChild<QLineEdit *>(QStringLiteral("resourceEditorId"))->setText(QStringLiteral("backend"));
    upstream->findChild<QLineEdit *>(QStringLiteral("upstreamEditorName"))->setText(QStringLiteral("Back end"));
    auto *nodes = upstream->findChild<QTableWidget *>(QStringLiteral("upstreamEditorNodes"));
    auto *addNode = upstream->findChild<QPushButton *>(QStringLiteral("upstreamEditorAddNode"));
    QTest::mouseClick(addNode, Qt::LeftButton);
    nodes->item(0, 0)->setText(QStringLiteral("bad host:80"));
    nodes->item(0, 1)->setText(QStringLiteral("3"));
    upstream->findChild<QDoubleSpinBox *>(QStringLiteral("upstreamEditorConnect"))->setValue(2);
    upstream->findChild<QDoubleSpinBox *>(QStringLiteral("upstreamEditorRead"))->setValue(5);
    upstream->findChild<QSpinBox *>(QStringLiteral("upstreamEditorRetries"))->setValue(2);
    auto *active = upstream->findChild<QGroupBox *>(QStringLiteral("upstreamEditorActive"));
    active->setChecked(true);
    upstream->findChild<QLineEdit *>(QStringLiteral("upstreamEditorActivePath"))->setText(QStringLiteral("/health"));
    upstream->findChild<QSpinBox *>(QStringLiteral("upstreamEditorActiveFailures"))->setValue(3);
    // The engine refuses the node: the dialog stays, with its words.
    upstream->save();
    QTRY_VERIFY2_WITH_TIMEOUT(upstream->serverError().contains(QLatin1String("host:port")), qPrintable(upstream->serverError()), 10000);
    QVERIFY(upstream->isVisible());
    nodes->item(0, 0)->setText(QStringLiteral("10.0.0.1:8080"));
    QTest::mouseClick(addNode, Qt::LeftButton);
    nodes->item(1, 0)->setText(QStringLiteral("10.0.0.2:8080"));
    upstream->save();
    QTRY_VERIFY_WITH_TIMEOUT(!t.dialog<Ui::UpstreamEditorDialog>(), 10000);
    Ui::ClientReply saved = adminGet("/admin/upstreams/backend");
    QVERIFY2(saved.isSuccess(), qPrintable(saved.errorText()));
    QJsonObject u = saved.object();
    QCOMPARE(u.value(QStringLiteral("name")).toString(), QStringLiteral("Back end"));
    QCOMPARE(u.value(QStringLiteral("nodes")).toObject(), (QJsonObject{{QStringLiteral("10.0.0.1:8080"), 3}, {QStringLiteral("10.0.0.2:8080"), 1}}));
    QCOMPARE(u.value(QStringLiteral("timeout")).toObject(), (QJsonObject{{QStringLiteral("connect"), 2}, {QStringLiteral("read"), 5}}));
    QCOMPARE(u.value(QStringLiteral("retries")).toInt(), 2);
    const QJsonObject activeCheck = u.value(QStringLiteral("checks")).toObject().value(QStringLiteral("active")).toObject();
    QCOMPARE(activeCheck.value(QStringLiteral("http_path")).toString(), QStringLiteral("/health"));
    QCOMPARE(activeCheck.value(QStringLiteral("unhealthy")).toObject().value(QStringLiteral("http_failures")).toInt(), 3);
    QVERIFY(!u.value(QStringLiteral("checks")).toObject().contains(QStringLiteral("passive")));
    // Listed; edited again: the form shows what was saved, and a change keeps the rest.
    Ui::ResourceListPanel *panel = t.page.upstreams();
    QTRY_COMPARE(panel->model()->rowCount(), 1);
    QVERIFY(panel->model()->index(0, 3).data().toString().contains(QLatin1String("10.0.0.1:8080 (weight 3)")));
    t.child<QTableView>("upstreamTable")->selectRow(0);
    t.click("upstreamEdit");
    QTRY_VERIFY((upstream = t.dialog<Ui::UpstreamEditorDialog>()));
    nodes = upstream->findChild<QTableWidget *>(QStringLiteral("upstreamEditorNodes"));
    QCOMPARE(nodes->rowCount(), 2);
    QCOMPARE(upstream->findChild<QDoubleSpinBox *>(QStringLiteral("upstreamEditorConnect"))->value(), 2.0);
    QVERIFY(upstream->findChild<QGroupBox *>(QStringLiteral("upstreamEditorActive"))->isChecked());
    upstream->findChild<QGroupBox *>(QStringLiteral("upstreamEditorPassive"))->setChecked(true);
    upstream->findChild<QSpinBox *>(QStringLiteral("upstreamEditorPassiveFailures"))->setValue(4);
    upstream->save();
    QTRY_VERIFY_WITH_TIMEOUT(!t.dialog<Ui::UpstreamEditorDialog>(), 10000);
    u = adminGet("/admin/upstreams/backend").object();
    QCOMPARE(u.value(QStringLiteral("checks")).toObject().value(QStringLiteral("passive")).toObject().value(QStringLiteral("unhealthy")).toObject()
                 .value(QStringLiteral("http_failures")).toInt(), 4);
    QCOMPARE(u.value(QStringLiteral("retries")).toInt(), 2);

    // A global rule with a plugin.
    tabs->setCurrentIndex(Ui::RoutesPage::GlobalRulesTab);
    t.click("globalRuleAdd");
    Ui::GlobalRuleEditorDialog *rule = nullptr;
    QTRY_VERIFY((rule = t.dialog<Ui::GlobalRuleEditorDialog>()));
    rule->findChild<QLineEdit *>(QStringLiteral("resourceEditorId"))->setText(QStringLiteral("everywhere"));
    auto *rulePlugins = rule->findChild<Ui::RoutePluginsEdit *>(QStringLiteral("globalRulePlugins"));
    rulePlugins->setPlugins(QJsonObject{{QStringLiteral("request-id"), QJsonObject()}});
    QTRY_VERIFY_WITH_TIMEOUT(rulePlugins->isValid(), 10000);
    rule->save();
    QTRY_VERIFY_WITH_TIMEOUT(!t.dialog<Ui::GlobalRuleEditorDialog>(), 10000);
    QVERIFY(adminGet("/admin/global_rules/everywhere").object().value(QStringLiteral("plugins")).toObject().contains(QStringLiteral("request-id")));
    QTRY_COMPARE(t.page.globalRules()->model()->rowCount(), 1);
    QCOMPARE(t.page.globalRules()->model()->index(0, 1).data().toString(), QStringLiteral("request-id"));
    // Deleted, asked first.
    t.child<QTableView>("globalRuleTable")->selectRow(0);
    t.click("globalRuleDelete");
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.dialog<QMessageBox>()));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(t.page.globalRules()->model()->rowCount(), 0);

    // A route with match conditions: it answers only where they hold.
    tabs->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    t.click("routeAdd");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    editor->findChild<QLineEdit *>(QStringLiteral("routeEditorId"))->setText(QStringLiteral("varied"));
    editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"))->setText(QStringLiteral("/varied"));
    auto *type = editor->findChild<QComboBox *>(QStringLiteral("routeEditorUpstreamType"));
    type->setCurrentIndex(type->findData(QStringLiteral("events")));
    auto *vars = editor->findChild<QTableWidget *>(QStringLiteral("routeEditorVars"));
    QTest::mouseClick(editor->findChild<QPushButton *>(QStringLiteral("routeEditorAddVar")), Qt::LeftButton);
    vars->item(0, 0)->setText(QStringLiteral("not a var"));
    auto *fieldErrors = editor->findChild<QLabel *>(QStringLiteral("routeEditorFieldErrors"));
    QTRY_VERIFY2(fieldErrors->text().contains(QLatin1String("not a variable")), qPrintable(fieldErrors->text()));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QVERIFY(!save->isEnabled());
    vars->item(0, 0)->setText(QStringLiteral("http_x_mode"));
    vars->item(0, 3)->setText(QStringLiteral("[\"2\", \"3\"]"));
    editor->findChild<QComboBox *>(QStringLiteral("routeEditorVarOperator0"))->setCurrentText(QStringLiteral("in"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(t.page.routeModel()->rowOf(QStringLiteral("varied")) >= 0, 10000);
    const QJsonObject varied = adminGet("/admin/routes/varied").object();
    QCOMPARE(varied.value(QStringLiteral("vars")).toArray(),
             (QJsonArray{QJsonArray{QStringLiteral("http_x_mode"), QStringLiteral("in"), QJsonArray{QStringLiteral("2"), QStringLiteral("3")}}}));
    QCOMPARE(t.send("GET", QStringLiteral("/varied"), {{QStringLiteral("X-Mode"), QStringLiteral("2")}}), 200);
    QCOMPARE(t.send("GET", QStringLiteral("/varied"), {{QStringLiteral("X-Mode"), QStringLiteral("1")}}), 404);
    QCOMPARE(t.send("GET", QStringLiteral("/varied")), 404);
}

void tst_RoutesPage::editorShowsTheServersRefusal()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    t.click("routeAdd");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"))->setText(QStringLiteral("/contradiction"));
    // Each field is valid by the schema; only the plugin itself sees the contradiction.
    setPluginsText(editor->findChild<QPlainTextEdit *>(QStringLiteral("pluginsText")),
                   QStringLiteral("{\"limit-count\": {\"count\": 1, \"time_window\": 60, \"window_type\": \"fixed\", \"window\": \"sliding\"}}"));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    auto *serverError = editor->findChild<QLabel *>(QStringLiteral("routeEditorServerError"));
    QTRY_VERIFY(serverError->isVisible());
    QVERIFY2(serverError->text().contains(QLatin1String("400")) && serverError->text().contains(QLatin1String("window")),
             qPrintable(serverError->text()));
    QVERIFY(editor->isVisible());   // the dialog stays open for a fix
    QVERIFY(save->isEnabled());
    QCOMPARE(t.page.routeModel()->rowOf(QStringLiteral("contradiction")), -1);
}

void tst_RoutesPage::disableDuplicateAndDelete()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    const Ui::ClientReply put = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->admin("PUT", "/admin/routes/toggle", QJsonDocument(route(QStringLiteral("toggle"), QStringLiteral("/toggle"))).toJson(), ctx, cb);
    });
    QVERIFY2(put.isSuccess(), qPrintable(put.errorText()));
    QTRY_VERIFY(t.page.selectRoute(QStringLiteral("toggle")));
    QCOMPARE(t.send("GET", QStringLiteral("/toggle")), 200);

    // Disable: the gateway no longer matches it.
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    t.click("routeToggle");
    QTRY_COMPARE(t.cell(QStringLiteral("toggle"), RouteTableModel::Status), QStringLiteral("disabled"));
    QTRY_COMPARE(t.child<QPushButton>("routeToggle")->text().remove(QLatin1Char('&')), QStringLiteral("Enable"));
    QCOMPARE(t.send("GET", QStringLiteral("/toggle")), 404);
    t.click("routeToggle");
    QTRY_COMPARE(t.cell(QStringLiteral("toggle"), RouteTableModel::Status), QStringLiteral("enabled"));
    QCOMPARE(t.send("GET", QStringLiteral("/toggle")), 200);

    // Duplicate: the editor opens on a copy with a fresh id; give it its own path.
    QCOMPARE(t.page.selectedRouteId(), QStringLiteral("toggle"));
    t.click("routeDuplicate");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    QCOMPARE(editor->findChild<QLineEdit *>(QStringLiteral("routeEditorId"))->text(), QStringLiteral("toggle-copy"));
    auto *uri = editor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"));
    QCOMPARE(uri->text(), QStringLiteral("/toggle"));
    uri->setText(QStringLiteral("/toggle2"));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("toggle-copy")) >= 0);
    QCOMPARE(t.cell(QStringLiteral("toggle-copy"), RouteTableModel::Upstream), QStringLiteral("events"));
    QCOMPARE(t.send("GET", QStringLiteral("/toggle2")), 200);

    // Delete asks first; Cancel keeps the route, Yes removes it.
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    QTRY_COMPARE(t.page.selectedRouteId(), QStringLiteral("toggle-copy"));
    t.click("routeDelete");
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.dialog<QMessageBox>()));
    QTest::mouseClick(confirm->button(QMessageBox::Cancel), Qt::LeftButton);
    QTRY_VERIFY(!t.dialog<QMessageBox>());
    QCOMPARE(t.send("GET", QStringLiteral("/toggle2")), 200);
    t.click("routeDelete");
    QTRY_VERIFY((confirm = t.dialog<QMessageBox>()));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(t.page.routeModel()->rowOf(QStringLiteral("toggle-copy")), -1);
    QCOMPARE(t.send("GET", QStringLiteral("/toggle2")), 404);
    QCOMPARE(t.send("GET", QStringLiteral("/toggle")), 200);
}

void tst_RoutesPage::severalRoutesAtOnce()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    for (const QString &id : {QStringLiteral("bulk-a"), QStringLiteral("bulk-b"), QStringLiteral("bulk-c")}) {
        const Ui::ClientReply put = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
            f.client->admin("PUT", "/admin/routes/" + id.toUtf8(), QJsonDocument(route(id, u'/' + id)).toJson(), ctx, cb);
        });
        QVERIFY2(put.isSuccess(), qPrintable(put.errorText()));
    }
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("bulk-c")) >= 0);
    auto *view = t.child<QTableView>("routeTable");
    // Select a and b with Ctrl+click.
    const auto rowRect = [&](const QString &id) {
        const QModelIndex source = t.page.routeModel()->index(t.page.routeModel()->rowOf(id), RouteTableModel::Id);
        return view->visualRect(static_cast<QSortFilterProxyModel *>(view->model())->mapFromSource(source));
    };
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rowRect(QStringLiteral("bulk-a")).center());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::ControlModifier, rowRect(QStringLiteral("bulk-b")).center());
    QCOMPARE(t.page.selectedRouteIds(), (QStringList{QStringLiteral("bulk-a"), QStringLiteral("bulk-b")}));
    QCOMPARE(t.page.selectedRouteId(), QString());   // not one
    QVERIFY(!t.child<QPushButton>("routeEdit")->isEnabled());
    QVERIFY(!t.child<QPushButton>("routeDuplicate")->isEnabled());
    QCOMPARE(t.child<QPushButton>("routeToggle")->text().remove(u'&'), QStringLiteral("Disable 2"));
    QCOMPARE(t.child<QPushButton>("routeDelete")->text().remove(u'&'), QStringLiteral("Delete 2"));

    // Disable both, then enable both.
    t.click("routeToggle");
    QTRY_COMPARE(t.cell(QStringLiteral("bulk-b"), RouteTableModel::Status), QStringLiteral("disabled"));
    QTRY_COMPARE(t.cell(QStringLiteral("bulk-a"), RouteTableModel::Status), QStringLiteral("disabled"));
    QCOMPARE(t.cell(QStringLiteral("bulk-c"), RouteTableModel::Status), QStringLiteral("enabled"));
    QTRY_COMPARE(t.child<QLabel>("routeMessage")->text(), QStringLiteral("2 routes disabled."));
    QCOMPARE(t.send("GET", QStringLiteral("/bulk-a")), 404);
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    QTRY_COMPARE(t.child<QPushButton>("routeToggle")->text().remove(u'&'), QStringLiteral("Enable 2"));
    t.click("routeToggle");
    QTRY_COMPARE(t.cell(QStringLiteral("bulk-a"), RouteTableModel::Status), QStringLiteral("enabled"));
    QTRY_COMPARE(t.cell(QStringLiteral("bulk-b"), RouteTableModel::Status), QStringLiteral("enabled"));

    // Delete both: asked once, naming them.
    QTRY_COMPARE(t.page.selectedRouteIds().size(), 2);
    t.click("routeDelete");
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.dialog<QMessageBox>()));
    QVERIFY2(confirm->text().contains(QLatin1String("bulk-a, bulk-b")), qPrintable(confirm->text()));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(t.page.routeModel()->rowOf(QStringLiteral("bulk-a")), -1);
    QTRY_COMPARE(t.page.routeModel()->rowOf(QStringLiteral("bulk-b")), -1);
    QVERIFY(t.page.routeModel()->rowOf(QStringLiteral("bulk-c")) >= 0);
    QTRY_COMPARE(t.child<QLabel>("routeMessage")->text(), QStringLiteral("2 routes deleted."));
}

void tst_RoutesPage::testerParamsCredentialsRepeatCurlAndSaved()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().remove(QStringLiteral("requestTester/saved"));
    Test::GuiFixture f;
    QVERIFY(f.start());
    const auto put = [&](const QByteArray &path, const QJsonObject &body) {
        const Ui::ClientReply r = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->admin("PUT", path, QJsonDocument(body).toJson(), ctx, cb); });
        return r.isSuccess() ? QString() : r.errorText();
    };
    const auto plugins = [](const char *name, const QJsonObject &conf) { return QJsonObject{{QStringLiteral("plugins"), QJsonObject{{QLatin1String(name), conf}}}}; };
    QCOMPARE(put("/admin/consumers/alice", plugins("key-auth", {{QStringLiteral("key"), QStringLiteral("alice-key")}})), QString());
    QCOMPARE(put("/admin/consumers/bob", plugins("basic-auth", {{QStringLiteral("username"), QStringLiteral("bob")}, {QStringLiteral("password"), QStringLiteral("pw")}})), QString());
    QCOMPARE(put("/admin/consumers/carol", plugins("jwt-auth", {{QStringLiteral("key"), QStringLiteral("carol-key")}, {QStringLiteral("secret"), QStringLiteral("carol-secret")}})), QString());
    QJsonObject item{{QStringLiteral("uri"), QStringLiteral("/item/:id")}, {QStringLiteral("methods"), QJsonArray{QStringLiteral("GET")}},
                     {QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("query")}, {QStringLiteral("collection"), QStringLiteral("products")}}}};
    QCOMPARE(put("/admin/routes/item", item), QString());
    for (const char *auth : {"key-auth", "basic-auth", "jwt-auth"}) {
        QJsonObject r = route(QString::fromLatin1(auth), u'/' + QString::fromLatin1(auth));
        r.insert(QStringLiteral("plugins"), QJsonObject{{QLatin1String(auth), QJsonObject()}});
        QCOMPARE(put("/admin/routes/" + QByteArray(auth), r), QString());
    }
    const Ui::ClientReply created = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("id"), QStringLiteral("w-1")}, {QStringLiteral("name"), QStringLiteral("Widget")}, {QStringLiteral("price"), 5}}, ctx, cb);
    });
    QCOMPARE(created.status, 202);
    PageUnderTest t(f.client.get());
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::TesterTab);
    Ui::RequestTesterWidget *tester = t.page.requestTester();
    QSignalSpy finished(tester, &Ui::RequestTesterWidget::finished);
    const auto sendAndWait = [&] {
        finished.clear();
        tester->send();
        return QTest::qWaitFor([&] { return !finished.isEmpty(); }, 15000) ? tester->lastStatus() : -1;
    };

    // A :param gets a field; the value is encoded into the path.
    tester->setRequest("GET", QStringLiteral("/item/:id?min_position=") + QString::fromLatin1(created.header("x-event-position")));
    QCOMPARE(tester->pathParams(), QStringList{QStringLiteral("id")});
    QVERIFY(tester->findChild<QLineEdit *>(QStringLiteral("requestTesterParam_id")));
    tester->send();
    QVERIFY2(t.child<QLabel>("requestTesterStatus")->text().contains(QLatin1String("Fill in :id")), qPrintable(t.child<QLabel>("requestTesterStatus")->text()));
    tester->findChild<QLineEdit *>(QStringLiteral("requestTesterParam_id"))->setText(QStringLiteral("a b/c"));
    QVERIFY2(tester->resolvedPath().startsWith(QLatin1String("/item/a%20b%2Fc?")), qPrintable(tester->resolvedPath()));
    tester->setParam(QStringLiteral("id"), QStringLiteral("w-1"));
    QCOMPARE(tester->findChild<QLineEdit *>(QStringLiteral("requestTesterParam_id"))->text(), QStringLiteral("w-1"));
    QCOMPARE(sendAndWait(), 200);
    QVERIFY(t.child<QPlainTextEdit>("requestTesterResponseBody")->toPlainText().contains(QLatin1String("Widget")));

    // Credentials of each kind of consumer: 401 without, 200 with.
    QTRY_VERIFY_WITH_TIMEOUT(t.child<QComboBox>("requestTesterConsumer")->findText(QStringLiteral("carol")) >= 0, 10000);
    for (const auto &[path, user] : {std::pair{"/key-auth", "alice"}, std::pair{"/basic-auth", "bob"}, std::pair{"/jwt-auth", "carol"}}) {
        tester->setRequest("GET", QString::fromLatin1(path));
        QCOMPARE(sendAndWait(), 401);
        QVERIFY(tester->applyCredentials(QString::fromLatin1(user)));
        QCOMPARE(sendAndWait(), 200);
    }
    QVERIFY(!tester->applyCredentials(QStringLiteral("nobody")));

    // Repeat: the same request N times, summed up.
    tester->setRequest("GET", QStringLiteral("/key-auth"));
    tester->applyCredentials(QStringLiteral("alice"));
    tester->setRepeat(5);
    QCOMPARE(t.child<QPushButton>("requestTesterSend")->text().remove(u'&'), QStringLiteral("Send 5×"));
    QCOMPARE(sendAndWait(), 200);
    QVERIFY2(tester->summary().startsWith(QStringLiteral("5 sent: 5 × 200")), qPrintable(tester->summary()));
    QVERIFY(tester->history()->rowCount() >= 5);
    tester->setRepeat(1);

    // Copy as curl: the same request from a shell.
    tester->setRequest("POST", QStringLiteral("/api/products"), {{QStringLiteral("X-Note"), QStringLiteral("it's")}}, R"({"name":"A"})");
    const QString curl = tester->curlCommand();
    QCOMPARE(curl, QStringLiteral("curl -X 'POST' 'http://%1/api/products' -H 'X-Note: it'\\''s' -H 'Content-Type: application/json' --data-raw '{\"name\":\"A\"}'")
                       .arg(f.client->gatewayAddress()));
    tester->copyAsCurl();
    QCOMPARE(QGuiApplication::clipboard()->text(), curl);

    // Saved requests outlive the widget.
    tester->saveRequest(QStringLiteral("create A"));
    tester->setRequest("GET", QStringLiteral("/"));
    {
        Ui::RequestTesterWidget other(f.client.get());
        QCOMPARE(other.savedNames(), QStringList{QStringLiteral("create A")});
        QVERIFY(other.loadSaved(QStringLiteral("create A")));
        QCOMPARE(other.curlCommand(), curl);
        other.deleteSaved(QStringLiteral("create A"));
    }
    QVERIFY(tester->savedNames().isEmpty());
}

void tst_RoutesPage::consumerWithKeyAuthRoute()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::ConsumersTab);

    t.click("consumerAdd");
    Ui::ConsumerEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::ConsumerEditorDialog>()));
    auto *save = editor->findChild<QPushButton *>(QStringLiteral("consumerEditorSave"));
    auto *text = editor->findChild<QPlainTextEdit *>(QStringLiteral("pluginsText"));
    auto *errors = editor->findChild<QListWidget *>(QStringLiteral("pluginsErrors"));
    QVERIFY(!save->isEnabled());   // no username yet
    QTest::keyClicks(editor->findChild<QLineEdit *>(QStringLiteral("consumerEditorUsername")), QStringLiteral("alice"));
    // key-auth credentials need a key; limit-count is no credential plugin.
    setPluginsText(text, QStringLiteral("{\"key-auth\": {}, \"limit-count\": {\"count\": 1, \"time_window\": 1}}"));
    QTRY_COMPARE(errors->count(), 2);
    QVERIFY(!save->isEnabled());
    setPluginsText(text, QStringLiteral("{\"key-auth\": {\"key\": \"alice-key\"}}"));
    QTRY_VERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_VERIFY(t.page.consumers()->model()->rowOf(QStringLiteral("alice")) >= 0);
    QCOMPARE(t.page.consumers()->model()->index(0, Ui::ConsumerTableModel::Credentials).data().toString(), QStringLiteral("key-auth"));

    // A key-auth route made in the editor.
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    t.click("routeAdd");
    Ui::RouteEditorDialog *routeEditor = nullptr;
    QTRY_VERIFY((routeEditor = t.dialog<Ui::RouteEditorDialog>()));
    routeEditor->findChild<QLineEdit *>(QStringLiteral("routeEditorId"))->setText(QStringLiteral("secure"));
    routeEditor->findChild<QLineEdit *>(QStringLiteral("routeEditorUri"))->setText(QStringLiteral("/secure"));
    auto *pluginsEdit = routeEditor->findChild<Ui::RoutePluginsEdit *>(QStringLiteral("routeEditorPlugins"));
    auto *addName = pluginsEdit->findChild<QComboBox *>(QStringLiteral("pluginsAddName"));
    QTRY_VERIFY(addName->findText(QStringLiteral("key-auth")) >= 0);   // the engine's plugin list
    addName->setCurrentText(QStringLiteral("key-auth"));
    QTest::mouseClick(pluginsEdit->findChild<QPushButton *>(QStringLiteral("pluginsAdd")), Qt::LeftButton);
    QCOMPARE(pluginsEdit->plugins().keys(), QStringList{QStringLiteral("key-auth")});
    auto *routeSave = routeEditor->findChild<QPushButton *>(QStringLiteral("routeEditorSave"));
    QTRY_VERIFY(routeSave->isEnabled());
    QTest::mouseClick(routeSave, Qt::LeftButton);
    QTRY_VERIFY(t.page.routeModel()->rowOf(QStringLiteral("secure")) >= 0);

    QCOMPARE(t.send("GET", QStringLiteral("/secure")), 401);
    QCOMPARE(t.send("GET", QStringLiteral("/secure"), {{QStringLiteral("apikey"), QStringLiteral("wrong")}}), 401);
    QCOMPARE(t.send("GET", QStringLiteral("/secure"), {{QStringLiteral("apikey"), QStringLiteral("alice-key")}}), 200);
    // The two refusals are counted on the route: 4xx and rejected by a plugin (401).
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    QTRY_COMPARE_WITH_TIMEOUT(t.cell(QStringLiteral("secure"), RouteTableModel::Rejected).toInt(), 2, 15000);
    QCOMPARE(t.cell(QStringLiteral("secure"), RouteTableModel::ClientErrors).toInt(), 2);
    QCOMPARE(t.cell(QStringLiteral("secure"), RouteTableModel::Errors).toInt(), 0);
    QCOMPARE(t.cell(QStringLiteral("secure"), RouteTableModel::Hits).toInt(), 3);
    const int secureRow = t.page.routeModel()->rowOf(QStringLiteral("secure"));
    QVERIFY(t.page.routeModel()->index(secureRow, RouteTableModel::Rejected).data(Qt::ToolTipRole).toString().contains(QLatin1String("401: 2")));

    // Deleting the consumer takes its key away.
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::ConsumersTab);
    t.child<QTableView>("consumerTable")->selectRow(t.page.consumers()->model()->rowOf(QStringLiteral("alice")));
    t.click("consumerDelete");
    QMessageBox *confirm = nullptr;
    QTRY_VERIFY((confirm = t.dialog<QMessageBox>()));
    QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
    QTRY_COMPARE(t.page.consumers()->model()->rowCount(), 0);
    QCOMPARE(t.send("GET", QStringLiteral("/secure"), {{QStringLiteral("apikey"), QStringLiteral("alice-key")}}), 401);
}

void tst_RoutesPage::screenshots()
{
    const QString dir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        QSKIP("set GATEHOUSE_SCREENSHOT_DIR to write the Routes page's screenshots");
    QVERIFY(QDir().mkpath(dir));
    Test::GuiFixture f;
    QVERIFY(f.start());
    PageUnderTest t(f.client.get());
    QJsonObject limited = route(QStringLiteral("products-limited"), QStringLiteral("/shop/:id"), QStringLiteral("query"));
    limited.insert(QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("query")}, {QStringLiteral("collection"), QStringLiteral("products")}});
    limited.insert(QStringLiteral("plugins"), QJsonObject{{QStringLiteral("limit-count"), QJsonObject{{QStringLiteral("count"), 2}, {QStringLiteral("time_window"), 60}}}});
    QVERIFY(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->admin("PUT", "/admin/routes/products-limited", QJsonDocument(limited).toJson(), ctx, cb); }).isSuccess());
    QVERIFY(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("products"), {}, {}, QJsonObject{{QStringLiteral("id"), QStringLiteral("w1")}, {QStringLiteral("name"), QStringLiteral("Widget")}, {QStringLiteral("price"), 5}}, ctx, cb);
    }).isSuccess());
    for (int i = 0; i < 3; ++i)
        t.send("GET", QStringLiteral("/shop/w1"));
    t.page.findChild<QTabWidget *>(QStringLiteral("routesTabs"))->setCurrentIndex(Ui::RoutesPage::RoutesTab);
    t.page.refreshCounters();
    QTRY_VERIFY(t.cell(QStringLiteral("products-limited"), RouteTableModel::Hits).toInt() >= 3);
    QVERIFY(t.page.grab().save(dir + QStringLiteral("/routes.png")));

    QVERIFY(t.page.selectRoute(QStringLiteral("products-limited")));
    t.click("routeEdit");
    Ui::RouteEditorDialog *editor = nullptr;
    QTRY_VERIFY((editor = t.dialog<Ui::RouteEditorDialog>()));
    setPluginsText(editor->findChild<QPlainTextEdit *>(QStringLiteral("pluginsText")),
                   QStringLiteral("{\n  \"limit-count\": {\"count\": -1, \"time_window\": 60}\n}"));
    QTRY_VERIFY(!editor->findChild<QListWidget *>(QStringLiteral("pluginsErrors"))->isHidden());
    QVERIFY(editor->grab().save(dir + QStringLiteral("/routes-editor.png")));
    editor->reject();

    t.send("GET", QStringLiteral("/shop/w1"));
    QVERIFY(t.page.grab().save(dir + QStringLiteral("/routes-tester.png")));
}

QTEST_MAIN(tst_RoutesPage)
#include "tst_routespage.moc"
