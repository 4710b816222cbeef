#include "documentcache.h"

#include "base/qstringhash.h"

namespace Gatehouse {

namespace {
constexpr int kShards = 8;   // one lock each: network threads rarely meet on one

qint64 approximateBytes(const StoredDocument &doc)
{
    return doc.doc.size() + 2 * (doc.id.size() * 2 + doc.collection.size()) + 160;   // key, strings, node
}
} // namespace

struct DocumentCache::Shard
{
    struct Entry
    {
        StoredDocument doc;
        qint64 bytes = 0;
        bool referenced = false;   // read since the eviction hand last passed it
    };
    QMutex lock;
    std::unordered_map<QString, Entry, QStringHash> entries;
    qint64 bytes = 0;
    size_t hand = 0;   // the next bucket the eviction sweep looks at

    void erase(std::unordered_map<QString, Entry, QStringHash>::iterator it)
    {
        bytes -= it->second.bytes;
        entries.erase(it);
    }
};

DocumentCache::DocumentCache()
    : m_shards(new Shard[kShards])
{
}

DocumentCache::~DocumentCache() = default;

QString DocumentCache::keyOf(const QString &collection, const QString &id)
{
    QString key;
    key.reserve(collection.size() + 1 + id.size());
    key.append(collection).append(QChar(u'\0')).append(id);
    return key;
}

DocumentCache::Shard &DocumentCache::shardOf(const QString &key)
{
    return m_shards[qHash(key, size_t(0x9e3779b9)) % kShards];
}

void DocumentCache::setBudget(qint64 bytes)
{
    m_budget.store(qMax<qint64>(0, bytes), std::memory_order_relaxed);
    clear();
}

std::optional<StoredDocument> DocumentCache::find(const QString &collection, const QString &id)
{
    if (m_budget.load(std::memory_order_relaxed) == 0)
        return std::nullopt;
    const QString key = keyOf(collection, id);
    Shard &shard = shardOf(key);
    QMutexLocker locker(&shard.lock);
    const auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
        m_misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    it->second.referenced = true;
    m_hits.fetch_add(1, std::memory_order_relaxed);
    return it->second.doc;
}

void DocumentCache::insert(const StoredDocument &doc, quint64 generation)
{
    const qint64 budget = m_budget.load(std::memory_order_relaxed);
    const qint64 bytes = approximateBytes(doc);
    const qint64 shardBudget = budget / kShards;
    if (bytes > shardBudget / 8)
        return;   // off, or a document too large to be worth a slot
    const QString key = keyOf(doc.collection, doc.id);
    Shard &shard = shardOf(key);
    QMutexLocker locker(&shard.lock);
    // Under the shard's lock: an invalidation either bumped the generation already (the row
    // may be older than its commit: refused) or will erase this entry after we let go.
    if (m_generation.load(std::memory_order_seq_cst) != generation)
        return;
    auto [it, inserted] = shard.entries.try_emplace(key);
    if (!inserted)
        shard.bytes -= it->second.bytes;
    it->second = {doc, bytes, false};
    shard.bytes += bytes;
    // CLOCK over the buckets: the hand clears the mark of what was read since it last passed
    // and evicts what was not.
    while (shard.bytes > shardBudget && !shard.entries.empty()) {
        const size_t bucket = shard.hand++ % shard.entries.bucket_count();
        for (auto e = shard.entries.begin(bucket); e != shard.entries.end(bucket);) {
            if (e->second.referenced) {
                e->second.referenced = false;
                ++e;
            } else {
                const QString victim = (e++)->first;   // only the erased element's iterators die
                shard.erase(shard.entries.find(victim));
            }
        }
    }
}

void DocumentCache::invalidate(const std::vector<std::pair<QString, QString>> &keys)
{
    if (keys.empty() || m_budget.load(std::memory_order_relaxed) == 0)
        return;
    m_generation.fetch_add(1, std::memory_order_seq_cst);
    for (const auto &[collection, id] : keys) {
        const QString key = keyOf(collection, id);
        Shard &shard = shardOf(key);
        QMutexLocker locker(&shard.lock);
        if (const auto it = shard.entries.find(key); it != shard.entries.end())
            shard.erase(it);
    }
}

void DocumentCache::clear()
{
    m_generation.fetch_add(1, std::memory_order_seq_cst);
    for (int i = 0; i < kShards; ++i) {
        QMutexLocker locker(&m_shards[i].lock);
        m_shards[i].entries.clear();
        m_shards[i].bytes = 0;
    }
}

DocumentCache::Stats DocumentCache::stats() const
{
    Stats s;
    s.hits = m_hits.load(std::memory_order_relaxed);
    s.misses = m_misses.load(std::memory_order_relaxed);
    for (int i = 0; i < kShards; ++i) {
        QMutexLocker locker(&m_shards[i].lock);
        s.entries += qint64(m_shards[i].entries.size());
        s.bytes += m_shards[i].bytes;
    }
    return s;
}

} // namespace Gatehouse
