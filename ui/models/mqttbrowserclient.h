#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

#include <deque>
#include <memory>

namespace Gatehouse::Ui {

// One message as the MQTT page shows it.
struct MqttMessage
{
    QString topic;
    QByteArray payload;
    bool retained = false;
    int qos = 0;
    QString responseTopic;
    QList<std::pair<QString, QString>> userProperties;
    qint64 receivedMs = 0;
};

// The console's own MQTT 5 client (Eclipse Paho C++) for the MQTT page: it connects to the
// engine's broker like any outside client would, subscribes to a filter (default "#") and
// publishes (with a response topic and user properties for commands). Paho calls back on its
// own threads; messages wait in a bounded inbox (kMaxPending; beyond it the oldest are dropped
// and counted) that the GUI thread drains in batches (messagesArrived, at most about 20 a
// second). GUI thread only, apart from the inbox.
class MqttBrowserClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttBrowserClient)

public:
    static constexpr int kMaxPending = 20000;

    explicit MqttBrowserClient(QObject *parent = nullptr);
    ~MqttBrowserClient() override;

    // "tcp://127.0.0.1:1883" (or host:port); answers through connectedChanged/failed.
    void connectTo(const QString &url, const QString &filter);
    void disconnectFromBroker();
    bool isConnected() const { return m_connected; }
    QString url() const { return m_url; }
    // QoS 0 or 1; a response topic (MQTT 5) is subscribed to first so the answer is seen.
    void publish(const QString &topic, const QByteArray &payload, int qos, bool retain, const QString &responseTopic = {},
                 const QList<std::pair<QString, QString>> &userProperties = {});
    qint64 dropped() const;

Q_SIGNALS:
    void connectedChanged(bool connected);
    void failed(const QString &error);
    void messagesArrived(const QList<Gatehouse::Ui::MqttMessage> &messages);
    void published(const QString &topic, bool ok, const QString &error);

private:
    struct Paho;
    void deliver();
    void enqueue(MqttMessage &&message);

    std::shared_ptr<Paho> m_paho;
    QString m_url;
    bool m_connected = false;
    mutable QMutex m_mutex;
    std::deque<MqttMessage> m_inbox;
    qint64 m_dropped = 0;
    bool m_deliveryQueued = false;
};

} // namespace Gatehouse::Ui
