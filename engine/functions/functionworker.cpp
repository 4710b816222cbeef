#include "functionworker.h"

#include "functiondefinition.h"
#include "functionfault.h"
#include "functionstats.h"
#include "scriptwatchdog.h"

#include <QTimer>

namespace Gatehouse {

FunctionWorker::FunctionWorker(const QString &name, FunctionInstance::Runtime runtime)
    : m_context(new QObject)
    , m_runtime(std::move(runtime))
{
    m_thread.setObjectName(name.isEmpty() ? QStringLiteral("function-worker") : QStringLiteral("function-") + name);
    m_context->moveToThread(&m_thread);
    m_thread.start();
}

FunctionWorker::~FunctionWorker()
{
    QMetaObject::invokeMethod(m_context, [this] {
        qDeleteAll(m_intervals);
        m_intervals.clear();
        delete m_idleTimer;
        m_idleTimer = nullptr;
        dropHost();
    }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_context;
}

void FunctionWorker::post(std::function<void(FunctionWorker &)> work)
{
    QMetaObject::invokeMethod(m_context, [this, work = std::move(work)] {
        work(*this);
        dropHostIfUnusable();
        armIdleTimer();
    }, Qt::QueuedConnection);
}

bool FunctionWorker::ensureHost(const FunctionDefinition &definition, const std::shared_ptr<FunctionStats> &stats, QString *error)
{
    m_idleMs = definition.instanceIdleS * 1000;
    if (m_host && m_host->usable() && m_host->version() == definition.version)
        return true;
    dropHost();
    std::unique_ptr<FunctionInstance> host = FunctionInstance::create(definition, m_runtime);
    int line = 0;
    if (!host->load(definition, error, &line)) {
        if (line > 0)
            *error = QStringLiteral("line %1: %2").arg(line).arg(*error);
        return false;
    }
    m_host = std::make_unique<FaultyInstance>(std::move(host), stats);
    m_stats = stats;
    m_stats->instanceStarted(m_host->initUs());
    return true;
}

void FunctionWorker::dropHost()
{
    if (!m_host)
        return;
    const qint64 peakRssKb = m_host->stop();
    m_host.reset();
    ScriptWatchdog::releaseFreeMemory();
    if (m_stats) {
        m_stats->instanceStopped();
        if (peakRssKb > 0)
            m_stats->workerEnded(peakRssKb);
    }
    m_stats.reset();
}

void FunctionWorker::dropHostIfUnusable()
{
    if (m_host && !m_host->usable())
        dropHost();
}

void FunctionWorker::armIdleTimer()
{
    if (!m_host)
        return;
    if (!m_idleTimer) {
        m_idleTimer = new QTimer(m_context);
        m_idleTimer->setSingleShot(true);
        QObject::connect(m_idleTimer, &QTimer::timeout, m_context, [this] {
            if (m_stats)
                m_stats->reclaimed();
            dropHost();
        });
    }
    m_idleTimer->start(m_idleMs);
}

void FunctionWorker::setIntervals(const QList<int> &intervalsS, std::function<void(FunctionWorker &, int)> tick)
{
    qDeleteAll(m_intervals);
    m_intervals.clear();
    for (qsizetype i = 0; i < intervalsS.size(); ++i) {
        auto *timer = new QTimer(m_context);
        timer->setTimerType(Qt::CoarseTimer);
        QObject::connect(timer, &QTimer::timeout, m_context, [this, tick, i] {
            tick(*this, int(i));
            armIdleTimer();
        });
        timer->start(intervalsS.at(i) * 1000);
        m_intervals.append(timer);
    }
}

} // namespace Gatehouse
