#include "circuitbreaker.h"

#include "base/steadyclock.h"

#include <QDateTime>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cmath>

namespace Gatehouse {

CircuitBreaker::Admission CircuitBreaker::admit(const void *token, qint64 nowMs)
{
    QMutexLocker lock(&m_mutex);
    if (m_state == State::Open) {
        if (nowMs < m_openUntilMs)
            return {false, m_openUntilMs - nowMs};
        m_state = State::HalfOpen;
        m_successes = 0;
        m_probe = nullptr;
    }
    if (m_state == State::HalfOpen) {
        if (m_probe && nowMs - m_probeSinceMs < kProbeTimeoutMs)
            return {false, 1000};   // the probe is still out; we learn more when it returns
        m_probe = token;
        m_probeSinceMs = nowMs;
    }
    return {};
}

void CircuitBreaker::record(const BreakerSettings &settings, const void *token, int status, qint64 nowMs)
{
    QMutexLocker lock(&m_mutex);
    const bool unhealthy = settings.unhealthyStatuses.contains(status);
    const bool healthy = settings.healthyStatuses.contains(status);
    if (m_state == State::HalfOpen) {
        if (token != m_probe)
            return;   // admitted before the breaker opened; it says nothing about the probe
        m_probe = nullptr;
        if (unhealthy)
            open(settings, nowMs);
        else if (healthy && ++m_successes >= settings.successes)
            close();
        return;
    }
    if (m_state != State::Closed)
        return;
    if (settings.policy == BreakerSettings::Policy::ErrorRatio) {
        judgeRatio(settings, unhealthy, nowMs);
        return;
    }
    if (unhealthy) {
        m_successes = 0;
        if (++m_failures >= settings.failures)
            open(settings, nowMs);
    } else if (healthy && m_failures > 0 && ++m_successes >= settings.successes) {
        // As APISIX: enough healthy answers in a row forgive the failures counted so far.
        m_failures = 0;
        m_successes = 0;
    }
}

void CircuitBreaker::judgeRatio(const BreakerSettings &settings, bool failed, qint64 nowMs)
{
    const qint64 second = nowMs / 1000;
    if (m_buckets.size() != size_t(settings.windowSec))
        m_buckets.assign(size_t(settings.windowSec), Bucket{});
    Bucket &b = m_buckets[size_t(second % settings.windowSec)];
    if (b.second != second)
        b = Bucket{second, 0, 0};
    ++b.total;
    b.failed += failed ? 1 : 0;
    int total = 0, failedTotal = 0;
    for (const Bucket &each : m_buckets) {
        if (each.second > second - settings.windowSec) {
            total += each.total;
            failedTotal += each.failed;
        }
    }
    if (total >= settings.minRequests && double(failedTotal) >= settings.errorRatio * double(total) - 1e-9 && failedTotal > 0)
        open(settings, nowMs);
}

void CircuitBreaker::open(const BreakerSettings &settings, qint64 nowMs)
{
    ++m_timesOpened;
    const double doubled = settings.minBreakerSec * std::pow(2.0, std::min(m_timesOpened - 1, 30));
    m_openSeconds = std::min(doubled, settings.maxBreakerSec);
    m_openUntilMs = nowMs + qint64(std::llround(m_openSeconds * 1000.0));
    m_state = State::Open;
    m_failures = 0;
    m_successes = 0;
    m_buckets.clear();
}

void CircuitBreaker::close()
{
    m_state = State::Closed;
    m_timesOpened = 0;
    m_failures = 0;
    m_successes = 0;
    m_buckets.clear();
}

CircuitBreaker::State CircuitBreaker::state() const
{
    QMutexLocker lock(&m_mutex);
    return m_state;
}

BreakerStatus CircuitBreaker::status(qint64 nowMs) const
{
    QMutexLocker lock(&m_mutex);
    BreakerStatus s;
    s.openSeconds = m_openSeconds;
    s.timesOpened = m_timesOpened;
    // An open breaker whose window has passed lets the next request through as a probe.
    if (m_state == State::Open && nowMs < m_openUntilMs) {
        s.state = QStringLiteral("open");
        s.openUntilMs = QDateTime::currentMSecsSinceEpoch() + (m_openUntilMs - nowMs);
    } else {
        s.state = m_state == State::Closed ? QStringLiteral("closed") : QStringLiteral("half_open");
    }
    return s;
}

namespace {
struct DirectoryEntry
{
    QString scope;
    std::weak_ptr<CircuitBreaker> breaker;
    const PluginState *owner = nullptr;
};

struct Directory
{
    QMutex mutex;
    QHash<const void *, DirectoryEntry> entries;
};

Directory &directory()
{
    // Never destroyed: plugins may unregister while other statics are torn down at exit.
    static Directory *d = new Directory;
    return *d;
}
} // namespace

void BreakerDirectory::add(const void *plugin, const QString &scope, const std::shared_ptr<CircuitBreaker> &breaker, const PluginState *owner)
{
    Directory &d = directory();
    QMutexLocker lock(&d.mutex);
    d.entries.insert(plugin, DirectoryEntry{scope, breaker, owner});
}

void BreakerDirectory::remove(const void *plugin)
{
    Directory &d = directory();
    QMutexLocker lock(&d.mutex);
    d.entries.remove(plugin);
}

QList<BreakerStatus> breakerStatuses(const PluginState *state)
{
    QList<std::pair<QString, std::shared_ptr<CircuitBreaker>>> live;
    {
        Directory &d = directory();
        QMutexLocker lock(&d.mutex);
        QSet<const CircuitBreaker *> seen;
        for (const DirectoryEntry &e : std::as_const(d.entries)) {
            auto breaker = e.breaker.lock();
            if (!breaker || (state && e.owner != state) || seen.contains(breaker.get()))
                continue;
            seen.insert(breaker.get());
            live.append({e.scope, std::move(breaker)});
        }
    }
    const qint64 now = steadyNowMs();
    QList<BreakerStatus> out;
    for (const auto &[scope, breaker] : std::as_const(live)) {
        BreakerStatus s = breaker->status(now);
        s.scope = scope;
        out.append(s);
    }
    std::sort(out.begin(), out.end(), [](const BreakerStatus &a, const BreakerStatus &b) { return a.scope < b.scope; });
    return out;
}

} // namespace Gatehouse
