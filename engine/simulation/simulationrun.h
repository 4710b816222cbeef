#pragma once

#include "scenario.h"

#include <QJsonObject>
#include <QSslCertificate>

#include <functional>
#include <QObject>

#include <memory>

namespace Gatehouse {
class CollectionCatalog;
}

namespace Gatehouse::Simulation {

class EngineProbe;
class FaultControl;
class ScenarioSetup;

// What a run needs from where it runs.
struct RunEnvironment
{
    QString gatewayUrl;            // "http://127.0.0.1:port": used when the scenario names no target
    // Over TLS: the gateway's own certificate (chain) as it is when a run starts (a reload may
    // have replaced it), trusted for that gateway; and a name it holds when gatewayUrl's host is
    // not one (empty: verify the host itself).
    std::function<QList<QSslCertificate>()> gatewayCertificates;
    QString gatewayPeerName;
    QString mqttHost;              // the broker MQTT subscribers and commands use (empty: none)
    int mqttPort = 0;
    FaultControl *faults = nullptr;        // null: engine faults are refused (run fails to start)
    EngineProbe *probe = nullptr;          // null: no engine-side samples
    ScenarioSetup *setup = nullptr;        // null: a scenario with "setup" is refused
    const CollectionCatalog *collections = nullptr;   // schemas for generated documents
    qint64 configVersion = 0;
    QString engineVersion;
};

// One run of a scenario: the load generator on threads of its own (never the caller's), the
// faults on their schedule, a sample every second and the report at the end. Start it, watch
// it through snapshot() or the signals, stop it early if need be; whatever ends it (the
// duration, stop(), a target that does not answer) switches every fault off and keeps what was
// measured.
//
// snapshot() and report JSON (README, "Simulation", documents every member):
// {"id", "scenario", "definition" (the scenario's JSON as the run read it), "seed", "target", "config_version", "engine_version",
//  "state": "running" | "finished" | "stopped" | "failed", "reason",
//  "started_at", "ended_at" (ISO 8601 UTC), "elapsed_ms", "duration_ms",
//  "operations": {"<workload>/<op>": {"workload", "op", "kind", "requests", "failed",
//       "intended", "started", "iterations", "interrupted", "intended_rate", "achieved_rate",
//       "dropped", "stale" (read_after_write), "status": {"202": n, ...}, "errors": {"<kind>": n},
//       "latency_ms": {"p50", "p90", "p99", "p99.9", "max", "mean", "min"},
//       "histogram": [[upper_bound_ms, count], ...]}},
//  "totals": {"requests", "failed", "intended", "dropped", "iterations", "interrupted"},
//  "consistency_lag": {"get" | "websocket" | "sse" | "mqtt": {"samples", "missing",
//       "stale" (get), "latency_ms": {...}, "histogram": [...]}},
//  "thresholds": [{"metric": key, "expression", "value", "pass"}],
//  "faults": [{"kind", "at_ms", "for_ms", "applied", "error", "on_ms", "off_ms", ...the fault's members}],
//  "series": [{"t_ms", "intended_rate", "achieved_rate", "requests", "p50_ms", "p99_ms", "lag_p99_ms",
//              "errors", "dropped", "active_vus", "faults": [kinds on], "engine": {...EngineProbe::sample()}}],
//  "passed": bool (every threshold holds; true when there are none; false while running and
//              when the run failed)}
// Before start() the snapshot is {"id", "scenario", "state": "created"}. The signals are
// emitted on the run's own controller thread: connect with an automatic or queued connection
// (or a direct one that only hands the figures on).
class SimulationRun : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimulationRun)

public:
    SimulationRun(QString id, Scenario scenario, RunEnvironment environment, QObject *parent = nullptr);
    ~SimulationRun() override;   // stops the run and waits for its threads

    QString id() const;
    const Scenario &scenario() const;

    void start();                  // returns at once
    void stop();                   // ends early (state "stopped"); returns at once
    void fail(const QString &reason);   // ends early (state "failed", with the reason); returns at once
    bool isFinished() const;
    QJsonObject snapshot() const;  // thread-safe; live figures while running, the report after

Q_SIGNALS:
    void sampled(const QJsonObject &sample);   // one entry of "series", about once a second
    void finished(const QJsonObject &report);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Simulation
