#pragma once

// Private parts of ReadStore shared by its two source files (reads and the store in
// readstore.cpp, WriteTransaction in readstorewritetransaction.cpp).

#include "readstore.h"
#include "readstorebackend.h"

#include <QMutex>

#include <atomic>
#include <vector>

namespace Gatehouse {

struct ReadStore::Private
{
    QString error;
    QMutex writeLock;
    std::unique_ptr<ReadStoreBackend> backend;
    mutable DocumentCache cache;
    bool useCache = false;   // the backend allows it (see ReadStoreBackend::cachesDocuments)
    CursorSigner signer;
    std::atomic<int> budgetMs{kDefaultQueryBudgetMs};   // read by every thread that reads
    std::unique_ptr<IndexBuilder> indexes;   // while open
    mutable QMutex snapshotUseLock;
    mutable QHash<QString, SnapshotUse> snapshotUse;   // bounded by the collections folded
};

struct ReadStore::WriteTransaction::Private
{
    ReadStore::Private *store = nullptr;
    std::unique_ptr<ReadStoreBackend::Transaction> tx;
    bool committed = false;
    // What the cache must forget once this commits: these documents, or (past a few
    // thousand, or after a drop) everything.
    std::vector<std::pair<QString, QString>> changed;
    bool changedAll = false;

    void touch(const QString &collection, const QString &id)
    {
        if (changedAll || !store->useCache)
            return;
        if (changed.size() >= kMaxTracked) {
            changedAll = true;
            changed.clear();
            return;
        }
        changed.emplace_back(collection, id);
    }
    static constexpr size_t kMaxTracked = 4096;
};

} // namespace Gatehouse
