#include "mqttservice.h"

#include "managedbroker.h"
#include "metrics/metricsregistry.h"
#include "mqttbridge.h"

#include <atomic>
#include "mqttlogging.h"
#include "mqttoutbox.h"
#include "mqttretainedstate.h"
#include "projections/upsertprojection.h"
#include "store/eventstore.h"

#include <QThread>

namespace Gatehouse::Mqtt {

struct MqttService::Private
{
    std::unique_ptr<ManagedBroker> broker;
    std::unique_ptr<QThread> thread;
    MqttBridge *bridge = nullptr;   // lives on `thread`; deleted after the thread ended
    std::atomic<bool> outboxActive{true};   // setOutboxActive(), also before start()
    QString url;
};

MqttService::MqttService(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
}

MqttService::~MqttService()
{
    stop();
}

bool MqttService::start(const EngineSide &engine, const MqttOptions &options, QString *error)
{
    stop();
    if (options.broker == MqttOptions::Broker::Off)
        return true;
    MetricsRegistry *metrics = engine.metrics;
    if (metrics)
        MqttBridge::describeMetrics(metrics);

    QString url = options.brokerUrl;
    if (options.broker == MqttOptions::Broker::Managed) {
        ManagedBroker::Options brokerOptions;
        brokerOptions.dataDir = engine.dataDir;
        brokerOptions.address = options.listenAddress;
        brokerOptions.port = options.listenPort;
        brokerOptions.program = options.mosquittoProgram;
        d->broker = std::make_unique<ManagedBroker>(brokerOptions);
        QString brokerError;
        if (!d->broker->start(&brokerError)) {
            *error = QStringLiteral("MQTT is off: ") + brokerError;
            d->broker.reset();
            return false;
        }
        url = d->broker->url();
        if (!options.listenAddress.isLoopback()) {
            qCWarning(lcMqtt).noquote() << "the managed MQTT broker on" << url
                                        << "accepts anonymous clients: whoever reaches it can send commands";
        }
        if (metrics) {
            connect(d->broker.get(), &ManagedBroker::restarted, this,
                    [metrics] { metrics->increment("gatehouse_mqtt_broker_restarts_total"); });
        }
    } else if (url.isEmpty()) {
        *error = QStringLiteral("MQTT is off: no broker URL given");
        return false;
    }
    d->url = url;

    MqttBridge::Services services;
    services.store = engine.store;
    services.gateway = engine.gateway;
    services.metrics = metrics;
    services.dataDir = engine.dataDir;
    services.readOutboxCheckpoint = engine.readOutboxCheckpoint;
    services.writeOutboxCheckpoint = engine.writeOutboxCheckpoint;
    services.outboxActive = engine.outboxActive && d->outboxActive;
    d->bridge = new MqttBridge(services, options, url);
    d->thread = std::make_unique<QThread>();
    d->thread->setObjectName(QStringLiteral("mqtt"));
    d->bridge->moveToThread(d->thread.get());
    // Both signals come from other threads: queued, in commit order, to the bridge's thread.
    connect(services.store, &EventStore::eventsCommitted, d->bridge->outbox(), &MqttOutbox::eventsCommitted);
    if (UpsertProjection *upsert = engine.upsert)
        connect(upsert, &UpsertProjection::documentsChanged, d->bridge->retainedState(), &MqttRetainedState::documentsChanged);
    connect(d->bridge, &MqttBridge::connectionChanged, this, &MqttService::connectionChanged);
    d->thread->start();

    bool started = false;
    QString bridgeError;
    QMetaObject::invokeMethod(
        d->bridge,
        [bridge = d->bridge, &started, &bridgeError] {
            bridge->outbox()->refreshHead();   // commits between its construction and the connect above
            started = bridge->start(&bridgeError);
        },
        Qt::BlockingQueuedConnection);
    if (!started) {
        *error = QStringLiteral("MQTT is off: ") + bridgeError;
        stop();
        return false;
    }
    return true;
}

void MqttService::stop()
{
    if (d->bridge) {
        QMetaObject::invokeMethod(d->bridge, [bridge = d->bridge] { bridge->stop(); }, Qt::BlockingQueuedConnection);
        d->thread->quit();
        d->thread->wait();
        delete d->bridge;   // its thread has ended: nothing runs in it any more
        d->bridge = nullptr;
        d->thread.reset();
    }
    if (d->broker) {
        d->broker->stop();
        d->broker.reset();
    }
    d->url.clear();
}

bool MqttService::isRunning() const
{
    return d->bridge != nullptr;
}

MqttStatus MqttService::status() const
{
    MqttStatus status = d->bridge ? d->bridge->status() : MqttStatus{};
    status.brokerUrl = d->url;
    if (d->broker) {
        status.managedBroker = true;
        status.brokerRunning = d->broker->isRunning();
        status.brokerRestarts = d->broker->restartCount();
    }
    return status;
}

QString MqttService::brokerUrl() const
{
    return d->url;
}

QString MqttService::persistenceNotice() const
{
    return d->broker ? d->broker->persistenceNotice() : QString();
}

ManagedBroker *MqttService::managedBroker() const
{
    return d->broker.get();
}

void MqttService::setOutboxActive(bool active)
{
    d->outboxActive = active;
    if (d->bridge) {
        QMetaObject::invokeMethod(d->bridge->outbox(), [outbox = d->bridge->outbox(), active] { outbox->setActive(active); },
                                  Qt::QueuedConnection);
    }
}

MqttBridge *MqttService::bridge() const
{
    return d->bridge;
}

} // namespace Gatehouse::Mqtt
