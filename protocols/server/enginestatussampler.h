#pragma once

#include "metrics/metricsregistry.h"

#include <QJsonObject>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Server {

// What the console's status bar and overview show, sampled from a running engine as one JSON
// object: the log's head, the worst projection lag, MQTT, and the counters the pages turn into
// rates. The in-process console and the admin live channel (a remote console) send the same
// sample. Call sample() on the thread the engine and the MQTT service live on.
class EngineStatusSampler final
{
public:
    explicit EngineStatusSampler(Engine *engine, Mqtt::MqttService *mqtt = nullptr);

    void setMqtt(Mqtt::MqttService *mqtt) { m_mqtt = mqtt; }
    // Fields: sampled_at_ms, head_position, worst_lag_projection, worst_lag_events, worst_lag_ms,
    // projection_faults, mqtt_enabled, mqtt_connected, mqtt_broker, mqtt_outbox_position,
    // mqtt_outbox_lag, mqtt_in_flight, mqtt_commands_received, http_requests, http_errors,
    // http_rejected, http_p99_ms (since the previous sample), live_clients, mqtt_published,
    // function_invocations, function_errors, dead_letters.
    QJsonObject sample();

private:
    Engine *m_engine;
    Mqtt::MqttService *m_mqtt;
    MetricsRegistry::Histogram m_lastLatency;
};

} // namespace Gatehouse::Server
