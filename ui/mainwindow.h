#pragma once

#include <QMainWindow>

class QLabel;
class QTimer;

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Ui {

// The console's main window. For now: where the engine listens and how many events the log
// holds, refreshed at most a few times a second however fast events arrive. Lives on the GUI
// thread; learns about new events from the store's batched signal.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    MainWindow(Engine *engine, const QString &gatewayAddress, const QString &adminAddress, QWidget *parent = nullptr);
    ~MainWindow() override;

    qint64 displayedEventCount() const { return m_shownCount; }

private:
    void refresh();

    Engine *m_engine;
    QLabel *m_events = nullptr;
    QTimer *m_throttle = nullptr;
    qint64 m_shownCount = -1;
};

} // namespace Gatehouse::Ui
