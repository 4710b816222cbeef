#pragma once

#include "runstore.h"
#include "scenariostore.h"
#include "simulationrun.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QThread>
#include <QWaitCondition>

#include <memory>
#include <optional>

namespace Gatehouse {
class CollectionCatalog;
class ConfigStore;
}

namespace Gatehouse::Simulation {

// The simulations of one engine: its stored scenarios, the run in progress (one at a time:
// two runs would measure each other) and the reports of past runs (simulation.db). The admin
// API, the console and `gatehouse simulate` all go through it. Thread-safe: callers may be the
// admin listener's network thread or the GUI thread; runs are driven from a control thread of
// the service's own, their load from the run's own threads, so neither the engine's network
// threads nor the console ever wait on a run.
class SimulationService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulationService)

public:
    struct StartResult
    {
        int status = 201;          // 201 started, 400 bad scenario/overrides, 404 no such scenario, 409 a run is running, 503 not ready
        QString runId;
        QJsonObject run;           // the run's first snapshot
        QStringList errors;        // 400: "<pointer>: <message>"
        QString detail;
    };

    SimulationService(ConfigStore *config, const CollectionCatalog *collections, QObject *parent = nullptr);
    ~SimulationService() override;   // stops a run in progress and keeps what it measured

    // Opens simulation.db (finishing runs an earlier stop cut short) and stores the example
    // scenarios the first time.
    bool open(const QString &runsDatabasePath, QString *error);

    ScenarioStore &scenarios() { return m_scenarios; }
    const ScenarioStore &scenarios() const { return m_scenarios; }

    // Where runs send their load and which engine hooks they may use; set by whoever knows
    // the listeners' addresses once they listen. Until then a run of "this engine" is refused.
    void setEnvironment(const RunEnvironment &environment);
    RunEnvironment environment() const;

    // Runs a stored scenario. `overrides` may replace "target", "seed" and "duration" for this
    // run only (POST /admin/scenarios/{name}/run's body).
    StartResult startStored(const QString &name, const QJsonObject &overrides = {});
    // Runs a scenario document that need not be stored (`gatehouse simulate FILE`).
    StartResult startDocument(const QJsonObject &document, const QString &name);

    QJsonArray runs() const;                                 // newest first, summaries
    std::optional<QJsonObject> run(const QString &id) const; // live while running, else the report
    QString activeRunId() const;
    int stop(const QString &id);                             // 202 stopping, 404, 409 already ended
    // Ends the run as failed with `reason` (the engine cut it short): as stop() otherwise.
    int abort(const QString &id, const QString &reason);
    static QString engineStoppedReason() { return RunStore::engineStoppedReason(); }
    int removeRun(const QString &id);                        // 204, 404, 409 still running
    // Waits until the active run (if any) has ended and its end was handled (report stored,
    // setup taken back), at most `timeoutMs`.
    bool waitForIdle(int timeoutMs);

    static QJsonObject applyOverrides(QJsonObject definition, const QJsonObject &overrides, QStringList *errors);

Q_SIGNALS:
    void runStarted(const QString &id);
    void runSampled(const QString &id, const QJsonObject &sample);
    void runFinished(const QString &id, const QJsonObject &report);

private:
    StartResult startScenario(Scenario scenario);
    void onSampled(const QString &id, const QJsonObject &sample);
    void onFinished(const QString &id, const QJsonObject &report);

    ScenarioStore m_scenarios;
    RunStore m_runs;
    ConfigStore *m_config;
    const CollectionCatalog *m_collections;
    QThread m_control;                     // runs live here (their timers, their signals)
    mutable QMutex m_mutex;
    static constexpr int kEndHandledWaitMs = 5000;
    RunEnvironment m_environment;
    bool m_environmentSet = false;
    SimulationRun *m_active = nullptr;     // lives on m_control; deleted there once finished
    ScenarioSetup *m_appliedSetup = nullptr;   // the active run's setup, reverted when it ends
    QString m_activeId;
    bool m_activeDone = true;              // the active run's end has been handled (stored, setup reverted)
    bool m_activeStored = true;            // ... and its report is in simulation.db (else it is served from memory)
    QWaitCondition m_activeDoneChanged;    // with m_mutex
    int m_samplesSinceSave = 0;
};

} // namespace Gatehouse::Simulation
