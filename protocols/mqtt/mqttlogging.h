#pragma once

#include <QLoggingCategory>

namespace Gatehouse::Mqtt {

// "gatehouse.mqtt": the bridge (connection, commands in, outbox, retained state).
Q_DECLARE_LOGGING_CATEGORY(lcMqtt)
// "gatehouse.mqtt.broker": the managed mosquitto child process and its output.
Q_DECLARE_LOGGING_CATEGORY(lcBroker)

} // namespace Gatehouse::Mqtt
