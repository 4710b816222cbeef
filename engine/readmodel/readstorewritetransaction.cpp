#include "readstore_p.h"

namespace Gatehouse {

std::unique_ptr<ReadStore::WriteTransaction> ReadStore::begin()
{
    d->writeLock.lock();
    std::unique_ptr<ReadStoreBackend::Transaction> tx;
    if (d->backend && d->backend->isOpen())
        tx = d->backend->begin(&d->error);
    else
        d->error = QStringLiteral("the read store is closed");
    if (!tx) {
        d->writeLock.unlock();
        return nullptr;
    }
    auto p = std::make_unique<WriteTransaction::Private>();
    p->store = d.get();
    p->tx = std::move(tx);
    return std::unique_ptr<WriteTransaction>(new WriteTransaction(std::move(p)));
}

ReadStore::WriteTransaction::WriteTransaction(std::unique_ptr<Private> p)
    : d(std::move(p))
{
}

ReadStore::WriteTransaction::~WriteTransaction()
{
    d->tx.reset();   // rolls back unless committed
    d->store->writeLock.unlock();
}

QString ReadStore::WriteTransaction::errorString() const
{
    return d->tx->errorString();
}

bool ReadStore::WriteTransaction::ensureCollection(const QString &collection, const QStringList &indexedFields)
{
    return d->tx->ensureCollection(collection, indexedFields);
}

bool ReadStore::WriteTransaction::put(const StoredDocument &doc)
{
    return put(QList<StoredDocument>{doc});
}

bool ReadStore::WriteTransaction::put(const QList<StoredDocument> &docs)
{
    // Noted before the write: whatever part of it commits is forgotten by the cache.
    for (const StoredDocument &doc : docs)
        d->touch(doc.collection, doc.id);
    return d->tx->put(docs);
}

bool ReadStore::WriteTransaction::createIndex(const QString &collection, const QString &field,
                                              const std::function<bool(double)> &progress)
{
    return d->tx->createIndex(collection, field, progress);
}

bool ReadStore::WriteTransaction::putSnapshots(const QList<StoredDocument> &snapshots)
{
    return d->tx->putSnapshots(snapshots);
}

std::optional<StoredDocument> ReadStore::WriteTransaction::get(const QString &collection, const QString &id)
{
    return d->tx->get(collection, id);
}

bool ReadStore::WriteTransaction::remove(const QString &collection, const QString &id)
{
    d->touch(collection, id);
    return d->tx->remove(collection, id);
}

bool ReadStore::WriteTransaction::dropCollection(const QString &collection)
{
    d->changedAll = true;
    d->changed.clear();
    return d->tx->dropCollection(collection);
}

bool ReadStore::WriteTransaction::resetProjected(const QString &collection)
{
    d->changedAll = true;
    d->changed.clear();
    // The quick way when nothing of the functions' is in it (no table included): all of it.
    const std::optional<bool> byFunctions = d->tx->hasFunctionDocuments(collection);
    if (!byFunctions)
        return false;
    if (!*byFunctions)
        return d->tx->dropCollection(collection);
    return d->tx->deleteProjected(collection) && d->tx->dropSnapshots(collection, QString());
}

std::optional<bool> ReadStore::WriteTransaction::hasFunctionDocuments(const QString &collection)
{
    return d->tx->hasFunctionDocuments(collection);
}

bool ReadStore::WriteTransaction::markByFunction(const QString &collection, const QStringList &ids)
{
    return d->tx->markByFunction(collection, ids);
}

bool ReadStore::WriteTransaction::dropSnapshots(const QString &collection, const QString &keepKey)
{
    return d->tx->dropSnapshots(collection, keepKey);
}

bool ReadStore::WriteTransaction::dropIndexesExcept(const QString &collection, const QStringList &keep)
{
    return d->tx->dropIndexesExcept(collection, keep);
}

bool ReadStore::WriteTransaction::setCheckpoint(const QString &projection, qint64 position)
{
    return d->tx->setCheckpoint(projection, position, 0);
}

bool ReadStore::WriteTransaction::setCheckpointAfter(const QString &projection, qint64 position, qint64 firstApplied)
{
    return d->tx->setCheckpoint(projection, position, qMax<qint64>(firstApplied, 1));
}

bool ReadStore::WriteTransaction::relaxDurability()
{
    return d->tx->relaxDurability();
}

bool ReadStore::WriteTransaction::commit()
{
    if (!d->tx->commit())
        return false;
    d->committed = true;
    // After the COMMIT (a reader may have cached the old row until now) and before the caller
    // publishes the new position.
    if (d->changedAll)
        d->store->cache.clear();
    else
        d->store->cache.invalidate(d->changed);
    return true;
}

} // namespace Gatehouse
