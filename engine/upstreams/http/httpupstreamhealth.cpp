#include "httpupstreamhealth.h"

#include "httpupstreamspec.h"

namespace Gatehouse {

HttpUpstreamHealth::Outcome HttpUpstreamHealth::classify(int status, const HttpHealthThresholds &thresholds)
{
    if (thresholds.unhealthyStatuses.contains(status))
        return Outcome::HttpFailure;
    if (thresholds.healthyStatuses.contains(status))
        return Outcome::Success;
    return Outcome::Neutral;
}

bool HttpUpstreamHealth::record(Outcome outcome, const HttpHealthThresholds &thresholds)
{
    const auto failure = [this](int &counter, int threshold) {
        ++counter;
        m_successes = 0;
        if (!m_healthy || threshold <= 0 || counter < threshold)
            return false;
        m_healthy = false;
        return true;
    };
    switch (outcome) {
    case Outcome::Success:
        ++m_successes;
        m_httpFailures = m_tcpFailures = m_timeouts = 0;
        if (m_healthy || thresholds.successes <= 0 || m_successes < thresholds.successes)
            return false;
        m_healthy = true;
        return true;
    case Outcome::HttpFailure:
        return failure(m_httpFailures, thresholds.httpFailures);
    case Outcome::TcpFailure:
        return failure(m_tcpFailures, thresholds.tcpFailures);
    case Outcome::Timeout:
        return failure(m_timeouts, thresholds.timeouts);
    case Outcome::Neutral:
        break;
    }
    return false;
}

void HttpUpstreamHealth::endProbe(Outcome outcome, qint64 nowMs, int restMs)
{
    m_probing = false;
    if (!m_healthy)
        m_restUntilMs = (outcome == Outcome::Success || outcome == Outcome::Neutral) ? nowMs : nowMs + restMs;
}

} // namespace Gatehouse
