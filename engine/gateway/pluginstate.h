#pragma once

#include "base/sharedcounters.h"

#include <QHash>
#include <QMutex>
#include <QString>

#include <memory>

namespace Gatehouse {

// Shared, mutable plugin state (rate-limit windows, breaker state, connection counts) that
// outlives a configuration version: a route keeps its counters when an unrelated route
// changes. Keyed by the plugin's scope + its config, so changing a plugin's config starts it
// afresh. Thread-safe; each state object does its own locking.
class PluginState final
{
public:
    template<typename T>
    std::shared_ptr<T> get(const QString &key)
    {
        QMutexLocker lock(&m_mutex);
        auto &slot = m_objects[key];
        if (!slot)
            slot = std::make_shared<T>();
        return std::static_pointer_cast<T>(slot);
    }

    void clear()
    {
        QMutexLocker lock(&m_mutex);
        m_objects.clear();
    }

    // Counters shared with the other engines on the same database (null: this engine is the
    // only one, as on SQLite, so its own counters are the cluster's).
    void setSharedCounters(std::shared_ptr<SharedCounters> counters)
    {
        QMutexLocker lock(&m_mutex);
        m_shared = std::move(counters);
    }
    std::shared_ptr<SharedCounters> sharedCounters()
    {
        QMutexLocker lock(&m_mutex);
        return m_shared;
    }

private:
    QMutex m_mutex;
    QHash<QString, std::shared_ptr<void>> m_objects;
    std::shared_ptr<SharedCounters> m_shared;
};

} // namespace Gatehouse
