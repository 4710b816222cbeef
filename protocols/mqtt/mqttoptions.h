#pragma once

#include <QHostAddress>
#include <QString>
#include <QtGlobal>

namespace Gatehouse::Mqtt {

// How the engine uses MQTT (DESIGN.md "MQTT", "Command line"): a managed mosquitto child
// process (the default), an external broker (--mqtt-url) or none (--no-mqtt).
struct MqttOptions
{
    enum class Broker { Managed, External, Off };

    Broker broker = Broker::Managed;
    QString brokerUrl;                                   // External: mqtt://host:port, tcp://, ssl://, mqtts://
    QString brokerCaFile;                                // External over TLS: PEM CA certificates trusted besides the system's
    QHostAddress listenAddress = QHostAddress::LocalHost; // Managed: --mqtt-listen ADDR:PORT
    quint16 listenPort = 1883;                           // Managed: 0 picks a free port
    QString mosquittoProgram;                            // Managed: empty searches PATH and /usr/sbin

    QString clientId;                   // empty: "gatehouse-" + a hash of the data directory
    QString topicPrefix = QStringLiteral("gatehouse");
    // Several engines on one database share one broker: commands are subscribed as the MQTT 5
    // shared subscription $share/{group}/... so the broker hands each command to one engine.
    // Empty: a plain subscription (one engine).
    QString sharedSubscriptionGroup;
    int outboxWindow = 1000;            // event publishes awaiting PUBACK at most
    int outboxPageSize = 500;           // events read from the log per query
    int retainedWindow = 1000;          // read-model publishes awaiting PUBACK at most
    int maxPendingReplies = 1000;       // command replies kept while the broker is away
    int maxWaitingCommands = 10000;     // commands held back behind earlier ones of their entity or session; more -> 503
    qint64 maxCommandBytes = 1024 * 1024;   // a command's payload at most, as an HTTP body (--max-body-bytes); more -> 413
    int sessionExpirySeconds = 7 * 24 * 3600;
    int keepAliveSeconds = 30;
    int reconnectMinSeconds = 1;
    int reconnectMaxSeconds = 30;
};

} // namespace Gatehouse::Mqtt
