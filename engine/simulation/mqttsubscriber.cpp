#include "mqttsubscriber.h"

#include "base/steadyclock.h"
#include "base/tcpnodelay.h"
#include "config/strictjson.h"
#include "lagtracker.h"
#include "simulationlogging.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <functional>

namespace Gatehouse::Simulation {

// Paho's answers to connect and subscribe, on Paho's thread: each only counts or queues.
class MqttSubscriber::Listener final : public mqtt::iaction_listener
{
public:
    std::function<void(bool ok, const QString &why)> done;
    void on_failure(const mqtt::token &token) override
    {
        done(false, QStringLiteral("Paho code %1, reason code %2").arg(token.get_return_code()).arg(int(token.get_reason_code())));
    }
    void on_success(const mqtt::token &) override { done(true, {}); }
};

struct MqttSubscriber::Paho
{
    std::unique_ptr<mqtt::async_client> client;
    MqttSubscriber::Listener connectListener;
    MqttSubscriber::Listener subscribeListener;
    std::atomic<int> subscriptionsLeft{0};
    std::atomic<bool> answered{false};
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

void MqttSubscriber::answer(const QString &error)
{
    if (m_paho->answered.exchange(true))
        return;
    QMetaObject::invokeMethod(this, [this, error] { Q_EMIT ready(error); }, Qt::QueuedConnection);
}

// Asynchronous from end to end: a run opens many subscribers, and each Paho connect takes its
// time; they all connect at once and the run waits for the slowest (SubscriberSet's limit).
void MqttSubscriber::open()
{
    const std::string uri = QStringLiteral("tcp://%1:%2").arg(m_host).arg(m_port).toStdString();
    const auto wait = std::chrono::milliseconds(kConnectTimeoutMs);
    Paho *paho = m_paho.get();
    paho->connectListener.done = [this](bool ok, const QString &why) {
        if (!ok)
            answer(QStringLiteral("MQTT subscriber: cannot connect to %1:%2 (%3)").arg(m_host).arg(m_port).arg(why));
    };
    paho->subscribeListener.done = [this, paho](bool ok, const QString &why) {
        if (!ok)
            answer(QStringLiteral("MQTT subscriber: the broker refused the subscription (%1)").arg(why));
        else if (--paho->subscriptionsLeft == 0)
            answer(QString());
    };
    try {
        paho->client = std::make_unique<mqtt::async_client>(uri, m_clientId.toStdString(), mqtt::create_options(MQTTVERSION_5));
        LagTracker *lag = m_lag;
        const int connection = m_connection;
        paho->client->set_message_callback([lag, connection](mqtt::const_message_ptr message) {
            const qint64 at = steadyNowNs();
            const std::string &payload = message->get_payload_str();
            const auto event = StrictJson::parseObject(QByteArrayView(payload.data(), qsizetype(payload.size())));
            const qint64 position = event ? event->value(QLatin1String("position")).toInteger(0) : 0;
            if (position > 0)
                lag->seen(connection, position, at);
        });
        // Subscribed on every connection: the first answers ready(); after a broker that came
        // back (the broker fault) the session may be gone, and subscribing again is harmless.
        // The session outlives the connection, so what was published meanwhile is kept.
        const QStringList filters = m_filters;
        const auto port = quint16(m_port);
        paho->client->set_connected_handler([this, paho, filters, port](const std::string &) {
            // Paho leaves Nagle on, and PUBACKs would wait (see TcpNoDelay); on this object's
            // thread, not Paho's.
            QMetaObject::invokeMethod(this, [port] { TcpNoDelay::disableOnSocketsTo(port); }, Qt::QueuedConnection);
            try {
                const bool first = !paho->answered;
                if (first)
                    paho->subscriptionsLeft = int(filters.size());
                for (const QString &filter : filters) {
                    if (first)
                        paho->client->subscribe(filter.toStdString(), 1, nullptr, paho->subscribeListener);
                    else
                        paho->client->subscribe(filter.toStdString(), 1);
                }
            } catch (const std::exception &) {
                // the connection went again; the next one subscribes
            }
        });
        mqtt::connect_options_builder options;
        options.mqtt_version(MQTTVERSION_5).clean_start(false).connect_timeout(wait)
            .properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 600)})
            .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(2));
        paho->client->connect(options.finalize(), nullptr, paho->connectListener);
    } catch (const std::exception &e) {
        answer(QStringLiteral("MQTT subscriber: %1").arg(QString::fromUtf8(e.what())));
    }
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
