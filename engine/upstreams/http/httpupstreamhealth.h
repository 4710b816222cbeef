#pragma once

#include <QtGlobal>

namespace Gatehouse {

struct HttpHealthThresholds;

// The health of one upstream node (lua-resty-healthcheck's counters): consecutive successes,
// HTTP failures, TCP failures and timeouts, each reset by the opposite kind of outcome; a
// healthy node turns unhealthy when one failure counter reaches its threshold, an unhealthy
// one turns healthy after `successes` successes in a row. On top of that, the half-open
// gate that lets passive checks recover a node: after resting, an unhealthy node admits one
// real request at a time as a probe. Plain data, used on the upstream thread.
class HttpUpstreamHealth final
{
public:
    enum class Outcome { Success, HttpFailure, TcpFailure, Timeout, Neutral };

    // A response status judged against the thresholds' status lists.
    static Outcome classify(int status, const HttpHealthThresholds &thresholds);

    bool isHealthy() const { return m_healthy; }
    int consecutiveFailures() const { return m_httpFailures + m_tcpFailures + m_timeouts; }
    int consecutiveSuccesses() const { return m_successes; }

    // Counts an outcome; true when the node changed between healthy and unhealthy.
    bool record(Outcome outcome, const HttpHealthThresholds &thresholds);

    // Half-open probing: an unhealthy node rests until `restUntil`, then admits one probe.
    void restUntil(qint64 steadyMs) { m_restUntilMs = steadyMs; }
    bool admitsProbe(qint64 nowMs) const { return !m_healthy && !m_probing && nowMs >= m_restUntilMs; }
    void beginProbe() { m_probing = true; }
    // A probe that did not fail lets the next one through at once; a failed one rests again.
    void endProbe(Outcome outcome, qint64 nowMs, int restMs);

private:
    bool m_healthy = true;
    bool m_probing = false;
    int m_successes = 0;
    int m_httpFailures = 0;
    int m_tcpFailures = 0;
    int m_timeouts = 0;
    qint64 m_restUntilMs = 0;
};

} // namespace Gatehouse
