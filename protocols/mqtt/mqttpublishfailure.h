#pragma once

// Included by .cpp files only: it pulls in Paho's headers.
#include <mqtt/exception.h>

#include <exception>

namespace Gatehouse::Mqtt {

// Whether a publish that Paho refused at once would be refused however often it is tried (a
// malformed topic or message), as opposed to a dropped connection or a full send buffer, which
// pass: those are tried again, the others are dropped with a warning.
inline bool isPermanentPublishFailure(const std::exception &error)
{
    const auto *paho = dynamic_cast<const mqtt::exception *>(&error);
    if (!paho)
        return false;
    switch (paho->get_return_code()) {
    case MQTTASYNC_BAD_UTF8_STRING:
    case MQTTASYNC_NULL_PARAMETER:
    case MQTTASYNC_TOPICNAME_TRUNCATED:
    case MQTTASYNC_BAD_STRUCTURE:
    case MQTTASYNC_BAD_QOS:
    case MQTTASYNC_BAD_MQTT_OPTION:
        return true;
    default:
        return false;
    }
}

} // namespace Gatehouse::Mqtt
