#include "functionstats.h"

#include <QJsonArray>

#include <algorithm>
#include <vector>

namespace Gatehouse {

namespace {
constexpr size_t kDurationSamples = 1000;
constexpr size_t kLogLines = 50;

double percentileMs(std::vector<qint64> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t index = std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5));
    return double(values[index]) / 1000.0;
}
} // namespace

void FunctionStats::invoked(qint64 durationUs, bool ok, bool timedOut)
{
    QMutexLocker lock(&m_mutex);
    ++m_invocations;
    if (!ok)
        ++m_errors;
    if (timedOut)
        ++m_timeouts;
    m_durationsUs.push_back(durationUs);
    if (m_durationsUs.size() > kDurationSamples)
        m_durationsUs.pop_front();
}

void FunctionStats::retried()
{
    QMutexLocker lock(&m_mutex);
    ++m_retries;
}

void FunctionStats::coldStart(qint64 initUs)
{
    QMutexLocker lock(&m_mutex);
    ++m_coldStarts;
    m_lastInitUs = initUs;
}

void FunctionStats::deadLettered()
{
    QMutexLocker lock(&m_mutex);
    ++m_deadLettered;
}

void FunctionStats::addLogs(const QStringList &lines)
{
    QMutexLocker lock(&m_mutex);
    for (const QString &line : lines) {
        m_logs.push_back(line);
        if (m_logs.size() > kLogLines)
            m_logs.pop_front();
    }
}

QJsonObject FunctionStats::toJson(qint64 deadLetters) const
{
    QMutexLocker lock(&m_mutex);
    const std::vector<qint64> samples(m_durationsUs.cbegin(), m_durationsUs.cend());
    QJsonArray logs;
    for (const QString &line : m_logs)
        logs.append(line);
    return QJsonObject{
        {QStringLiteral("invocations"), m_invocations},
        {QStringLiteral("errors"), m_errors},
        {QStringLiteral("retries"), m_retries},
        {QStringLiteral("timeouts"), m_timeouts},
        {QStringLiteral("cold_starts"), m_coldStarts},
        {QStringLiteral("init_ms"), double(m_lastInitUs) / 1000.0},
        {QStringLiteral("duration_p50_ms"), percentileMs(samples, 0.50)},
        {QStringLiteral("duration_p99_ms"), percentileMs(samples, 0.99)},
        {QStringLiteral("dead_lettered"), m_deadLettered},
        {QStringLiteral("dead_letters"), deadLetters},
        {QStringLiteral("recent_logs"), logs},
    };
}

} // namespace Gatehouse
