#pragma once

#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>

#include <optional>

namespace Gatehouse::Simulation {

class SeededRandom;

// The entity ids a run has created (202 received), per collection, so get/update/delete/
// command and `{id}` in request paths can pick one created earlier in the run. A delete takes
// its id out. Picking is seeded (the iteration's generator), though which ids exist at that
// moment depends on how fast the target answered. Thread-safe: every generator thread shares
// one.
class IdRegistry
{
public:
    void add(const QString &collection, const QString &id);
    void remove(const QString &collection, const QString &id);
    std::optional<QString> pick(const QString &collection, SeededRandom &random) const;
    qsizetype count(const QString &collection) const;

private:
    struct Ids
    {
        QList<QString> list;
        QHash<QString, qsizetype> index;   // id -> position in list (remove by swapping the last in)
    };
    mutable QMutex m_mutex;
    QHash<QString, Ids> m_ids;
};

} // namespace Gatehouse::Simulation
