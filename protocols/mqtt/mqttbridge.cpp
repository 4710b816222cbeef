#include "mqttbridge.h"

#include "metrics/metricsregistry.h"
#include "mqttclient.h"
#include "mqttcommandingress.h"
#include "mqttlogging.h"
#include "mqttoutbox.h"
#include "mqttretainedstate.h"
#include "mqtttopics.h"

#include <QCryptographicHash>
#include <QDir>
#include <QSslCertificate>

#include <algorithm>

namespace Gatehouse::Mqtt {

namespace {

constexpr int kConnectTimeoutMs = 10000;
constexpr int kDisconnectWaitMs = 2000;

// What the broker may send us at most: room for a command over the limit to be answered 413
// (and for its topic and properties), within bounds the engine can hold.
int maximumPacketSize(qint64 maxCommandBytes)
{
    return int(std::clamp<qint64>(2 * std::min<qint64>(maxCommandBytes, 256 << 20) + 64 * 1024, 16 << 20, 256 << 20));
}

} // namespace

MqttBridge::MqttBridge(const Services &services, const MqttOptions &options, const QString &brokerUrl, QObject *parent)
    : QObject(parent)
    , m_services(services)
    , m_options(options)
    , m_brokerUrl(brokerUrl)
    , m_clientId(options.clientId.isEmpty() ? defaultClientId(services.dataDir) : options.clientId)
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
    MqttClient::Options options;
    if (!MqttClient::parseUrl(m_brokerUrl, &options, error)) {
        QMutexLocker lock(&m_statusMutex);
        m_status.lastError = *error;
        return false;
    }
    if (!m_options.brokerCaFile.isEmpty()) {
        options.caCertificates = QSslCertificate::fromPath(m_options.brokerCaFile, QSsl::Pem);
        if (options.caCertificates.isEmpty()) {
            *error = QStringLiteral("no PEM certificate in '%1' (--mqtt-ca)").arg(m_options.brokerCaFile);
            QMutexLocker lock(&m_statusMutex);
            m_status.lastError = *error;
            return false;
        }
    }
    options.clientId = m_clientId.toUtf8();
    options.cleanStart = false;   // the broker keeps the subscription and queues commands while we are away
    options.keepAliveSeconds = quint16(std::clamp(m_options.keepAliveSeconds, 0, 65535));
    options.sessionExpirySeconds = quint32(std::max(0, m_options.sessionExpirySeconds));
    // Commands past the size limit are answered 413 up to this size; the broker drops larger
    // packets for this client rather than make it hold them.
    options.maximumPacketSize = quint32(maximumPacketSize(m_options.maxCommandBytes));
    MqttMessage will;
    will.topic = MqttTopics::statusTopic(m_options.topicPrefix).toUtf8();
    will.payload = QByteArrayLiteral("offline");
    will.qos = 1;
    will.retain = true;
    options.will = will;
    options.connectTimeoutMs = kConnectTimeoutMs;
    options.reconnectMinMs = std::max(1, m_options.reconnectMinSeconds) * 1000;
    options.reconnectMaxMs = std::max(m_options.reconnectMinSeconds, m_options.reconnectMaxSeconds) * 1000;
    // Publishes past the broker's Receive Maximum wait in the client: every window's worth.
    options.maxQueued = 2 * (m_options.outboxWindow + m_options.retainedWindow + m_options.maxPendingReplies) + 100;

    m_client = new MqttClient(options, this);
    connect(m_client, &MqttClient::connected, this, [this] { connected(); });
    connect(m_client, &MqttClient::disconnected, this, &MqttBridge::connectionLost);
    connect(m_client, &MqttClient::connectFailed, this, [this](const QString &reason) {
        setLastError(QStringLiteral("cannot connect (%1); retrying").arg(reason));
    });
    connect(m_client, &MqttClient::messageReceived, this, &MqttBridge::messageArrived);
    m_outbox->attach(m_client);
    m_retained->attach(m_client);
    m_ingress->attach(m_client);
    m_client->start();
    qCInfo(lcMqtt) << "connecting to" << m_brokerUrl << "as" << m_clientId;
    return true;
}

void MqttBridge::stop()
{
    if (!m_client)
        return;
    m_stopping = true;
    const bool wasConnected = m_connected;
    // "offline" is the will: a DISCONNECT that asks the broker to publish it says it in its
    // place, however much the client still had waiting.
    m_client->stop(kDisconnectWaitMs, true);
    m_connected = false;
    m_outbox->attach(nullptr);
    m_retained->attach(nullptr);
    m_ingress->attach(nullptr);
    m_outbox->saveCheckpoint();
    delete std::exchange(m_client, nullptr);
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
    // Every time: the broker may have lost the session (no persistence, expired). A broker
    // that said it takes no wildcard (or, with several engines, no shared) subscriptions would
    // drop the connection over it, again on every reconnect: commands stay off instead.
    const QString filter = MqttTopics::commandFilter(m_options.topicPrefix);
    const bool shared = !m_options.sharedSubscriptionGroup.isEmpty();
    if (!m_client->wildcardSubscriptionAvailable() || (shared && !m_client->sharedSubscriptionAvailable())) {
        const QString why = QStringLiteral("the broker takes no %1 subscriptions: commands over MQTT are off")
                                .arg(m_client->wildcardSubscriptionAvailable() ? QStringLiteral("shared") : QStringLiteral("wildcard"));
        qCCritical(lcMqtt).noquote() << why;
        QMutexLocker lock(&m_statusMutex);
        m_status.lastError = why;
    } else {
        m_client->subscribe((shared ? QStringLiteral("$share/%1/%2").arg(m_options.sharedSubscriptionGroup, filter) : filter).toUtf8(), 1);
    }
    MqttMessage online;
    online.topic = MqttTopics::statusTopic(m_options.topicPrefix).toUtf8();
    online.payload = QByteArrayLiteral("online");
    online.qos = 1;
    online.retain = true;
    m_client->publish(std::move(online));
    if (m_client->wildcardSubscriptionAvailable() && (!shared || m_client->sharedSubscriptionAvailable())) {
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

void MqttBridge::messageArrived(const MqttMessage &message)
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
