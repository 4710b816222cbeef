#include "mqttoutbox.h"

#include "mqttclient.h"
#include "mqttlogging.h"
#include "mqtttopics.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace Gatehouse::Mqtt {

namespace {

constexpr int kSaveDelayMs = 200;
constexpr int kRetryDelayMs = 1000;   // after the client refused a publish for now (queue full)
constexpr int kFirstFailureReason = 0x80;   // MQTT 5 reason codes >= 0x80 are refusals

} // namespace

MqttOutbox::MqttOutbox(EventStore *store, const Options &options, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_options(options)
    , m_saveTimer(this)   // children, so they move to the bridge's thread with the outbox
    , m_retryTimer(this)
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(kRetryDelayMs);
    connect(&m_retryTimer, &QTimer::timeout, this, [this] { pump(); });
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(kSaveDelayMs);
    connect(&m_saveTimer, &QTimer::timeout, this, &MqttOutbox::saveCheckpoint);
    m_head = m_store->headPosition();
    m_active = options.active;
    loadCheckpoint();
}

MqttOutbox::~MqttOutbox()
{
    saveCheckpoint();
}

void MqttOutbox::loadCheckpoint()
{
    if (m_options.readCheckpoint) {
        const std::optional<qint64> stored = m_options.readCheckpoint();
        m_checkpoint = stored ? qBound<qint64>(0, *stored, qMax(m_head, *stored)) : 0;
        m_savedCheckpoint = m_checkpoint;
        return;
    }
    QFile file(m_options.checkpointPath);
    if (!file.exists()) {
        qCInfo(lcMqtt) << "outbox: no checkpoint yet; publishing the log from position 1";
        return;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        qCWarning(lcMqtt) << "outbox: cannot read" << m_options.checkpointPath << file.errorString()
                          << "; publishing the log from position 1";
        return;
    }
    const QJsonValue position = QJsonDocument::fromJson(file.readAll()).object().value(QLatin1String("position"));
    if (!position.isDouble() || position.toInteger(-1) < 0) {
        qCWarning(lcMqtt) << "outbox: unreadable checkpoint in" << m_options.checkpointPath << "; publishing the log from position 1";
        return;
    }
    m_checkpoint = position.toInteger();
    if (m_checkpoint > m_head) {
        // A different (shorter) events.db: publish whatever comes next rather than nothing.
        qCWarning(lcMqtt) << "outbox: checkpoint" << m_checkpoint << "is past the log head" << m_head << "; continuing from the head";
        m_checkpoint = m_head;
    }
    m_savedCheckpoint = m_checkpoint;
}

void MqttOutbox::saveCheckpoint()
{
    m_saveTimer.stop();
    if (m_checkpoint == m_savedCheckpoint || !m_active)
        return;
    if (m_options.writeCheckpoint) {
        if (!m_options.writeCheckpoint(m_checkpoint)) {
            qCWarning(lcMqtt) << "outbox: cannot store the shared checkpoint" << m_checkpoint;
            return;
        }
        m_savedCheckpoint = m_checkpoint;
        return;
    }
    QDir().mkpath(QFileInfo(m_options.checkpointPath).absolutePath());
    QSaveFile file(m_options.checkpointPath);   // write-then-rename: never a torn checkpoint
    if (!file.open(QIODevice::WriteOnly)
        || file.write(QJsonDocument(QJsonObject{{QStringLiteral("position"), m_checkpoint}}).toJson(QJsonDocument::Compact) + '\n') < 0
        || !file.commit()) {
        qCWarning(lcMqtt) << "outbox: cannot write" << m_options.checkpointPath << file.errorString();
        return;
    }
    m_savedCheckpoint = m_checkpoint;
}

void MqttOutbox::attach(MqttClient *client)
{
    m_client = client;
    if (!client)
        connectionDown();
}

void MqttOutbox::connectionUp()
{
    m_connected = true;
    pump();
}

void MqttOutbox::refreshHead()
{
    m_head = qMax(m_head, m_store->headPosition());
    pump();
}

void MqttOutbox::connectionDown()
{
    m_connected = false;
    m_retryTimer.stop();
    rewind();
    Q_EMIT progressed();
}

void MqttOutbox::rewind()
{
    m_acked.clear();
}

void MqttOutbox::eventsCommitted(const RecordedEvents &events)
{
    if (events.isEmpty())
        return;
    m_head = qMax(m_head, events.constLast().position);
    pump(&events);
}

void MqttOutbox::setActive(bool active)
{
    if (active == m_active)
        return;
    if (!active)
        saveCheckpoint();   // what this owner had acknowledged, for the next one
    m_active = active;
    rewind();
    if (active) {
        m_head = qMax(m_head, m_store->headPosition());
        loadCheckpoint();
        qCInfo(lcMqtt) << "outbox: this engine publishes now, from position" << m_checkpoint + 1;
    } else {
        qCInfo(lcMqtt) << "outbox: another engine publishes now";
    }
    pump();
}

void MqttOutbox::pump(const RecordedEvents *live)
{
    if (m_active && m_connected && m_client)
        publishFrom(live);
    Q_EMIT progressed();
}

void MqttOutbox::publishFrom(const RecordedEvents *live)
{
    const auto nextPosition = [this] { return m_checkpoint + 1 + qint64(m_acked.size()); };
    const auto room = [this] { return m_options.window - int(m_acked.size()); };
    // The live batch usually continues exactly where the outbox stands: no read needed.
    if (live) {
        for (const RecordedEvent &event : *live) {
            if (event.position < nextPosition())
                continue;
            if (event.position > nextPosition() || room() <= 0)
                break;
            if (publish(event) == Sent::Stop)
                return;
        }
    }
    // Only as far as the store has announced: a commit may be readable a moment before it is
    // on disk, and an event must not reach subscribers before that.
    // Refill in pages: with a full window every PUBACK frees one slot, and reading the log
    // one row per acknowledgement costs more than the publish. A backlog that fits in the
    // room left goes out at once (live traffic keeps its latency).
    const int refillAt = qMax(1, qMin(m_options.pageSize, m_options.window / 4));
    while (room() > 0 && nextPosition() <= m_head) {
        const qint64 announced = m_head - nextPosition() + 1;
        if (room() < refillAt && announced > room())
            return;
        const RecordedEvents page = m_store->readAll(nextPosition(), int(qMin<qint64>(announced, qMin(room(), m_options.pageSize))));
        if (page.isEmpty())
            return;
        for (const RecordedEvent &event : page) {
            while (event.position > nextPosition())   // positions have no gaps; never wait on one
                m_acked.push_back(true);
            if (publish(event) == Sent::Stop)
                return;
        }
    }
}

MqttOutbox::Sent MqttOutbox::publish(const RecordedEvent &event)
{
    MqttMessage message;
    message.topic = MqttTopics::eventTopic(m_options.topicPrefix, event).toUtf8();
    message.payload = CloudEvent::toJsonBytes(event);
    message.qos = 1;
    message.contentType = QByteArrayLiteral("application/cloudevents+json");
    const qint64 position = event.position;
    const QByteArray topic = message.topic;
    switch (m_client->publish(std::move(message), [this, position](quint8 reason) { delivered(position, reason); })) {
    case MqttClient::PublishResult::Accepted:
        m_acked.push_back(false);
        return Sent::Ok;
    case MqttClient::PublishResult::NotConnected:
    case MqttClient::PublishResult::QueueFull:
        // Disconnected (connectionUp() resumes) or the client's queue is full: again shortly.
        qCDebug(lcMqtt) << "outbox: publish of event" << event.position << "deferred";
        m_retryTimer.start();
        return Sent::Stop;
    case MqttClient::PublishResult::Invalid:
        break;
    }
    // A message no broker would take (never expected): skip it rather than stall every later event.
    qCWarning(lcMqtt) << "outbox: cannot publish event" << event.position << "on" << topic
                      << "(no valid topic, or larger than the broker takes); skipped";
    ++m_rejected;
    m_acked.push_back(true);
    markDone(event.position);
    return Sent::Ok;
}

void MqttOutbox::delivered(qint64 position, quint8 reasonCode)
{
    if (reasonCode >= kFirstFailureReason) {
        refused(position, reasonCode);
        return;
    }
    // Collected and applied in bursts: one refill of the window for however many PUBACKs one
    // read of the socket brought, not one per message.
    m_delivered.push_back(position);
    if (m_burstPosted)
        return;
    m_burstPosted = true;
    QMetaObject::invokeMethod(this, &MqttOutbox::deliveredBurst, Qt::QueuedConnection);
}

void MqttOutbox::deliveredBurst()
{
    m_burstPosted = false;
    bool progressed = false;
    for (const qint64 position : std::exchange(m_delivered, {})) {
        // A PUBACK for any copy of a position (even one sent before a rewind) means the broker has it.
        const qint64 index = position - m_checkpoint - 1;
        if (index < 0 || index >= qint64(m_acked.size()) || m_acked[size_t(index)])
            continue;
        ++m_published;
        markDone(position);
        progressed = true;
    }
    if (progressed)
        pump();
}

void MqttOutbox::refused(qint64 position, int reasonCode)
{
    const qint64 index = position - m_checkpoint - 1;
    if (index < 0 || index >= qint64(m_acked.size()) || m_acked[size_t(index)])
        return;
    // The broker refused it (not authorised, quota, ...): resending would loop forever.
    qCWarning(lcMqtt) << "outbox: the broker refused event" << position << "with reason code" << reasonCode << "; skipped";
    ++m_rejected;
    markDone(position);
    pump();
}

void MqttOutbox::markDone(qint64 position)
{
    const qint64 index = position - m_checkpoint - 1;
    if (index >= 0 && index < qint64(m_acked.size()))
        m_acked[size_t(index)] = true;
    const qint64 before = m_checkpoint;
    while (!m_acked.empty() && m_acked.front()) {
        m_acked.pop_front();
        ++m_checkpoint;
    }
    if (m_checkpoint != before && !m_saveTimer.isActive())
        m_saveTimer.start();
}

} // namespace Gatehouse::Mqtt
