#include "mqttbrowserclient.h"

#include "base/tcpnodelay.h"

#include <QDateTime>
#include <QMetaObject>
#include <QTimer>
#include <QUuid>

#include <mqtt/async_client.h>

#include <functional>
#include <mutex>

namespace Gatehouse::Ui {

namespace {
constexpr int kDeliveryIntervalMs = 50;

class Listener final : public mqtt::iaction_listener
{
public:
    std::function<void(bool ok, const QString &why)> done;
    void on_failure(const mqtt::token &token) override
    {
        if (done)
            done(false, QStringLiteral("Paho code %1, reason code %2").arg(token.get_return_code()).arg(int(token.get_reason_code())));
    }
    void on_success(const mqtt::token &) override
    {
        if (done)
            done(true, {});
    }
};
} // namespace

// Lives as long as Paho may call back (the callbacks hold it). They reach the client only
// under `mutex` and while `owner` is set: disconnectFromBroker() clears it first, so a
// callback still running on Paho's thread never touches a client being destroyed.
struct MqttBrowserClient::Paho
{
    Listener connectListener;
    Listener subscribeListener;
    QString filter;
    std::mutex mutex;
    MqttBrowserClient *owner = nullptr;
    // Last, and ended first: destroying it fails its pending tokens through the listeners
    // above, which must still be there.
    std::unique_ptr<mqtt::async_client> client;

    ~Paho() { client.reset(); }

    // Runs `f` on the GUI thread if this is still the owner's connection then.
    void onGui(const std::shared_ptr<Paho> &self, std::function<void(MqttBrowserClient *)> f)
    {
        const std::lock_guard lock(mutex);
        if (!owner)
            return;
        QMetaObject::invokeMethod(owner, [self, f = std::move(f)] {
            MqttBrowserClient *current = nullptr;
            {
                const std::lock_guard guard(self->mutex);
                current = self->owner;
            }
            if (current && current->m_paho == self)
                f(current);
        }, Qt::QueuedConnection);
    }
};

MqttBrowserClient::MqttBrowserClient(QObject *parent)
    : QObject(parent)
{
}

MqttBrowserClient::~MqttBrowserClient()
{
    disconnectFromBroker();
}

qint64 MqttBrowserClient::dropped() const
{
    const QMutexLocker lock(&m_mutex);
    return m_dropped;
}

void MqttBrowserClient::enqueue(MqttMessage &&message)
{
    // Paho's thread: into the bounded inbox; one delivery queued for the GUI thread at a time.
    bool queue = false;
    {
        const QMutexLocker lock(&m_mutex);
        m_inbox.push_back(std::move(message));
        while (m_inbox.size() > size_t(kMaxPending)) {
            m_inbox.pop_front();
            ++m_dropped;
        }
        queue = !std::exchange(m_deliveryQueued, true);
    }
    if (queue) {
        QMetaObject::invokeMethod(this, [this] { QTimer::singleShot(kDeliveryIntervalMs, this, &MqttBrowserClient::deliver); },
                                  Qt::QueuedConnection);
    }
}

void MqttBrowserClient::deliver()
{
    QList<MqttMessage> batch;
    {
        const QMutexLocker lock(&m_mutex);
        m_deliveryQueued = false;
        batch.reserve(qsizetype(m_inbox.size()));
        for (MqttMessage &m : m_inbox)
            batch.append(std::move(m));
        m_inbox.clear();
    }
    if (!batch.isEmpty())
        Q_EMIT messagesArrived(batch);
}

void MqttBrowserClient::connectTo(const QString &url, const QString &filter)
{
    disconnectFromBroker();
    QString uri = url.trimmed();
    if (!uri.contains(QLatin1String("://")))
        uri.prepend(QStringLiteral("tcp://"));
    m_url = uri;
    auto paho = std::make_shared<Paho>();
    paho->filter = filter.trimmed().isEmpty() ? QStringLiteral("#") : filter.trimmed();
    paho->owner = this;
    m_paho = paho;
    const std::weak_ptr<Paho> weak = paho;
    const auto onGui = [weak](std::function<void(MqttBrowserClient *)> f) {
        if (const std::shared_ptr<Paho> p = weak.lock())
            p->onGui(p, std::move(f));
    };
    paho->connectListener.done = [onGui](bool ok, const QString &why) {
        if (!ok)
            onGui([why](MqttBrowserClient *c) { Q_EMIT c->failed(tr("Cannot connect to %1: %2").arg(c->m_url, why)); });
    };
    paho->subscribeListener.done = [onGui](bool ok, const QString &why) {
        if (!ok)
            onGui([why](MqttBrowserClient *c) { Q_EMIT c->failed(tr("The broker refused the subscription: %1").arg(why)); });
    };
    try {
        const QString clientId = QStringLiteral("gatehouse-console-") + QUuid::createUuid().toString(QUuid::Id128).left(12);
        paho->client = std::make_unique<mqtt::async_client>(uri.toStdString(), clientId.toStdString(), mqtt::create_options(MQTTVERSION_5));
        Paho *raw = paho.get();
        paho->client->set_message_callback([raw](mqtt::const_message_ptr message) {
            MqttMessage m;
            m.topic = QString::fromStdString(message->get_topic());
            const std::string &payload = message->get_payload_str();
            m.payload = QByteArray(payload.data(), qsizetype(payload.size()));
            m.retained = message->is_retained();
            m.qos = message->get_qos();
            m.receivedMs = QDateTime::currentMSecsSinceEpoch();
            const mqtt::properties &props = message->get_properties();
            if (props.contains(mqtt::property::RESPONSE_TOPIC))
                m.responseTopic = QString::fromStdString(mqtt::get<std::string>(props, mqtt::property::RESPONSE_TOPIC));
            for (size_t i = 0; i < props.count(mqtt::property::USER_PROPERTY); ++i) {
                const auto pair = mqtt::get<mqtt::string_pair>(props, mqtt::property::USER_PROPERTY, i);
                m.userProperties.append({QString::fromStdString(std::get<0>(pair)), QString::fromStdString(std::get<1>(pair))});
            }
            const std::lock_guard lock(raw->mutex);
            if (raw->owner)
                raw->owner->enqueue(std::move(m));
        });
        const quint16 port = TcpNoDelay::brokerPort(uri);
        paho->client->set_connected_handler([raw, onGui, port](const std::string &) {
            // Paho leaves Nagle on, and a published command would wait (see TcpNoDelay); on the
            // GUI thread, not Paho's.
            onGui([port](MqttBrowserClient *) { TcpNoDelay::disableOnSocketsTo(port); });
            try {
                raw->client->subscribe(raw->filter.toStdString(), 1, nullptr, raw->subscribeListener);
            } catch (const std::exception &) {
                // the connection went again; the next one subscribes
            }
            onGui([](MqttBrowserClient *c) {
                c->m_connected = true;
                Q_EMIT c->connectedChanged(true);
            });
        });
        paho->client->set_connection_lost_handler([onGui](const std::string &) {
            onGui([](MqttBrowserClient *c) {
                c->m_connected = false;
                Q_EMIT c->connectedChanged(false);
            });
        });
        mqtt::connect_options_builder options;
        options.mqtt_version(MQTTVERSION_5).clean_start(true).connect_timeout(std::chrono::seconds(5))
            .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(5));
        paho->client->connect(options.finalize(), nullptr, paho->connectListener);
    } catch (const std::exception &e) {
        Q_EMIT failed(tr("Cannot connect to %1: %2").arg(uri, QString::fromUtf8(e.what())));
    }
}

void MqttBrowserClient::disconnectFromBroker()
{
    const std::shared_ptr<Paho> paho = std::exchange(m_paho, nullptr);
    if (!paho)
        return;
    {
        const std::lock_guard lock(paho->mutex);
        paho->owner = nullptr;   // from here on no callback reaches this client
    }
    if (!paho->client)
        return;
    try {
        paho->client->disable_callbacks();
        if (paho->client->is_connected())
            paho->client->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const std::exception &) {
        // gone already
    }
    if (m_connected) {
        m_connected = false;
        Q_EMIT connectedChanged(false);
    }
}

void MqttBrowserClient::publish(const QString &topic, const QByteArray &payload, int qos, bool retain, const QString &responseTopic,
                                const QList<std::pair<QString, QString>> &userProperties)
{
    if (!m_paho || !m_paho->client || !m_connected) {
        Q_EMIT published(topic, false, tr("not connected"));
        return;
    }
    try {
        // Short waits on the GUI thread: a broker that does not answer is said, not waited for.
        if (!responseTopic.isEmpty() && !m_paho->client->subscribe(responseTopic.toStdString(), 1)->wait_for(std::chrono::seconds(1))) {
            Q_EMIT published(topic, false, tr("the broker did not confirm the subscription to the response topic within 1 s"));
            return;
        }
        auto message = mqtt::make_message(topic.toStdString(), payload.constData(), size_t(payload.size()), qBound(0, qos, 1), retain);
        mqtt::properties props;
        if (!responseTopic.isEmpty())
            props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, responseTopic.toStdString()));
        for (const auto &[name, value] : userProperties)
            props.add(mqtt::property(mqtt::property::USER_PROPERTY, name.toStdString(), value.toStdString()));
        message->set_properties(props);
        if (!m_paho->client->publish(message)->wait_for(std::chrono::seconds(2))) {
            Q_EMIT published(topic, false, tr("no acknowledgement from the broker within 2 s"));
            return;
        }
        Q_EMIT published(topic, true, {});
    } catch (const std::exception &e) {
        Q_EMIT published(topic, false, QString::fromUtf8(e.what()));
    }
}

} // namespace Gatehouse::Ui
