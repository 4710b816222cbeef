#pragma once

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Server {

class Listeners;

// Hands a running engine's simulations what a run of "this engine" needs from outside the
// engine: the gateway's address to send load to, the MQTT broker for MQTT subscribers and
// commands, and the engine's fault hooks. Attach once the listeners (and MQTT) are up; detach
// before shutting them down, which ends a run in progress with every fault switched off while
// everything it touched is still running. Lives on the thread that starts the engine.
class SimulationHost final
{
public:
    SimulationHost();
    ~SimulationHost();
    SimulationHost(const SimulationHost &) = delete;
    SimulationHost &operator=(const SimulationHost &) = delete;

    void attach(Engine *engine, const Listeners &listeners, Mqtt::MqttService *mqtt);
    void detach();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Server
