#pragma once

// Shared by the engine benchmarks that generate their own log: appending many events without
// waiting on each (at most `window` in flight), and the median of a few runs.

#include "store/eventstore.h"

#include <QList>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace BenchLog {

inline double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v.at(v.size() / 2);
}

// Appends asynchronously; append() blocks while `window` appends are unanswered, drain()
// until none is. A failed append is reported on stderr.
class Appender
{
public:
    explicit Appender(Gatehouse::EventStore &store, qint64 window = 20000) : m_store(store), m_window(window) {}
    ~Appender() { drain(); }

    void append(Gatehouse::AppendRequest request)
    {
        ++m_pending;
        m_store.append(std::move(request), [this](const Gatehouse::AppendResult &res) {
            if (!res.ok())
                std::fprintf(stderr, "append failed: %s\n", qPrintable(res.error));
            --m_pending;
        });
        while (m_pending > m_window)
            QThread::msleep(1);
    }
    void drain()
    {
        while (m_pending > 0)
            QThread::msleep(5);
    }

private:
    Gatehouse::EventStore &m_store;
    const qint64 m_window;
    std::atomic<qint64> m_pending{0};
};

} // namespace BenchLog
