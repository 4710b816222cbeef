#pragma once

#include "base/qstringhash.h"
#include "projection.h"
#include "readmodel/documentfold.h"

#include <QObject>
#include <QSet>

#include <memory>
#include <unordered_map>
#include <vector>

namespace Gatehouse {

class CollectionCatalog;

// The upsert service: the built-in projection that keeps one read collection per write
// collection (created inserts, updated merges the patch, deleted marks the record) and,
// after each committed batch, announces every changed document in one signal -- the hook
// WebSocket watchers, MQTT retained state and the GUI use. Runs on its runner's thread;
// documentsChanged() is emitted from there.
//
// It also keeps the entities' snapshots (ReadStore::snapshot): the record right after an
// event that ends a stretch of the collection's snapshot_every versions of its stream, written
// in the same transaction as the documents.
//
// During a rebuild (bulk mode) records stay in memory across batches, parsed, and each is
// serialised and written once per flush, in key order, until the memory budget is reached.
class UpsertProjection final : public QObject, public Projection
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpsertProjection)

public:
    static constexpr qint64 kDefaultBulkMemoryBudget = qint64(256) << 20;

    explicit UpsertProjection(const CollectionCatalog *catalog, QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("upsert"); }
    bool apply(const RecordedEvents &events, ReadStore::WriteTransaction &tx, ProjectionFault *fault) override;
    std::shared_ptr<const BatchDigest> digest(const RecordedEvents &events) const override;
    bool applyDigested(const RecordedEvents &events, const BatchDigest *digest, ReadStore::WriteTransaction &tx,
                       ProjectionFault *fault) override;
    bool reset(ReadStore::WriteTransaction &tx, QString *error) override;
    void committed() override;
    void discarded() override;
    void beginBulk() override;
    bool bulkNeedsFlush() const override { return m_foldBytes + m_snapshotBytes > m_bulkMemoryBudget; }
    bool flushBulk(ReadStore::WriteTransaction &tx, QString *error) override;
    bool endBulk(ReadStore::WriteTransaction &tx, QString *error) override;

    // Rough bytes of records a rebuild may hold in memory before it writes them out.
    void setBulkMemoryBudget(qint64 bytes) { m_bulkMemoryBudget = bytes; }

Q_SIGNALS:
    void documentsChanged(const QList<Gatehouse::StoredDocument> &documents);

private:
    struct Slot
    {
        DocumentFold::Record record;
        bool dirty = false;   // changed since it was last written
    };
    struct Fold
    {
        QString collection;
        int snapshotEvery = 0;
        QString snapshotKey;   // Collection::snapshotKey
        // Whether functions wrote documents of the collection (asked once per fold): then a
        // created event reads the stored document too, which may be a function's.
        std::optional<bool> functionDocuments;
        std::unordered_map<QString, Slot, QStringHash> records;   // by id
    };

    Fold &foldOf(const QString &collection);
    bool writeDirty(ReadStore::WriteTransaction &tx, bool bulk, QString *error);
    void clearFold();

    const CollectionCatalog *m_catalog;
    QSet<QString> m_ensured;                 // collections whose table exists
    std::vector<std::unique_ptr<Fold>> m_folds;   // records held in memory, per collection
    std::vector<std::pair<Fold *, Slot *>> m_dirty;   // in first-touch order
    qint64 m_foldBytes = 0;
    qint64 m_bulkMemoryBudget = kDefaultBulkMemoryBudget;
    QList<StoredDocument> m_changed;         // written in this transaction
    QList<StoredDocument> m_snapshots;       // taken since the last write
    qint64 m_snapshotBytes = 0;
    bool m_bulk = false;                     // rebuilding: indexes come at the end
};

} // namespace Gatehouse
