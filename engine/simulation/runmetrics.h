#pragma once

#include "latencyhistogram.h"
#include "loaderror.h"

#include <QList>
#include <QMap>
#include <QMutex>
#include <QString>

#include <atomic>

namespace Gatehouse::Simulation {

// What one operation of one workload did: counted by the generator thread that ran it, merged
// over the threads once a second.
struct OpStats
{
    qint64 intended = 0;      // iterations due (arrival-rate: started + dropped; VU executors: started)
    qint64 started = 0;
    qint64 dropped = 0;       // due with no free VU (arrival-rate only)
    qint64 completed = 0;     // iterations that ended (interrupted ones excepted)
    qint64 requests = 0;      // requests that ended: answered, failed or timed out
    qint64 failed = 0;        // requests that are errors (the `errors` rate's numerator)
    qint64 interrupted = 0;   // requests still in flight when the run ended (not errors)
    qint64 stale = 0;         // read_after_write: the GET without X-Min-Position missed the write
    QMap<int, qint64> status;
    QMap<QString, qint64> errors;
    QMap<int, LatencyHistogram> latencyByStatus;   // http_req_duration{status:N}
    LatencyHistogram latency;                      // answered and timed-out requests (from the intended start)

    void merge(const OpStats &other);
};

// The counters of one generator thread: that thread records without contention (the mutex is
// only ever contended by the once-a-second merge), so the hot path stays a lock of an
// uncontended mutex and a few increments. Every record goes to the run's totals and to the
// current one-second interval, which the merge takes away.
class MetricsShard
{
public:
    explicit MetricsShard(qsizetype operations);

    void due(int op, bool dropped);            // an arrival-rate iteration came due
    void started(int op, bool counted);        // `counted`: VU executors count it as intended here
    void completed(int op);
    // One request of an iteration ended: its status (0 when none) or error, and its latency.
    void request(int op, int status, LoadError error, qint64 latencyNs);
    void stale(int op);

    std::atomic<int> busyVus{0};
    std::atomic<int> vus{0};

    // The totals so far, and the interval since the last take (then cleared).
    void mergeInto(QList<OpStats> *totals, QList<OpStats> *interval, bool takeInterval);

private:
    QMutex m_mutex;
    QList<OpStats> m_total;
    QList<OpStats> m_interval;
};

} // namespace Gatehouse::Simulation
