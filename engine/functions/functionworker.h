#pragma once

#include "functioninstance.h"

#include <QThread>

#include <functional>
#include <memory>

class QTimer;

namespace Gatehouse {

class FunctionStats;
struct FunctionDefinition;

// A thread with at most one instance of a function (a FunctionInstance: a worker process, or
// a QJSEngine on this thread for "isolation": "thread"). The instance starts on demand -- a
// cold start, counted with its init time -- and is reclaimed once the worker has been idle
// for the function's instance_idle_s, or as soon as it became unusable (its process died, its
// memory ceiling was hit). Used as a lane of the event runtime (FunctionProjection) and as the
// function's thread for HTTP calls, intervals, custom commands and dead-letter replays.
// post() may be called from any thread; the work and everything it does with the instance
// run on the worker's thread.
class FunctionWorker final
{
public:
    explicit FunctionWorker(const QString &name = QString(), FunctionInstance::Runtime runtime = {});
    ~FunctionWorker();   // finishes queued work, then ends the instance on its own thread
    FunctionWorker(const FunctionWorker &) = delete;
    FunctionWorker &operator=(const FunctionWorker &) = delete;

    void post(std::function<void(FunctionWorker &)> work);

    // Worker thread only. Loads `definition` unless a usable instance already runs that
    // version; false with the load error (its line prefixed when known).
    bool ensureHost(const FunctionDefinition &definition, const std::shared_ptr<FunctionStats> &stats, QString *error);
    FunctionInstance *host() const { return m_host.get(); }
    void dropHost();                   // the next call starts a new instance
    void dropHostIfUnusable();         // after a call whose worker died or ran out of memory

    // Worker thread only: calls `tick(index)` every intervals[index] seconds until replaced.
    void setIntervals(const QList<int> &intervalsS, std::function<void(FunctionWorker &, int index)> tick);

private:
    void armIdleTimer();

    QThread m_thread;
    QObject *m_context;
    FunctionInstance::Runtime m_runtime;
    std::unique_ptr<FunctionInstance> m_host;  // worker thread only
    std::shared_ptr<FunctionStats> m_stats;    // of the loaded instance
    int m_idleMs = 300000;
    QTimer *m_idleTimer = nullptr;
    QList<QTimer *> m_intervals;
};

} // namespace Gatehouse
