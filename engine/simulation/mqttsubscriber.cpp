#include "mqttsubscriber.h"

#include "base/steadyclock.h"
#include "config/strictjson.h"
#include "lagtracker.h"
#include "simulationlogging.h"

#include <mqtt/async_client.h>

namespace Gatehouse::Simulation {

struct MqttSubscriber::Paho
{
    std::unique_ptr<mqtt::async_client> client;
};

MqttSubscriber::MqttSubscriber(QString host, int port, QString clientId, QString topic, QStringList collections,
                               LagTracker *lag, int connection, QObject *parent)
    : QObject(parent)
    , m_paho(std::make_unique<Paho>())
    , m_host(std::move(host))
    , m_port(port)
    , m_clientId(std::move(clientId))
    , m_lag(lag)
    , m_connection(connection)
{
    if (!topic.isEmpty())
        m_filters.append(topic);
    else if (collections.isEmpty())
        m_filters.append(QStringLiteral("gatehouse/events/#"));
    for (const QString &c : std::as_const(collections)) {
        if (topic.isEmpty())
            m_filters.append(QStringLiteral("gatehouse/events/") + c + QStringLiteral("/#"));
    }
}

MqttSubscriber::~MqttSubscriber()
{
    close();
}

void MqttSubscriber::open()
{
    const std::string uri = QStringLiteral("tcp://%1:%2").arg(m_host).arg(m_port).toStdString();
    const auto wait = std::chrono::milliseconds(kConnectTimeoutMs);
    try {
        m_paho->client = std::make_unique<mqtt::async_client>(uri, m_clientId.toStdString(), mqtt::create_options(MQTTVERSION_5));
        LagTracker *lag = m_lag;
        const int connection = m_connection;
        m_paho->client->set_message_callback([lag, connection](mqtt::const_message_ptr message) {
            const qint64 at = steadyNowNs();
            const std::string &payload = message->get_payload_str();
            const auto event = StrictJson::parseObject(QByteArrayView(payload.data(), qsizetype(payload.size())));
            const qint64 position = event ? event->value(QLatin1String("position")).toInteger(0) : 0;
            if (position > 0)
                lag->seen(connection, position, at);
        });
        // A broker that comes back (the broker fault) may have forgotten the subscriptions: a
        // session that outlives the connection keeps what was published meanwhile, and every
        // reconnect subscribes again (idempotent) in case the broker lost the session.
        mqtt::async_client *client = m_paho->client.get();
        const QStringList filters = m_filters;
        client->set_connected_handler([client, filters](const std::string &) {
            try {
                for (const QString &filter : filters)
                    client->subscribe(filter.toStdString(), 1);
            } catch (const std::exception &) {
                // the connection went again; the next reconnect tries again
            }
        });
        mqtt::connect_options_builder options;
        options.mqtt_version(MQTTVERSION_5).clean_start(false).connect_timeout(wait)
            .properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 600)})
            .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(2));
        if (!m_paho->client->connect(options.finalize())->wait_for(wait + std::chrono::seconds(1))) {
            Q_EMIT ready(QStringLiteral("MQTT subscriber: broker %1:%2 did not answer").arg(m_host).arg(m_port));
            return;
        }
        for (const QString &filter : std::as_const(m_filters)) {
            if (!m_paho->client->subscribe(filter.toStdString(), 1)->wait_for(wait)) {
                Q_EMIT ready(QStringLiteral("MQTT subscriber: no SUBACK for %1").arg(filter));
                return;
            }
        }
    } catch (const std::exception &e) {
        Q_EMIT ready(QStringLiteral("MQTT subscriber: %1").arg(QString::fromUtf8(e.what())));
        return;
    }
    Q_EMIT ready(QString());
}

void MqttSubscriber::close()
{
    if (!m_paho->client)
        return;
    try {
        // Session expiry 0: the broker forgets this run's session now.
        if (m_paho->client->is_connected()) {
            mqtt::disconnect_options_builder options;
            options.timeout(std::chrono::seconds(1)).properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 0)});
            m_paho->client->disconnect(options.finalize())->wait_for(std::chrono::seconds(3));
        }
    } catch (const std::exception &e) {
        qCDebug(lcSimulation) << "MQTT subscriber: disconnect:" << e.what();
    }
    m_paho->client.reset();
}

} // namespace Gatehouse::Simulation
