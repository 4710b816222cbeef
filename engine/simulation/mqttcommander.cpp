#include "mqttcommander.h"

#include "base/steadyclock.h"
#include "base/tcpnodelay.h"
#include "config/strictjson.h"
#include "simulationlogging.h"

#include <mqtt/async_client.h>

namespace Gatehouse::Simulation {

struct MqttCommander::Paho
{
    std::unique_ptr<mqtt::async_client> client;
};

MqttCommander::MqttCommander(QString host, int port, QString clientId, QObject *parent)
    : QObject(parent)
    , m_paho(std::make_unique<Paho>())
    , m_host(std::move(host))
    , m_port(port)
    , m_clientId(std::move(clientId))
    , m_replyTopic(QStringLiteral("gatehouse-sim/replies/") + m_clientId)
{
    m_sweep.setInterval(500);
    connect(&m_sweep, &QTimer::timeout, this, &MqttCommander::sweep);
}

MqttCommander::~MqttCommander()
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
        qCDebug(lcSimulation) << "mqtt command client: disconnect:" << e.what();
    }
    m_paho->client.reset();   // no callback runs after this
}

bool MqttCommander::connectNow(QString *error)
{
    const std::string uri = QStringLiteral("tcp://%1:%2").arg(m_host).arg(m_port).toStdString();
    try {
        // Commands sent while the broker is away wait in Paho's buffer and go out once it is
        // back, as a client with offline buffering would send them; their latency includes the
        // wait, and one not answered within kReplyTimeoutMs is a timeout.
        m_paho->client = std::make_unique<mqtt::async_client>(uri, m_clientId.toStdString(),
                                                              mqtt::create_options(MQTTVERSION_5, kMaxBufferedCommands));
        m_paho->client->set_message_callback([this](mqtt::const_message_ptr message) {
            const qint64 at = steadyNowNs();
            const mqtt::properties &p = message->get_properties();
            quint64 correlation = 0;
            if (p.contains(mqtt::property::CORRELATION_DATA))
                correlation = QByteArray::fromStdString(mqtt::get<std::string>(p, mqtt::property::CORRELATION_DATA)).toULongLong();
            int status = 0;
            for (size_t i = 0; i < p.count(mqtt::property::USER_PROPERTY); ++i) {
                const auto [name, value] = mqtt::get<mqtt::string_pair>(p, mqtt::property::USER_PROPERTY, i);
                if (name == "status")
                    status = QByteArray::fromStdString(value).toInt();
            }
            const QByteArray body = QByteArray::fromStdString(message->get_payload_str());
            QMetaObject::invokeMethod(this, [this, correlation, status, body, at] { onReply(correlation, status, body, at); },
                                      Qt::QueuedConnection);
        });
        // A broker that went away (the broker fault) is reconnected to; the session (and its
        // reply subscription) outlives the connection, and the reply topic is subscribed again
        // in case the broker lost it.
        mqtt::async_client *client = m_paho->client.get();
        const std::string replyTopic = m_replyTopic.toStdString();
        const auto port = quint16(m_port);
        m_paho->client->set_connected_handler([this, client, replyTopic, port](const std::string &) {
            // Paho leaves Nagle on, and commands would wait (see TcpNoDelay); on this object's
            // thread, not Paho's.
            QMetaObject::invokeMethod(this, [port] { TcpNoDelay::disableOnSocketsTo(port); }, Qt::QueuedConnection);
            try {
                client->subscribe(replyTopic, 1);
            } catch (const std::exception &) {
                // gone again; the next connection subscribes
            }
        });
        mqtt::connect_options_builder options;
        options.mqtt_version(MQTTVERSION_5).clean_start(false).connect_timeout(std::chrono::milliseconds(kConnectTimeoutMs))
            .properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 600)})
            .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(2));
        if (!m_paho->client->connect(options.finalize())->wait_for(std::chrono::milliseconds(kConnectTimeoutMs + 1000))) {
            *error = QStringLiteral("MQTT broker %1:%2 did not answer within %3 ms").arg(m_host).arg(m_port).arg(kConnectTimeoutMs);
            return false;
        }
        if (!m_paho->client->subscribe(m_replyTopic.toStdString(), 1)->wait_for(std::chrono::milliseconds(kConnectTimeoutMs))) {
            *error = QStringLiteral("MQTT broker %1:%2 did not confirm the reply subscription").arg(m_host).arg(m_port);
            return false;
        }
    } catch (const std::exception &e) {
        *error = QStringLiteral("cannot connect to the MQTT broker %1:%2: %3").arg(m_host).arg(m_port).arg(QString::fromUtf8(e.what()));
        return false;
    }
    m_sweep.start();
    return true;
}

void MqttCommander::send(const QString &collection, const QByteArray &payload, const void *owner, Callback done)
{
    const quint64 correlation = m_nextCorrelation++;
    const qint64 now = steadyNowNs();
    try {
        auto message = mqtt::make_message("gatehouse/commands/" + collection.toStdString() + "/create",
                                          payload.constData(), size_t(payload.size()), 1, false);
        mqtt::properties properties;
        properties.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, m_replyTopic.toStdString()));
        properties.add(mqtt::property(mqtt::property::CORRELATION_DATA, std::to_string(correlation)));
        message->set_properties(std::move(properties));
        m_paho->client->publish(message);
    } catch (const std::exception &e) {
        qCDebug(lcSimulation) << "mqtt command: publish failed:" << e.what();
        Reply reply;
        reply.error = LoadError::Mqtt;
        reply.doneNs = steadyNowNs();
        // Never from inside send(): the caller's bookkeeping comes first.
        QMetaObject::invokeMethod(this, [done = std::move(done), reply] { done(reply); }, Qt::QueuedConnection);
        return;
    }
    m_pending.insert(correlation, Pending{std::move(done), now, owner});
}

void MqttCommander::onReply(quint64 correlation, int status, const QByteArray &body, qint64 atNs)
{
    const auto it = m_pending.find(correlation);
    if (it == m_pending.end())
        return;   // timed out already, or not ours
    Callback done = std::move(it->done);
    m_pending.erase(it);
    Reply reply;
    reply.status = status;
    reply.doneNs = atNs;
    if (status == 0)
        reply.error = LoadError::BadResponse;
    if (const auto json = StrictJson::parseObject(body); json && status == 202)
        reply.position = json->value(QLatin1String("position")).toInteger(0);
    done(reply);
}

void MqttCommander::abort(const void *owner)
{
    QList<Pending> ended;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (!owner || it->owner == owner) {
            ended.append(std::move(*it));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    for (const Pending &p : std::as_const(ended)) {
        Reply reply;
        reply.error = LoadError::Interrupted;
        reply.doneNs = steadyNowNs();
        p.done(reply);
    }
}

void MqttCommander::sweep()
{
    const qint64 horizon = steadyNowNs() - qint64(kReplyTimeoutMs) * 1000 * 1000;
    QList<Callback> expired;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->sentNs < horizon) {
            expired.append(std::move(it->done));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    for (const Callback &done : expired) {
        Reply reply;
        reply.error = LoadError::Timeout;
        reply.doneNs = steadyNowNs();
        done(reply);
    }
}

} // namespace Gatehouse::Simulation
