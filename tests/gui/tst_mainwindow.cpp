// The main window under QT_QPA_PLATFORM=offscreen with a real engine inside: pages, menus,
// shortcuts, the status bar, what it remembers between runs, and the links between pages with
// Back and Forward.

#include "guifixture.h"
#include "focusstyle.h"
#include "mainwindow.h"
#include "pages/eventspage.h"
#include "pages/simulationpage.h"
#include "pages/streamspage.h"
#include "widgets/flowdiagram.h"
#include "widgets/readmodeldetailview.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QHBoxLayout>
#include <QListWidget>
#include <QStandardItemModel>
#include <QMenu>
#include <QTableView>
#include <QTimer>
#include <QTreeWidget>
#include <QSettings>
#include <QStackedWidget>
#include <QTest>

using namespace Gatehouse;

class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void showsTitleAddressesAndLiveEventCount();
    void sidebarMenusAndShortcutsSwitchPages();
    void remembersPageAndGeometry();
    void historyIsKeptAsABrowserKeepsIt();
    void linksOpenRelatedThingsAndBackForwardReturn();
    void keyboardFocusIsPlainToSee();
};

namespace {
// Opens the context menu `view` shows at `pos` and chooses the action with `text` (nothing
// when empty); returns the texts the menu offered.
QStringList chooseFromContextMenu(QAbstractItemView *view, const QPoint &pos, const QString &text)
{
    QStringList offered;
    QTimer::singleShot(0, view, [&] {
        auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
        if (!menu)
            return;
        QAction *chosen = nullptr;
        for (QAction *a : menu->actions()) {
            offered.append(a->text());
            if (a->text() == text)
                chosen = a;
        }
        menu->close();
        if (chosen)
            chosen->trigger();
    });
    Q_EMIT view->customContextMenuRequested(pos);
    return offered;
}
} // namespace

void tst_MainWindow::init()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
}

void tst_MainWindow::showsTitleAddressesAndLiveEventCount()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::MainWindow window(f.client.get());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // A console on a remote engine names it; the one the engine runs inside needs not.
    QCOMPARE(window.windowTitle(), Test::GuiFixture::isRemote() ? QStringLiteral("Gatehouse — %1").arg(f.client->adminAddress())
                                                                : QStringLiteral("Gatehouse"));
    auto *addresses = window.findChild<QLabel *>(QStringLiteral("statusAddresses"));
    QVERIFY(addresses);
    QVERIFY2(addresses->text().contains(f.client->gatewayAddress()), qPrintable(addresses->text()));
    QVERIFY(addresses->text().contains(f.client->adminAddress()));
    auto *mqtt = window.findChild<QLabel *>(QStringLiteral("statusMqtt"));
    QVERIFY(mqtt);
    QVERIFY2(mqtt->text().contains(QLatin1String("MQTT")), qPrintable(mqtt->text()));
    auto *count = window.findChild<QLabel *>(QStringLiteral("eventCount"));
    QVERIFY(count);
    QCOMPARE(window.displayedEventCount(), 0);

    f.appendProducts(25);
    QTRY_COMPARE_WITH_TIMEOUT(window.displayedEventCount(), 25, 10000);
    QVERIFY2(count->text().contains(QLocale().toString(25)), qPrintable(count->text()));
    auto *lag = window.findChild<QLabel *>(QStringLiteral("statusLag"));
    QVERIFY(lag);
    QTRY_COMPARE_WITH_TIMEOUT(lag->text(), QStringLiteral("projections current"), 10000);
}

void tst_MainWindow::sidebarMenusAndShortcutsSwitchPages()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    Ui::MainWindow window(f.client.get());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *sidebar = window.findChild<QListWidget *>(QStringLiteral("sidebar"));
    auto *stack = window.findChild<QStackedWidget *>(QStringLiteral("pages"));
    QVERIFY(sidebar && stack);
    QCOMPARE(sidebar->count(), int(Ui::MainWindow::PageCount));
    QCOMPARE(stack->count(), int(Ui::MainWindow::PageCount));

    // Keyboard in the sidebar.
    window.showPage(Ui::MainWindow::Overview);
    sidebar->setFocus();
    QTest::keyClick(sidebar, Qt::Key_Down);
    QCOMPARE(window.currentPage(), Ui::MainWindow::Events);
    QCOMPARE(stack->currentWidget(), window.page(Ui::MainWindow::Events));

    // View menu shortcuts Ctrl+1..8.
    for (int i = Ui::MainWindow::PageCount - 1; i >= 0; --i) {
        auto *action = window.findChild<QAction *>(QStringLiteral("actionPage%1").arg(i + 1));
        QVERIFY(action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        action->trigger();
        QCOMPARE(int(window.currentPage()), i);
        QCOMPARE(sidebar->currentRow(), i);
    }
    // The Simulation page comes after Projections, on Ctrl+8.
    QCOMPARE(int(Ui::MainWindow::Simulation), int(Ui::MainWindow::Projections) + 1);
    QCOMPARE(sidebar->item(Ui::MainWindow::Simulation)->text(), QStringLiteral("Simulation"));
    QVERIFY(qobject_cast<Ui::SimulationPage *>(window.page(Ui::MainWindow::Simulation)));
    QCOMPARE(window.findChild<QAction *>(QStringLiteral("actionPage8"))->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_8));
    // The File menu's export and import actions exist (they open dialogs; their admin calls
    // are tested in tst_engineclient).
    QVERIFY(window.findChild<QAction *>(QStringLiteral("actionImport")));
    QVERIFY(window.findChild<QAction *>(QStringLiteral("actionExport")));
    QVERIFY(window.findChild<QAction *>(QStringLiteral("actionExportApisix")));
}

void tst_MainWindow::remembersPageAndGeometry()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    QSize size;
    {
        Ui::MainWindow window(f.client.get());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resize(900, 640);
        size = window.size();
        window.showPage(Ui::MainWindow::Routes);
        window.close();
    }
    Ui::MainWindow again(f.client.get());
    QCOMPARE(again.currentPage(), Ui::MainWindow::Routes);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.size(), size);
}

void tst_MainWindow::historyIsKeptAsABrowserKeepsIt()
{
    using Ui::Location;
    Ui::NavigationHistory h;
    QVERIFY(!h.canGoBack() && !h.canGoForward() && !h.current());
    h.visit(Location::ofPage(Ui::MainWindow::Overview));
    h.visit(Location::ofPage(Ui::MainWindow::Overview));   // a repeat is not a new place
    QCOMPARE(h.size(), 1);
    h.visit(Location::ofEvent(QStringLiteral("e1"), 1));
    h.visit(Location::ofStream(QStringLiteral("products"), QStringLiteral("p1"), 1));
    QCOMPARE(h.size(), 3);
    QCOMPARE(h.back(), Location::ofEvent(QStringLiteral("e1"), 1));
    QCOMPARE(h.back(), Location::ofPage(Ui::MainWindow::Overview));
    QVERIFY(!h.canGoBack());
    QCOMPARE(h.back(), Location::ofPage(Ui::MainWindow::Overview));   // stays at the first
    QCOMPARE(h.forward(), Location::ofEvent(QStringLiteral("e1"), 1));
    QVERIFY(h.canGoForward());
    // A new place drops what lay ahead.
    h.visit(Location::ofDocument(QStringLiteral("products"), QStringLiteral("p1")));
    QVERIFY(!h.canGoForward());
    QCOMPARE(h.size(), 3);
    QCOMPARE(h.previous()->description(), QStringLiteral("event #1"));
    QCOMPARE(h.current()->description(), QStringLiteral("document products/p1"));
    // Bounded: the oldest places are forgotten first.
    for (int i = 0; i < 2 * Ui::NavigationHistory::kMaxEntries; ++i)
        h.visit(Location::ofFunction(QStringLiteral("f%1").arg(i)));
    QCOMPARE(h.size(), Ui::NavigationHistory::kMaxEntries);
    QCOMPARE(h.current()->id, QStringLiteral("f%1").arg(2 * Ui::NavigationHistory::kMaxEntries - 1));
    while (h.canGoBack())
        h.back();
    QCOMPARE(h.current()->id, QStringLiteral("f%1").arg(Ui::NavigationHistory::kMaxEntries));
}

void tst_MainWindow::linksOpenRelatedThingsAndBackForwardReturn()
{
    Test::GuiFixture f;
    QVERIFY(f.start());
    // One product with three events (positions 1 to 3).
    AppendRequest r;
    r.stream = QStringLiteral("products-w1");
    r.expected = ExpectedVersion::any();
    r.events = {NewEvent{{}, QStringLiteral("products.created"), R"({"name":"W","price":1})", "{}"},
                NewEvent{{}, QStringLiteral("products.updated"), R"({"price":2})", "{}"},
                NewEvent{{}, QStringLiteral("products.updated"), R"({"price":3})", "{}"}};
    QVERIFY(f.engine.eventStore()->appendAndWait(std::move(r)).ok());

    Ui::MainWindow window(f.client.get());
    window.resize(1200, 780);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *back = window.findChild<QAction *>(QStringLiteral("actionBack"));
    auto *forward = window.findChild<QAction *>(QStringLiteral("actionForward"));
    QVERIFY(back && forward);
    QVERIFY(back->shortcuts().contains(QKeySequence(Qt::ALT | Qt::Key_Left)));
    QVERIFY(forward->shortcuts().contains(QKeySequence(Qt::ALT | Qt::Key_Right)));
    QVERIFY(!back->isEnabled());

    // Events: a row's context menu opens its stream at that event.
    window.showPage(Ui::MainWindow::Events);
    auto *events = static_cast<Ui::EventsPage *>(window.page(Ui::MainWindow::Events));
    auto *eventsTable = events->findChild<QTableView *>(QStringLiteral("eventsTable"));
    QTRY_COMPARE_WITH_TIMEOUT(eventsTable->model()->rowCount(), 3, 10000);
    const QStringList offered = chooseFromContextMenu(eventsTable, eventsTable->visualRect(eventsTable->model()->index(1, 0)).center(),
                                                      QStringLiteral("Open stream at this event"));
    QVERIFY2(offered.contains(QStringLiteral("Open document")), qPrintable(offered.join(u',')));
    QVERIFY2(!offered.contains(QStringLiteral("Show in Events")), qPrintable(offered.join(u',')));   // it is there already
    QCOMPARE(window.currentPage(), Ui::MainWindow::Streams);
    auto *streams = static_cast<Ui::StreamsPage *>(window.page(Ui::MainWindow::Streams));
    QTRY_COMPARE_WITH_TIMEOUT(streams->stepCount(), 3, 10000);
    QCOMPARE(streams->currentStep(), 1);   // the event at position 2
    QVERIFY(back->isEnabled());
    QCOMPARE(back->toolTip(), QStringLiteral("Back to Events"));

    // Streams: an event's context menu opens the document.
    auto *streamTable = streams->findChild<QTableView *>(QStringLiteral("streamsEvents"));
    chooseFromContextMenu(streamTable, streamTable->visualRect(streamTable->model()->index(2, 0)).center(), QStringLiteral("Open document"));
    QCOMPARE(window.currentPage(), Ui::MainWindow::ReadModels);
    auto *detail = window.page(Ui::MainWindow::ReadModels)->findChild<Ui::ReadModelDetailView *>(QStringLiteral("readModelDetail"));
    QVERIFY(detail);
    QTRY_COMPARE_WITH_TIMEOUT(detail->documentId(), QStringLiteral("w1"), 10000);
    QCOMPARE(detail->collection(), QStringLiteral("products"));

    // The document's history: Enter on its first event steps the stream to it.
    auto *history = detail->findChild<QTreeWidget *>(QStringLiteral("readModelHistory"));
    QTRY_COMPARE_WITH_TIMEOUT(history->topLevelItemCount(), 3, 10000);
    history->setFocus();
    history->setCurrentItem(history->topLevelItem(0));
    QTest::keyClick(history, Qt::Key_Return);
    QCOMPARE(window.currentPage(), Ui::MainWindow::Streams);
    QTRY_COMPARE(streams->currentStep(), 0);

    // Back and Forward (Alt+Left, Alt+Right) go through those places again.
    window.activateWindow();   // the context menus took it
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_Left, Qt::AltModifier);
    QCOMPARE(window.currentPage(), Ui::MainWindow::ReadModels);
    QTest::keyClick(&window, Qt::Key_Left, Qt::AltModifier);
    QCOMPARE(window.currentPage(), Ui::MainWindow::Streams);
    QCOMPARE(streams->currentStep(), 1);   // at the event it was opened at
    QTest::keyClick(&window, Qt::Key_Left, Qt::AltModifier);
    QCOMPARE(window.currentPage(), Ui::MainWindow::Events);
    QVERIFY(forward->isEnabled());
    QTest::keyClick(&window, Qt::Key_Right, Qt::AltModifier);
    QCOMPARE(window.currentPage(), Ui::MainWindow::Streams);
    QCOMPARE(streams->currentStep(), 1);

    // A page chosen in the sidebar is a place too, and drops what lay ahead.
    auto *sidebar = window.findChild<QListWidget *>(QStringLiteral("sidebar"));
    sidebar->setCurrentRow(Ui::MainWindow::Routes);
    QVERIFY(!forward->isEnabled());
    back->trigger();
    QCOMPARE(window.currentPage(), Ui::MainWindow::Streams);

    // A box of the Overview's diagram opens its page.
    window.showPage(Ui::MainWindow::Overview);
    auto *diagram = window.findChild<Ui::FlowDiagram *>();
    QVERIFY(diagram);
    QTest::mouseClick(diagram->viewport(), Qt::LeftButton, {}, diagram->nodeCentre(QStringLiteral("functions")));
    QCOMPARE(window.currentPage(), Ui::MainWindow::Functions);
    QTest::mouseClick(window.findChild<QListWidget *>(QStringLiteral("sidebar"))->viewport(), Qt::LeftButton, {},
                      sidebar->visualItemRect(sidebar->item(Ui::MainWindow::Overview)).center());
    QTest::mouseClick(diagram->viewport(), Qt::LeftButton, {}, diagram->nodeCentre(QStringLiteral("eventlog")));
    QCOMPARE(window.currentPage(), Ui::MainWindow::Events);
    back->trigger();
    QCOMPARE(window.currentPage(), Ui::MainWindow::Overview);
}

void tst_MainWindow::keyboardFocusIsPlainToSee()
{
    // Two tables, each with a current row; the one with the focus has a frame and an outline
    // in the highlight colour, the other neither.
    QApplication::setStyle(new Ui::FocusStyle);   // as the console sets it (the last test here: it stays)
    QStandardItemModel model(4, 2);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 2; ++c)
            model.setItem(r, c, new QStandardItem(QStringLiteral("r%1c%2").arg(r).arg(c)));
    QWidget w;
    auto *layout = new QHBoxLayout(&w);
    QTableView a, b;
    for (QTableView *v : {&a, &b}) {
        v->setModel(&model);
        v->setSelectionBehavior(QAbstractItemView::SelectRows);
        v->setCurrentIndex(model.index(1, 0));
        v->clearSelection();   // the current row alone, not selected: the outline in the highlight colour
        layout->addWidget(v);
    }
    w.resize(500, 200);
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    a.setFocus();
    QTRY_VERIFY(a.hasFocus());
    const QColor highlight = a.palette().color(QPalette::Active, QPalette::Highlight);
    const auto highlighted = [&](QTableView &v, const QRect &area) {
        const QImage image = v.grab().toImage();
        int n = 0;
        for (int y = area.top(); y <= area.bottom(); ++y)
            for (int x = area.left(); x <= area.right(); ++x)
                n += image.pixelColor(x, y) == highlight ? 1 : 0;
        return n;
    };
    // The frame: the view's top edge.
    const QRect top(0, 0, a.width(), 2);
    QVERIFY2(highlighted(a, top) >= a.width(), qPrintable(QString::number(highlighted(a, top))));
    QCOMPARE(highlighted(b, top), 0);
    // The current cell's outline, in the viewport.
    const QRect cell = a.visualRect(model.index(1, 0)).translated(a.viewport()->pos());
    QVERIFY2(highlighted(a, QRect(cell.left(), cell.top(), cell.width(), 2)) >= cell.width() / 2,
             qPrintable(QString::number(highlighted(a, QRect(cell.left(), cell.top(), cell.width(), 2)))));
    QCOMPARE(highlighted(b, QRect(cell.left(), cell.top(), cell.width(), 2)), 0);
    // The focus moves: so do the frame and outline.
    b.setFocus();
    QTRY_VERIFY(b.hasFocus());
    QCOMPARE(highlighted(a, top), 0);
    QVERIFY(highlighted(b, top) >= b.width());
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
