#pragma once

#include "mqttoptions.h"
#include "mqttstatus.h"

#include <QMutex>
#include <QObject>

#include <functional>
#include <memory>
#include <optional>

namespace Gatehouse {
class Gateway;
class EventStore;
class MetricsRegistry;
}

namespace Gatehouse::Mqtt {

class MqttClient;
class MqttCommandIngress;
struct MqttMessage;
class MqttOutbox;
class MqttRetainedState;

// The engine's MQTT client (DESIGN.md "MQTT"): owns one MqttClient (MQTT 5, clean start off
// with a session expiry, automatic reconnect, QoS 1) and its topics: commands in (MqttCommandIngress), events out (MqttOutbox), retained read-model
// state (MqttRetainedState) and the retained status topic {prefix}/status -- "online" on every
// connect, "offline" as the last will and on a clean stop.
//
// Lives on its own thread (MqttService moves it there); start() and stop() run on it, and so
// does the client: a command is read, handled and answered on this one thread. status() may be
// called from any thread.
class MqttBridge final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttBridge)

public:
    struct Services
    {
        EventStore *store = nullptr;
        const Gateway *gateway = nullptr;     // commands go through it
        MetricsRegistry *metrics = nullptr;   // may be null
        QString dataDir;                      // for the outbox checkpoint
        // Several engines: the shared outbox checkpoint (else the file in dataDir), and whether
        // this engine starts as the outbox's owner.
        std::function<std::optional<qint64>()> readOutboxCheckpoint;
        std::function<bool(qint64)> writeOutboxCheckpoint;
        bool outboxActive = true;
    };

    MqttBridge(const Services &services, const MqttOptions &options, const QString &brokerUrl, QObject *parent = nullptr);
    ~MqttBridge() override;

    // Creates the client and starts connecting (it keeps retrying while the broker is away).
    // False only when the client cannot be created (a malformed URL).
    bool start(QString *error);
    // Publishes "offline", disconnects (bounded wait), saves the outbox checkpoint, destroys the
    // client. The object can be deleted afterwards.
    void stop();

    MqttStatus status() const;
    QString clientId() const { return m_clientId; }
    MqttOutbox *outbox() const { return m_outbox; }
    MqttRetainedState *retainedState() const { return m_retained; }

    static QString defaultClientId(const QString &dataDir);
    static void describeMetrics(MetricsRegistry *metrics);

Q_SIGNALS:
    void connectionChanged(bool connected);

private:
    void connected();
    void connectionLost(const QString &cause);
    void messageArrived(const MqttMessage &message);
    void refreshStatus();
    void setLastError(const QString &error);

    Services m_services;
    MqttOptions m_options;
    QString m_brokerUrl;
    QString m_clientId;
    MqttClient *m_client = nullptr;
    MqttOutbox *m_outbox;
    MqttRetainedState *m_retained;
    MqttCommandIngress *m_ingress;
    bool m_connected = false;
    bool m_stopping = false;

    mutable QMutex m_statusMutex;
    MqttStatus m_status;
};

} // namespace Gatehouse::Mqtt
