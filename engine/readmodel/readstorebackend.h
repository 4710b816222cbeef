#pragma once

#include "readstore.h"
#include "sql/readstatus.h"
#include "sql/sqlvalue.h"
#include "storeddocument.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace Gatehouse {

class ListQuery;
struct StorageTarget;

// Where a ReadStore keeps its data: SQLite (one readmodel.db per engine) or PostgreSQL (one
// database several engines share). ReadStore owns one and adds what both share on top: the
// write lock (one WriteTransaction at a time per engine), the cursor signer, the document
// cache (where the backend allows one) and the cache bookkeeping of every commit. Callers of
// ReadStore never see which backend they run on.
//
// Reads are called from any thread at once; begin() and the Transaction it returns are used
// by one thread at a time, under ReadStore's write lock.
class ReadStoreBackend
{
public:
    // One write transaction: every change and the checkpoints commit together or not at all.
    class Transaction
    {
    public:
        virtual ~Transaction() = default;   // rolls back unless committed
        virtual bool ensureCollection(const QString &collection, const QStringList &indexedFields) = 0;
        virtual bool put(const QList<StoredDocument> &docs) = 0;
        // Entity snapshots (ReadStore::snapshot), insert or replace; dropCollection() drops a
        // collection's snapshots with its table.
        virtual bool putSnapshots(const QList<StoredDocument> &snapshots) = 0;
        // The document as stored, StoredDocument::byFunction included.
        virtual std::optional<StoredDocument> get(const QString &collection, const QString &id) = 0;
        virtual bool remove(const QString &collection, const QString &id) = 0;
        virtual bool dropCollection(const QString &collection) = 0;
        // The documents of an existing table other than those a function wrote
        // (StoredDocument::byFunction); see ReadStore::WriteTransaction::resetProjected().
        virtual bool deleteProjected(const QString &collection) = 0;
        // Whether `collection` holds a document a function wrote (an index over those keeps
        // this cheap); nullopt when the store could not say. False without a table.
        virtual std::optional<bool> hasFunctionDocuments(const QString &collection) = 0;
        // Marks these documents as written by functions (StoredDocument::byFunction).
        virtual bool markByFunction(const QString &collection, const QStringList &ids) = 0;
        // A collection's snapshots under every key (Collection::snapshotKey) but `keepKey`.
        virtual bool dropSnapshots(const QString &collection, const QString &keepKey) = 0;
        // The field indexes of a collection's table other than those on `keep` (an index the
        // collection no longer declares costs every write and serves no query).
        virtual bool dropIndexesExcept(const QString &collection, const QStringList &keep) = 0;
        // The index on `field` of an existing table (nothing when it is there already).
        // `progress` gets 0..1 (or -1: unknown) now and then; returning false interrupts it.
        virtual bool createIndex(const QString &collection, const QString &field, const std::function<bool(double)> &progress) = 0;
        // firstApplied > 0 fences the write: it fails (and the transaction with it) unless the
        // stored checkpoint is still before that position, i.e. no one applied the batch yet.
        virtual bool setCheckpoint(const QString &projection, qint64 position, qint64 firstApplied) = 0;
        // See ReadStore::WriteTransaction::relaxDurability(); a backend whose commits never wait
        // for the disk (SQLite's read store: synchronous = NORMAL) has nothing to do.
        virtual bool relaxDurability() { return true; }
        virtual bool commit() = 0;
        virtual QString errorString() const = 0;
    };

    // One page of a list query: up to limit items, whether more follow, and the sort values
    // of the last item (for the next cursor, which ReadStore signs).
    struct ListResult
    {
        QList<StoredDocument> items;
        bool more = false;
        QList<SqlValue> lastKeys;
    };

    // The index over a collection's documents that functions wrote is the field index of this
    // name, which no field can have; dropIndexesExcept() keeps it.
    static constexpr char kOriginIndexField[] = "$origin";

    ReadStoreBackend() = default;
    virtual ~ReadStoreBackend() = default;
    ReadStoreBackend(const ReadStoreBackend &) = delete;
    ReadStoreBackend &operator=(const ReadStoreBackend &) = delete;

    virtual bool open(const StorageTarget &target, QString *error) = 0;
    virtual void close() = 0;
    virtual bool isOpen() const = 0;
    // The key that signs paging cursors, kept with the data (valid once open).
    virtual QByteArray cursorKey() const = 0;
    // Whether ReadStore may keep documents read by id in its DocumentCache: only when every
    // change passes through this process's WriteTransactions.
    virtual bool cachesDocuments() const = 0;

    virtual std::unique_ptr<Transaction> begin(QString *error) = 0;
    virtual quint64 storageFailures() const = 0;
    virtual void setQueryBudgetMs(int ms) = 0;

    virtual qint64 checkpoint(const QString &projection) const = 0;
    virtual std::optional<StoredDocument> document(const QString &collection, const QString &id,
                                                   ReadStatus *status) const = 0;
    // The snapshot of collection/id with the highest position <= atOrBefore.
    virtual std::optional<StoredDocument> snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                                   ReadStatus *status) const = 0;
    // `query` has its cursor opened already.
    virtual ReadStatus list(const QString &collection, const ListQuery &query, ListResult *out) const = 0;
    virtual QStringList collections(ReadStatus *status) const = 0;
    virtual qint64 count(const QString &collection, bool includeDeleted, ReadStatus *status) const = 0;
};

} // namespace Gatehouse
