#pragma once

#include <QJsonObject>
#include <QWidget>

#include <functional>

class QLabel;
class QListWidget;
class QPushButton;
class QTabWidget;
class QTimer;

namespace Gatehouse::Ui {

class EngineClient;
class RunComparisonView;
class RunHistoryPanel;
class RunView;
class ScenarioEditor;
class SimulationRunWatcher;

// The Simulation page: the engine's stored scenarios (new, duplicate, delete), the selected
// one in the scenario editor (form and JSON; the engine validates it on save and its errors
// are shown at their fields), Start and Stop, the running scenario's live charts and
// thresholds (GET /admin/runs/{id} once a second, never waited on), the run history with a
// run's report, export and a side-by-side comparison of two runs. Everything goes through the
// client's admin API calls, so the page works the same against a remote engine. GUI thread.
class SimulationPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulationPage)

public:
    enum Tab { ScenarioTab, RunTab, HistoryTab, CompareTab };
    static constexpr int kHistoryRefreshMs = 5000;

    explicit SimulationPage(EngineClient *client, QWidget *parent = nullptr);
    ~SimulationPage() override;

    void refresh();                        // scenarios and history
    void selectScenario(const QString &name);
    void newScenario();
    void duplicateScenario();
    void deleteScenario();                 // asks first
    void save();
    void start();                          // saves first when the editor has changes
    void stop();

    QString currentScenario() const { return m_current; }
    QString liveRunId() const;
    QString message() const;
    QListWidget *scenarioList() const { return m_list; }
    ScenarioEditor *editor() const { return m_editor; }
    RunView *liveView() const { return m_live; }
    RunHistoryPanel *history() const { return m_history; }
    RunComparisonView *comparison() const { return m_compare; }
    QTabWidget *tabs() const { return m_tabs; }

Q_SIGNALS:
    void runEnded(const QString &id, const QString &state);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void refreshScenarios();
    void loadScenario(const QString &name);
    void saveThen(const std::function<void(bool saved)> &next);
    void run(const QString &name);
    void watch(const QString &runId, const QJsonObject &first);
    void runEnding(const QString &id, const QString &state);
    void setMessage(const QString &text, bool error = false);
    void updateButtons();
    QString uniqueName(const QString &base) const;

    EngineClient *m_client;
    QListWidget *m_list = nullptr;
    ScenarioEditor *m_editor = nullptr;
    QTabWidget *m_tabs = nullptr;
    RunView *m_live = nullptr;
    RunHistoryPanel *m_history = nullptr;
    RunComparisonView *m_compare = nullptr;
    QPushButton *m_duplicate = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_stop = nullptr;
    QLabel *m_message = nullptr;
    SimulationRunWatcher *m_watcher;
    QTimer *m_historyTimer = nullptr;
    QString m_current;          // the stored scenario in the editor (empty: a new one)
    bool m_starting = false;
    bool m_listInFlight = false;
    bool m_listAgain = false;
};

} // namespace Gatehouse::Ui
