#include "parkedevents.h"

#include "config/configstore.h"

#include <QDateTime>
#include <QJsonDocument>

namespace Gatehouse {

namespace {
const QString kKind = QStringLiteral("parked_events");

QString resourceId(const QString &projection, qint64 position)
{
    return projection + u'@' + QString::number(position);
}
} // namespace

QJsonObject ParkedEvents::Entry::toJson() const
{
    return QJsonObject{
        {QStringLiteral("projection"), projection},
        {QStringLiteral("position"), position},
        {QStringLiteral("event_id"), eventId},
        {QStringLiteral("type"), eventType},
        {QStringLiteral("error"), error},
        {QStringLiteral("parked_at_ms"), parkedAtMs},
    };
}

ParkedEvents::ParkedEvents(ConfigStore *config)
    : m_config(config)
{
}

void ParkedEvents::loadLocked() const
{
    if (m_loaded)
        return;
    m_loaded = true;
    for (const ConfigStore::Resource &r : m_config->resources(kKind)) {
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        Entry e;
        e.projection = o.value(QLatin1String("projection")).toString();
        e.position = o.value(QLatin1String("position")).toInteger();
        e.eventId = o.value(QLatin1String("event_id")).toString();
        e.eventType = o.value(QLatin1String("type")).toString();
        e.error = o.value(QLatin1String("error")).toString();
        e.parkedAtMs = o.value(QLatin1String("parked_at_ms")).toInteger();
        if (!e.projection.isEmpty() && e.position > 0)
            m_entries[e.projection][e.position] = e;
    }
    m_sets.clear();
}

bool ParkedEvents::park(const Entry &entry)
{
    QMutexLocker lock(&m_mutex);
    loadLocked();
    Entry e = entry;
    if (e.parkedAtMs == 0)
        e.parkedAtMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 now = e.parkedAtMs / 1000;
    const QByteArray body = QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact);
    if (m_config->commitChange(kKind, {{resourceId(e.projection, e.position), body, now, now}}, {}) == 0)
        return false;
    m_entries[e.projection][e.position] = e;
    m_sets.erase(e.projection);
    return true;
}

bool ParkedEvents::release(const QString &projection, qint64 position)
{
    QMutexLocker lock(&m_mutex);
    loadLocked();
    auto p = m_entries.find(projection);
    if (p == m_entries.end() || !p->second.count(position))
        return false;
    if (m_config->commitChange(kKind, {}, {resourceId(projection, position)}) == 0)
        return false;
    p->second.erase(position);
    m_sets.erase(projection);
    return true;
}

QList<ParkedEvents::Entry> ParkedEvents::list(const QString &projection) const
{
    QMutexLocker lock(&m_mutex);
    loadLocked();
    QList<Entry> out;
    if (auto p = m_entries.find(projection); p != m_entries.end()) {
        for (const auto &[position, e] : p->second)
            out.append(e);
    }
    return out;
}

std::shared_ptr<const QSet<qint64>> ParkedEvents::positions(const QString &projection) const
{
    QMutexLocker lock(&m_mutex);
    loadLocked();
    auto &set = m_sets[projection];
    if (!set) {
        auto fresh = std::make_shared<QSet<qint64>>();
        if (auto p = m_entries.find(projection); p != m_entries.end()) {
            for (const auto &[position, e] : p->second)
                fresh->insert(position);
        }
        set = std::move(fresh);
    }
    return set;
}

RecordedEvents ParkedEvents::without(const RecordedEvents &events, const QSet<qint64> *parked)
{
    if (!parked || parked->isEmpty() || events.isEmpty())
        return events;
    bool any = false;
    for (const RecordedEvent &e : events)
        any = any || parked->contains(e.position);
    if (!any)
        return events;
    RecordedEvents kept;
    kept.reserve(events.size());
    for (const RecordedEvent &e : events) {
        if (!parked->contains(e.position))
            kept.append(e);
    }
    return kept;
}

} // namespace Gatehouse
