#include "idregistry.h"

#include "seededrandom.h"

namespace Gatehouse::Simulation {

void IdRegistry::add(const QString &collection, const QString &id)
{
    const QMutexLocker lock(&m_mutex);
    Ids &ids = m_ids[collection];
    if (ids.index.contains(id))
        return;
    ids.index.insert(id, ids.list.size());
    ids.list.append(id);
}

void IdRegistry::remove(const QString &collection, const QString &id)
{
    const QMutexLocker lock(&m_mutex);
    const auto found = m_ids.find(collection);
    if (found == m_ids.end())
        return;
    Ids &ids = *found;
    const auto it = ids.index.constFind(id);
    if (it == ids.index.cend())
        return;
    const qsizetype at = *it;
    ids.index.erase(it);
    const QString last = ids.list.takeLast();
    if (at < ids.list.size()) {
        ids.list[at] = last;
        ids.index[last] = at;
    }
}

std::optional<QString> IdRegistry::pick(const QString &collection, SeededRandom &random) const
{
    const QMutexLocker lock(&m_mutex);
    const auto it = m_ids.constFind(collection);
    if (it == m_ids.cend() || it->list.isEmpty())
        return std::nullopt;
    return it->list.at(qsizetype(random.below(quint64(it->list.size()))));
}

qsizetype IdRegistry::count(const QString &collection) const
{
    const QMutexLocker lock(&m_mutex);
    return m_ids.value(collection).list.size();
}

} // namespace Gatehouse::Simulation
