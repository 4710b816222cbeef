#include "listquery.h"
#include "readstore_p.h"

namespace Gatehouse {

std::unique_ptr<ReadStore::WriteTransaction> ReadStore::begin()
{
    d->writeLock.lock();
    if (!d->writer.isOpen() || !d->writer.exec("BEGIN IMMEDIATE")) {
        d->error = d->writer.isOpen() ? d->writer.errorString() : QStringLiteral("the read store is closed");
        d->writeLock.unlock();
        return nullptr;
    }
    auto p = std::make_unique<WriteTransaction::Private>();
    p->store = d.get();
    return std::unique_ptr<WriteTransaction>(new WriteTransaction(std::move(p)));
}

ReadStore::WriteTransaction::WriteTransaction(std::unique_ptr<Private> p)
    : d(std::move(p))
{
}

ReadStore::WriteTransaction::~WriteTransaction()
{
    if (!d->committed && d->store->writer.inTransaction())   // SQLite may have rolled back already (full disk)
        d->store->writer.exec("ROLLBACK");
    d->store->writeLock.unlock();
}

QString ReadStore::WriteTransaction::errorString() const
{
    return d->store->writer.errorString();
}

bool ReadStore::WriteTransaction::ensureCollection(const QString &collection, const QStringList &indexedFields)
{
    const QByteArray table = quotedTable(collection);
    QByteArray ddl = "CREATE TABLE IF NOT EXISTS " + table
        + "(id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,"
          " updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";
    for (const QString &field : indexedFields) {
        if (!ListQuery::isSafeFieldName(field))
            continue;
        const QByteArray index = "\"rm_" + collection.toUtf8().replace('"', "") + "__" + field.toLatin1() + '"';
        ddl += "CREATE INDEX IF NOT EXISTS " + index + " ON " + table + '(' + ListQuery::fieldExpression(field) + ");";
    }
    return d->store->writer.exec(ddl);
}

bool ReadStore::WriteTransaction::put(const StoredDocument &doc)
{
    return put(QList<StoredDocument>{doc});
}

bool ReadStore::WriteTransaction::put(const QList<StoredDocument> &docs)
{
    SqliteStatement *st = nullptr;
    const QString *collection = nullptr;
    for (const StoredDocument &doc : docs) {
        if (!collection || doc.collection != *collection) {
            collection = &doc.collection;
            st = d->store->statement("INSERT OR REPLACE INTO " + quotedTable(doc.collection)
                                     + "(id, doc, version, position, updated_at, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
            if (!st)
                return false;
        }
        st->bind(1, doc.id);
        st->bind(2, doc.doc);
        st->bind(3, doc.version);
        st->bind(4, doc.position);
        st->bind(5, doc.updatedAtMs);
        st->bind(6, qint64(doc.deleted ? 1 : 0));
        if (!st->exec())   // resets the statement too
            return false;
        d->touch(doc.collection, doc.id);
    }
    return true;
}

std::optional<StoredDocument> ReadStore::WriteTransaction::get(const QString &collection, const QString &id)
{
    SqliteStatement *st = d->store->statement("SELECT id, doc, version, position, updated_at, deleted FROM "
                                              + quotedTable(collection) + " WHERE id = ?1");
    if (!st)
        return std::nullopt;
    st->bind(1, id);
    std::optional<StoredDocument> result;
    if (st->step())
        result = ReadStore::Private::readRow(*st, collection);
    st->reset();
    return result;
}

bool ReadStore::WriteTransaction::remove(const QString &collection, const QString &id)
{
    SqliteStatement *st = d->store->statement("DELETE FROM " + quotedTable(collection) + " WHERE id = ?1");
    if (!st)
        return false;
    st->bind(1, id);
    if (!st->exec())
        return false;
    d->touch(collection, id);
    return true;
}

bool ReadStore::WriteTransaction::dropCollection(const QString &collection)
{
    // Cached statements on the dropped table must go before the table does.
    const QByteArray table = quotedTable(collection);
    auto &cache = d->store->statements;
    for (auto it = cache.begin(); it != cache.end();) {
        if (it->first.contains(table))
            it = cache.erase(it);
        else
            ++it;
    }
    d->changedAll = true;
    d->changed.clear();
    return d->store->writer.exec("DROP TABLE IF EXISTS " + table);
}

bool ReadStore::WriteTransaction::setCheckpoint(const QString &projection, qint64 position)
{
    SqliteStatement *st = d->store->statement(
        "INSERT INTO checkpoints(projection, position, updated_at) VALUES (?1, ?2, strftime('%s','now'))"
        " ON CONFLICT(projection) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at");
    if (!st)
        return false;
    st->bind(1, projection);
    st->bind(2, position);
    return st->exec();
}

bool ReadStore::WriteTransaction::commit()
{
    if (!d->store->writer.exec("COMMIT"))
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
