#pragma once

#include "breakerstate.h"

#include <QList>
#include <QMutex>

#include <memory>
#include <vector>

namespace Gatehouse {

// When a breaker opens and closes (api-breaker's fields).
struct BreakerSettings
{
    enum class Policy { Consecutive, ErrorRatio };
    Policy policy = Policy::Consecutive;
    QList<int> unhealthyStatuses{500};
    int failures = 3;               // consecutive: unhealthy answers that open the breaker
    QList<int> healthyStatuses{200};
    int successes = 3;              // healthy answers that close it (and clear a failure count)
    double errorRatio = 0.5;        // error_ratio: failed share of the answers in the window
    int minRequests = 10;           // error_ratio: answers needed in the window before judging
    int windowSec = 10;             // error_ratio: the sliding window, in whole seconds
    double minBreakerSec = 2;       // the first open window; it doubles on every re-open
    double maxBreakerSec = 300;     // up to this
};

// One breaker: closed (everything passes, answers are judged), open (everything is refused
// until the window ends), half-open (one probe at a time passes; enough healthy probes close
// it, an unhealthy one re-opens it for twice as long). Thread-safe; shared through
// PluginState by the plugin instances of one route. Times are steady-clock milliseconds.
class CircuitBreaker final
{
public:
    enum class State { Closed, Open, HalfOpen };
    static constexpr qint64 kProbeTimeoutMs = 30'000;
    struct Admission
    {
        bool allowed = true;
        qint64 retryAfterMs = 0;   // when refused
    };

    // `token` identifies the request, so that record() knows whether it was the probe. A
    // probe whose answer never comes back stops blocking the next one after kProbeTimeoutMs.
    Admission admit(const void *token, qint64 nowMs);
    void record(const BreakerSettings &settings, const void *token, int status, qint64 nowMs);
    BreakerStatus status(qint64 nowMs) const;
    State state() const;

private:
    struct Bucket
    {
        qint64 second = -1;
        int total = 0;
        int failed = 0;
    };
    void open(const BreakerSettings &settings, qint64 nowMs);
    void close();
    void judgeRatio(const BreakerSettings &settings, bool failed, qint64 nowMs);

    mutable QMutex m_mutex;
    State m_state = State::Closed;
    const void *m_probe = nullptr;   // the half-open probe in flight
    qint64 m_probeSinceMs = 0;
    int m_failures = 0;
    int m_successes = 0;
    int m_timesOpened = 0;
    qint64 m_openUntilMs = 0;
    double m_openSeconds = 0;
    std::vector<Bucket> m_buckets;   // error_ratio: one per second of the window
};

// Lets breakerStatuses() find the breakers of live plugins. The plugin registers itself
// while it exists; several instances (configuration versions) may share one breaker.
namespace BreakerDirectory {
void add(const void *plugin, const QString &scope, const std::shared_ptr<CircuitBreaker> &breaker, const PluginState *owner);
void remove(const void *plugin);
}

} // namespace Gatehouse
