#pragma once

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace Gatehouse::Ui {

class EngineClient;
struct EngineStatus;

// The console's main window: a sidebar of pages (Overview, Events, Read models, Streams,
// Routes, Functions, Projections, Simulation), menus, and a status bar that always shows where the engine
// listens, the MQTT broker, the events in the log and the worst projection lag. Knows the
// engine only through an EngineClient. Window geometry and the last page are remembered.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    enum Page { Overview, Events, ReadModels, Streams, Routes, Functions, Projections, Simulation, PageCount };
    Q_ENUM(Page)

    explicit MainWindow(EngineClient *client, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(Page page);
    Page currentPage() const;
    QWidget *page(Page page) const;
    static QString pageTitle(Page page);

    qint64 displayedEventCount() const { return m_shownCount; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void updateStatus(const EngineStatus &status);
    void importProject();
    void exportProject(bool apisix);
    void about();

    EngineClient *m_client;
    QListWidget *m_sidebar = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_gateway = nullptr;
    QLabel *m_mqtt = nullptr;
    QLabel *m_events = nullptr;
    QLabel *m_lag = nullptr;
    qint64 m_shownCount = -1;
};

} // namespace Gatehouse::Ui
