#include "simulationservice.h"

#include "config/configstore.h"
#include "faultcontrol.h"
#include "simulationlogging.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QLoggingCategory>
#include <QJsonArray>
#include <QUrl>
#include <QUuid>

namespace Gatehouse::Simulation {

namespace {

// A run saves its figures so far this often (in samples, about seconds): a crash of the engine
// keeps what was measured up to then.
constexpr int kSaveEverySamples = 10;

// A run has ended once its report says so, a moment before isFinished() turns true.
bool hasEnded(const SimulationRun *run)
{
    if (run->isFinished())
        return true;
    const QString state = run->snapshot().value(QStringLiteral("state")).toString();
    return state != QLatin1String("running") && state != QLatin1String("created");
}

bool needsEngine(const Scenario &scenario)
{
    return !scenario.faults.isEmpty();
}

} // namespace

SimulationService::SimulationService(ConfigStore *config, const CollectionCatalog *collections, QObject *parent)
    : QObject(parent)
    , m_scenarios(config, collections)
    , m_config(config)
    , m_collections(collections)
{
    m_control.setObjectName(QStringLiteral("simulation"));
    m_control.start();
}

SimulationService::~SimulationService()
{
    QString id;
    SimulationRun *active = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        active = m_active;
        id = m_activeId;
    }
    if (active && !active->isFinished()) {
        abort(id, engineStoppedReason());
        waitForIdle(15000);
    }
    if (active) {
        // Deleted on its own thread, where its timers live.
        QMetaObject::invokeMethod(active, [active] { delete active; }, Qt::BlockingQueuedConnection);
    }
    m_control.quit();
    m_control.wait();
}

bool SimulationService::open(const QString &runsDatabasePath, QString *error)
{
    return m_runs.open(runsDatabasePath, error) && m_scenarios.seedExamples(error);
}

void SimulationService::setEnvironment(const RunEnvironment &environment)
{
    QMutexLocker lock(&m_mutex);
    m_environment = environment;
    m_environment.collections = m_collections;
    m_environmentSet = true;
}

RunEnvironment SimulationService::environment() const
{
    QMutexLocker lock(&m_mutex);
    return m_environment;
}

QJsonObject SimulationService::applyOverrides(QJsonObject definition, const QJsonObject &overrides, QStringList *errors)
{
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        if (it.key() == QLatin1String("target") || it.key() == QLatin1String("seed") || it.key() == QLatin1String("duration")) {
            if (it.value().isNull())
                definition.remove(it.key());
            else
                definition.insert(it.key(), it.value());
        } else {
            errors->append(QStringLiteral("/%1: a run may override target, seed and duration only").arg(it.key()));
        }
    }
    return definition;
}

SimulationService::StartResult SimulationService::startStored(const QString &name, const QJsonObject &overrides)
{
    const std::optional<QJsonObject> stored = m_scenarios.get(name);
    if (!stored)
        return {404, {}, {}, {}, QStringLiteral("no scenario named %1").arg(name)};
    QStringList errors;
    const QJsonObject definition = applyOverrides(ScenarioStore::definition(*stored), overrides, &errors);
    if (!errors.isEmpty())
        return {400, {}, {}, errors, QStringLiteral("invalid run options")};
    return startDocument(definition, name);
}

SimulationService::StartResult SimulationService::startDocument(const QJsonObject &document, const QString &name)
{
    const QString target = document.value(QStringLiteral("target")).toString();
    const QUrl gatewayUrl(target.isEmpty() ? environment().gatewayUrl : target);
    const QString gateway = gatewayUrl.host() + QLatin1Char(':') + QString::number(gatewayUrl.port(80));
    QStringList errors;
    std::optional<Scenario> scenario = Scenario::fromJson(withGateway(document, gateway), &errors, m_collections);
    if (!scenario)
        return {400, {}, {}, errors, QStringLiteral("invalid scenario")};
    if (scenario->name.isEmpty())
        scenario->name = name;
    return startScenario(std::move(*scenario));
}

SimulationService::StartResult SimulationService::startScenario(Scenario scenario)
{
    QMutexLocker lock(&m_mutex);
    // A run that has ended but whose end is still being handled (report stored, setup taken
    // back) takes a moment: a client that saw it finished and starts the next one waits for
    // that moment (bounded), rather than getting a 409 for a run it knows has ended.
    const QDeadlineTimer endHandled(kEndHandledWaitMs);
    while (m_active && hasEnded(m_active) && !m_activeDone && m_activeDoneChanged.wait(&m_mutex, endHandled)) {
    }
    if (m_active && (!hasEnded(m_active) || !m_activeDone))
        return {409, m_activeId, {}, {}, QStringLiteral("run %1 is still running; stop it first").arg(m_activeId)};
    if (scenario.target.isEmpty() && (!m_environmentSet || m_environment.gatewayUrl.isEmpty()))
        return {503, {}, {}, {}, QStringLiteral("this engine's gateway is not listening yet")};
    if (needsEngine(scenario) && (!scenario.target.isEmpty() || !m_environment.faults)) {
        QStringList errors;
        for (int i = 0; i < scenario.faults.size(); ++i)
            errors.append(QStringLiteral("/faults/%1: faults can only be injected into this engine (the run targets %2)")
                              .arg(i).arg(scenario.target.isEmpty() ? QStringLiteral("an engine without fault hooks") : scenario.target));
        return {400, {}, {}, errors, QStringLiteral("faults need the engine itself as the target")};
    }
    ScenarioSetup *setup = nullptr;
    if (!scenario.setup.isEmpty()) {
        if (!scenario.target.isEmpty() || !m_environment.setup)
            return {400, {}, {}, {QStringLiteral("/setup: resources can only be set up in this engine")}, QStringLiteral("invalid scenario")};
        const QStringList errors = m_environment.setup->apply(scenario.setup);
        if (!errors.isEmpty())
            return {400, {}, {}, errors, QStringLiteral("the scenario's setup was refused")};
        setup = m_environment.setup;
    }
    SimulationRun *previous = m_active;
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    RunEnvironment environment = m_environment;
    environment.configVersion = m_config->configVersion();
    environment.engineVersion = QCoreApplication::applicationVersion();
    auto *run = new SimulationRun(id, std::move(scenario), environment);
    run->moveToThread(&m_control);
    connect(run, &SimulationRun::sampled, this, [this, id](const QJsonObject &sample) { onSampled(id, sample); }, Qt::DirectConnection);
    connect(run, &SimulationRun::finished, this, [this, id](const QJsonObject &report) { onFinished(id, report); }, Qt::DirectConnection);
    m_active = run;
    m_activeId = id;
    m_appliedSetup = setup;
    m_activeDone = false;
    m_activeStored = false;
    m_samplesSinceSave = 0;
    lock.unlock();

    if (previous)
        previous->deleteLater();   // on the control thread, where it lives
    QMetaObject::invokeMethod(run, &SimulationRun::start, Qt::BlockingQueuedConnection);
    const QJsonObject first = run->snapshot();
    if (!m_runs.save(first))
        qCWarning(lcSimulation) << "cannot record run" << id << "in simulation.db";
    qCInfo(lcSimulation) << "run" << id << "of scenario" << run->scenario().name << "started";
    Q_EMIT runStarted(id);
    return {201, id, first, {}, {}};
}

void SimulationService::onSampled(const QString &id, const QJsonObject &sample)
{
    bool save = false;
    SimulationRun *run = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        if (id == m_activeId && ++m_samplesSinceSave >= kSaveEverySamples) {
            m_samplesSinceSave = 0;
            save = true;
            run = m_active;
        }
    }
    if (save && run)
        m_runs.save(run->snapshot());
    Q_EMIT runSampled(id, sample);
}

void SimulationService::onFinished(const QString &id, const QJsonObject &report)
{
    ScenarioSetup *setup = nullptr;
    {
        QMutexLocker lock(&m_mutex);
        if (id == m_activeId)
            std::swap(setup, m_appliedSetup);
    }
    if (setup)
        setup->revert();
    const bool stored = m_runs.save(report);
    if (!stored)
        qCWarning(lcSimulation) << "cannot store the report of run" << id << "in simulation.db; it is kept in memory until the next run";
    qCInfo(lcSimulation) << "run" << id << "ended:" << report.value(QStringLiteral("state")).toString()
                         << report.value(QStringLiteral("reason")).toString();
    {
        QMutexLocker lock(&m_mutex);
        if (id == m_activeId) {
            m_activeDone = true;
            m_activeStored = stored;
        }
        m_activeDoneChanged.wakeAll();
    }
    Q_EMIT runFinished(id, report);
}

QJsonArray SimulationService::runs() const
{
    QJsonArray out = m_runs.summaries();
    QMutexLocker lock(&m_mutex);
    if (m_active && !m_activeDone) {
        const QJsonObject live = RunStore::summary(m_active->snapshot());
        for (qsizetype i = 0; i < out.size(); ++i) {
            if (out.at(i).toObject().value(QStringLiteral("id")).toString() == m_activeId) {
                out.replace(i, live);
                return out;
            }
        }
        out.prepend(live);
    }
    return out;
}

std::optional<QJsonObject> SimulationService::run(const QString &id) const
{
    {
        QMutexLocker lock(&m_mutex);
        // Until its report is stored the run answers from memory: the report itself once it has
        // ended (there is a moment between the two where simulation.db has no row for it yet,
        // and a report that could not be stored stays there until the next run).
        if (m_active && id == m_activeId && (!m_activeDone || !m_activeStored))
            return m_active->snapshot();
    }
    return m_runs.report(id);
}

QString SimulationService::activeRunId() const
{
    QMutexLocker lock(&m_mutex);
    return m_active && !hasEnded(m_active) ? m_activeId : QString();
}

int SimulationService::stop(const QString &id)
{
    QMutexLocker lock(&m_mutex);
    if (m_active && id == m_activeId && !hasEnded(m_active)) {
        QMetaObject::invokeMethod(m_active, &SimulationRun::stop, Qt::QueuedConnection);
        return 202;
    }
    lock.unlock();
    return m_runs.report(id) ? 409 : 404;
}

int SimulationService::abort(const QString &id, const QString &reason)
{
    QMutexLocker lock(&m_mutex);
    if (m_active && id == m_activeId && !hasEnded(m_active)) {
        QMetaObject::invokeMethod(m_active, [run = m_active, reason] { run->fail(reason); }, Qt::QueuedConnection);
        return 202;
    }
    lock.unlock();
    return m_runs.report(id) ? 409 : 404;
}


int SimulationService::removeRun(const QString &id)
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_active && id == m_activeId && !m_activeDone)
            return 409;   // running, or its report not stored yet
    }
    return m_runs.remove(id) ? 204 : 404;
}

bool SimulationService::waitForIdle(int timeoutMs)
{
    // Until the end of the run has been handled: its report stored, its setup taken back.
    const QDeadlineTimer deadline(timeoutMs);
    const auto busy = [this] {
        QMutexLocker lock(&m_mutex);
        return m_active && !m_activeDone;
    };
    while (busy()) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(20);
    }
    return true;
}

} // namespace Gatehouse::Simulation
