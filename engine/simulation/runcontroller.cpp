#include "runcontroller.h"

#include "base/steadyclock.h"
#include "faultcontrol.h"
#include "faultschedule.h"
#include "httploadclient.h"
#include "loadgenerator.h"
#include "runcontext.h"
#include "runreport.h"
#include "seededrandom.h"
#include "simulationlogging.h"
#include "subscriberset.h"

#include <QThread>
#include <QUrl>

namespace Gatehouse::Simulation {

namespace {
constexpr qint64 kNsPerMs = 1000 * 1000;

QString targetUrl(const RunContext &c)
{
    return QStringLiteral("%1://%2").arg(c.gateway.tls ? QStringLiteral("https") : QStringLiteral("http"),
                                         QString::fromLatin1(hostHeader(c.gateway.host, c.gateway.port)));
}
} // namespace

RunController::RunController(SimulationRun *run, QString id, RunContext *context, RunEnvironment environment,
                             RunState *state)
    : m_run(run)
    , m_id(std::move(id))
    , m_context(context)
    , m_environment(std::move(environment))
    , m_state(state)
    , m_preflightTimer(this)   // children, so they move to the controller thread with it
    , m_sampleTimer(this)
    , m_endTimer(this)
    , m_drainTimer(this)
{
    m_preflightTimer.setSingleShot(true);
    connect(&m_preflightTimer, &QTimer::timeout, this, [this] {
        end(QStringLiteral("failed"), QStringLiteral("the target %1 did not answer within %2 ms")
                                          .arg(targetUrl(*m_context)).arg(kPreflightTimeoutMs));
    });
    m_sampleTimer.setInterval(kSampleMs);
    m_sampleTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_sampleTimer, &QTimer::timeout, this, &RunController::sample);
    m_endTimer.setSingleShot(true);
    m_endTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_endTimer, &QTimer::timeout, this, &RunController::loadOver);
    m_drainTimer.setInterval(100);
    connect(&m_drainTimer, &QTimer::timeout, this, &RunController::checkDrained);
    // A client id no other run (of this or another process) uses: the broker drops duplicates.
    m_clientIdPrefix = QStringLiteral("gatehouse-sim-") + SeededRandom(quint64(steadyNowNs()) ^ quint64(quintptr(this))).hex(12);
}

RunController::~RunController()
{
    shutDownThreads();
    delete m_faults;   // switches off whatever is still on
}

QString RunController::checkEnvironment() const
{
    const Scenario &s = m_context->scenario;
    if (!s.faults.isEmpty()) {
        if (!m_environment.faults)
            return QStringLiteral("the scenario has faults, and this run cannot switch faults in an engine");
        const QUrl own(m_environment.gatewayUrl);
        if (!s.target.isEmpty() && (own.host() != m_context->gateway.host || own.port(own.scheme() == QLatin1String("https") ? 443 : 80) != m_context->gateway.port))
            return QStringLiteral("faults act on this engine, but the scenario targets %1").arg(s.target);
    }
    bool needsMqtt = false;
    for (const Subscriber &sub : s.subscribers)
        needsMqtt = needsMqtt || sub.protocol == Subscriber::Mqtt;
    for (const Workload &w : s.workloads)
        for (const Operation &op : w.operations)
            needsMqtt = needsMqtt || op.kind == Operation::MqttCommand;
    if (needsMqtt && (m_context->mqttHost.isEmpty() || m_context->mqttPort <= 0))
        return QStringLiteral("MQTT subscribers and mqtt_command need an MQTT broker, and there is none");
    return {};
}

void RunController::prime()
{
    m_startedAt = QDateTime::currentDateTimeUtc();
    publish(buildReport({}, {}));
}

void RunController::start()
{
    m_faults = new FaultSchedule(m_context->scenario.faults, m_context->scenario.document.value(QLatin1String("faults")).toArray(),
                                 m_environment.faults);
    publish(buildReport({}, {}));
    if (const QString problem = checkEnvironment(); !problem.isEmpty())
        return end(QStringLiteral("failed"), problem);
    preflight();
}

// Any HTTP answer (a 404 too) shows the target is there; a refused connection or silence does
// not, and a run against it would only measure errors.
void RunController::preflight()
{
    m_phase = Phase::Preflight;
    m_preflight = new HttpLoadClient(m_context->gateway, this);
    m_preflightTimer.start(kPreflightTimeoutMs);
    m_preflight->send(HttpLoadRequest{"GET", "/", {}, {}}, [this](HttpLoadResult &&result) {
        if (m_phase != Phase::Preflight)
            return;
        m_preflightTimer.stop();
        if (result.error != LoadError::None)
            return end(QStringLiteral("failed"), QStringLiteral("the target %1 does not answer (%2: %3)")
                                                     .arg(targetUrl(*m_context), loadErrorName(result.error), result.detail));
        // Subscribers and generator threads get ready side by side (MQTT connects take a while).
        m_phase = Phase::Preparing;
        openSubscribers();
        prepareGenerators();
    });
}

void RunController::openSubscribers()
{
    m_subscriberThread = new QThread;
    m_subscriberThread->setObjectName(QStringLiteral("gatehouse-sim-subscribers"));
    m_subscribers = new SubscriberSet(m_context, m_clientIdPrefix);
    m_subscribers->moveToThread(m_subscriberThread);
    connect(m_subscriberThread, &QThread::finished, m_subscribers, &QObject::deleteLater);
    connect(m_subscribers, &SubscriberSet::ready, this, [this](const QString &error) {
        if (m_phase != Phase::Preparing)
            return;
        if (!error.isEmpty())
            return end(QStringLiteral("failed"), error);
        m_subscribersReady = true;
        if (m_prepared == m_generators.size())
            beginLoad();
    });
    m_subscriberThread->start();
    QMetaObject::invokeMethod(m_subscribers, &SubscriberSet::open, Qt::QueuedConnection);
}

void RunController::prepareGenerators()
{
    for (int t = 0; t < kGeneratorThreads; ++t) {
        auto shard = std::make_shared<MetricsShard>(m_context->operationCount());
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("gatehouse-sim-load%1").arg(t));
        auto *generator = new LoadGenerator(m_context, shard.get(), t, kGeneratorThreads, m_clientIdPrefix);
        generator->moveToThread(thread);
        connect(thread, &QThread::finished, generator, &QObject::deleteLater);
        connect(generator, &LoadGenerator::prepared, this, &RunController::onPrepared);
        connect(generator, &LoadGenerator::finished, this, &RunController::onGeneratorFinished);
        m_shards.append(shard);
        m_threads.append(thread);
        m_generators.append(generator);
        thread->start();
        QMetaObject::invokeMethod(generator, &LoadGenerator::prepare, Qt::QueuedConnection);
    }
}

void RunController::onPrepared(const QString &error)
{
    if (m_phase != Phase::Preparing)
        return;
    if (!error.isEmpty())
        return end(QStringLiteral("failed"), error);
    if (++m_prepared == m_generators.size() && m_subscribersReady)
        beginLoad();
}

void RunController::beginLoad()
{
    m_phase = Phase::Running;
    // Second 0 a little ahead, so every generator thread has its start call before it.
    m_context->startNs = steadyNowNs() + 20 * kNsPerMs;
    m_lastSampleNs = m_context->startNs;
    for (LoadGenerator *g : std::as_const(m_generators))
        QMetaObject::invokeMethod(g, &LoadGenerator::start, Qt::QueuedConnection);
    m_faults->start(m_context->startNs);
    m_sampleTimer.start();
    qCInfo(lcSimulation).noquote() << "run" << m_id << "started against" << targetUrl(*m_context);
}

void RunController::onGeneratorFinished()
{
    if (++m_generatorsDone < m_generators.size())
        return;
    const qint64 durationEndNs = m_context->startNs + m_context->scenario.durationMs * kNsPerMs;
    const qint64 now = steadyNowNs();
    if (!m_ending && now < durationEndNs)
        m_endTimer.start(int((durationEndNs - now) / kNsPerMs));
    else
        loadOver();
}

void RunController::loadOver()
{
    if (m_phase != Phase::Running)
        return;
    m_phase = Phase::Draining;
    m_loadEndNs = steadyNowNs();
    m_drainDeadlineNs = m_loadEndNs + qint64(m_ending ? kStoppedDrainMs : kDrainMs) * kNsPerMs;
    m_drainTimer.start();
    checkDrained();
}

void RunController::checkDrained()
{
    if (m_phase != Phase::Draining)
        return;
    if (m_context->lag.outstanding() > 0 && steadyNowNs() < m_drainDeadlineNs)
        return;
    m_drainTimer.stop();
    if (!m_ending)
        m_endState = QStringLiteral("finished");
    finalize();
}

void RunController::stop()
{
    end(QStringLiteral("stopped"), QStringLiteral("stopped before the end"));
}

void RunController::fail(const QString &reason)
{
    end(QStringLiteral("failed"), reason);
}

// Whatever ends the run comes here: before the load, the run ends at once; during it, the
// generators stop (their requests in flight end as interrupted) and a short drain follows.
void RunController::end(const QString &state, const QString &reason)
{
    if (m_ending || m_phase == Phase::Done)
        return;
    m_ending = true;
    m_endState = state;
    m_reason = reason;
    if (state == QLatin1String("failed"))
        qCWarning(lcSimulation).noquote() << "run" << m_id << "failed:" << reason;
    switch (m_phase) {
    case Phase::Running:
        m_endTimer.stop();
        if (m_generatorsDone == m_generators.size()) {
            loadOver();
            return;
        }
        for (LoadGenerator *g : std::as_const(m_generators))
            QMetaObject::invokeMethod(g, &LoadGenerator::stop, Qt::QueuedConnection);
        return;   // onGeneratorFinished -> loadOver
    case Phase::Draining:
        m_drainDeadlineNs = qMin(m_drainDeadlineNs, steadyNowNs() + qint64(kStoppedDrainMs) * kNsPerMs);
        return;
    default:
        finalize();
        return;
    }
}

void RunController::finalize()
{
    if (m_phase == Phase::Done)
        return;
    m_phase = Phase::Done;
    m_sampleTimer.stop();
    m_drainTimer.stop();
    m_preflightTimer.stop();
    if (m_preflight)
        m_preflight->abort();
    if (m_faults)
        m_faults->switchAllOff();
    if (m_loadEndNs == 0)
        m_loadEndNs = steadyNowNs();
    m_endedAt = QDateTime::currentDateTimeUtc();
    if (m_context->startNs > 0)
        sample();   // the last (partial) second, so the series covers the whole run
    shutDownThreads();

    QList<OpStats> totals(m_context->operationCount());
    for (const auto &shard : std::as_const(m_shards))
        shard->mergeInto(&totals, nullptr, false);
    const QJsonObject report = buildReport(totals, m_context->lag.summary());
    publish(report);
    m_state->finished = true;
    qCInfo(lcSimulation).noquote() << "run" << m_id << m_endState << (m_reason.isEmpty() ? QString() : QStringLiteral("(%1)").arg(m_reason));
    Q_EMIT m_run->finished(report);
}

void RunController::shutDownThreads()
{
    if (m_subscribers && m_subscriberThread && m_subscriberThread->isRunning())
        QMetaObject::invokeMethod(m_subscribers, &SubscriberSet::close, Qt::BlockingQueuedConnection);
    if (m_subscriberThread)
        m_threads.append(std::exchange(m_subscriberThread, nullptr));
    for (QThread *thread : std::as_const(m_threads)) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    m_threads.clear();
    m_generators.clear();
    m_subscribers = nullptr;
}

double RunController::loadSeconds() const
{
    if (m_context->startNs == 0)
        return 0;
    const qint64 end = m_loadEndNs > 0 ? m_loadEndNs : steadyNowNs();
    return qMax<double>(0, double(end - m_context->startNs) / 1e9);
}

void RunController::sample()
{
    const qint64 now = steadyNowNs();
    const double seconds = double(now - m_lastSampleNs) / 1e9;
    m_lastSampleNs = now;
    QList<OpStats> totals(m_context->operationCount());
    QList<OpStats> interval(m_context->operationCount());
    int activeVus = 0;
    for (const auto &shard : std::as_const(m_shards)) {
        shard->mergeInto(&totals, &interval, true);
        activeVus += shard->busyVus.load();
    }
    LagTracker::Summary lagInterval;
    const LagTracker::Summary lag = m_context->lag.summary(&lagInterval);
    QJsonObject point = RunReport::seriesPoint((now - m_context->startNs) / kNsPerMs, interval, lagInterval, seconds, activeVus);
    if (m_environment.probe)
        m_lastEngine = m_environment.probe->sample();
    point.insert(QStringLiteral("engine"), m_lastEngine);
    if (m_faults)
        point.insert(QStringLiteral("faults"), QJsonArray::fromStringList(m_faults->activeKinds()));
    m_series.append(point);
    if (m_phase != Phase::Done)   // finalize() publishes the report once the threads have stopped
        publish(buildReport(totals, lag));
    Q_EMIT m_run->sampled(point);

    // A target that went away: every request of the interval refused its connection.
    qint64 requests = 0;
    qint64 refused = 0;
    for (const OpStats &s : std::as_const(interval)) {
        requests += s.requests;
        refused += s.errors.value(loadErrorName(LoadError::Connect));
    }
    m_deadSeconds = requests > 0 && refused == requests ? m_deadSeconds + 1 : 0;
    if (m_deadSeconds >= kDeadTargetSeconds && m_phase == Phase::Running)
        end(QStringLiteral("failed"), QStringLiteral("the target %1 stopped answering: every request for %2 s was refused")
                                          .arg(targetUrl(*m_context)).arg(kDeadTargetSeconds));
}

QJsonObject RunController::buildReport(const QList<OpStats> &totals, const LagTracker::Summary &lag) const
{
    const Scenario &s = m_context->scenario;
    const double seconds = loadSeconds();
    QJsonArray thresholds;
    bool passed = true;
    if (!totals.isEmpty()) {
        const MetricView view = RunReport::metricView(*m_context, totals, lag, seconds);
        for (const Threshold &t : s.thresholds) {
            const Thresholds::Result result = Thresholds::evaluate(t, view);
            passed = passed && result.pass;
            thresholds.append(Thresholds::resultJson(t, result));
        }
    }
    const QString state = m_phase == Phase::Done ? m_endState : QStringLiteral("running");
    const auto iso = [](const QDateTime &t) { return t.isValid() ? QJsonValue(t.toString(Qt::ISODateWithMs)) : QJsonValue(); };
    return QJsonObject{
        {QStringLiteral("id"), m_id},
        {QStringLiteral("scenario"), s.name},
        {QStringLiteral("definition"), s.document},   // the scenario as this run read it
        {QStringLiteral("seed"), QJsonValue(qint64(s.seed))},
        {QStringLiteral("target"), targetUrl(*m_context)},
        {QStringLiteral("config_version"), m_environment.configVersion},
        {QStringLiteral("engine_version"), m_environment.engineVersion},
        {QStringLiteral("state"), state},
        {QStringLiteral("reason"), m_reason.isEmpty() ? QJsonValue() : QJsonValue(m_reason)},
        {QStringLiteral("started_at"), iso(m_startedAt)},
        {QStringLiteral("ended_at"), iso(m_endedAt)},
        {QStringLiteral("elapsed_ms"), qint64(seconds * 1000)},
        {QStringLiteral("duration_ms"), s.durationMs},
        {QStringLiteral("operations"), RunReport::operationsJson(*m_context, totals, seconds)},
        {QStringLiteral("totals"), RunReport::totalsJson(totals)},
        {QStringLiteral("consistency_lag"), RunReport::lagJson(lag)},
        {QStringLiteral("thresholds"), thresholds},
        {QStringLiteral("faults"), m_faults ? m_faults->toJson() : QJsonArray()},
        {QStringLiteral("series"), m_series},
        {QStringLiteral("passed"), state != QLatin1String("running") && state != QLatin1String("failed") && passed},
    };
}

void RunController::publish(const QJsonObject &report)
{
    const QMutexLocker lock(&m_state->mutex);
    m_state->report = report;
}

} // namespace Gatehouse::Simulation
