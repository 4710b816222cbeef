#include "upsertprojection.h"

#include "config/collectioncatalog.h"
#include "store/cloudevent.h"

#include <algorithm>

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

bool UpsertProjection::apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault)
{
    const auto project = m_catalog->snapshot();
    // Records touched by this batch (and, while rebuilding, by the batches before it) are
    // folded in memory and written once each: an entity changed several times costs one
    // write, and no read after a write.
    Fold *fold = nullptr;
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        const DocumentFold::Verb verb = DocumentFold::verbOf(e);
        if (verb == DocumentFold::Verb::Other)
            continue;
        const QString collectionName = CloudEvent::collectionOf(e.type);
        if (!fold || fold->collection != collectionName) {
            const Collection *collection = project->collection(collectionName);
            if (!collection)
                continue;   // not a write collection of this project (e.g. emitted by a function)
            if (!m_ensured.contains(collection->name)) {
                if (!tx.ensureCollection(collection->name, m_bulk ? QStringList() : collection->indexedFields)) {
                    *fault = {tx.errorString(), e.position, e.id, int(i)};
                    return false;
                }
                m_ensured.insert(collection->name);
            }
            fold = &foldOf(collection->name);
        }
        QJsonObject data;
        QString error;
        if (!DocumentFold::parseData(e, verb, &data, &error)) {
            *fault = {error, e.position, e.id, int(i)};
            return false;
        }
        const QString id = CloudEvent::subjectOf(e);
        auto slot = fold->records.find(id);
        if (slot == fold->records.end()) {
            std::optional<StoredDocument> stored;
            if (verb != DocumentFold::Verb::Created)
                stored = tx.get(fold->collection, id);
            DocumentFold::Record record = stored ? DocumentFold::Record(std::move(*stored)) : DocumentFold::Record(fold->collection, id);
            slot = fold->records.emplace(id, Slot{std::move(record), false}).first;
            m_foldBytes += 2 * id.size() + 64;   // the key and the hash node
        } else {
            m_foldBytes -= slot->second.record.approximateBytes();
        }
        Slot &s = slot->second;
        s.record.apply(verb, e, data);
        m_foldBytes += s.record.approximateBytes();
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

bool UpsertProjection::writeDirty(ReadStore::WriteTransaction &tx, bool sorted, QString *error)
{
    if (sorted) {
        // Into an empty table, rows in key order append to the last page instead of splitting
        // pages all over the tree.
        std::sort(m_dirty.begin(), m_dirty.end(), [](const auto &a, const auto &b) {
            return a.first != b.first ? a.first->collection < b.first->collection
                                      : a.second->record.id() < b.second->record.id();
        });
    }
    const qsizetype first = m_changed.size();
    m_changed.reserve(first + qsizetype(m_dirty.size()));
    for (const auto &[fold, slot] : m_dirty) {
        const qint64 before = slot->record.approximateBytes();
        m_changed.append(slot->record.stored());
        m_foldBytes += slot->record.approximateBytes() - before;
        slot->dirty = false;
    }
    m_dirty.clear();
    if (!tx.put(m_changed.mid(first))) {
        *error = tx.errorString();
        return false;
    }
    return true;
}

void UpsertProjection::clearFold()
{
    m_folds.clear();
    m_dirty.clear();
    m_foldBytes = 0;
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
    if (bulkNeedsFlush())
        clearFold();   // over the budget even when clean: later events read records back
    return true;
}

bool UpsertProjection::endBulk(ReadStore::WriteTransaction &tx, QString *error)
{
    m_bulk = false;
    clearFold();
    const auto project = m_catalog->snapshot();
    for (const QString &name : std::as_const(m_ensured)) {
        const Collection *c = project->collection(name);
        if (c && !tx.ensureCollection(name, c->indexedFields)) {
            *error = tx.errorString();
            return false;
        }
    }
    return true;
}

bool UpsertProjection::reset(ReadStore::WriteTransaction &tx, QString *error)
{
    const auto project = m_catalog->snapshot();
    for (const Collection &c : project->collections()) {
        if (!tx.dropCollection(c.name)) {
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
