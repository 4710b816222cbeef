#include "upsertprojection.h"

#include "config/collectioncatalog.h"
#include "store/cloudevent.h"

#include <QScopeGuard>

#include <algorithm>
#include <atomic>
#include <thread>

namespace Gatehouse {

UpsertProjection::UpsertProjection(const CollectionCatalog *catalog, QObject *parent)
    : QObject(parent)
    , m_catalog(catalog)
{
    qRegisterMetaType<QList<Gatehouse::StoredDocument>>("QList<Gatehouse::StoredDocument>");
}

UpsertProjection::Fold &UpsertProjection::foldOf(const QString &collection)
{
    for (const auto &f : m_folds) {
        if (f->collection == collection)
            return *f;
    }
    m_folds.push_back(std::make_unique<Fold>());
    m_folds.back()->collection = collection;
    return *m_folds.back();
}

namespace {
// Each event's verb, subject and parsed data (or why it could not be parsed).
struct UpsertDigest final : BatchDigest
{
    struct Item
    {
        DocumentFold::Verb verb = DocumentFold::Verb::Other;
        QString id;
        QJsonObject data;
        QString error;
    };
    std::vector<Item> items;
};
} // namespace

std::shared_ptr<const BatchDigest> UpsertProjection::digest(const RecordedEvents &events) const
{
    auto digest = std::make_shared<UpsertDigest>();
    digest->items.resize(size_t(events.size()));
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        UpsertDigest::Item &item = digest->items[size_t(i)];
        item.verb = DocumentFold::verbOf(e);
        if (item.verb == DocumentFold::Verb::Other)
            continue;
        item.id = CloudEvent::subjectOf(e);
        DocumentFold::parseData(e, item.verb, &item.data, &item.error);
    }
    return digest;
}

bool UpsertProjection::apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault)
{
    return applyDigested(events, nullptr, tx, fault);
}

bool UpsertProjection::applyDigested(const RecordedEvents &events, const BatchDigest *digest, ReadStore::WriteTransaction &tx,
                                     ProjectionFault *fault)
{
    const auto *digested = dynamic_cast<const UpsertDigest *>(digest);
    if (digested && digested->items.size() != size_t(events.size()))
        digested = nullptr;
    const auto project = m_catalog->snapshot();
    // Records touched by this batch (and, while rebuilding, by the batches before it) are
    // folded in memory and written once each: an entity changed several times costs one
    // write, and no read after a write.
    Fold *fold = nullptr;
    const Collection *collection = nullptr;   // fold's
    UpsertDigest::Item parsed;
    QJsonObject upcastData;
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        const DocumentFold::Verb verb = digested ? digested->items[size_t(i)].verb : DocumentFold::verbOf(e);
        if (verb == DocumentFold::Verb::Other)
            continue;
        const qsizetype dot = e.type.lastIndexOf(QLatin1Char('.'));
        const QStringView collectionName = dot < 0 ? QStringView(e.type) : QStringView(e.type).left(dot);   // CloudEvent::collectionOf
        if (!fold || fold->collection != collectionName) {
            const Collection *found = project->collection(collectionName.toString());
            if (!found)
                continue;   // not a write collection of this project (e.g. emitted by a function)
            collection = found;
            if (!m_ensured.contains(collection->name)) {
                if (!tx.ensureCollection(collection->name, m_bulk ? QStringList() : collection->indexedFields)) {
                    *fault = {tx.errorString(), e.position, e.id, int(i)};
                    return false;
                }
                m_ensured.insert(collection->name);
            }
            fold = &foldOf(collection->name);
            fold->snapshotEvery = collection->snapshotEvery;
            fold->snapshotKey = collection->snapshotKey();
        }
        const UpsertDigest::Item *item = digested ? &digested->items[size_t(i)] : nullptr;
        if (!item) {
            parsed = {verb, CloudEvent::subjectOf(e), {}, {}};
            DocumentFold::parseData(e, verb, &parsed.data, &parsed.error);
            item = &parsed;
        }
        if (!item->error.isEmpty()) {
            *fault = {item->error, e.position, e.id, int(i)};
            return false;
        }
        const QString &id = item->id;
        auto slot = fold->records.find(id);
        const bool fresh = slot == fold->records.end();
        if (fresh) {
            if (!fold->functionDocuments) {
                fold->functionDocuments = tx.hasFunctionDocuments(fold->collection);
                if (!fold->functionDocuments) {
                    *fault = {tx.errorString(), e.position, e.id, int(i)};
                    return false;
                }
            }
            std::optional<StoredDocument> stored;
            if (verb != DocumentFold::Verb::Created || *fold->functionDocuments)
                stored = tx.get(fold->collection, id);
            DocumentFold::Record record = stored ? DocumentFold::Record(std::move(*stored)) : DocumentFold::Record(fold->collection, id);
            slot = fold->records.emplace(id, Slot{std::move(record), false}).first;
            m_foldBytes += 2 * id.size() + 64 + slot->second.record.approximateBytes();   // the key, the hash node, the record
        }
        Slot &s = slot->second;
        // A function's write replaces the whole document: the events up to its position are
        // in it or overwritten by it (also when a rebuild replays them), later ones go on top.
        if (s.record.byFunction() && e.position <= s.record.position())
            continue;
        m_foldBytes -= s.record.approximateBytes();
        const qint64 before = s.record.version();
        // Events written under an older schema version, in the current version's shape.
        bool upcasted = false;
        if (!collection->upcasters.isEmpty()) {
            upcastData = item->data;   // the digest's stays as it is: implicitly shared, copied if a step changes it
            upcasted = DocumentFold::upcast(*collection, e, verb, upcastData);
        }
        s.record.apply(verb, e, upcasted ? upcastData : item->data, upcasted);
        m_foldBytes += s.record.approximateBytes();
        // A snapshot when this event ends a stretch of snapshotEvery versions -- or, when the
        // events that ended it changed nothing (other verbs), at the first one after it.
        if (fold->snapshotEvery > 0 && (e.version + 1) / fold->snapshotEvery > (before + 1) / fold->snapshotEvery) {
            m_snapshots.append(s.record.stored());
            m_snapshots.last().collection = fold->snapshotKey;
            m_snapshotBytes += m_snapshots.last().doc.size() + 2 * m_snapshots.last().id.size() + 128;
        }
        if (!s.dirty) {
            s.dirty = true;
            m_dirty.emplace_back(fold, &s);
        }
    }
    if (m_bulk)
        return true;   // flushBulk() writes them
    QString error;
    const bool written = writeDirty(tx, false, &error);
    clearFold();
    if (!written)
        *fault = {error, events.last().position, events.last().id, -1};
    return written;
}

bool UpsertProjection::writeDirty(ReadStore::WriteTransaction &tx, bool bulk, QString *error)
{
    if (bulk) {
        // Into an empty table, rows in key order append to the last page instead of splitting
        // pages all over the tree.
        std::sort(m_dirty.begin(), m_dirty.end(), [](const auto &a, const auto &b) {
            return a.first != b.first ? a.first->collection < b.first->collection
                                      : a.second->record.id() < b.second->record.id();
        });
    }
    constexpr size_t kChunk = 1024;
    const size_t n = m_dirty.size();
    std::vector<qint64> before(n);
    for (size_t i = 0; i < n; ++i)
        before[i] = m_dirty[i].second->record.approximateBytes();
    // A rebuild's flush serialises the documents on another thread, ahead of this one writing
    // them chunk by chunk: serialising is the larger half of the work. This thread touches a
    // record only once the other is past it.
    std::atomic<size_t> serialised{n};
    std::thread serialiser;
    if (bulk && n > kChunk) {
        serialised = 0;
        serialiser = std::thread([this, &serialised, n] {
            for (size_t i = 0; i < n; ++i) {
                m_dirty[i].second->record.stored();
                if ((i + 1) % kChunk == 0 || i + 1 == n) {
                    serialised.store(i + 1, std::memory_order_release);
                    serialised.notify_one();
                }
            }
        });
    }
    const auto joined = qScopeGuard([&serialiser] {
        if (serialiser.joinable())
            serialiser.join();
    });
    m_changed.reserve(m_changed.size() + qsizetype(n));
    for (size_t begin = 0; begin < n; begin += kChunk) {
        const size_t end = std::min(n, begin + kChunk);
        for (size_t ready = serialised.load(std::memory_order_acquire); ready < end; ready = serialised.load(std::memory_order_acquire))
            serialised.wait(ready, std::memory_order_acquire);
        QList<StoredDocument> chunk;
        chunk.reserve(qsizetype(end - begin));
        for (size_t i = begin; i < end; ++i) {
            Slot *slot = m_dirty[i].second;
            chunk.append(slot->record.stored());
            m_foldBytes += slot->record.approximateBytes() - before[i];
            slot->dirty = false;
        }
        if (!tx.put(chunk)) {
            *error = tx.errorString();
            return false;
        }
        m_changed.append(chunk);
    }
    m_dirty.clear();
    if (!m_snapshots.isEmpty()) {
        if (!tx.putSnapshots(m_snapshots)) {
            *error = tx.errorString();
            return false;
        }
        m_snapshots.clear();
        m_snapshotBytes = 0;
    }
    return true;
}

void UpsertProjection::clearFold()
{
    m_folds.clear();
    m_dirty.clear();
    m_foldBytes = 0;
    m_snapshots.clear();
    m_snapshotBytes = 0;
}

void UpsertProjection::beginBulk()
{
    m_bulk = true;
    clearFold();
}

bool UpsertProjection::flushBulk(ReadStore::WriteTransaction &tx, QString *error)
{
    if (!writeDirty(tx, true, error))
        return false;
    for (const auto &f : m_folds)
        f->functionDocuments.reset();   // functions go on writing during an online rebuild
    if (bulkNeedsFlush())
        clearFold();   // over the budget even when clean: later events read records back
    return true;
}

bool UpsertProjection::endBulk(ReadStore::WriteTransaction &tx, QString *error)
{
    m_bulk = false;
    clearFold();
    // Every declared collection, also one no event wrote: reset() dropped its table, and the
    // indexes the rebuild left out go on now.
    const auto project = m_catalog->snapshot();
    for (const Collection &c : project->collections()) {
        if (!tx.ensureCollection(c.name, c.indexedFields)) {
            *error = tx.errorString();
            return false;
        }
        m_ensured.insert(c.name);
    }
    return true;
}

bool UpsertProjection::reset(ReadStore::WriteTransaction &tx, QString *error)
{
    const auto project = m_catalog->snapshot();
    for (const Collection &c : project->collections()) {
        if (!tx.resetProjected(c.name)) {
            *error = tx.errorString();
            return false;
        }
    }
    m_ensured.clear();
    m_changed.clear();
    clearFold();
    return true;
}

void UpsertProjection::committed()
{
    if (m_changed.isEmpty())
        return;
    QList<StoredDocument> changed;
    changed.swap(m_changed);
    Q_EMIT documentsChanged(changed);
}

void UpsertProjection::discarded()
{
    m_changed.clear();
    // Records folded since the checkpoint are gone too: the runner replays from there.
    clearFold();
    // A rolled-back transaction may have created tables that are gone again.
    m_ensured.clear();
}

} // namespace Gatehouse
