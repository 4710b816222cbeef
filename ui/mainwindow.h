#pragma once

#include "location.h"

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace Gatehouse::Ui {

class EngineClient;
struct EngineStatus;

// The console's main window: a sidebar of pages (Overview, Events, Read models, Streams,
// Routes, Functions, Projections, Simulation, MQTT), menus, and a status bar that always shows where the engine
// listens, the MQTT broker, the events in the log and the worst projection lag. Knows the
// engine only through an EngineClient. Window geometry and the last page are remembered.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    enum Page { Overview, Events, ReadModels, Streams, Routes, Functions, Projections, Simulation, Mqtt, PageCount };
    Q_ENUM(Page)

    explicit MainWindow(EngineClient *client, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(Page page);
    Page currentPage() const;
    QWidget *page(Page page) const;
    static QString pageTitle(Page page);

    qint64 displayedEventCount() const { return m_shownCount; }

    // Shows a page, or a thing on one, and remembers it for Back and Forward (Alt+Left/Right).
    void open(const Location &location);
    void goBack();
    void goForward();
    const NavigationHistory &history() const { return m_history; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void apply(const Location &location);
    void updateNavigation();
    void updateStatus(const EngineStatus &status);
    void updateConnection();
    void connectToEngine();
    void importProject();
    void exportProject(bool apisix);
    void about();

    EngineClient *m_client;
    QListWidget *m_sidebar = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_gateway = nullptr;
    QLabel *m_connection = nullptr;   // a remote engine: the link's state
    QLabel *m_stale = nullptr;        // a remote engine out of reach: what is shown may be old
    qint64 m_staleSinceMs = 0;
    QLabel *m_mqtt = nullptr;
    QLabel *m_events = nullptr;
    QLabel *m_lag = nullptr;
    qint64 m_shownCount = -1;
    NavigationHistory m_history;
    QAction *m_back = nullptr;
    QAction *m_forward = nullptr;
    bool m_applying = false;   // apply() switching pages: not a visit of its own
};

} // namespace Gatehouse::Ui
