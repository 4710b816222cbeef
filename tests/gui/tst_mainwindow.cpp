// The main window under QT_QPA_PLATFORM=offscreen with a real engine inside.

#include "engine.h"
#include "mainwindow.h"

#include <QApplication>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

using namespace Gatehouse;

class tst_MainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTitleAddressesAndLiveEventCount();
};

void tst_MainWindow::showsTitleAddressesAndLiveEventCount()
{
    QTemporaryDir dir;
    Engine engine;
    EngineOptions options;
    options.dataDir = dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(engine.start(options), qPrintable(engine.errorString()));

    Ui::MainWindow window(&engine, QStringLiteral("127.0.0.1:9080"), QStringLiteral("127.0.0.1:9180"));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.windowTitle(), QStringLiteral("Gatehouse"));
    bool sawGateway = false;
    for (QLabel *label : window.findChildren<QLabel *>())
        sawGateway = sawGateway || label->text().contains(QLatin1String("127.0.0.1:9080"));
    QVERIFY(sawGateway);
    auto *count = window.findChild<QLabel *>(QStringLiteral("eventCount"));
    QVERIFY(count);
    QCOMPARE(count->text(), QStringLiteral("0"));

    for (int i = 0; i < 25; ++i) {
        AppendRequest r;
        r.stream = QStringLiteral("products-%1").arg(i);
        r.expected = ExpectedVersion::noStream();
        r.events = {NewEvent{{}, QStringLiteral("products.created"), "{}", "{}"}};
        engine.eventStore()->append(std::move(r), [](const AppendResult &) {});
    }
    QTRY_COMPARE_WITH_TIMEOUT(window.displayedEventCount(), 25, 10000);
    QCOMPARE(count->text(), QLocale().toString(25));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
