#pragma once

#include "mqttpacket.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QTimer>

#include <deque>
#include <functional>
#include <optional>

class QTcpSocket;

namespace Gatehouse::Mqtt {

// The engine's MQTT 5 client: one connection to a broker, driven by the event loop of the
// thread it lives on -- no threads of its own, so a message arrives, a command is handled and its
// reply is written in one turn, and every publish of a turn leaves in one write.
//
// It connects (TCP, or TLS for ssl:// and mqtts:// with the system's trust store and any CA
// certificates given; the broker's name is checked against its certificate), keeps the
// connection alive (PINGREQ, and a connection that says nothing for 1.5 keep-alive periods is
// dropped) and reconnects after every loss, waiting reconnectMin..reconnectMax with doubling
// delays. QoS 1 publishes wait for the broker's PUBACK: at most as many as the broker's Receive
// Maximum are sent at once, the rest wait here in order (up to maxQueued). A publish's `done`
// runs with the broker's reason code once it is acknowledged (>= 0x80: refused); publishes in
// flight or waiting when the connection drops are forgotten without their `done` (the
// disconnected() signal stands for them: their owners send again once connected, with new
// packet ids). Incoming QoS 1 messages are acknowledged right after messageReceived() returns,
// QoS 2 ones completed (PUBREC, PUBREL, PUBCOMP) although the client subscribes at QoS 1. A broker
// whose CONNACK says it takes QoS 0 only, or keeps no retained messages, gets publishes as it
// takes them (QoS 0 ones are done once written), and a will it refused is asked for again a
// step lower (no retain, then QoS 0).
class MqttClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttClient)

public:
    struct Options
    {
        QString host;
        quint16 port = 1883;
        bool tls = false;
        QList<QSslCertificate> caCertificates;   // TLS: trusted besides the system's
        QByteArray clientId;
        bool cleanStart = false;
        quint16 keepAliveSeconds = 30;
        quint32 sessionExpirySeconds = 0;
        quint32 maximumPacketSize = 0;   // what the broker may send us; 0: no limit announced
        std::optional<MqttMessage> will;
        int connectTimeoutMs = 10000;
        int reconnectMinMs = 1000;
        int reconnectMaxMs = 30000;
        int maxQueued = 10000;   // publishes waiting for the broker's Receive Maximum
    };

    // Host, port and TLS of mqtt://, tcp://, ssl:// or mqtts:// URLs (ports 1883 and 8883 by
    // default). False with `error` set for anything else.
    static bool parseUrl(const QString &url, Options *options, QString *error);

    explicit MqttClient(const Options &options, QObject *parent = nullptr);
    ~MqttClient() override;

    void start();   // connects, and reconnects after every loss until stop()
    // Sends DISCONNECT once what is written went out, waiting at most timeoutMs for the socket,
    // and stops reconnecting. withWill: reason 0x04, the broker publishes the will (the engine's
    // retained "offline") as for a connection lost; else the broker discards it.
    void stop(int timeoutMs, bool withWill = false);
    bool isConnected() const { return m_state == State::Connected; }

    enum class PublishResult {
        Accepted,       // sent or waiting its turn; `done` follows (QoS 1) unless the connection drops
        NotConnected,   // try again once connected()
        QueueFull,      // maxQueued wait already, or the socket holds 16 MiB unsent: try again shortly
        Invalid,        // a topic a PUBLISH may not carry, a field too long, or larger than the broker takes
    };
    using Done = std::function<void(quint8 reasonCode)>;
    PublishResult publish(MqttMessage message, Done done = {});
    // QoS 1 publishes sent and not acknowledged, and those waiting their turn.
    int inFlight() const { return int(m_inFlight.size()); }
    int queued() const { return int(m_queue.size()); }
    // What the broker's CONNACK said it does (all true until connected).
    bool retainAvailable() const { return m_retainAvailable; }
    int maximumQos() const { return m_maximumQos; }
    bool wildcardSubscriptionAvailable() const { return m_wildcardSubscriptions; }
    bool sharedSubscriptionAvailable() const { return m_sharedSubscriptions; }

    // While connected: SUBSCRIBE; the outcome is logged (a refused subscription as a warning).
    bool subscribe(const QByteArray &filter, int qos);

Q_SIGNALS:
    void connected(bool sessionPresent);
    void disconnected(const QString &reason);      // after connected() only
    void connectFailed(const QString &reason);     // an attempt that did not get that far
    void messageReceived(const Gatehouse::Mqtt::MqttMessage &message);

private:
    enum class State { Idle, Connecting, Connected, Stopped };
    struct Waiting
    {
        MqttMessage message;
        Done done;
    };

    void connectNow();
    void onSocketConnected();
    void onReadyRead();
    void onSocketGone(const QString &reason);
    void lose(const QString &reason, std::optional<quint8> disconnectReason = std::nullopt);
    void forgetConnection();
    void scheduleReconnect();
    bool handlePacket(const MqttPacket::Packet &packet);
    bool handleConnAck(const MqttPacket::Packet &packet);
    bool handlePublish(const MqttPacket::Packet &packet);
    bool handleAck(const MqttPacket::Packet &packet);
    void sendWaiting();
    void send(const QByteArray &bytes);
    quint16 nextPacketId();   // 0 when every id is in use
    bool hasIdFree() const;
    void keepAliveTick();

    Options m_options;
    State m_state = State::Idle;
    QPointer<QTcpSocket> m_socket;
    QByteArray m_in;
    qsizetype m_inOffset = 0;   // where the next packet of m_in starts
    int m_reading = 0;          // onReadyRead() calls under way (a handler may cause another)
    QTimer m_connectTimer;
    QTimer m_reconnectTimer;
    QTimer m_keepAliveTimer;
    QElapsedTimer m_lastSent;
    QElapsedTimer m_lastReceived;
    int m_reconnectDelayMs = 0;
    quint16 m_keepAliveSeconds = 0;   // the broker's Server Keep Alive, else ours
    quint16 m_sendQuota = 65535;      // the broker's Receive Maximum
    quint32 m_brokerMaxPacket = 0;
    quint8 m_maximumQos = 2;          // the broker's Maximum QoS
    bool m_retainAvailable = true;
    bool m_wildcardSubscriptions = true;
    bool m_sharedSubscriptions = true;
    bool m_downgradeLogged = false;
    bool m_willWithoutRetain = false;   // the broker refused a retained will
    bool m_willAtQos0 = false;          // ... or one at QoS 1
    quint16 m_lastPacketId = 0;
    QHash<quint16, Done> m_inFlight;  // QoS 1 publishes awaiting PUBACK
    QHash<quint16, bool> m_subscribes;   // SUBSCRIBEs awaiting SUBACK
    QHash<quint16, bool> m_incomingQos2;   // PUBRECs sent, PUBREL awaited
    std::deque<Waiting> m_queue;
};

} // namespace Gatehouse::Mqtt

Q_DECLARE_METATYPE(Gatehouse::Mqtt::MqttMessage)
