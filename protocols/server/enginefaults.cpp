#include "enginefaults.h"

#include "base/steadyclock.h"
#include "mqtt/managedbroker.h"
#include "mqtt/mqttbridge.h"
#include "mqtt/mqttservice.h"

#include <QFile>
#include <QJsonObject>
#include <QThread>

#include <condition_variable>
#include <functional>
#include <mutex>

#include <sys/resource.h>
#include <unistd.h>

namespace Gatehouse::Server {

struct EngineFaults::Switched
{
    QSet<QString> functions;
    QSet<QString> projections;
    QSet<std::pair<QString, QString>> overrides;   // (upstream, node)
    bool commitDelay = false;
    bool brokerStopped = false;
};

namespace {

// Runs `work` on `context`'s thread and waits for it at most `timeoutMs`. A thread that never
// gets to it (its owner is waiting for the caller) costs the caller the wait, not a deadlock.
QString runOn(QObject *context, std::function<QString()> work, int timeoutMs)
{
    if (QThread::currentThread() == context->thread())
        return work();
    struct State
    {
        std::mutex mutex;
        std::condition_variable done;
        bool finished = false;
        bool abandoned = false;
        QString result;
    };
    auto state = std::make_shared<State>();
    QMetaObject::invokeMethod(context, [state, work = std::move(work)] {
        {
            std::lock_guard lock(state->mutex);
            if (state->abandoned)
                return;
        }
        QString result = work();
        std::lock_guard lock(state->mutex);
        state->result = std::move(result);
        state->finished = true;
        state->done.notify_all();
    }, Qt::QueuedConnection);
    std::unique_lock lock(state->mutex);
    if (!state->done.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return state->finished; })) {
        state->abandoned = true;
        return QStringLiteral("the MQTT service's thread did not answer within %1 ms").arg(timeoutMs);
    }
    return state->result;
}

qint64 processCpuUs()
{
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    return (qint64(usage.ru_utime.tv_sec) + qint64(usage.ru_stime.tv_sec)) * 1'000'000 + qint64(usage.ru_utime.tv_usec)
        + qint64(usage.ru_stime.tv_usec);
}

qint64 residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toLongLong() * qint64(::sysconf(_SC_PAGESIZE)) : 0;
}

} // namespace

EngineFaults::EngineFaults(const Engine *engine, Mqtt::MqttService *mqtt)
    : m_switches(engine)
    , m_mqtt(mqtt)
    , m_on(std::make_unique<Switched>())
    , m_lastCpuUs(processCpuUs())
    , m_lastWallUs(steadyNowNs() / 1000)
{
}

EngineFaults::~EngineFaults()
{
    switchAllOff();
}

QString EngineFaults::setFunctionFault(const QString &function, double errorRate, qint64 latencyMs)
{
    const QString error = m_switches.setFunctionFault(function, errorRate, latencyMs);
    QMutexLocker lock(&m_mutex);
    if (error.isEmpty() && (errorRate > 0 || latencyMs > 0))
        m_on->functions.insert(function);
    else if (error.isEmpty())
        m_on->functions.remove(function);
    return error;
}

QString EngineFaults::setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch)
{
    const QString error = m_switches.setProjectionFault(projection, paused, msPerBatch);
    QMutexLocker lock(&m_mutex);
    if (error.isEmpty() && (paused || msPerBatch > 0))
        m_on->projections.insert(projection);
    else if (error.isEmpty())
        m_on->projections.remove(projection);
    return error;
}

QString EngineFaults::setBrokerStopped(bool stopped)
{
    Mqtt::ManagedBroker *broker = m_mqtt ? m_mqtt->managedBroker() : nullptr;
    if (!broker)
        return QStringLiteral("no managed MQTT broker runs in this engine (MQTT is off, or the broker is external: --mqtt-url)");
    const QString error = runOn(broker, [broker, stopped]() -> QString {
        QString why;
        if (stopped)
            broker->stop();
        else if (!broker->isRunning() && !broker->start(&why))
            return why.isEmpty() ? QStringLiteral("the MQTT broker did not start again") : why;
        return {};
    }, kBrokerWaitMs);
    QMutexLocker lock(&m_mutex);
    if (error.isEmpty())
        m_on->brokerStopped = stopped;
    return error;
}

QString EngineFaults::setCommitDelay(qint64 delayMs)
{
    const QString error = m_switches.setCommitDelay(delayMs);
    QMutexLocker lock(&m_mutex);
    if (error.isEmpty())
        m_on->commitDelay = delayMs > 0;
    return error;
}

QString EngineFaults::setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &viaAddress)
{
    const QString error = m_switches.setUpstreamNodeOverride(upstream, node, viaAddress);
    QMutexLocker lock(&m_mutex);
    if (error.isEmpty() && !viaAddress.isEmpty())
        m_on->overrides.insert({upstream, node});
    else if (error.isEmpty())
        m_on->overrides.remove({upstream, node});
    return error;
}

QStringList EngineFaults::upstreamNodes(const QString &upstream) const
{
    return m_switches.upstreamNodes(upstream);
}

QJsonObject EngineFaults::sample()
{
    const FaultSwitches::Load load = m_switches.load();
    QJsonObject out{
        {QStringLiteral("log_head"), load.logHead},
        {QStringLiteral("projection_lag"), load.projectionLag},
        {QStringLiteral("function_queue"), load.functionQueue},
        {QStringLiteral("dead_letters"), load.deadLetters},
        {QStringLiteral("breakers_open"), load.breakersOpen},
        {QStringLiteral("rss_bytes"), residentBytes()},
    };
    {
        // CPU time of the process over the wall time since the previous sample: 100 = one core.
        const qint64 cpu = processCpuUs();
        const qint64 wall = steadyNowNs() / 1000;
        QMutexLocker lock(&m_mutex);
        const qint64 elapsed = wall - m_lastWallUs;
        out.insert(QStringLiteral("cpu_percent"), elapsed > 0 ? double(cpu - m_lastCpuUs) * 100.0 / double(elapsed) : 0.0);
        m_lastCpuUs = cpu;
        m_lastWallUs = wall;
    }
    if (m_mqtt) {
        if (const Mqtt::MqttBridge *bridge = m_mqtt->bridge()) {
            const Mqtt::MqttStatus status = bridge->status();   // thread-safe
            out.insert(QStringLiteral("mqtt_outbox_lag"), status.outboxLag());
            out.insert(QStringLiteral("mqtt_connected"), status.connected);
        }
        if (const Mqtt::ManagedBroker *broker = m_mqtt->managedBroker())
            out.insert(QStringLiteral("broker_running"), broker->isRunning());
    }
    return out;
}

void EngineFaults::switchAllOff()
{
    Switched on;
    {
        QMutexLocker lock(&m_mutex);
        on = std::exchange(*m_on, Switched{});
    }
    for (const QString &function : std::as_const(on.functions))
        m_switches.setFunctionFault(function, 0, 0);
    for (const QString &projection : std::as_const(on.projections))
        m_switches.setProjectionFault(projection, false, 0);
    for (const auto &[upstream, node] : std::as_const(on.overrides))
        m_switches.setUpstreamNodeOverride(upstream, node, QString());
    if (on.commitDelay)
        m_switches.setCommitDelay(0);
    if (on.brokerStopped)
        setBrokerStopped(false);
}

} // namespace Gatehouse::Server
