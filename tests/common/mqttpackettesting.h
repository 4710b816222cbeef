#pragma once

// Helpers of the tests of the engine's MQTT client and its packets (tst_mqttpacket,
// tst_mqttclient): bytes written as hex, and a message in one line.

#include "mqtt/mqttpacket.h"

#include <QByteArray>

namespace Gatehouse::Test {

// "30 02 00 01" -> those bytes; spaces are for the reader.
inline QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

inline Mqtt::MqttMessage message(const QByteArray &topic, const QByteArray &payload, int qos = 1)
{
    Mqtt::MqttMessage m;
    m.topic = topic;
    m.payload = payload;
    m.qos = qos;
    return m;
}

} // namespace Gatehouse::Test
