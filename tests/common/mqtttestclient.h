#pragma once

// A real Paho MQTT 5 client for tests: connects to a broker, publishes with a response topic,
// correlation data and user properties, and records every message it receives (with those
// properties) for the test to look at. Blocking calls with bounded waits; usable without an
// event loop.

#include <QByteArray>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <mqtt/async_client.h>

#include <mutex>
#include <string>

inline std::string mqttStr(const QString &text)
{
    return text.toStdString();
}

struct MqttTestMessage
{
    QString topic;
    QByteArray payload;
    bool retained = false;
    QByteArray correlation;
    QByteArray contentType;
    QHash<QString, QString> userProperties;
    QJsonObject json() const { return QJsonDocument::fromJson(payload).object(); }
};

// A Paho MQTT 5 client whose received messages the test reads from its own thread.
class MqttTestClient
{
public:
    MqttTestClient(const QString &url, const QString &clientId)
        : m_client(mqttStr(url), mqttStr(clientId), mqtt::create_options(MQTTVERSION_5))
    {
        m_client.set_message_callback([this](mqtt::const_message_ptr message) {
            MqttTestMessage r;
            r.topic = QString::fromStdString(message->get_topic());
            r.payload = QByteArray::fromStdString(message->get_payload());
            r.retained = message->is_retained();
            const mqtt::properties &p = message->get_properties();
            if (p.contains(mqtt::property::CORRELATION_DATA))
                r.correlation = QByteArray::fromStdString(mqtt::get<std::string>(p, mqtt::property::CORRELATION_DATA));
            if (p.contains(mqtt::property::CONTENT_TYPE))
                r.contentType = QByteArray::fromStdString(mqtt::get<std::string>(p, mqtt::property::CONTENT_TYPE));
            for (size_t i = 0; i < p.count(mqtt::property::USER_PROPERTY); ++i) {
                const auto [name, value] = mqtt::get<mqtt::string_pair>(p, mqtt::property::USER_PROPERTY, i);
                r.userProperties.insert(QString::fromStdString(name), QString::fromStdString(value));
            }
            std::lock_guard lock(m_mutex);
            m_messages.append(r);
        });
    }
    ~MqttTestClient()
    {
        try {
            if (m_client.is_connected())
                m_client.disconnect()->wait_for(std::chrono::seconds(5));
        } catch (const std::exception &) {
        }
    }

    // A durable session: cleanStart=false with a session expiry, reconnecting by itself.
    bool connect(bool durable = false)
    {
        mqtt::connect_options_builder options;
        options.mqtt_version(MQTTVERSION_5).clean_start(!durable);
        if (durable) {
            options.properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 600)})
                .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(2));
        }
        try {
            return m_client.connect(options.finalize())->wait_for(std::chrono::seconds(10)) && m_client.is_connected();
        } catch (const std::exception &) {
            return false;
        }
    }
    bool subscribe(const QString &filter)
    {
        try {
            return m_client.subscribe(mqttStr(filter), 1)->wait_for(std::chrono::seconds(10));
        } catch (const std::exception &) {
            return false;
        }
    }
    bool publish(const QString &topic, const QByteArray &payload, const QString &responseTopic = {},
                 const QByteArray &correlation = {}, const QList<std::pair<std::string, std::string>> &userProperties = {})
    {
        auto message = mqtt::make_message(mqttStr(topic), payload.constData(), size_t(payload.size()), 1, false);
        mqtt::properties properties;
        if (!responseTopic.isEmpty())
            properties.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, mqttStr(responseTopic)));
        if (!correlation.isEmpty())
            properties.add(mqtt::property(mqtt::property::CORRELATION_DATA, correlation.toStdString()));
        for (const auto &[name, value] : userProperties)
            properties.add(mqtt::property(mqtt::property::USER_PROPERTY, name, value));
        message->set_properties(properties);
        try {
            return m_client.publish(message)->wait_for(std::chrono::seconds(10));
        } catch (const std::exception &) {
            return false;
        }
    }

    // Disconnects without blocking this thread (the fixture reads the broker's log on it).
    mqtt::token_ptr disconnectNow()
    {
        try {
            return m_client.disconnect();
        } catch (const std::exception &) {
            return {};
        }
    }

    // Publishes without waiting for the PUBACK: back-to-back messages, as a busy client sends them.
    mqtt::delivery_token_ptr publishNow(const QString &topic, const QByteArray &payload, const QString &responseTopic = {},
                                        const QByteArray &correlation = {})
    {
        auto message = mqtt::make_message(mqttStr(topic), payload.constData(), size_t(payload.size()), 1, false);
        mqtt::properties properties;
        if (!responseTopic.isEmpty())
            properties.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, mqttStr(responseTopic)));
        if (!correlation.isEmpty())
            properties.add(mqtt::property(mqtt::property::CORRELATION_DATA, correlation.toStdString()));
        message->set_properties(properties);
        try {
            return m_client.publish(message);
        } catch (const std::exception &) {
            return {};
        }
    }

    bool publishRetained(const QString &topic, const QByteArray &payload)
    {
        try {
            return m_client.publish(mqttStr(topic), payload.constData(), size_t(payload.size()), 1, true)->wait_for(std::chrono::seconds(10));
        } catch (const std::exception &) {
            return false;
        }
    }

    QList<MqttTestMessage> messages() const
    {
        std::lock_guard lock(m_mutex);
        return m_messages;
    }
    QList<MqttTestMessage> messagesOn(const QString &topic) const
    {
        QList<MqttTestMessage> out;
        for (const MqttTestMessage &r : messages()) {
            if (r.topic == topic)
                out.append(r);
        }
        return out;
    }
    // The last message whose correlation data is `correlation`, or an empty one.
    MqttTestMessage reply(const QByteArray &correlation) const
    {
        const QList<MqttTestMessage> all = messages();
        for (auto it = all.crbegin(); it != all.crend(); ++it) {
            if (it->correlation == correlation)
                return *it;
        }
        return {};
    }
    QStringList payloadsOn(const QString &topic) const
    {
        QStringList out;
        for (const MqttTestMessage &r : messagesOn(topic))
            out.append(QString::fromUtf8(r.payload));
        return out;
    }

private:
    mqtt::async_client m_client;
    mutable std::mutex m_mutex;
    QList<MqttTestMessage> m_messages;
};
