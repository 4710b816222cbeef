#pragma once

#include "store/recordedevent.h"

#include <QObject>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace Gatehouse {
class EventStore;
}

namespace Gatehouse::Mqtt {

class MqttClient;

// The MQTT outbox (DESIGN.md "MQTT", events out): publishes every event of the log, in
// position order, as a CloudEvent on {prefix}/events/{collection}/{verb}/{id} at QoS 1.
//
// It reads the log from its own durable checkpoint (a small file in the data directory), keeps
// at most `window` publishes awaiting PUBACK, and moves the checkpoint only over a contiguous
// run of acknowledged positions -- so a broker outage only delays, and a restart repeats at
// most the publishes that were never acknowledged (consumers dedupe by CloudEvent id). Live
// events arrive through EventStore::eventsCommitted; after a pause it catches up from the log
// in pages. Lives on the bridge's thread, with the client.
class MqttOutbox final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttOutbox)

public:
    struct Options
    {
        QString checkpointPath;      // "<data dir>/mqtt/outbox.checkpoint"
        // With several engines on one database the checkpoint is shared, kept where they all
        // see it (instead of the file); nullopt from the reader: none stored yet.
        std::function<std::optional<qint64>()> readCheckpoint;
        std::function<bool(qint64)> writeCheckpoint;
        // False: another engine owns the outbox; this one publishes nothing until setActive(true).
        bool active = true;
        QString topicPrefix;
        int window = 1000;
        int pageSize = 500;
    };

    MqttOutbox(EventStore *store, const Options &options, QObject *parent = nullptr);
    ~MqttOutbox() override;

    // The client to publish with (null detaches); publishing starts at connectionUp().
    void attach(MqttClient *client);
    void connectionUp();
    // Unacknowledged publishes are forgotten and sent again from the checkpoint on the next
    // connectionUp(): a PUBACK lost with the connection must not stall the outbox.
    void connectionDown();
    void saveCheckpoint();   // now, not debounced (on stop)
    // Several engines: only the owner of the outbox publishes. Deactivating forgets what is in
    // flight (the next owner repeats it from the shared checkpoint); activating reads the
    // checkpoint the previous owner left and publishes from there.
    void setActive(bool active);
    bool isActive() const { return m_active; }
    // Takes the log's head as it is now: after connecting to eventsCommitted, for the commits
    // made between construction and then (which no signal announced).
    void refreshHead();

    qint64 checkpoint() const { return m_checkpoint; }
    qint64 head() const { return m_head; }
    int inFlight() const { return int(m_acked.size()); }
    quint64 published() const { return m_published; }
    quint64 rejected() const { return m_rejected; }

public Q_SLOTS:
    void eventsCommitted(const Gatehouse::RecordedEvents &events);

Q_SIGNALS:
    // The checkpoint, the head or the number in flight changed.
    void progressed();

private:
    void loadCheckpoint();
    bool m_active = true;
    void pump(const RecordedEvents *live = nullptr);
    void publishFrom(const RecordedEvents *live);
    enum class Sent { Ok, Stop };
    Sent publish(const RecordedEvent &event);
    void markDone(qint64 position);
    void delivered(qint64 position, quint8 reasonCode);
    void deliveredBurst();   // the PUBACKs collected since the last burst
    void refused(qint64 position, int reasonCode);
    void rewind();

    EventStore *m_store;
    Options m_options;
    MqttClient *m_client = nullptr;
    std::vector<qint64> m_delivered;   // positions whose PUBACK is not applied yet (see deliveredBurst)
    bool m_burstPosted = false;
    bool m_connected = false;
    qint64 m_checkpoint = 0;      // every position <= this is acknowledged
    qint64 m_savedCheckpoint = -1;
    qint64 m_head = 0;            // last committed position known
    std::deque<bool> m_acked;     // positions m_checkpoint+1 ... in flight: acknowledged yet?
    quint64 m_published = 0;
    quint64 m_rejected = 0;
    QTimer m_saveTimer;           // debounces checkpoint writes
    QTimer m_retryTimer;          // resumes after the client refused a publish for now
};

} // namespace Gatehouse::Mqtt
