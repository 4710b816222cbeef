#include "httpdeadlines.h"

#include <algorithm>
#include <climits>

namespace Gatehouse::Http {

HttpDeadlines::HttpDeadlines(const HttpLimits &limits, QObject *parent)
    : QObject(parent)
    , m_limits(limits)
{
    for (QTimer *timer : {&m_head, &m_body, &m_idle, &m_writeStall})
        timer->setSingleShot(true);
    m_head.setInterval(limits.headerTimeoutMs);
    m_idle.setInterval(limits.idleTimeoutMs);
    m_writeStall.setInterval(limits.idleTimeoutMs);
    connect(&m_head, &QTimer::timeout, this, &HttpDeadlines::headTimedOut);
    connect(&m_idle, &QTimer::timeout, this, &HttpDeadlines::idle);
    connect(&m_writeStall, &QTimer::timeout, this, &HttpDeadlines::writeStalled);
    connect(&m_body, &QTimer::timeout, this, [this] {
        if (!m_bodyClock.isValid())
            return;
        if (bodyElapsedMs() < bodyAllowanceMs())
            armBody();   // more arrived since the timer was armed
        else
            Q_EMIT bodyTimedOut();
    });
}

void HttpDeadlines::update(const State &state)
{
    m_state = state;
    // From a head's first byte to its end, never restarted by further bytes of the same head:
    // a head sent a byte at a time still ends.
    if (!state.inHead) {
        m_head.stop();
    } else if (!m_head.isActive() || m_timedHead != state.headsBegun) {
        m_timedHead = state.headsBegun;
        m_head.start();
    }
    // The body gets bodyTimeoutMs plus a second per minBodyBytesPerSecond that arrived: a client
    // keeping to that rate is never cut off, one trickling bytes (of data, of chunk size lines,
    // of trailers) runs out of time. The clock waits while a 100 Continue is owed.
    if (!state.inBody || state.bodyOnHold) {
        m_bodyClock.invalidate();
        m_body.stop();
    } else {
        if (!m_bodyClock.isValid() || m_timedBody != state.headsBegun) {
            m_timedBody = state.headsBegun;
            m_bodyClock.start();
        }
        armBody();
    }
    // Restarted on every bit of progress, so it only fires on a connection that went quiet.
    if (state.owesOutput || state.inHead || state.inBody)
        m_idle.stop();
    else
        m_idle.start();
    if (state.unsentBytes == 0)
        m_writeStall.stop();
    else if (!m_writeStall.isActive())
        m_writeStall.start();
}

void HttpDeadlines::outputTaken(qint64 unsentBytes)
{
    m_state.unsentBytes = unsentBytes;
    if (unsentBytes > 0)
        m_writeStall.start();   // progress: the client is reading
    else
        m_writeStall.stop();
}

void HttpDeadlines::stop()
{
    for (QTimer *timer : {&m_head, &m_body, &m_idle, &m_writeStall})
        timer->stop();
    m_bodyClock.invalidate();
}

qint64 HttpDeadlines::bodyAllowanceMs() const
{
    const qint64 earned = m_limits.minBodyBytesPerSecond > 0 ? m_state.bodyBytes * 1000 / m_limits.minBodyBytesPerSecond : 0;
    return qint64(std::max(0, m_limits.bodyTimeoutMs)) + earned;
}

qint64 HttpDeadlines::bodyElapsedMs() const
{
    return m_bodyClock.isValid() ? m_bodyClock.elapsed() : 0;
}

void HttpDeadlines::armBody()
{
    m_body.start(int(std::clamp<qint64>(bodyAllowanceMs() - bodyElapsedMs(), 0, INT_MAX)));
}

} // namespace Gatehouse::Http
