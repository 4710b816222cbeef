#pragma once

#include <QString>
#include <QStringList>

namespace Gatehouse {

class Engine;

// The engine's side of a simulation against this process, in one place: the faults a scenario
// switches (each part's own hook: FunctionService::setFault, ProjectionRunner::setFault,
// EventStore::setCommitDelay, HttpUpstream::setNodeOverride) and the figures its probe samples.
// Every call asks the engine for the part as it is now and answers with an empty string when
// done, else why not (not running, no such function, ...). Thread-safe while the engine runs;
// every fault lives in memory only and ends with the engine. The listener set's EngineFaults
// builds Simulation::FaultControl and EngineProbe on it.
class FaultSwitches final
{
public:
    explicit FaultSwitches(const Engine *engine) : m_engine(engine) {}

    QString setFunctionFault(const QString &function, double errorRate, qint64 latencyMs) const;
    // `projection`: a collection's name (or "upsert") for the upsert projection, or a function's name.
    QString setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch) const;
    QString setCommitDelay(qint64 delayMs) const;
    // `upstream`: an upstream resource's id, or a route's id for its inline http upstream.
    QString setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &viaAddress) const;
    QStringList upstreamNodes(const QString &upstream) const;   // "host:port" each; empty when unknown

    struct Load
    {
        qint64 logHead = 0;         // last position in the log
        qint64 projectionLag = 0;   // events behind the head, the most of any projection
        qint64 functionQueue = 0;   // events and calls waiting for functions
        qint64 deadLetters = 0;     // stored dead letters
        int breakersOpen = 0;       // api-breaker circuits not closed (open or half-open)
    };
    Load load() const;

private:
    const Engine *m_engine;
};

} // namespace Gatehouse
