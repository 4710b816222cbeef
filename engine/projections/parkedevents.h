#pragma once

#include "store/recordedevent.h"

#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QSet>
#include <QString>

#include <map>
#include <memory>

namespace Gatehouse {

class ConfigStore;

// Events an operator told a projection to leave out: a projection that cannot apply an event
// stops there (ProjectionRunner's fault) until someone decides; "skip" parks the event here,
// with the reason it failed, and the projection goes on without it -- also in every rebuild,
// so a rebuild gets past the same event again. Parked events live in config.db (they survive
// a rebuild of the read store) and can be released, after which the next rebuild applies them
// again. The log itself never changes. Thread-safe: runners read their set on their threads,
// the admin API writes from its own.
class ParkedEvents final
{
public:
    struct Entry
    {
        QString projection;
        qint64 position = 0;
        QString eventId;
        QString eventType;
        QString error;
        qint64 parkedAtMs = 0;
        QJsonObject toJson() const;
    };

    explicit ParkedEvents(ConfigStore *config);
    ParkedEvents(const ParkedEvents &) = delete;
    ParkedEvents &operator=(const ParkedEvents &) = delete;

    bool park(const Entry &entry);
    bool release(const QString &projection, qint64 position);
    QList<Entry> list(const QString &projection) const;
    // The positions a projection must leave out; an immutable snapshot, cheap to hold.
    std::shared_ptr<const QSet<qint64>> positions(const QString &projection) const;

    // `events` without the parked ones (the same list, not a copy, when none is parked).
    static RecordedEvents without(const RecordedEvents &events, const QSet<qint64> *parked);

private:
    void loadLocked() const;
    ConfigStore *m_config;
    mutable QMutex m_mutex;
    mutable bool m_loaded = false;
    mutable std::map<QString, std::map<qint64, Entry>> m_entries;   // by projection, by position
    mutable std::map<QString, std::shared_ptr<const QSet<qint64>>> m_sets;
};

} // namespace Gatehouse
