#include "readstore.h"

#include "listquery.h"
#include "sql/sqliteconnection.h"
#include "sql/sqlitemigrations.h"
#include "sql/sqlitereadpool.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMutex>

#include <unordered_map>

Q_LOGGING_CATEGORY(lcReadStore, "gatehouse.readstore")

namespace Gatehouse {

namespace {
QList<const char *> migrations()
{
    return {
        // 1: checkpoints of every projection (documents live in one table per collection).
        "CREATE TABLE checkpoints(projection TEXT PRIMARY KEY, position INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL) WITHOUT ROWID;",
    };
}

StoredDocument readDocument(const SqliteStatement &st, const QString &collection)
{
    StoredDocument doc;
    doc.collection = collection;
    doc.id = st.columnString(0);
    doc.doc = st.columnText(1);
    doc.version = st.columnInt(2);
    doc.position = st.columnInt(3);
    doc.updatedAtMs = st.columnInt(4);
    doc.deleted = st.columnInt(5) != 0;
    return doc;
}
} // namespace

struct ReadStore::Private
{
    QString path;
    QString error;
    QMutex writeLock;
    SqliteConnection writer;
    std::unordered_map<QByteArray, std::unique_ptr<SqliteStatement>> statements;   // writer's, by SQL text
    std::unique_ptr<SqliteReadPool> readers;
    mutable DocumentCache cache;

    SqliteStatement *statement(const QByteArray &sql)
    {
        auto it = statements.find(sql);
        if (it == statements.end()) {
            auto st = std::make_unique<SqliteStatement>();
            if (!st->prepare(writer, sql.constData()))
                return nullptr;
            it = statements.emplace(sql, std::move(st)).first;
        } else {
            it->second->reset();
        }
        return it->second.get();
    }
};

struct ReadStore::WriteTransaction::Private
{
    ReadStore::Private *store = nullptr;
    bool committed = false;
    // What the cache must forget once this commits: these documents, or (past a few
    // thousand, or after a drop) everything.
    std::vector<std::pair<QString, QString>> changed;
    bool changedAll = false;

    void touch(const QString &collection, const QString &id)
    {
        if (changedAll)
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

QByteArray ReadStore::quotedTable(const QString &collection)
{
    // Collection names are validated ([a-z][a-z0-9_-]*), so quoting makes them safe identifiers.
    return "\"rm_" + collection.toUtf8().replace('"', "") + '"';
}

ReadStore::ReadStore()
    : d(std::make_unique<Private>())
{
    d->cache.setBudget(kDefaultCacheBytes);
}

ReadStore::~ReadStore()
{
    close();
}

bool ReadStore::open(const QString &path, QString *error)
{
    close();
    d->path = path;
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (!d->writer.open(path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, d->writer.errorString());
        return false;
    }
    d->writer.queryInt("PRAGMA journal_mode = WAL");
    d->writer.exec("PRAGMA synchronous = NORMAL");
    if (!SqliteMigrations::apply(d->writer, migrations(), error))
        return false;
    d->readers = std::make_unique<SqliteReadPool>(path);
    return true;
}

void ReadStore::setCacheBudget(qint64 bytes)
{
    d->cache.setBudget(bytes);
}

DocumentCache::Stats ReadStore::cacheStats() const
{
    return d->cache.stats();
}

void ReadStore::close()
{
    QMutexLocker lock(&d->writeLock);
    d->statements.clear();
    d->writer.close();
    if (d->readers)
        d->readers->clear();
    d->cache.clear();
}

bool ReadStore::isOpen() const
{
    return d->writer.isOpen();
}

QString ReadStore::errorString() const
{
    return d->error;
}

quint64 ReadStore::storageFailures() const
{
    return d->writer.storageFailures();
}

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
        result = readDocument(*st, collection);
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

qint64 ReadStore::checkpoint(const QString &projection) const
{
    auto c = d->readers ? d->readers->acquire() : SqliteReadPool::Lease(nullptr, nullptr);
    if (!c)
        return 0;
    auto &st = c->statement("SELECT position FROM checkpoints WHERE projection = ?1");
    st.bind(1, projection);
    const qint64 position = st.step() ? st.columnInt(0) : 0;
    st.reset();
    return position;
}

std::optional<StoredDocument> ReadStore::document(const QString &collection, const QString &id) const
{
    if (auto cached = d->cache.find(collection, id))
        return cached;
    const quint64 generation = d->cache.beginRead();
    auto c = d->readers ? d->readers->acquire() : SqliteReadPool::Lease(nullptr, nullptr);
    if (!c)
        return std::nullopt;
    SqliteStatement &st = c->statement("SELECT id, doc, version, position, updated_at, deleted FROM "
                                       + quotedTable(collection) + " WHERE id = ?1");
    if (!st.isValid())
        return std::nullopt;   // no such table yet: nothing projected
    st.bind(1, id);
    std::optional<StoredDocument> result;
    if (st.step())
        result = readDocument(st, collection);
    st.reset();
    if (result)
        d->cache.insert(*result, generation);
    return result;
}

bool ReadStore::list(const QString &collection, const ListQuery &query, Page *page, QString *error) const
{
    page->items.clear();
    page->nextCursor.clear();
    auto c = d->readers ? d->readers->acquire() : SqliteReadPool::Lease(nullptr, nullptr);
    if (!c) {
        *error = QStringLiteral("the read store is not available");
        return false;
    }
    const ListQuery::Sql sql = query.toSql(quotedTable(collection));
    SqliteStatement &st = c->statement(sql.text);
    if (!st.isValid())
        return true;   // the collection has no table yet: an empty page
    for (qsizetype i = 0; i < sql.bindings.size(); ++i)
        sql.bindings.at(i).bind(st, int(i + 1));
    QList<SqlValue> lastKeys;
    while (st.step()) {
        if (page->items.size() == query.limit) {
            // There is one more row: the page ends at the last item returned.
            page->nextCursor = query.nextCursor(lastKeys, page->items.last().id);
            break;
        }
        page->items.append(readDocument(st, collection));
        lastKeys.clear();
        for (qsizetype k = 0; k < query.sort.size(); ++k)
            lastKeys.append(SqlValue::fromColumn(st, sql.sortColumn + int(k)));
    }
    st.reset();
    return true;
}

QStringList ReadStore::collections() const
{
    QStringList names;
    auto c = d->readers ? d->readers->acquire() : SqliteReadPool::Lease(nullptr, nullptr);
    if (!c)
        return names;
    auto &st = c->statement("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\' ORDER BY name");
    while (st.step())
        names.append(st.columnString(0).mid(3));
    st.reset();
    return names;
}

qint64 ReadStore::count(const QString &collection, bool includeDeleted) const
{
    auto c = d->readers ? d->readers->acquire() : SqliteReadPool::Lease(nullptr, nullptr);
    if (!c)
        return 0;
    SqliteStatement &st = c->statement("SELECT count(*) FROM " + quotedTable(collection)
                                       + (includeDeleted ? QByteArray() : QByteArrayLiteral(" WHERE deleted = 0")));
    const qint64 n = st.isValid() && st.step() ? st.columnInt(0) : 0;
    st.reset();
    return n;
}

} // namespace Gatehouse
