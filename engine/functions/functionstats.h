#pragma once

#include <QJsonObject>
#include <QMutex>
#include <QStringList>

#include <deque>

namespace Gatehouse {

// Counters of one function since the engine started, updated from any thread.
class FunctionStats final
{
public:
    void invoked(qint64 durationUs, bool ok, bool timedOut);
    void retried();
    void coldStart(qint64 initUs);
    void deadLettered();
    void addLogs(const QStringList &lines);
    QJsonObject toJson(qint64 deadLetters) const;

private:
    mutable QMutex m_mutex;
    qint64 m_invocations = 0;
    qint64 m_errors = 0;
    qint64 m_retries = 0;
    qint64 m_timeouts = 0;
    qint64 m_coldStarts = 0;
    qint64 m_deadLettered = 0;
    qint64 m_lastInitUs = 0;
    std::deque<qint64> m_durationsUs;   // the most recent ones, for percentiles
    std::deque<QString> m_logs;         // the most recent ctx.log / console.log lines
};

} // namespace Gatehouse
