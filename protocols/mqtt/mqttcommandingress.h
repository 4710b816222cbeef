#pragma once

#include "mqttcommandsequencer.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

#include <map>
#include <memory>

namespace Gatehouse {
class Gateway;
class MetricsRegistry;
}

namespace Gatehouse::Mqtt {

class MqttClient;
struct MqttMessage;

// Commands in over MQTT (DESIGN.md "MQTT"): a message on {prefix}/commands/{collection}/create
// or {prefix}/commands/{collection}/{id}/{command} is sent through the gateway as the POST an
// HTTP client would send for that command (DefaultRoutes::commandPath), with the payload as its
// body, so the command route's plugins (status, key-auth, jwt-auth, limiters) apply as for
// HTTP. User properties are the request's headers ("apikey", "authorization: Bearer <jwt>",
// "idempotency-key", "if-match"; "correlation-id" is X-Correlation-ID); the session (the
// response topic) is its remote address. When the message carries an MQTT 5 response topic,
// the answer -- the HTTP body (202 JSON or problem+json) -- is published there at QoS 1 with
// the request's correlation data, a user property "status" with the HTTP status code and the
// HTTP response headers as further user properties.
//
// Commands keep the order they were published in per entity and per session (response
// topic); see MqttCommandSequencer. At most maxWaitingCommands wait for earlier ones; past
// that a command is answered 503 with Retry-After.
//
// Lives on the bridge's thread (the gateway runs the plugins there). The command service
// answers on the store's writer thread; the answer hops back here through a channel that is
// closed when this object goes away.
class MqttCommandIngress final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttCommandIngress)

public:
    MqttCommandIngress(const Gateway *gateway, MetricsRegistry *metrics, const QString &topicPrefix,
                       int maxPendingReplies, int maxWaitingCommands, qint64 maxCommandBytes, QObject *parent = nullptr);
    ~MqttCommandIngress() override;

    void attach(MqttClient *client);
    void connectionUp();
    void connectionDown();
    void handle(const MqttMessage &message);

    quint64 received() const { return m_received; }
    int waitingCommands() const { return m_sequencer.waiting(); }

private:
    struct Reply
    {
        QByteArray topic;
        QByteArray correlationData;   // null: none
        int status = 0;
        QList<std::pair<QByteArray, QByteArray>> headers;
        QByteArray body;
    };
    struct Channel;

    enum class Sent { Done, Later, Dropped };

    void answered(const Reply &reply);
    void flushReplies();
    Sent send(const Reply &reply);

    const Gateway *m_gateway;
    MetricsRegistry *m_metrics;
    QString m_prefix;
    int m_maxPendingReplies;
    qint64 m_maxCommandBytes;
    MqttClient *m_client = nullptr;
    bool m_connected = false;
    std::shared_ptr<Channel> m_channel;
    MqttCommandSequencer m_sequencer;
    QList<Reply> m_pendingReplies;   // answers waiting for the broker, in order
    std::map<quint64, Reply> m_inFlightReplies;   // published, not acknowledged yet: by sequence
    quint64 m_replySequence = 0;
    QTimer m_retryTimer;             // resumes after the client refused a publish for now
    quint64 m_received = 0;
};

} // namespace Gatehouse::Mqtt
