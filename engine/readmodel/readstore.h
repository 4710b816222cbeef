#pragma once

#include "cursorsigner.h"
#include "documentcache.h"
#include "indexbuilder.h"
#include "sql/readstatus.h"
#include "sql/storagetarget.h"
#include "storeddocument.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace Gatehouse {

class ListQuery;
class ReadStoreBackend;

// The read store: one table per read collection holding documents as JSON, expression
// indexes on the fields a collection marks "index": true, and the projections' checkpoints --
// in readmodel.db (SQLite, the embedded default) or in a PostgreSQL database that several
// engines share (see SqliteReadBackend and PostgresReadBackend; callers never see which).
// Every change happens in a WriteTransaction; at most one is open at a time per ReadStore
// (it holds the store's write lock), from any thread. Reads use a pool of connections and
// may run on any thread at the same time as a write.
//
// On SQLite, reads by id go through a DocumentCache that each commit keeps exact (see
// documentcache.h). On PostgreSQL another engine may change a document, so there is no cache.
//
// Reads are bounded and honest: every read statement has a time budget (setQueryBudgetMs;
// SQLite's progress handler or PostgreSQL's statement_timeout interrupts it), and a read that
// fails says so through ReadStatus instead of answering "nothing" -- only a collection whose
// table does not exist yet reads as empty. The paging cursors list() hands out are signed with
// a key kept with the data (CursorSigner), so every engine on one database signs alike.
class ReadStore final
{
public:
    struct Page
    {
        QList<StoredDocument> items;
        QByteArray nextCursor;   // empty: no further page
    };

    class WriteTransaction
    {
    public:
        ~WriteTransaction();   // rolls back unless committed
        bool ensureCollection(const QString &collection, const QStringList &indexedFields);
        bool put(const StoredDocument &doc);                  // insert or replace
        bool put(const QList<StoredDocument> &docs);          // the same, one statement per collection
        // Snapshots of entities (see snapshot()): each the record as it was right after the
        // event at its position. Insert or replace.
        bool putSnapshots(const QList<StoredDocument> &snapshots);
        std::optional<StoredDocument> get(const QString &collection, const QString &id);
        bool remove(const QString &collection, const QString &id);   // physical delete (functions' ctx.remove)
        bool dropCollection(const QString &collection);   // its table and its snapshots
        // For a rebuild of the upsert projection: the documents it wrote and the snapshots of
        // `collection`; those functions wrote stay (StoredDocument::byFunction).
        bool resetProjected(const QString &collection);
        // Whether a function wrote one of `collection`'s documents (nullopt: the store failed).
        std::optional<bool> hasFunctionDocuments(const QString &collection);
        bool markByFunction(const QString &collection, const QStringList &ids);   // see StoredDocument::byFunction
        // Snapshots of `collection` kept under other keys than `keepKey` (taken through
        // upcasters that changed since; see Collection::snapshotKey). Empty keepKey: all.
        bool dropSnapshots(const QString &collection, const QString &keepKey);
        // Drops the indexes of `collection` on fields not in `keep` (its indexed fields now).
        bool dropIndexesExcept(const QString &collection, const QStringList &keep);
        // The index on `field` (see IndexBuilder, which calls it); `progress` as there.
        bool createIndex(const QString &collection, const QString &field, const std::function<bool(double)> &progress);
        bool setCheckpoint(const QString &projection, qint64 position);
        // For a batch of events from `firstApplied` on: fails, and the transaction with it,
        // when the stored checkpoint already reached `firstApplied` -- another engine that took
        // the projection over applied them, and this one must not apply them twice. Such a
        // failure counts in storageFailures(): the runner reads the checkpoint back and goes on.
        bool setCheckpointAfter(const QString &projection, qint64 position, qint64 firstApplied);
        // Everything this transaction writes is derived again from the log, from the checkpoint
        // it commits with (a projection's batch): a crash of the database server may take it
        // back, whole, and the projection applies it again. So its commit does not wait for the
        // disk (PostgreSQL: synchronous_commit off for this transaction). Never for a write that
        // is acknowledged to a client (an HTTP-triggered function, a dead letter's replay).
        bool relaxDurability();
        bool commit();
        QString errorString() const;

    private:
        friend class ReadStore;
        struct Private;
        explicit WriteTransaction(std::unique_ptr<Private> d);
        std::unique_ptr<Private> d;
    };

    ReadStore();
    ~ReadStore();
    ReadStore(const ReadStore &) = delete;
    ReadStore &operator=(const ReadStore &) = delete;

    // SQLite: the readmodel.db file; PostgreSQL: the shared database.
    bool open(const StorageTarget &target, QString *error);
    void close();
    bool isOpen() const;

    // Blocks while another transaction is open. Null on failure (see errorString()).
    std::unique_ptr<WriteTransaction> begin();
    QString errorString() const;
    // Writes that failed for a reason of the storage (full disk, I/O error, a lost
    // connection), ever; from any thread. A writer that sees it move knows its failure may pass.
    quint64 storageFailures() const;

    // Documents read by id are kept in memory up to this many bytes (0: not at all); every
    // commit drops the ones it changed before returning. Default kDefaultCacheBytes. Not used
    // on PostgreSQL (the cache stays empty).
    static constexpr qint64 kDefaultCacheBytes = 64 * 1024 * 1024;
    // PostgreSQL: every committed checkpoint is announced on this channel as "<projection>
    // <position>", so engines that follow a projection another engine runs learn how far it got.
    static constexpr const char *kCheckpointChannel = "gatehouse_checkpoints";
    void setCacheBudget(qint64 bytes);
    DocumentCache::Stats cacheStats() const;

    // Longest a read statement may run before it is interrupted (TimedOut); 0: no limit.
    static constexpr int kDefaultQueryBudgetMs = 2000;
    void setQueryBudgetMs(int ms);
    int queryBudgetMs() const;

    // Reads, from any thread. `status`, when given, tells a failure or a timeout from an empty
    // answer (a nullopt, an empty page, a zero).
    qint64 checkpoint(const QString &projection) const;
    // From the cache, then from the database (which fills the cache).
    std::optional<StoredDocument> document(const QString &collection, const QString &id, ReadStatus *status = nullptr) const;
    std::optional<StoredDocument> cachedDocument(const QString &collection, const QString &id) const;
    std::optional<StoredDocument> storedDocument(const QString &collection, const QString &id, ReadStatus *status = nullptr) const;
    // A tampered or foreign cursor is BadRequest.
    ReadStatus list(const QString &collection, const ListQuery &query, Page *page) const;
    bool list(const QString &collection, const ListQuery &query, Page *page, QString *error) const;
    // Every document of `collection`, deleted ones too (with `onlyByFunction` those functions
    // wrote, StoredDocument::byFunction), in pages of up to 1,000 in id order, handed to `page`
    // until it returns false. False with the reason when a page could not be read.
    bool forEachPage(const QString &collection, bool onlyByFunction, const std::function<bool(QList<StoredDocument> &)> &page,
                     QString *error) const;
    QStringList collections(ReadStatus *status = nullptr) const;

    // The snapshot of collection/id with the highest position <= atOrBefore: the record as the
    // entity's stream folds up to that position (the upsert projection keeps one every N events
    // of a stream, N being the collection's snapshot_every). Folding the stream's events after
    // it gives the state at any later position without reading the stream from its start.
    std::optional<StoredDocument> snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                           ReadStatus *status = nullptr) const;
    // Indexes added while the engine runs are built in the background (IndexBuilder): queued
    // here, listed with their state and progress by indexBuilds().
    void buildIndexes(const QString &collection, const QStringList &fields);
    QList<IndexBuilder::Build> indexBuilds(const QString &collection) const;
    // How folds used snapshots, per collection, since the store opened (for /metrics).
    struct SnapshotUse
    {
        quint64 hits = 0;           // folds that started from a snapshot
        quint64 misses = 0;         // folds that read the stream from its start
        quint64 eventsFolded = 0;   // events read and folded after the snapshot (or from the start)
    };
    void noteSnapshotUse(const QString &collection, bool hit, qint64 eventsFolded) const;
    QHash<QString, SnapshotUse> snapshotUse() const;
    qint64 count(const QString &collection, bool includeDeleted = false, ReadStatus *status = nullptr) const;

    const CursorSigner &cursorSigner() const;

    static QByteArray quotedTable(const QString &collection);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
