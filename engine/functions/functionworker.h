#pragma once

#include <QThread>

#include <functional>
#include <memory>

class QTimer;

namespace Gatehouse {

class FunctionStats;
class ScriptHost;
struct FunctionDefinition;

// A thread with at most one instance of a function (a ScriptHost, i.e. one QJSEngine). The
// instance starts on demand -- a cold start, counted with its init time -- and is reclaimed
// once the worker has been idle for the function's instance_idle_s. Used as a lane of the
// event runtime (FunctionProjection) and as the function's thread for HTTP calls, intervals,
// custom commands and dead-letter replays. post() may be called from any thread; the work and
// everything it does with the host run on the worker's thread.
class FunctionWorker final
{
public:
    explicit FunctionWorker(const QString &name = QString());
    ~FunctionWorker();   // finishes queued work, then destroys the instance on its own thread
    FunctionWorker(const FunctionWorker &) = delete;
    FunctionWorker &operator=(const FunctionWorker &) = delete;

    void post(std::function<void(FunctionWorker &)> work);

    // Worker thread only. Loads `definition` unless the instance already runs that version;
    // false with the load error.
    bool ensureHost(const FunctionDefinition &definition, const std::shared_ptr<FunctionStats> &stats, QString *error);
    ScriptHost *host() const { return m_host.get(); }
    void dropHost();   // e.g. after its memory ceiling was hit; the next call starts a new one

    // Worker thread only: calls `tick(index)` every intervals[index] seconds until replaced.
    void setIntervals(const QList<int> &intervalsS, std::function<void(FunctionWorker &, int index)> tick);

private:
    void armIdleTimer();

    QThread m_thread;
    QObject *m_context;
    std::unique_ptr<ScriptHost> m_host;        // worker thread only
    std::shared_ptr<FunctionStats> m_stats;    // of the loaded instance
    int m_idleMs = 300000;
    QTimer *m_idleTimer = nullptr;
    QList<QTimer *> m_intervals;
};

} // namespace Gatehouse
