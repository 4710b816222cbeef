#include "mqttretainedstate.h"

#include "mqttclient.h"
#include "mqttlogging.h"
#include "mqtttopics.h"

namespace Gatehouse::Mqtt {

namespace {
constexpr int kFirstFailureReason = 0x80;
constexpr int kRetryDelayMs = 1000;   // after the client refused a publish for now (queue full)
}

MqttRetainedState::MqttRetainedState(const QString &topicPrefix, int window, QObject *parent)
    : QObject(parent)
    , m_prefix(topicPrefix)
    , m_window(window)
    , m_retryTimer(this)   // a child, so it moves to the bridge's thread with this object
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(kRetryDelayMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &MqttRetainedState::flush);
}

MqttRetainedState::~MqttRetainedState() = default;

void MqttRetainedState::attach(MqttClient *client)
{
    m_client = client;
    if (!client)
        connectionDown();
}

void MqttRetainedState::connectionUp()
{
    m_connected = true;
    flush();
}

void MqttRetainedState::connectionDown()
{
    m_connected = false;
    m_retryTimer.stop();
    for (const InFlight &sent : std::as_const(m_inFlight))
        requeue(sent.topic, sent.document);
    m_inFlight.clear();
    Q_EMIT progressed();
}

void MqttRetainedState::documentsChanged(const QList<StoredDocument> &documents)
{
    for (const StoredDocument &document : documents)
        requeue(MqttTopics::readModelTopic(m_prefix, document.collection, document.id), document);
    flush();
}

// Keeps the newer of what waits and `document` (a rebuild may repeat an older version).
void MqttRetainedState::requeue(const QString &topic, const StoredDocument &document)
{
    auto it = m_pending.find(topic);
    if (it == m_pending.end())
        m_pending.insert(topic, document);
    else if (document.position >= it->position)
        *it = document;
}

void MqttRetainedState::flush()
{
    while (m_connected && m_client && int(m_inFlight.size()) < m_window && !m_pending.isEmpty()) {
        auto it = m_pending.begin();
        InFlight sent{it.key(), it.value()};
        m_pending.erase(it);
        MqttMessage message;
        message.topic = sent.topic.toUtf8();
        message.payload = sent.document.toJsonWithMeta();
        message.qos = 1;
        message.retain = true;
        const quint64 sequence = ++m_sequence;
        const MqttClient::PublishResult result =
            m_client->publish(std::move(message), [this, sequence](quint8 reason) { delivered(sequence, reason); });
        if (result == MqttClient::PublishResult::Invalid) {
            qCWarning(lcMqtt) << "retained state: cannot publish" << sent.topic << "(no valid topic, or larger than the broker takes); dropped";
            continue;
        }
        if (result != MqttClient::PublishResult::Accepted) {
            // Disconnected (connectionUp() flushes) or the client's queue is full: again shortly.
            qCDebug(lcMqtt) << "retained state: publish of" << sent.topic << "deferred";
            requeue(sent.topic, sent.document);
            m_retryTimer.start();
            break;
        }
        m_inFlight.insert(sequence, std::move(sent));
    }
    Q_EMIT progressed();
}

void MqttRetainedState::delivered(quint64 sequence, quint8 reasonCode)
{
    const auto it = m_inFlight.find(sequence);
    if (it == m_inFlight.end())
        return;   // sent before the connection dropped: already queued again
    if (reasonCode >= kFirstFailureReason) {
        // The broker refused it (not authorised, quota, ...): sending it again would loop.
        qCWarning(lcMqtt) << "retained state: the broker refused" << it->topic << "with reason code" << reasonCode;
        m_inFlight.erase(it);
        Q_EMIT progressed();
        return;
    }
    m_inFlight.erase(it);
    ++m_published;
    flush();
}

} // namespace Gatehouse::Mqtt
