#pragma once

#include "assembly/faultswitches.h"
#include "simulation/faultcontrol.h"

#include <QMutex>
#include <QSet>

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Server {

// What a simulation run against this process switches and samples (Simulation::FaultControl
// and Simulation::EngineProbe): the engine's faults through FaultSwitches, the managed MQTT
// broker through the MQTT service, and the process's CPU and memory. Build one over the
// running engine and MQTT service (the same ones the listener set serves), hand it to the run
// as RunEnvironment::faults and ::probe, and keep it until the run has ended:
//
//     Server::EngineFaults faults(&engine, &mqtt);
//     environment.faults = &faults;
//     environment.probe = &faults;
//
// Every function may be called from any thread. The broker lives on the MQTT service's thread:
// stopping or starting it runs there, and a call waits for it at most kBrokerWaitMs. It
// remembers what it switched on, and switchAllOff() (also run by the destructor) switches it off.
class EngineFaults final : public Simulation::FaultControl, public Simulation::EngineProbe
{
public:
    static constexpr int kBrokerWaitMs = 20000;

    explicit EngineFaults(const Engine *engine, Mqtt::MqttService *mqtt = nullptr);
    ~EngineFaults() override;
    EngineFaults(const EngineFaults &) = delete;
    EngineFaults &operator=(const EngineFaults &) = delete;

    QString setFunctionFault(const QString &function, double errorRate, qint64 latencyMs) override;
    QString setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch) override;
    QString setBrokerStopped(bool stopped) override;
    QString setCommitDelay(qint64 delayMs) override;
    QString setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &viaAddress) override;
    QStringList upstreamNodes(const QString &upstream) const override;

    // FaultControl's members, and: "mqtt_outbox_lag" (events the broker has not acknowledged,
    // when MQTT runs), "mqtt_connected", "broker_running" (managed broker only).
    QJsonObject sample() override;

    void switchAllOff();

private:
    struct Switched;
    FaultSwitches m_switches;
    Mqtt::MqttService *m_mqtt;
    mutable QMutex m_mutex;
    std::unique_ptr<Switched> m_on;   // guarded by m_mutex
    qint64 m_lastCpuUs = 0;           // guarded by m_mutex
    qint64 m_lastWallUs = 0;
};

} // namespace Gatehouse::Server
