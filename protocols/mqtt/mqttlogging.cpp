#include "mqttlogging.h"

namespace Gatehouse::Mqtt {

Q_LOGGING_CATEGORY(lcMqtt, "gatehouse.mqtt")
Q_LOGGING_CATEGORY(lcBroker, "gatehouse.mqtt.broker")

} // namespace Gatehouse::Mqtt
