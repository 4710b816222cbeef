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
    connect(&m_head, &QTimer::timeout, this, &HttpDeadlines::headTimedOut);
    // The quiet and stall timers are not restarted by every request or write (each start and
    // stop of a QTimer walks the thread's list of timers): they run from when their clock
    // started, and when they fire while it has since been restarted, they wait for the rest.
    connect(&m_idle, &QTimer::timeout, this, [this] {
        if (!m_quietClock.isValid())
            return;   // busy again; armed when it next goes quiet
        if (const qint64 left = m_limits.idleTimeoutMs - m_quietClock.elapsed(); left > 0) {
            m_idle.start(int(left));
        } else {
            m_quietClock.invalidate();   // a later update() starts a new window
            Q_EMIT idle();
        }
    });
    connect(&m_writeStall, &QTimer::timeout, this, [this] {
        if (!m_stallClock.isValid())
            return;   // nothing owed any more
        if (const qint64 left = m_limits.idleTimeoutMs - m_stallClock.elapsed(); left > 0) {
            m_writeStall.start(int(left));
        } else {
            m_stallClock.invalidate();
            Q_EMIT writeStalled();
        }
    });
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
    // From when the connection went quiet (nothing owed, no request begun); only fires on a
    // connection that stayed so.
    if (state.owesOutput || state.inHead || state.inBody) {
        m_quietClock.invalidate();
    } else if (!m_quietClock.isValid()) {
        m_quietClock.start();
        if (!m_idle.isActive())
            m_idle.start(m_limits.idleTimeoutMs);
    }
    if (state.unsentBytes == 0)
        m_stallClock.invalidate();
    else if (!m_stallClock.isValid())
        startStallClock();
}

void HttpDeadlines::outputTaken(qint64 unsentBytes)
{
    m_state.unsentBytes = unsentBytes;
    if (unsentBytes > 0)
        startStallClock();   // progress: the client is reading
    else
        m_stallClock.invalidate();
}

void HttpDeadlines::startStallClock()
{
    m_stallClock.start();
    if (!m_writeStall.isActive())
        m_writeStall.start(m_limits.idleTimeoutMs);
}

void HttpDeadlines::stop()
{
    for (QTimer *timer : {&m_head, &m_body, &m_idle, &m_writeStall})
        timer->stop();
    m_bodyClock.invalidate();
    m_quietClock.invalidate();
    m_stallClock.invalidate();
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
