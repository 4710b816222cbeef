#pragma once

#include <QString>

namespace Gatehouse::Mqtt {

// A snapshot of the MQTT side for the GUI status bar, /health-style reports and tests.
struct MqttStatus
{
    bool enabled = false;            // a bridge is running (false with --no-mqtt or after a start error)
    bool managedBroker = false;      // the broker is our mosquitto child process
    bool brokerRunning = false;      // managed only: the child process is up
    int brokerRestarts = 0;          // managed only: restarts after the child died
    bool connected = false;          // the bridge's MQTT session is up
    QString brokerUrl;
    QString clientId;
    qint64 outboxPosition = 0;       // last event position the broker acknowledged (durable checkpoint)
    qint64 headPosition = 0;         // last committed position of the log, as the outbox knows it
    int outboxInFlight = 0;          // event publishes awaiting PUBACK
    quint64 eventsPublished = 0;     // acknowledged event publishes since start (repeats included)
    int retainedPending = 0;         // read-model changes not yet acknowledged by the broker
    quint64 commandsReceived = 0;
    QString lastError;

    qint64 outboxLag() const { return headPosition > outboxPosition ? headPosition - outboxPosition : 0; }
};

} // namespace Gatehouse::Mqtt
