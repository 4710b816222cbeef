#pragma once

#include <QObject>
#include <QStringList>

#include <memory>

namespace Gatehouse::Simulation {

class LagTracker;

// One MQTT subscriber of a run: a Paho MQTT 5 client subscribed (QoS 1) to `topic` (default
// gatehouse/events/#) or to gatehouse/events/<collection>/# per collection it watches; every
// CloudEvent it receives reports its `position` with the time it arrived. The report is made on
// Paho's thread (the lag tracker is thread-safe and the call never blocks for long). open()
// blocks until the broker confirmed the subscriptions or kConnectTimeoutMs passed, then
// ready() says whether it worked. Lives on the run's subscriber thread.
class MqttSubscriber final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttSubscriber)

public:
    static constexpr int kConnectTimeoutMs = 5000;

    MqttSubscriber(QString host, int port, QString clientId, QString topic, QStringList collections, LagTracker *lag,
                   int connection, QObject *parent = nullptr);
    ~MqttSubscriber() override;

    void open();
    void close();

Q_SIGNALS:
    void ready(const QString &error);

private:
    struct Paho;
    std::unique_ptr<Paho> m_paho;
    QString m_host;
    int m_port;
    QString m_clientId;
    QStringList m_filters;
    LagTracker *m_lag;
    int m_connection;
};

} // namespace Gatehouse::Simulation
