// The main window under QT_QPA_PLATFORM=offscreen with a real engine inside: pages, menus,
// shortcuts, the status bar, and what it remembers between runs.

#include "guifixture.h"
#include "mainwindow.h"
#include "pages/simulationpage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QListWidget>
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
};

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
    QCOMPARE(window.windowTitle(), QStringLiteral("Gatehouse"));
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

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
