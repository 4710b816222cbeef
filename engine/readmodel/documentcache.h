#pragma once

#include "storeddocument.h"

#include <QMutex>

#include <atomic>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace Gatehouse {

// Documents recently read by id, so a hot GET costs a hash lookup instead of a SQLite read
// transaction. Bounded by an approximate byte budget (0 disables it), split over eight
// locked shards; when a shard is full, a CLOCK hand evicts entries not read since it last
// passed them.
//
// Never stale: the read store drops the entries a transaction changed right after its COMMIT
// and before the projection publishes the new position, so any reader that waited for that
// position misses the cache and reads the new row. A reader that fetched a row before such a
// commit could still offer the old row afterwards; beginRead() hands out the invalidation
// generation, and insert() refuses a row read under an older one.
class DocumentCache final
{
public:
    struct Stats
    {
        quint64 hits = 0;
        quint64 misses = 0;
        qint64 entries = 0;
        qint64 bytes = 0;
    };

    DocumentCache();
    ~DocumentCache();
    DocumentCache(const DocumentCache &) = delete;
    DocumentCache &operator=(const DocumentCache &) = delete;

    void setBudget(qint64 bytes);   // 0: off (and emptied)
    qint64 budget() const { return m_budget.load(std::memory_order_relaxed); }

    std::optional<StoredDocument> find(const QString &collection, const QString &id);
    quint64 beginRead() const { return m_generation.load(std::memory_order_seq_cst); }
    void insert(const StoredDocument &doc, quint64 generation);

    // After a commit: forget these documents (collection, id), or everything.
    void invalidate(const std::vector<std::pair<QString, QString>> &keys);
    void clear();

    Stats stats() const;

private:
    struct Shard;
    Shard &shardOf(const QString &key);
    static QString keyOf(const QString &collection, const QString &id);

    std::atomic<qint64> m_budget{0};
    std::atomic<quint64> m_generation{0};
    std::atomic<quint64> m_hits{0};
    std::atomic<quint64> m_misses{0};
    std::unique_ptr<Shard[]> m_shards;
};

} // namespace Gatehouse
