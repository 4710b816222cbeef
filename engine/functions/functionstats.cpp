#include "functionstats.h"

#include "functionoutcome.h"

#include <QJsonArray>

#include <algorithm>
#include <vector>

namespace Gatehouse {

namespace {
constexpr size_t kDurationSamples = 1000;
constexpr size_t kLogLines = 50;

double percentileMs(std::vector<qint64> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t index = std::min(sorted.size() - 1, size_t(p * double(sorted.size() - 1) + 0.5));
    return double(sorted[index]) / 1000.0;
}
} // namespace

void FunctionStats::invoked(qint64 durationUs, bool ok, bool timedOut, bool outOfMemory)
{
    QMutexLocker lock(&m_mutex);
    ++m_invocations;
    if (!ok)
        ++m_errors;
    if (timedOut)
        ++m_timeouts;
    if (outOfMemory)
        ++m_memoryKills;
    m_durationSumUs += durationUs;
    m_durationsUs.push_back(durationUs);
    if (m_durationsUs.size() > kDurationSamples)
        m_durationsUs.pop_front();
}

void FunctionStats::record(const FunctionOutcome &outcome)
{
    invoked(outcome.durationUs, outcome.ok, outcome.timedOut, outcome.outOfMemory);
    if (outcome.crashed) {
        QMutexLocker lock(&m_mutex);
        ++m_crashes;
    }
}

void FunctionStats::workerEnded(qint64 peakRssKb)
{
    QMutexLocker lock(&m_mutex);
    m_workerPeakRssKb = qMax(m_workerPeakRssKb, peakRssKb);
}

void FunctionStats::retried()
{
    QMutexLocker lock(&m_mutex);
    ++m_retries;
}

void FunctionStats::instanceStarted(qint64 initUs)
{
    QMutexLocker lock(&m_mutex);
    ++m_coldStarts;
    ++m_instances;
    m_lastInitUs = initUs;
    m_totalInitUs += initUs;
}

void FunctionStats::instanceStopped()
{
    QMutexLocker lock(&m_mutex);
    --m_instances;
}

void FunctionStats::reclaimed()
{
    QMutexLocker lock(&m_mutex);
    ++m_reclaimed;
}

void FunctionStats::deadLettered()
{
    QMutexLocker lock(&m_mutex);
    ++m_deadLettered;
}

void FunctionStats::addLogs(const QStringList &lines)
{
    if (lines.isEmpty())
        return;
    QMutexLocker lock(&m_mutex);
    for (const QString &line : lines) {
        m_logs.push_back(line);
        if (m_logs.size() > kLogLines)
            m_logs.pop_front();
    }
}

FunctionStats::Snapshot FunctionStats::snapshot() const
{
    Snapshot s;
    std::vector<qint64> samples;
    {
        QMutexLocker lock(&m_mutex);
        s.invocations = m_invocations;
        s.errors = m_errors;
        s.retries = m_retries;
        s.timeouts = m_timeouts;
        s.memoryKills = m_memoryKills;
        s.coldStarts = m_coldStarts;
        s.crashes = m_crashes;
        s.workerPeakRssKb = m_workerPeakRssKb;
        s.durationSumS = double(m_durationSumUs) / 1e6;
        s.reclaimed = m_reclaimed;
        s.instances = m_instances;
        s.deadLettered = m_deadLettered;
        s.lastInitMs = double(m_lastInitUs) / 1000.0;
        s.meanInitMs = m_coldStarts > 0 ? double(m_totalInitUs) / 1000.0 / double(m_coldStarts) : 0;
        samples.assign(m_durationsUs.cbegin(), m_durationsUs.cend());
    }
    s.queueDepth = qMax<qint64>(0, m_queue.load(std::memory_order_relaxed));
    std::sort(samples.begin(), samples.end());
    s.p50Ms = percentileMs(samples, 0.50);
    s.p99Ms = percentileMs(samples, 0.99);
    return s;
}

QJsonObject FunctionStats::toJson(qint64 deadLetters) const
{
    const Snapshot s = snapshot();
    QJsonArray logs;
    {
        QMutexLocker lock(&m_mutex);
        for (const QString &line : m_logs)
            logs.append(line);
    }
    return QJsonObject{
        {QStringLiteral("invocations"), s.invocations},
        {QStringLiteral("errors"), s.errors},
        {QStringLiteral("retries"), s.retries},
        {QStringLiteral("timeouts"), s.timeouts},
        {QStringLiteral("memory_exceeded"), s.memoryKills},
        {QStringLiteral("cold_starts"), s.coldStarts},
        {QStringLiteral("crashes"), s.crashes},
        {QStringLiteral("worker_peak_rss_kb"), s.workerPeakRssKb},
        {QStringLiteral("instances"), s.instances},
        {QStringLiteral("reclaimed"), s.reclaimed},
        {QStringLiteral("init_ms"), s.lastInitMs},
        {QStringLiteral("init_mean_ms"), s.meanInitMs},
        {QStringLiteral("duration_p50_ms"), s.p50Ms},
        {QStringLiteral("duration_p99_ms"), s.p99Ms},
        {QStringLiteral("queue_depth"), s.queueDepth},
        {QStringLiteral("dead_lettered"), s.deadLettered},
        {QStringLiteral("dead_letters"), deadLetters},
        {QStringLiteral("recent_logs"), logs},
    };
}

} // namespace Gatehouse
