// The Read models page against a real engine: collections, documents that appear and change
// live (highlighted), paging, sorting and filtering through the query API, include-deleted,
// and the detail pane with the document, its _meta and its history.

#include "guifixture.h"
#include "mainwindow.h"
#include "models/readmodeldocumentsmodel.h"
#include "pages/readmodelspage.h"
#include "widgets/collectioneditordialog.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QDir>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

#include <memory>

using namespace Gatehouse;
using Ui::ReadModelDocumentsModel;

namespace {

using Test::waitFor;

Ui::ClientReply command(Test::GuiFixture &f, const QString &id, const QString &name, const QJsonObject &data)
{
    return waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->command(QStringLiteral("products"), id, name, data, ctx, cb); });
}

QString cell(const ReadModelDocumentsModel *m, const QString &id, const QString &field)
{
    const int row = m->rowOf(id);
    const int column = m->columnOf(field);
    return row < 0 || column < 0 ? QString() : m->index(row, column).data().toString();
}

// Records, at the moment the model announces it, whether each highlighted row really has the
// highlight background: no timing involved.
struct HighlightLog
{
    explicit HighlightLog(ReadModelDocumentsModel *m)
    {
        QObject::connect(m, &ReadModelDocumentsModel::rowsHighlighted, m, [this, m](const QStringList &ids) {
            for (const QString &id : ids) {
                const QModelIndex index = m->index(m->rowOf(id), 0);
                if (index.data(Qt::BackgroundRole).isValid() && index.data(ReadModelDocumentsModel::HighlightedRole).toBool())
                    highlighted.append(id);
            }
        });
    }
    QStringList highlighted;
};

} // namespace

class tst_ReadModelsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QStandardPaths::setTestModeEnabled(true); }
    void rowsAppearAndChangeLiveWithHighlight();
    void detailShowsDocumentMetaAndHistory();
    void pagingSortAndFilterGoThroughTheQueryApi();
    void includeDeletedShowsLogicallyDeletedRows();
    void documentsWithoutIdAreShownButNotMerged();
    void indexBuildsAreShown();
    void collectionEditorCreatesAndEvolves();
    void parseFilter_data();
    void parseFilter();
    void fitsTheSmallestWindow();
    void rendersForScreenshot();
};

void tst_ReadModelsPage::rowsAppearAndChangeLiveWithHighlight()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::ReadModelsPage page(f.client.get());
    ReadModelDocumentsModel *m = page.documents();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    HighlightLog log(m);
    page.resize(1200, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto *collections = page.findChild<QListWidget *>(QStringLiteral("readModelCollections"));
    QVERIFY(collections);
    QTRY_COMPARE(m->collection(), QStringLiteral("products"));
    QVERIFY(collections->currentItem()->text().startsWith(QLatin1String("products")));
    QTRY_VERIFY(!m->isLoading());
    QCOMPARE(m->rowCount(), 0);

    // Rows appear as the commands are applied, each one highlighted when it arrives.
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("w%1").arg(i)}, {QStringLiteral("name"), QStringLiteral("Widget %1").arg(i)}, {QStringLiteral("price"), i}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 3, 10000);
    QCOMPARE(m->idAt(0), QStringLiteral("w1"));
    QCOMPARE(m->idAt(2), QStringLiteral("w3"));
    QVERIFY(m->fields().contains(QStringLiteral("name")));
    QVERIFY(m->fields().contains(QStringLiteral("price")));
    QVERIFY(m->fields().contains(QStringLiteral("_meta.version")));
    QTRY_VERIFY(log.highlighted.contains(QStringLiteral("w3")));
    auto *table = page.findChild<QTableView *>(QStringLiteral("readModelTable"));
    QVERIFY(table);
    QCOMPARE(table->model()->rowCount(), 3);
    QCOMPARE(cell(m, QStringLiteral("w2"), QStringLiteral("name")), QStringLiteral("Widget 2"));
    QCOMPARE(cell(m, QStringLiteral("w2"), QStringLiteral("_meta.version")), QStringLiteral("0"));

    // An update replaces the row in place and highlights it again; the highlight then clears.
    log.highlighted.clear();
    QCOMPARE(command(f, QStringLiteral("w2"), {}, {{QStringLiteral("price"), 42}, {QStringLiteral("stock"), 5}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, QStringLiteral("w2"), QStringLiteral("price")), QStringLiteral("42"), 10000);
    QCOMPARE(cell(m, QStringLiteral("w2"), QStringLiteral("_meta.version")), QStringLiteral("1"));
    QVERIFY(m->fields().contains(QStringLiteral("stock")));   // a new field becomes a column
    QCOMPARE(log.highlighted, QStringList{QStringLiteral("w2")});
    QCOMPARE(m->rowCount(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(!m->isHighlighted(m->rowOf(QStringLiteral("w2"))), 15000);
    QVERIFY(!m->index(m->rowOf(QStringLiteral("w2")), 0).data(Qt::BackgroundRole).isValid());

    // A logical delete removes the row (include-deleted is off).
    QCOMPARE(command(f, QStringLiteral("w1"), QStringLiteral("delete"), {}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 2, 10000);
    QCOMPARE(m->rowOf(QStringLiteral("w1")), -1);
}

void tst_ReadModelsPage::detailShowsDocumentMetaAndHistory()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("lamp")}, {QStringLiteral("name"), QStringLiteral("Lamp")}, {QStringLiteral("price"), 12}}).status, 202);
    QCOMPARE(command(f, QStringLiteral("lamp"), {}, {{QStringLiteral("price"), 13}}).status, 202);
    Ui::ReadModelsPage page(f.client.get());
    QAbstractItemModelTester tester(page.documents(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.resize(1200, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ReadModelDocumentsModel *m = page.documents();
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, QStringLiteral("lamp"), QStringLiteral("price")), QStringLiteral("13"), 10000);

    auto *table = page.findChild<QTableView *>(QStringLiteral("readModelTable"));
    const QRect rect = table->visualRect(m->index(m->rowOf(QStringLiteral("lamp")), 0));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, rect.center());
    auto *document = page.findChild<QPlainTextEdit *>(QStringLiteral("readModelDocument"));
    auto *meta = page.findChild<QLabel *>(QStringLiteral("readModelMeta"));
    auto *history = page.findChild<QTreeWidget *>(QStringLiteral("readModelHistory"));
    QVERIFY(document && meta && history);
    QTRY_VERIFY(document->toPlainText().contains(QLatin1String("\"price\": 13")));
    QVERIFY(document->toPlainText().contains(QLatin1String("\"name\": \"Lamp\"")));
    QVERIFY(!document->toPlainText().contains(QLatin1String("_meta")));
    QTRY_VERIFY(meta->text().contains(QLatin1String("version")));
    QTRY_COMPARE(history->topLevelItemCount(), 2);
    QCOMPARE(history->topLevelItem(0)->text(2), QStringLiteral("products.created"));
    QCOMPARE(history->topLevelItem(1)->text(2), QStringLiteral("products.updated"));
    history->setCurrentItem(history->topLevelItem(1));
    auto *eventData = page.findChild<QPlainTextEdit *>(QStringLiteral("readModelEventData"));
    QVERIFY(eventData->toPlainText().contains(QLatin1String("13")));

    // A live change of the shown document reloads the pane: a third history entry.
    QCOMPARE(command(f, QStringLiteral("lamp"), {}, {{QStringLiteral("price"), 14}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(history->topLevelItemCount(), 3, 10000);
    QTRY_VERIFY(document->toPlainText().contains(QLatin1String("\"price\": 14")));
}

void tst_ReadModelsPage::pagingSortAndFilterGoThroughTheQueryApi()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    // p0..p24 with price = i, straight into the log (quicker than 25 commands).
    for (int i = 0; i < 25; ++i) {
        AppendRequest r;
        r.stream = QStringLiteral("products-p%1").arg(i);
        r.expected = ExpectedVersion::any();
        r.events = {NewEvent{{}, QStringLiteral("products.created"),
                             QJsonDocument(QJsonObject{{QStringLiteral("id"), QStringLiteral("p%1").arg(i)}, {QStringLiteral("name"), QStringLiteral("n%1").arg(i)},
                                                       {QStringLiteral("price"), i}}).toJson(QJsonDocument::Compact), "{}"}};
        QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());
    }
    QTRY_COMPARE_WITH_TIMEOUT(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/products?limit=1000", ctx, cb); })
                                  .object().value(QLatin1String("items")).toArray().size(), 25, 10000);
    Ui::ReadModelsPage page(f.client.get());
    ReadModelDocumentsModel *m = page.documents();
    // The model tester calls fetchMore() itself on every change, so it joins after the paging.
    std::unique_ptr<QAbstractItemModelTester> tester;
    m->setPageSize(10);
    QSignalSpy pages(m, &ReadModelDocumentsModel::pageLoaded);
    page.resize(1200, 240);   // fewer than ten rows visible: the view fetches more only on scrolling
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto *loadMore = page.findChild<QPushButton *>(QStringLiteral("readModelLoadMore"));
    auto *status = page.findChild<QLabel *>(QStringLiteral("readModelStatus"));
    QVERIFY(loadMore && status);
    auto *table = page.findChild<QTableView *>(QStringLiteral("readModelTable"));

    // Paging: ten at a time. The view may ask for the next page by itself while its rows are
    // still being laid out (Qt's fetch-more timer), so count pages, not rows at one moment.
    QTRY_VERIFY_WITH_TIMEOUT(!pages.isEmpty(), 10000);
    QCOMPARE(pages.first().at(0).toInt(), 10);
    QVERIFY(pages.first().at(1).toBool());
    QTRY_VERIFY(!m->isLoading());
    const int shown = m->rowCount();
    QVERIFY(shown == 10 || shown == 20);
    QVERIFY(m->hasMore());
    QVERIFY(loadMore->isEnabled());
    QVERIFY(status->text().contains(QLatin1String("more available")));
    QTest::mouseClick(loadMore, Qt::LeftButton);
    QTRY_COMPARE(m->rowCount(), qMin(25, shown + 10));
    QTRY_VERIFY(!m->isLoading());
    // Scrolling to the end fetches the rest (canFetchMore/fetchMore).
    table->scrollToBottom();
    QTRY_COMPARE(m->rowCount(), 25);
    QTRY_VERIFY(!loadMore->isEnabled());
    QSet<QString> ids;
    for (int row = 0; row < m->rowCount(); ++row)
        ids.insert(m->idAt(row));
    QCOMPARE(ids.size(), 25);   // nothing repeated or skipped
    tester = std::make_unique<QAbstractItemModelTester>(m, QAbstractItemModelTester::FailureReportingMode::QtTest);

    // Sort: a click on the price header sorts ascending, a second one descending.
    QHeaderView *header = table->horizontalHeader();
    const int priceColumn = m->columnOf(QStringLiteral("price"));
    QVERIFY(priceColumn > 0);
    const auto clickHeader = [&](int column) {
        table->scrollTo(m->index(0, column));
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                          QPoint(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2));
    };
    clickHeader(priceColumn);
    QCOMPARE(m->sortField(), QStringLiteral("price"));
    QVERIFY(!m->sortDescending());
    QVERIFY(m->listTarget().contains("sort=price"));
    QTRY_VERIFY(m->rowCount() >= 10 && !m->isLoading());   // one page, or two if the view asked for more
    for (int row = 0; row < m->rowCount(); ++row)
        QCOMPARE(cell(m, m->idAt(row), QStringLiteral("price")), QString::number(row));
    QCOMPARE(cell(m, m->idAt(0), QStringLiteral("price")), QStringLiteral("0"));
    QCOMPARE(cell(m, m->idAt(9), QStringLiteral("price")), QStringLiteral("9"));
    clickHeader(priceColumn);
    QVERIFY(m->sortDescending());
    QTRY_COMPARE(cell(m, m->idAt(0), QStringLiteral("price")), QStringLiteral("24"));
    QCOMPARE(header->sortIndicatorOrder(), Qt::DescendingOrder);

    // Filter as the query API takes it.
    auto *filter = page.findChild<QLineEdit *>(QStringLiteral("readModelFilter"));
    QVERIFY(filter);
    QTest::keyClicks(filter, QStringLiteral("price[gte]=20"));
    QTest::keyClick(filter, Qt::Key_Return);
    QTRY_COMPARE(m->rowCount(), 5);
    QTRY_VERIFY(!m->isLoading());
    QVERIFY(!m->hasMore());
    for (int row = 0; row < m->rowCount(); ++row)
        QVERIFY(cell(m, m->idAt(row), QStringLiteral("price")).toInt() >= 20);
    QCOMPARE(cell(m, m->idAt(0), QStringLiteral("price")), QStringLiteral("24"));   // still sorted

    // Live changes respect the filter and the sort: a cheap product stays out, an expensive one
    // lands on top. The cheap one commits first, so once the dear one is shown both were handled.
    QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("cheap")}, {QStringLiteral("name"), QStringLiteral("c")}, {QStringLiteral("price"), 1}}).status, 202);
    QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("dear")}, {QStringLiteral("name"), QStringLiteral("d")}, {QStringLiteral("price"), 99}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(m->idAt(0), QStringLiteral("dear"), 10000);
    QCOMPARE(m->rowOf(QStringLiteral("cheap")), -1);
    QCOMPARE(m->rowCount(), 6);
    // An update that makes a shown row stop matching removes it.
    QCOMPARE(command(f, QStringLiteral("dear"), {}, {{QStringLiteral("price"), 2}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(m->rowOf(QStringLiteral("dear")), -1, 10000);

    // What the API refuses is shown, not swallowed.
    filter->clear();
    QTest::keyClicks(filter, QStringLiteral("price[near]=3"));
    QTest::keyClick(filter, Qt::Key_Return);
    QTRY_VERIFY(status->text().contains(QLatin1String("unknown operator")));
    QCOMPARE(m->rowCount(), 0);
    auto *problem = page.findChild<QLabel *>(QStringLiteral("readModelFilterProblem"));
    QVERIFY(problem);
    QVERIFY2(problem->isVisible() && problem->text().contains(QLatin1String("unknown operator")), qPrintable(problem->text()));
    // A part that is not a filter is named, with why, next to the filter; the rest applies.
    filter->clear();
    QTest::keyClicks(filter, QStringLiteral("price[gt]=20&sort=-price"));
    QTest::keyClick(filter, Qt::Key_Return);
    QVERIFY2(problem->isVisible() && problem->text().contains(QLatin1String("'sort=-price': the sort is chosen by clicking a column header")),
             qPrintable(problem->text()));
    QTRY_VERIFY_WITH_TIMEOUT(m->rowCount() > 0 && !m->isLoading(), 10000);
    for (int row = 0; row < m->rowCount(); ++row)
        QVERIFY(m->index(row, m->columnOf(QStringLiteral("price"))).data().toInt() > 20);
    filter->clear();
    QTest::keyClick(filter, Qt::Key_Return);
    QVERIFY(!problem->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!m->isLoading(), 10000);
    // A _meta column cannot be sorted by the API; the page says so and keeps the sort.
    clickHeader(m->columnOf(QStringLiteral("_meta.version")));
    QCOMPARE(m->sortField(), QStringLiteral("price"));
    QVERIFY(status->text().contains(QLatin1String("_meta.version")));
}

void tst_ReadModelsPage::includeDeletedShowsLogicallyDeletedRows()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    for (const QString &id : {QStringLiteral("a"), QStringLiteral("b")})
        QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), id}, {QStringLiteral("name"), id}, {QStringLiteral("price"), 1}}).status, 202);
    QCOMPARE(command(f, QStringLiteral("b"), QStringLiteral("delete"), {}).status, 202);
    Ui::ReadModelsPage page(f.client.get());
    ReadModelDocumentsModel *m = page.documents();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 1, 10000);
    QCOMPARE(m->idAt(0), QStringLiteral("a"));
    auto *includeDeleted = page.findChild<QCheckBox *>(QStringLiteral("readModelIncludeDeleted"));
    QVERIFY(includeDeleted);
    includeDeleted->click();
    QVERIFY(m->includeDeleted());
    QVERIFY(m->listTarget().contains("include_deleted=true"));
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 2, 10000);
    const int row = m->rowOf(QStringLiteral("b"));
    QVERIFY(row >= 0);
    QVERIFY(m->index(row, 0).data(ReadModelDocumentsModel::DeletedRole).toBool());
    QVERIFY(m->index(row, 0).data(Qt::FontRole).value<QFont>().strikeOut());
    QVERIFY(!m->index(m->rowOf(QStringLiteral("a")), 0).data(ReadModelDocumentsModel::DeletedRole).toBool());
    // Deleting live while deleted rows are shown keeps the row, marked deleted.
    QCOMPARE(command(f, QStringLiteral("a"), QStringLiteral("delete"), {}).status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(m->index(m->rowOf(QStringLiteral("a")), 0).data(ReadModelDocumentsModel::DeletedRole).toBool(), 10000);
    QCOMPARE(m->rowCount(), 2);
    includeDeleted->click();
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 0, 10000);
}

void tst_ReadModelsPage::documentsWithoutIdAreShownButNotMerged()
{
    // Events appended without an "id" in their data give documents the list cannot name.
    Test::GuiFixture f;
    QVERIFY(f.start());
    f.appendProducts(3);
    QTRY_COMPARE_WITH_TIMEOUT(waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->get("/api/products", ctx, cb); })
                                  .object().value(QLatin1String("items")).toArray().size(), 3, 10000);
    Ui::ReadModelsPage page(f.client.get());
    ReadModelDocumentsModel *m = page.documents();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 3, 10000);
    QCOMPARE(m->idAt(0), QString());
    QCOMPARE(m->rowOf(QString()), -1);
    QCOMPARE(m->index(1, m->columnOf(QStringLiteral("name"))).data().toString(), QStringLiteral("n1"));
}

// An index added while the page is open: its build is listed with the collection (state and,
// while it runs, progress), from what /admin/collections reports.
void tst_ReadModelsPage::indexBuildsAreShown()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    for (int i = 1; i <= 20; ++i)
        QCOMPARE(command(f, {}, {}, {{QStringLiteral("name"), QStringLiteral("Lamp %1").arg(i)}, {QStringLiteral("price"), i}, {QStringLiteral("stock"), i}}).status, 202);
    Ui::ReadModelsPage page(f.client.get());
    page.resize(1024, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto *collections = page.findChild<QListWidget *>(QStringLiteral("readModelCollections"));
    QVERIFY(collections);
    QTRY_VERIFY(collections->count() > 0);
    const Ui::ClientReply patched = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->admin("PATCH", "/admin/collections/products", R"({"indexes": ["stock"]})", ctx, cb);
    });
    QVERIFY2(patched.isSuccess(), qPrintable(patched.errorText()));
    // The change is announced; the list asks again and shows the build, then keeps asking
    // while it runs.
    QTRY_VERIFY_WITH_TIMEOUT(collections->item(0)->toolTip().contains(QLatin1String("index on stock: ready")), 15000);
    QVERIFY2(collections->item(0)->text().startsWith(QLatin1String("products  (20)")), qPrintable(collections->item(0)->text()));
    QVERIFY(!collections->item(0)->text().contains(QLatin1String("indexing")));
}

// The collection editor: a new collection declared from the page (problems shown as the user
// types, Save only when there are none), then a schema change that its events would not
// satisfy, refused with the reason in the dialog until an upcaster covers it.
void tst_ReadModelsPage::collectionEditorCreatesAndEvolves()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::ReadModelsPage page(f.client.get());
    page.resize(1200, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto *collections = page.findChild<QListWidget *>(QStringLiteral("readModelCollections"));
    QTRY_VERIFY(collections->count() > 0);

    page.findChild<QPushButton *>(QStringLiteral("readModelNewCollection"))->click();
    Ui::CollectionEditorDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = page.findChild<Ui::CollectionEditorDialog *>(QStringLiteral("collectionEditor"))));
    auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("collectionEditorName"));
    auto *schema = dialog->findChild<QPlainTextEdit *>(QStringLiteral("collectionEditorSchema"));
    auto *indexes = dialog->findChild<QListWidget *>(QStringLiteral("collectionEditorIndexes"));
    auto *upcasters = dialog->findChild<QPlainTextEdit *>(QStringLiteral("collectionEditorUpcasters"));
    auto *snapshots = dialog->findChild<QSpinBox *>(QStringLiteral("collectionEditorSnapshotEvery"));
    auto *problems = dialog->findChild<QLabel *>(QStringLiteral("collectionEditorProblems"));
    auto *save = dialog->findChild<QPushButton *>(QStringLiteral("collectionEditorSave"));
    QVERIFY(name && schema && indexes && upcasters && snapshots && problems && save);
    QVERIFY(!save->isEnabled());   // no name yet

    name->setText(QStringLiteral("products"));
    QVERIFY(problems->text().contains(QLatin1String("exists already")));
    name->setText(QStringLiteral("gadgets"));
    schema->setPlainText(QStringLiteral("{\"type\": \"object\",\n \"properties\": {\"name\": {\"type\": \"string\"},}}"));
    QVERIFY2(problems->text().contains(QLatin1String("Schema: line 2")), qPrintable(problems->text()));
    QVERIFY(!save->isEnabled());
    schema->setPlainText(QStringLiteral(R"({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "price": {"type": "number"}, "tags": {"type": "array"}}})"));
    QVERIFY2(!problems->isVisible() || problems->text().isEmpty(), qPrintable(problems->text()));
    QVERIFY(save->isEnabled());
    // The properties that can be indexed are offered; "tags" (an array) is not.
    QCOMPARE(indexes->count(), 2);
    QList<QListWidgetItem *> price = indexes->findItems(QStringLiteral("price"), Qt::MatchStartsWith);
    QCOMPARE(price.size(), 1);
    price.first()->setCheckState(Qt::Checked);
    // The engine's own rules apply as the user types: an upcaster of a version that does not exist.
    upcasters->setPlainText(QStringLiteral(R"({"1": {"remove": ["x"]}})"));
    QVERIFY2(problems->text().contains(QLatin1String("upcasters/1: there is no version 2 yet")), qPrintable(problems->text()));
    upcasters->clear();
    snapshots->setValue(10);
    QVERIFY(save->isEnabled());
    QCOMPARE(dialog->collectionJson().value(QStringLiteral("indexes")).toArray(), QJsonArray{QStringLiteral("price")});
    save->click();
    QTRY_VERIFY_WITH_TIMEOUT(!page.findChild<Ui::CollectionEditorDialog *>(QStringLiteral("collectionEditor")), 10000);
    const auto declared = [&] {
        return waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { f.client->adminGet("/admin/collections/gadgets", ctx, cb); }).object();
    };
    QJsonObject gadgets = declared();
    QCOMPARE(gadgets.value(QStringLiteral("indexes")).toArray(), QJsonArray{QStringLiteral("price")});
    QCOMPARE(gadgets.value(QStringLiteral("snapshot_every")).toInt(), 10);
    QTRY_VERIFY_WITH_TIMEOUT(!collections->findItems(QStringLiteral("gadgets"), Qt::MatchStartsWith).isEmpty(), 10000);
    QTRY_COMPARE(collections->currentItem()->data(Qt::UserRole).toString(), QStringLiteral("gadgets"));

    // It has an event now: making the price whole needs an upcaster.
    const Ui::ClientReply created = waitFor([&](QObject *ctx, Ui::ReplyCallback cb) {
        f.client->command(QStringLiteral("gadgets"), {}, {}, {{QStringLiteral("id"), QStringLiteral("g1")}, {QStringLiteral("name"), QStringLiteral("Gizmo")}, {QStringLiteral("price"), 2.5}}, ctx, cb);
    });
    QCOMPARE(created.status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(collections->currentItem()->text().startsWith(QLatin1String("gadgets  (1)")), 10000);
    page.findChild<QPushButton *>(QStringLiteral("readModelEditCollection"))->click();
    QTRY_VERIFY((dialog = page.findChild<Ui::CollectionEditorDialog *>(QStringLiteral("collectionEditor"))));
    schema = dialog->findChild<QPlainTextEdit *>(QStringLiteral("collectionEditorSchema"));
    upcasters = dialog->findChild<QPlainTextEdit *>(QStringLiteral("collectionEditorUpcasters"));
    save = dialog->findChild<QPushButton *>(QStringLiteral("collectionEditorSave"));
    auto *version = dialog->findChild<QLabel *>(QStringLiteral("collectionEditorVersion"));
    auto *serverError = dialog->findChild<QLabel *>(QStringLiteral("collectionEditorServerError"));
    QVERIFY(dialog->findChild<QLineEdit *>(QStringLiteral("collectionEditorName"))->isReadOnly());
    QVERIFY(version->text().contains(QLatin1String("version 1")));
    schema->setPlainText(schema->toPlainText().replace(QLatin1String("\"number\""), QLatin1String("\"integer\"")));
    QVERIFY2(version->text().contains(QLatin1String("saving makes it 2")), qPrintable(version->text()));
    QVERIFY(save->isEnabled());
    save->click();
    QTRY_VERIFY_WITH_TIMEOUT(serverError->isVisible(), 10000);
    QVERIFY2(serverError->text().contains(QLatin1String("price: narrowed-type")), qPrintable(serverError->text()));
    QCOMPARE(declared().value(QStringLiteral("schema_version")).toInt(), 1);
    upcasters->setPlainText(QStringLiteral(R"({"1": {"cast": {"price": "integer"}}})"));
    QTRY_VERIFY(save->isEnabled());
    save->click();
    QTRY_VERIFY_WITH_TIMEOUT(!page.findChild<Ui::CollectionEditorDialog *>(QStringLiteral("collectionEditor")), 10000);
    gadgets = declared();
    QCOMPARE(gadgets.value(QStringLiteral("schema_version")).toInt(), 2);
    QCOMPARE(gadgets.value(QStringLiteral("upcasters")).toObject().value(QStringLiteral("1")).toObject(),
             (QJsonObject{{QStringLiteral("cast"), QJsonObject{{QStringLiteral("price"), QStringLiteral("integer")}}}}));
    QCOMPARE(gadgets.value(QStringLiteral("indexes")).toArray(), QJsonArray{QStringLiteral("price")});   // kept
}

void tst_ReadModelsPage::parseFilter_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("pairs");
    QTest::newRow("empty") << QString() << true << 0;
    QTest::newRow("one") << QStringLiteral("name=Lamp") << true << 1;
    QTest::newRow("two with spaces") << QStringLiteral(" price[gt]=5 & name=Big Lamp ") << true << 2;
    QTest::newRow("no value") << QStringLiteral("name") << false << 0;
    QTest::newRow("sort is the header's") << QStringLiteral("sort=-price") << false << 0;
    QTest::newRow("the good part stays") << QStringLiteral("price[gt]=150&sort=-price") << false << 1;
    QTest::newRow("cursor is the page's") << QStringLiteral("cursor=abc") << false << 0;
}

void tst_ReadModelsPage::parseFilter()
{
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(int, pairs);
    ReadModelDocumentsModel::Filter filter;
    QString error;
    QCOMPARE(ReadModelDocumentsModel::parseFilter(text, &filter, &error), ok);
    QCOMPARE(filter.size(), pairs);
    QCOMPARE(error.isEmpty(), ok);
    if (pairs == 2)
        QCOMPARE(filter.at(1), (std::pair<QString, QString>{QStringLiteral("name"), QStringLiteral("Big Lamp")}));
}

void tst_ReadModelsPage::fitsTheSmallestWindow()
{
    // At 1024x700 in the main window the filter is read whole and the history's data column
    // keeps room after the narrow columns.
    Test::GuiFixture f;
    QVERIFY(f.start());
    QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("lamp-with-a-long-name")}, {QStringLiteral("name"), QStringLiteral("Lamp")}, {QStringLiteral("price"), 12}}).status, 202);
    QCOMPARE(command(f, QStringLiteral("lamp-with-a-long-name"), {}, {{QStringLiteral("price"), 13}}).status, 202);
    Ui::MainWindow window(f.client.get());
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.open(Ui::Location::ofDocument(QStringLiteral("products"), QStringLiteral("lamp-with-a-long-name")));
    auto *filter = window.findChild<QLineEdit *>(QStringLiteral("readModelFilter"));
    QTest::keyClicks(filter, QStringLiteral("price[gt]=150&sort=-price"));
    QVERIFY2(filter->width() >= filter->fontMetrics().horizontalAdvance(filter->text()) + 16,
             qPrintable(QStringLiteral("%1 px for %2 px of text").arg(filter->width()).arg(filter->fontMetrics().horizontalAdvance(filter->text()))));
    auto *history = window.findChild<QTreeWidget *>(QStringLiteral("readModelHistory"));
    QTRY_COMPARE_WITH_TIMEOUT(history->topLevelItemCount(), 2, 10000);
    const int last = history->columnCount() - 1;
    int narrow = 0;
    for (int c = 0; c < last; ++c)
        narrow += history->columnWidth(c);
    QVERIFY2(narrow + 60 <= history->viewport()->width(),
             qPrintable(QStringLiteral("%1 px of %2 px before the data").arg(narrow).arg(history->viewport()->width())));
    QVERIFY2(history->columnWidth(last) >= 60, qPrintable(QString::number(history->columnWidth(last))));
    // The time is in the row's tooltip.
    QVERIFY2(history->topLevelItem(0)->toolTip(2).contains(QLatin1String("products.created, at 20")), qPrintable(history->topLevelItem(0)->toolTip(2)));
}

void tst_ReadModelsPage::rendersForScreenshot()
{
    // Sample data, a selected row and the detail pane; saved as PNG when
    // GATEHOUSE_SCREENSHOT_DIR is set (tests/gui/screenshots.sh).
    Test::GuiFixture f;
    QVERIFY(f.start());
    const QStringList names{QStringLiteral("Desk lamp"), QStringLiteral("Office chair"), QStringLiteral("Standing desk"),
                            QStringLiteral("Monitor arm"), QStringLiteral("Cable tray"), QStringLiteral("Footrest")};
    for (int i = 0; i < names.size(); ++i)
        QCOMPARE(command(f, {}, {}, {{QStringLiteral("id"), QStringLiteral("sku-%1").arg(100 + i)}, {QStringLiteral("name"), names.at(i)},
                                     {QStringLiteral("price"), 19.5 + i * 30}, {QStringLiteral("stock"), 3 * i},
                                     {QStringLiteral("tags"), QJsonArray{QStringLiteral("office")}}}).status, 202);
    QCOMPARE(command(f, QStringLiteral("sku-101"), {}, {{QStringLiteral("price"), 129}}).status, 202);
    Ui::ReadModelsPage page(f.client.get());
    page.resize(1280, 720);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ReadModelDocumentsModel *m = page.documents();
    QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), names.size(), 10000);
    auto *table = page.findChild<QTableView *>(QStringLiteral("readModelTable"));
    table->selectRow(1);
    auto *history = page.findChild<QTreeWidget *>(QStringLiteral("readModelHistory"));
    QTRY_COMPARE(history->topLevelItemCount(), 2);
    QCOMPARE(command(f, QStringLiteral("sku-103"), {}, {{QStringLiteral("stock"), 0}}).status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(cell(m, QStringLiteral("sku-103"), QStringLiteral("stock")), QStringLiteral("0"), 10000);
    const QImage image = page.grab().toImage();
    QVERIFY(!image.isNull());
    const QString dir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        QVERIFY(image.save(QDir(dir).filePath(QStringLiteral("readmodels.png"))));
}

QTEST_MAIN(tst_ReadModelsPage)
#include "tst_readmodelspage.moc"
