#include "mqttretainedstate.h"

#include "mqttlogging.h"
#include "mqttpublishfailure.h"
#include "mqtttopics.h"

#include <mqtt/async_client.h>

namespace Gatehouse::Mqtt {

namespace {
constexpr int kFirstFailureReason = 0x80;
constexpr int kRetryDelayMs = 1000;   // after Paho refused a publish for now (buffer full)
}

// Runs on Paho's threads: hands the outcome to the state's thread and returns at once.
class MqttRetainedState::DeliveryListener final : public mqtt::iaction_listener
{
public:
    explicit DeliveryListener(MqttRetainedState *state) : m_state(state) {}

    void on_success(const mqtt::token &token) override
    {
        const quint64 sequence = quintptr(token.get_user_context());
        QMetaObject::invokeMethod(m_state, [state = m_state, sequence] { state->delivered(sequence); },
                                  Qt::QueuedConnection);
    }

    void on_failure(const mqtt::token &token) override
    {
        const quint64 sequence = quintptr(token.get_user_context());
        const int reason = int(token.get_reason_code());
        QMetaObject::invokeMethod(m_state, [state = m_state, sequence, reason] { state->failed(sequence, reason); },
                                  Qt::QueuedConnection);
    }

private:
    MqttRetainedState *m_state;
};

MqttRetainedState::MqttRetainedState(const QString &topicPrefix, int window, QObject *parent)
    : QObject(parent)
    , m_prefix(topicPrefix)
    , m_window(window)
    , m_listener(std::make_unique<DeliveryListener>(this))
    , m_retryTimer(this)   // a child, so it moves to the bridge's thread with this object
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(kRetryDelayMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &MqttRetainedState::flush);
}

MqttRetainedState::~MqttRetainedState() = default;

void MqttRetainedState::attach(mqtt::async_client *client)
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
        const QByteArray topic = sent.topic.toUtf8();
        const QByteArray payload = sent.document.toJsonWithMeta();
        const quint64 sequence = ++m_sequence;
        try {
            m_client->publish(mqtt::make_message(std::string(topic.constData(), size_t(topic.size())), payload.constData(),
                                                 size_t(payload.size()), 1, true),
                              reinterpret_cast<void *>(quintptr(sequence)), *m_listener);
        } catch (const std::exception &e) {
            if (isPermanentPublishFailure(e)) {
                qCWarning(lcMqtt) << "retained state: cannot publish" << topic << ":" << e.what() << "; dropped";
                continue;
            }
            // Disconnected (connectionUp() flushes) or Paho's buffer is full: again shortly.
            qCDebug(lcMqtt) << "retained state: publish of" << topic << "deferred:" << e.what();
            requeue(sent.topic, sent.document);
            m_retryTimer.start();
            break;
        }
        m_inFlight.insert(sequence, std::move(sent));
    }
    Q_EMIT progressed();
}

void MqttRetainedState::delivered(quint64 sequence)
{
    if (m_inFlight.remove(sequence) == 0)
        return;
    ++m_published;
    flush();
}

void MqttRetainedState::failed(quint64 sequence, int reasonCode)
{
    const auto it = m_inFlight.find(sequence);
    if (it == m_inFlight.end())
        return;   // sent before the connection dropped: already queued again
    const InFlight sent = it.value();
    m_inFlight.erase(it);
    if (reasonCode >= kFirstFailureReason) {
        qCWarning(lcMqtt) << "retained state: the broker refused" << sent.topic << "with reason code" << reasonCode;
    } else {
        requeue(sent.topic, sent.document);   // not flushed now: a failing publish must not spin
    }
    Q_EMIT progressed();
}

} // namespace Gatehouse::Mqtt
