#include "runmetrics.h"

namespace Gatehouse::Simulation {

void OpStats::merge(const OpStats &other)
{
    intended += other.intended;
    started += other.started;
    dropped += other.dropped;
    completed += other.completed;
    requests += other.requests;
    failed += other.failed;
    interrupted += other.interrupted;
    stale += other.stale;
    for (auto it = other.status.cbegin(); it != other.status.cend(); ++it)
        status[it.key()] += it.value();
    for (auto it = other.errors.cbegin(); it != other.errors.cend(); ++it)
        errors[it.key()] += it.value();
    for (auto it = other.latencyByStatus.cbegin(); it != other.latencyByStatus.cend(); ++it)
        latencyByStatus[it.key()].merge(it.value());
    latency.merge(other.latency);
}

MetricsShard::MetricsShard(qsizetype operations)
    : m_total(operations)
    , m_interval(operations)
{
}

void MetricsShard::due(int op, bool dropped)
{
    const QMutexLocker lock(&m_mutex);
    for (OpStats *s : {&m_total[op], &m_interval[op]}) {
        ++s->intended;
        if (dropped)
            ++s->dropped;
    }
}

void MetricsShard::started(int op, bool counted)
{
    const QMutexLocker lock(&m_mutex);
    for (OpStats *s : {&m_total[op], &m_interval[op]}) {
        ++s->started;
        if (counted)
            ++s->intended;
    }
}

void MetricsShard::completed(int op)
{
    const QMutexLocker lock(&m_mutex);
    ++m_total[op].completed;
    ++m_interval[op].completed;
}

void MetricsShard::stale(int op)
{
    const QMutexLocker lock(&m_mutex);
    ++m_total[op].stale;
    ++m_interval[op].stale;
}

void MetricsShard::request(int op, int status, LoadError error, qint64 latencyNs)
{
    const QMutexLocker lock(&m_mutex);
    for (OpStats *s : {&m_total[op], &m_interval[op]}) {
        if (error == LoadError::Interrupted) {
            ++s->interrupted;
            continue;
        }
        ++s->requests;
        if (status > 0) {
            ++s->status[status];
            s->latencyByStatus[status].record(latencyNs);
        }
        // A timeout's latency is real waiting a client saw; a refused connection's is not.
        if (status > 0 || error == LoadError::Timeout)
            s->latency.record(latencyNs);
        if (error != LoadError::None) {
            ++s->failed;
            ++s->errors[loadErrorName(error)];
        }
    }
}

void MetricsShard::mergeInto(QList<OpStats> *totals, QList<OpStats> *interval, bool takeInterval)
{
    const QMutexLocker lock(&m_mutex);
    for (qsizetype i = 0; i < m_total.size(); ++i) {
        (*totals)[i].merge(m_total.at(i));
        if (interval)
            (*interval)[i].merge(m_interval.at(i));
        if (takeInterval)
            m_interval[i] = OpStats();
    }
}

} // namespace Gatehouse::Simulation
