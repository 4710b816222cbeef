#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Gatehouse::Simulation {

// What a simulation may switch in the engine it runs against, when that engine is this
// process (a scenario's faults other than `fault-injection` and upstream toxics need it).
// Implemented over the running engine by the listener set (protocols/server). Every call
// returns an empty string when done, or why it could not be (no such function, no managed
// broker, ...). Safe to call from any thread. A call with neutral values switches the fault off.
class FaultControl
{
public:
    virtual ~FaultControl() = default;

    // Each invocation of `function` fails with probability `errorRate` (0..1, as if the
    // function had thrown "injected fault") after waiting `latencyMs`.
    virtual QString setFunctionFault(const QString &function, double errorRate, qint64 latencyMs) = 0;
    // `projection`: "products"-style collection name for the upsert projection (any collection
    // name selects it), or a function's name for its projection.
    virtual QString setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch) = 0;
    // Stops the managed MQTT broker (true) or starts it again on the same port (false).
    virtual QString setBrokerStopped(bool stopped) = 0;
    // Waits this long before each event-store commit (group commit batch).
    virtual QString setCommitDelay(qint64 delayMs) = 0;
    // Connections the http upstream `upstream` opens to `node` ("host:port") go to `viaAddress`
    // ("127.0.0.1:port", a fault proxy) instead; an empty `viaAddress` restores the node.
    virtual QString setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &viaAddress) = 0;
    // The nodes ("host:port") of an http upstream, for a fault on every node. Empty when unknown.
    virtual QStringList upstreamNodes(const QString &upstream) const = 0;
};

// Creates the resources a scenario declares in "setup" for the length of a run, through the
// engine's own admin services (so they are validated as any admin write), and puts back what
// was there before when the run ends. Implemented by the listener set.
class ScenarioSetup
{
public:
    virtual ~ScenarioSetup() = default;
    // All or nothing: the errors ("/setup/routes/0/uri: ...") when a resource is refused, and
    // then nothing stays applied.
    virtual QStringList apply(const QJsonObject &setup) = 0;
    // Removes what apply() created and restores what it replaced, in reverse order.
    virtual void revert() = 0;
};

// Engine-side figures sampled once a second during a run against this process:
// {"projection_lag": events behind the log head (max over projections),
//  "function_queue": events waiting for functions (sum), "dead_letters": pending dead letters,
//  "breakers_open": api-breaker circuits open now, "cpu_percent": the engine process's CPU
//  use since the previous sample (100 = one core), "rss_bytes": resident set size,
//  "log_head": the last position in the log}
class EngineProbe
{
public:
    virtual ~EngineProbe() = default;
    virtual QJsonObject sample() = 0;
};

} // namespace Gatehouse::Simulation
