#pragma once

#include "mqttoptions.h"
#include "mqttstatus.h"

#include <QObject>

#include <functional>
#include <memory>
#include <optional>

namespace Gatehouse {
class EventStore;
class Gateway;
class MetricsRegistry;
class UpsertProjection;
}

namespace Gatehouse::Mqtt {

class ManagedBroker;
class MqttBridge;

// The MQTT side of the engine in one piece, for app/main.cpp and the GUI: starts the managed
// broker (unless --mqtt-url or --no-mqtt), then the bridge on its own "mqtt" thread wired to
// the engine's event store, command service and upsert projection; stops them in reverse.
// When MQTT cannot run (mosquitto missing, port taken, bad URL) start() says why and the
// engine carries on without it. Lives on the thread that created it (the main thread).
class MqttService final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttService)

public:
    explicit MqttService(QObject *parent = nullptr);
    ~MqttService() override;

    // What the MQTT side uses of a running engine; every part must outlive stop().
    struct EngineSide
    {
        EventStore *store = nullptr;           // events to publish (its commits)
        Gateway *gateway = nullptr;            // commands, through their routes
        UpsertProjection *upsert = nullptr;    // retained documents (optional)
        MetricsRegistry *metrics = nullptr;    // optional
        QString dataDir;                       // the managed broker's files and the outbox checkpoint
        // Several engines on one database: see MqttBridge::Services.
        std::function<std::optional<qint64>()> readOutboxCheckpoint;
        std::function<bool(qint64)> writeOutboxCheckpoint;
        bool outboxActive = true;
    };

    // True when MQTT runs or was switched off on purpose (Broker::Off); false with a message
    // for stderr when it could not start -- MQTT is then off and nothing else is affected.
    bool start(const EngineSide &engine, const MqttOptions &options, QString *error);
    // Before Engine::stop(): the bridge says "offline", saves its checkpoint and disconnects,
    // then the managed broker ends.
    void stop();

    bool isRunning() const;
    MqttStatus status() const;            // on the service's thread (the bridge part is thread-safe)
    QString brokerUrl() const;
    QString persistenceNotice() const;    // managed broker without persistence: why
    ManagedBroker *managedBroker() const; // null unless the broker is ours
    MqttBridge *bridge() const;           // null unless running; lives on the "mqtt" thread
    // Several engines: this one owns the outbox (publishes events) or not. Any thread.
    void setOutboxActive(bool active);

Q_SIGNALS:
    void connectionChanged(bool connected);   // queued from the bridge's thread

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Mqtt
