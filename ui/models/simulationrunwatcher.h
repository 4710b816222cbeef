#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>

class QTimer;

namespace Gatehouse::Ui {

class EngineClient;

// Follows one simulation run: GET /admin/runs/{id} every kPollMs while it runs (never two
// requests at once: a slow engine makes it skip a beat, not pile up calls), each answer as
// snapshot(), and ended() once the run is no longer running (its report is the last snapshot)
// or is gone. Stop asks the engine to end the run early. GUI thread only.
class SimulationRunWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulationRunWatcher)

public:
    static constexpr int kPollMs = 1000;

    explicit SimulationRunWatcher(EngineClient *client, QObject *parent = nullptr);
    ~SimulationRunWatcher() override;

    void watch(const QString &runId);   // polls at once, then every kPollMs
    void stop();                        // POST /admin/runs/{id}/stop, then polls
    QString runId() const { return m_id; }
    bool isWatching() const { return !m_id.isEmpty(); }

Q_SIGNALS:
    void snapshot(const QJsonObject &run);
    void ended(const QString &runId, const QString &state);
    void failed(const QString &message);

private:
    void poll();
    void finish(const QString &state);

    EngineClient *m_client;
    QTimer *m_timer = nullptr;
    QString m_id;
    bool m_inFlight = false;
};

} // namespace Gatehouse::Ui
