#include "mqttbridge.h"

#include "base/tcpnodelay.h"
#include "metrics/metricsregistry.h"
#include "mqttcommandingress.h"
#include "mqttlogging.h"
#include "mqttoutbox.h"
#include "mqttretainedstate.h"
#include "mqtttopics.h"

#include <QCryptographicHash>
#include <QDir>

#include <mqtt/async_client.h>

#include <algorithm>
#include <chrono>

namespace Gatehouse::Mqtt {

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kStopPublishWait = std::chrono::seconds(2);
constexpr auto kDisconnectTimeout = std::chrono::seconds(1);
constexpr auto kDisconnectWait = std::chrono::seconds(3);

std::string stdString(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    return std::string(utf8.constData(), size_t(utf8.size()));
}

// What the broker may send us at most: room for a command over the limit to be answered 413
// (and for its topic and properties), within bounds the engine can hold.
int maximumPacketSize(qint64 maxCommandBytes)
{
    return int(std::clamp<qint64>(2 * std::min<qint64>(maxCommandBytes, 256 << 20) + 64 * 1024, 16 << 20, 256 << 20));
}

bool isTlsUrl(const QString &url)
{
    return url.startsWith(QLatin1String("ssl://")) || url.startsWith(QLatin1String("mqtts://"));
}

} // namespace

// Paho's answer to each connect attempt, on Paho's thread: only queues a note to the bridge.
class MqttBridge::ConnectListener final : public mqtt::iaction_listener
{
public:
    explicit ConnectListener(MqttBridge *bridge) : m_bridge(bridge) {}

    void on_success(const mqtt::token &) override {}
    void on_failure(const mqtt::token &token) override
    {
        const QString error = QStringLiteral("cannot connect (Paho code %1, reason code %2); retrying")
                                  .arg(token.get_return_code())
                                  .arg(int(token.get_reason_code()));
        QMetaObject::invokeMethod(m_bridge, [bridge = m_bridge, error] { bridge->setLastError(error); }, Qt::QueuedConnection);
    }

private:
    MqttBridge *m_bridge;
};

MqttBridge::MqttBridge(const Services &services, const MqttOptions &options, const QString &brokerUrl, QObject *parent)
    : QObject(parent)
    , m_services(services)
    , m_options(options)
    , m_brokerUrl(brokerUrl)
    , m_clientId(options.clientId.isEmpty() ? defaultClientId(services.dataDir) : options.clientId)
    , m_connectListener(std::make_unique<ConnectListener>(this))
{
    MqttOutbox::Options outbox;
    outbox.checkpointPath = QDir(services.dataDir).filePath(QStringLiteral("mqtt/outbox.checkpoint"));
    outbox.topicPrefix = options.topicPrefix;
    outbox.window = qMax(1, options.outboxWindow);
    outbox.pageSize = qMax(1, options.outboxPageSize);
    outbox.readCheckpoint = services.readOutboxCheckpoint;
    outbox.writeCheckpoint = services.writeOutboxCheckpoint;
    outbox.active = services.outboxActive;
    m_outbox = new MqttOutbox(services.store, outbox, this);
    m_retained = new MqttRetainedState(options.topicPrefix, qMax(1, options.retainedWindow), this);
    m_ingress = new MqttCommandIngress(services.gateway, services.metrics, options.topicPrefix, options.maxPendingReplies,
                                       options.maxWaitingCommands, options.maxCommandBytes, this);
    connect(m_outbox, &MqttOutbox::progressed, this, &MqttBridge::refreshStatus);
    connect(m_retained, &MqttRetainedState::progressed, this, &MqttBridge::refreshStatus);

    m_status.enabled = true;
    m_status.brokerUrl = brokerUrl;
    m_status.clientId = m_clientId;
    refreshStatus();
}

MqttBridge::~MqttBridge()
{
    stop();
}

QString MqttBridge::defaultClientId(const QString &dataDir)
{
    // Stable per data directory, so the broker session (and its queued commands) survives restarts.
    const QByteArray path = QDir(dataDir).absolutePath().toUtf8();
    return QStringLiteral("gatehouse-") + QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Sha1).toHex().left(12));
}

void MqttBridge::describeMetrics(MetricsRegistry *metrics)
{
    using Type = MetricsRegistry::Type;
    metrics->describe("gatehouse_mqtt_connected", Type::Gauge, "1 while the MQTT bridge is connected to its broker");
    metrics->describe("gatehouse_mqtt_outbox_position", Type::Gauge, "Last event position the MQTT broker acknowledged (outbox checkpoint)");
    metrics->describe("gatehouse_mqtt_outbox_lag", Type::Gauge, "Committed events not yet acknowledged by the MQTT broker");
    metrics->describe("gatehouse_mqtt_published_total", Type::Counter, "MQTT publishes by kind: event and readmodel acknowledged by the broker, reply sent");
    metrics->describe("gatehouse_mqtt_commands_total", Type::Counter, "Commands received over MQTT, by answer status");
    metrics->describe("gatehouse_mqtt_broker_restarts_total", Type::Counter, "Restarts of the managed mosquitto after it died");
}

bool MqttBridge::start(QString *error)
{
    if (m_client)
        return true;
    mqtt::create_options create(MQTTVERSION_5);
    // Paho counts every publish queued behind the broker's receive maximum against this limit,
    // including those of before a reconnect it still holds; beyond it a publish is tried again.
    create.set_max_buffered_messages(2 * (m_options.outboxWindow + m_options.retainedWindow + m_options.maxPendingReplies) + 100);
    try {
        m_client = std::make_unique<mqtt::async_client>(stdString(m_brokerUrl), stdString(m_clientId), create,
                                                        static_cast<mqtt::iclient_persistence *>(nullptr));
    } catch (const std::exception &e) {
        *error = QStringLiteral("cannot use the MQTT broker URL '%1': %2").arg(m_brokerUrl, QString::fromUtf8(e.what()));
        QMutexLocker lock(&m_statusMutex);
        m_status.lastError = *error;
        return false;
    }
    // Paho threads: queue and return, never block.
    m_client->set_connected_handler([this](const std::string &) {
        QMetaObject::invokeMethod(this, [this] { connected(); }, Qt::QueuedConnection);
    });
    m_client->set_connection_lost_handler([this](const std::string &cause) {
        const QString text = QString::fromStdString(cause);
        QMetaObject::invokeMethod(this, [this, text] { connectionLost(text); }, Qt::QueuedConnection);
    });
    m_client->set_disconnected_handler([this](const mqtt::properties &, mqtt::ReasonCode reason) {
        const QString text = QStringLiteral("the broker disconnected us (reason code %1)").arg(int(reason));
        QMetaObject::invokeMethod(this, [this, text] { connectionLost(text); }, Qt::QueuedConnection);
    });
    m_client->set_message_callback([this](mqtt::const_message_ptr message) {
        QMetaObject::invokeMethod(this, [this, message] { messageArrived(message); }, Qt::QueuedConnection);
    });
    m_outbox->attach(m_client.get());
    m_retained->attach(m_client.get());
    m_ingress->attach(m_client.get());

    const std::string status = stdString(MqttTopics::statusTopic(m_options.topicPrefix));
    mqtt::connect_options_builder options;
    options.mqtt_version(MQTTVERSION_5)
        .clean_start(false)
        .properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, m_options.sessionExpirySeconds),
                     // Commands past the size limit are answered 413 up to this size; the broker
                     // drops larger packets for this client rather than make it hold them.
                     mqtt::property(mqtt::property::MAXIMUM_PACKET_SIZE, maximumPacketSize(m_options.maxCommandBytes))})
        .keep_alive_interval(std::chrono::seconds(m_options.keepAliveSeconds))
        .connect_timeout(kConnectTimeout)
        .automatic_reconnect(std::chrono::seconds(m_options.reconnectMinSeconds), std::chrono::seconds(m_options.reconnectMaxSeconds))
        .will(mqtt::message(status, "offline", 7, 1, true));
    if (isTlsUrl(m_brokerUrl))
        options.ssl(mqtt::ssl_options());   // the system's trust store
    try {
        m_client->connect(options.finalize(), nullptr, *m_connectListener);
    } catch (const std::exception &e) {
        *error = QStringLiteral("cannot connect to MQTT broker %1: %2").arg(m_brokerUrl, QString::fromUtf8(e.what()));
        {
            QMutexLocker lock(&m_statusMutex);
            m_status.lastError = *error;
        }
        m_outbox->attach(nullptr);
        m_retained->attach(nullptr);
        m_ingress->attach(nullptr);
        m_client.reset();
        return false;
    }
    qCInfo(lcMqtt) << "connecting to" << m_brokerUrl << "as" << m_clientId;
    return true;
}

void MqttBridge::stop()
{
    if (!m_client)
        return;
    m_stopping = true;
    const bool wasConnected = m_connected;
    if (m_connected) {
        try {
            // The will fires only on an unclean end; a clean stop says "offline" itself.
            const std::string status = stdString(MqttTopics::statusTopic(m_options.topicPrefix));
            m_client->publish(status, "offline", 7, 1, true)->wait_for(kStopPublishWait);
        } catch (const std::exception &e) {
            qCDebug(lcMqtt) << "cannot publish offline status:" << e.what();
        }
    }
    try {
        if (m_client->is_connected())   // else destroying the client ends its reconnect attempts
            m_client->disconnect(kDisconnectTimeout)->wait_for(kDisconnectWait);
    } catch (const std::exception &e) {
        qCDebug(lcMqtt) << "disconnect:" << e.what();
    }
    m_connected = false;
    m_outbox->attach(nullptr);
    m_retained->attach(nullptr);
    m_ingress->attach(nullptr);
    m_outbox->saveCheckpoint();
    m_client.reset();   // after this no Paho callback refers to this object
    {
        QMutexLocker lock(&m_statusMutex);
        m_status.enabled = false;
    }
    refreshStatus();
    if (wasConnected)
        Q_EMIT connectionChanged(false);
    qCInfo(lcMqtt) << "stopped; outbox at position" << m_outbox->checkpoint();
}

void MqttBridge::connected()
{
    if (m_stopping || !m_client)
        return;
    m_connected = true;
    qCInfo(lcMqtt) << "connected to" << m_brokerUrl << "as" << m_clientId;
    // Nagle off (see TcpNoDelay): every command's reply and every PUBACK is a small packet that
    // must not wait. Here, not in Paho's callback: its threads are left to themselves.
    TcpNoDelay::disableOnSocketsTo(TcpNoDelay::brokerPort(m_brokerUrl));
    try {
        // Every time: the broker may have lost the session (no persistence, expired).
        const QString filter = MqttTopics::commandFilter(m_options.topicPrefix);
        m_client->subscribe(stdString(m_options.sharedSubscriptionGroup.isEmpty()
                                          ? filter
                                          : QStringLiteral("$share/%1/%2").arg(m_options.sharedSubscriptionGroup, filter)),
                            1);
        m_client->publish(stdString(MqttTopics::statusTopic(m_options.topicPrefix)), "online", 6, 1, true);
    } catch (const std::exception &e) {
        qCWarning(lcMqtt) << "cannot subscribe or announce status:" << e.what();
    }
    {
        QMutexLocker lock(&m_statusMutex);
        m_status.lastError.clear();
    }
    m_ingress->connectionUp();
    m_retained->connectionUp();
    m_outbox->connectionUp();
    refreshStatus();
    Q_EMIT connectionChanged(true);
}

void MqttBridge::connectionLost(const QString &cause)
{
    if (!m_connected || m_stopping)
        return;
    m_connected = false;
    const QString why = cause.isEmpty() ? QStringLiteral("connection lost") : cause;
    qCWarning(lcMqtt).noquote() << QStringLiteral("lost the connection to %1 (%2); reconnecting").arg(m_brokerUrl, why);
    {
        QMutexLocker lock(&m_statusMutex);
        m_status.lastError = why;
    }
    m_ingress->connectionDown();
    m_retained->connectionDown();
    m_outbox->connectionDown();
    refreshStatus();
    Q_EMIT connectionChanged(false);
}

void MqttBridge::messageArrived(const std::shared_ptr<const mqtt::message> &message)
{
    if (m_stopping)
        return;
    m_ingress->handle(message);
    refreshStatus();
}

void MqttBridge::setLastError(const QString &error)
{
    {
        QMutexLocker lock(&m_statusMutex);
        if (m_status.lastError == error)
            return;
        m_status.lastError = error;
    }
    qCWarning(lcMqtt).noquote() << QStringLiteral("%1: %2").arg(m_brokerUrl, error);
}

void MqttBridge::refreshStatus()
{
    {
        QMutexLocker lock(&m_statusMutex);
        m_status.connected = m_connected;
        m_status.outboxPosition = m_outbox->checkpoint();
        m_status.headPosition = m_outbox->head();
        m_status.outboxInFlight = m_outbox->inFlight();
        m_status.eventsPublished = m_outbox->published();
        m_status.retainedPending = m_retained->pending();
        m_status.commandsReceived = m_ingress->received();
    }
    if (MetricsRegistry *metrics = m_services.metrics) {
        metrics->set("gatehouse_mqtt_connected", {}, m_connected ? 1 : 0);
        metrics->set("gatehouse_mqtt_outbox_position", {}, double(m_outbox->checkpoint()));
        metrics->set("gatehouse_mqtt_outbox_lag", {}, double(qMax<qint64>(0, m_outbox->head() - m_outbox->checkpoint())));
        metrics->set("gatehouse_mqtt_published_total", MetricsRegistry::label("kind", QStringLiteral("event")), double(m_outbox->published()));
        metrics->set("gatehouse_mqtt_published_total", MetricsRegistry::label("kind", QStringLiteral("readmodel")), double(m_retained->published()));
    }
}

MqttStatus MqttBridge::status() const
{
    QMutexLocker lock(&m_statusMutex);
    return m_status;
}

} // namespace Gatehouse::Mqtt
