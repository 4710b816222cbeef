#include "enginestatussampler.h"

#include "assembly/engine.h"
#include "mqtt/mqttservice.h"
#include "projections/projectionrunner.h"
#include "store/eventstore.h"

#include <QDateTime>

namespace Gatehouse::Server {

EngineStatusSampler::EngineStatusSampler(Engine *engine, Mqtt::MqttService *mqtt)
    : m_engine(engine)
    , m_mqtt(mqtt)
{
}

QJsonObject EngineStatusSampler::sample()
{
    QJsonObject s;
    s.insert(QStringLiteral("sampled_at_ms"), QDateTime::currentMSecsSinceEpoch());
    if (EventStore *store = m_engine->eventStore())
        s.insert(QStringLiteral("head_position"), store->headPosition());
    QString worst;
    qint64 worstEvents = 0;
    qint64 worstMs = 0;
    int faults = 0;
    for (ProjectionRunner *runner : m_engine->projections()) {
        const ProjectionRunner::Stats st = runner->stats();
        if (!st.error.isEmpty())
            ++faults;
        if (st.lagEvents > worstEvents || (st.lagEvents == worstEvents && st.lagMs > worstMs)) {
            worstEvents = st.lagEvents;
            worstMs = st.lagMs;
            worst = runner->name();
        }
    }
    s.insert(QStringLiteral("worst_lag_projection"), worstEvents == 0 ? QString() : worst);
    s.insert(QStringLiteral("worst_lag_events"), worstEvents);
    s.insert(QStringLiteral("worst_lag_ms"), worstMs);
    s.insert(QStringLiteral("projection_faults"), faults);
    if (m_mqtt) {
        const Mqtt::MqttStatus ms = m_mqtt->status();
        s.insert(QStringLiteral("mqtt_enabled"), ms.enabled);
        s.insert(QStringLiteral("mqtt_connected"), ms.connected);
        s.insert(QStringLiteral("mqtt_broker"), ms.enabled ? ms.brokerUrl : (ms.lastError.isEmpty() ? QStringLiteral("off") : ms.lastError));
        s.insert(QStringLiteral("mqtt_outbox_position"), ms.outboxPosition);
        s.insert(QStringLiteral("mqtt_outbox_lag"), ms.outboxLag());
        s.insert(QStringLiteral("mqtt_in_flight"), ms.outboxInFlight);
        s.insert(QStringLiteral("mqtt_commands_received"), qint64(ms.commandsReceived));
    } else {
        s.insert(QStringLiteral("mqtt_enabled"), false);
        s.insert(QStringLiteral("mqtt_broker"), QStringLiteral("off"));
    }
    if (MetricsRegistry *m = m_engine->metrics()) {
        m->collect();   // lag, breaker and function figures are gathered on demand
        s.insert(QStringLiteral("http_requests"), m->total("gatehouse_http_requests_total"));
        s.insert(QStringLiteral("http_errors"), m->total("gatehouse_http_requests_total", "status=\"5"));
        s.insert(QStringLiteral("http_rejected"), m->total("gatehouse_plugin_rejections_total"));
        s.insert(QStringLiteral("live_clients"), m->total("gatehouse_live_clients"));
        s.insert(QStringLiteral("mqtt_published"), m->total("gatehouse_mqtt_published_total"));
        s.insert(QStringLiteral("function_invocations"), m->total("gatehouse_function_invocations_total"));
        s.insert(QStringLiteral("function_errors"), m->total("gatehouse_function_errors_total"));
        s.insert(QStringLiteral("dead_letters"), qint64(m->total("gatehouse_function_dead_letters")));
        const MetricsRegistry::Histogram latency = m->histogram("gatehouse_http_request_duration_seconds");
        s.insert(QStringLiteral("http_p99_ms"), MetricsRegistry::quantile(latency, m_lastLatency, 0.99) * 1000.0);
        m_lastLatency = latency;
    }
    return s;
}

} // namespace Gatehouse::Server
