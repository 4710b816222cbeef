#pragma once

#include "functionfault.h"

#include <QJsonObject>
#include <QMutex>
#include <QStringList>

#include <atomic>
#include <deque>

namespace Gatehouse {

struct FunctionOutcome;

// Counters of one function since the engine started (kept across redeploys), updated from
// any thread: the lanes, the worker, the runner. Also holds the fault a simulation injects into
// the function, which every instance of it consults (FaultyInstance).
class FunctionStats final
{
public:
    struct Snapshot
    {
        qint64 invocations = 0;
        qint64 errors = 0;
        qint64 retries = 0;
        qint64 timeouts = 0;
        qint64 memoryKills = 0;
        qint64 coldStarts = 0;
        qint64 crashes = 0;         // worker processes that died during a call
        qint64 workerPeakRssKb = 0; // the largest peak resident set of an ended worker process
        qint64 reclaimed = 0;
        qint64 instances = 0;       // live instances (QJSEngines) right now
        qint64 queueDepth = 0;      // events and calls handed to instances, not finished
        qint64 deadLettered = 0;
        double lastInitMs = 0;
        double meanInitMs = 0;
        double p50Ms = 0;
        double p99Ms = 0;
        double durationSumS = 0;    // of every invocation since the start (the summary's _sum)
    };

    void invoked(qint64 durationUs, bool ok, bool timedOut, bool outOfMemory = false);
    void record(const FunctionOutcome &outcome);   // invoked(), and a crash when the worker died
    void workerEnded(qint64 peakRssKb);
    void retried();
    void instanceStarted(qint64 initUs);   // a cold start
    void instanceStopped();
    void reclaimed();
    void queued(qint64 n) { m_queue.fetch_add(n, std::memory_order_relaxed); }
    void dequeued(qint64 n) { m_queue.fetch_sub(n, std::memory_order_relaxed); }
    void deadLettered();
    void addLogs(const QStringList &lines);
    Snapshot snapshot() const;
    QJsonObject toJson(qint64 deadLetters) const;
    qint64 queueDepth() const { return m_queue.load(std::memory_order_relaxed); }

    FunctionFault &fault() { return m_fault; }
    const FunctionFault &fault() const { return m_fault; }

private:
    mutable QMutex m_mutex;
    qint64 m_invocations = 0;
    qint64 m_errors = 0;
    qint64 m_retries = 0;
    qint64 m_timeouts = 0;
    qint64 m_memoryKills = 0;
    qint64 m_coldStarts = 0;
    qint64 m_crashes = 0;
    qint64 m_workerPeakRssKb = 0;
    qint64 m_durationSumUs = 0;
    qint64 m_reclaimed = 0;
    qint64 m_instances = 0;
    qint64 m_deadLettered = 0;
    qint64 m_lastInitUs = 0;
    qint64 m_totalInitUs = 0;
    std::atomic<qint64> m_queue{0};
    std::deque<qint64> m_durationsUs;   // the most recent ones, for percentiles
    std::deque<QString> m_logs;         // the most recent ctx.log / console.log lines
    FunctionFault m_fault;
};

} // namespace Gatehouse
