#include "readstore.h"

#include "listquery.h"
#include "readstore_p.h"
#include "sql/sqlerrorlog.h"
#include "sql/sqlitemigrations.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcReadStore, "gatehouse.readstore")

namespace Gatehouse {

namespace {
QList<const char *> migrations()
{
    return {
        // 1: checkpoints of every projection (documents live in one table per collection).
        "CREATE TABLE checkpoints(projection TEXT PRIMARY KEY, position INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL) WITHOUT ROWID;",
        // 2: secrets of this read model (the key that signs paging cursors).
        "CREATE TABLE secrets(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
    };
}

using Lease = SqliteReadPool::Lease;

// Why `st` stopped early: its budget ran out, or SQLite failed (logged once per cause).
ReadStatus failure(const Lease &c, const SqliteStatement &st, const char *where, QByteArrayView sql)
{
    if (c.timedOut() || st.lastCode() == SQLITE_INTERRUPT)
        return ReadStatus::timedOut(c.budgetMs());
    const QString cause = SqlErrorLog::instance().report(where, st.lastCode(), st.errorString(), sql);
    return ReadStatus::failed(QStringLiteral("the read store failed: ") + cause);
}

// A statement on `table` that did not prepare because the table is not there (yet): the
// collection has nothing projected. Anything else is a failure.
bool tableMissing(const Lease &c, const QByteArray &quotedTable)
{
    QByteArray name = quotedTable;
    name.replace('"', "");
    SqliteStatement &st = c->statement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    if (!st.isValid())
        return false;
    st.bind(1, name);
    const bool exists = st.step();
    const bool answered = exists || st.lastCode() == SQLITE_DONE;
    st.reset();
    return answered && !exists;
}

void setStatus(ReadStatus *out, ReadStatus status)
{
    if (out)
        *out = std::move(status);
}

const QString kClosed = QStringLiteral("the read store is not available");

} // namespace

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
    if (!SqliteMigrations::apply(d->writer, migrations(), error) || !d->loadCursorKey(error))
        return false;
    d->readers = std::make_unique<SqliteReadPool>(path);
    d->readers->setDefaultBudgetMs(d->budgetMs);
    return true;
}

void ReadStore::setQueryBudgetMs(int ms)
{
    d->budgetMs = qMax(0, ms);
    if (d->readers)
        d->readers->setDefaultBudgetMs(d->budgetMs);
}

int ReadStore::queryBudgetMs() const
{
    return d->budgetMs;
}

const CursorSigner &ReadStore::cursorSigner() const
{
    return d->signer;
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

qint64 ReadStore::checkpoint(const QString &projection) const
{
    auto c = d->readers ? d->readers->acquire(0) : Lease(nullptr, nullptr);
    if (!c)
        return 0;
    auto &st = c->statement("SELECT position FROM checkpoints WHERE projection = ?1");
    st.bind(1, projection);
    const qint64 position = st.step() ? st.columnInt(0) : 0;
    st.reset();
    return position;
}

std::optional<StoredDocument> ReadStore::document(const QString &collection, const QString &id, ReadStatus *status) const
{
    if (auto cached = d->cache.find(collection, id)) {
        setStatus(status, {});
        return cached;
    }
    return storedDocument(collection, id, status);
}

std::optional<StoredDocument> ReadStore::cachedDocument(const QString &collection, const QString &id) const
{
    return d->cache.find(collection, id);
}

std::optional<StoredDocument> ReadStore::storedDocument(const QString &collection, const QString &id, ReadStatus *status) const
{
    setStatus(status, {});
    const quint64 generation = d->cache.beginRead();
    auto c = d->readers ? d->readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return std::nullopt;
    }
    const QByteArray table = quotedTable(collection);
    const QByteArray sql = "SELECT id, doc, version, position, updated_at, deleted FROM " + table + " WHERE id = ?1";
    SqliteStatement &st = c->statement(sql);
    if (!st.isValid()) {
        if (!tableMissing(c, table))   // else: no such table yet, nothing projected
            setStatus(status, failure(c, st, "document", sql));
        return std::nullopt;
    }
    st.bind(1, id);
    std::optional<StoredDocument> result;
    if (st.step())
        result = Private::readRow(st, collection);
    else if (st.lastCode() != SQLITE_DONE)
        setStatus(status, failure(c, st, "document", sql));
    st.reset();
    if (result)
        d->cache.insert(*result, generation);
    return result;
}

bool ReadStore::list(const QString &collection, const ListQuery &query, Page *page, QString *error) const
{
    const ReadStatus status = list(collection, query, page);
    if (!status.ok() && error)
        *error = status.detail;
    return status.ok();
}

ReadStatus ReadStore::list(const QString &collection, const ListQuery &query, Page *page) const
{
    page->items.clear();
    page->nextCursor.clear();
    // The cursor is checked before any SQL exists for it.
    ListQuery q = query;
    QString error;
    if (!q.openCursor(d->signer, collection, &error))
        return ReadStatus::badRequest(error);
    auto c = d->readers ? d->readers->acquire() : Lease(nullptr, nullptr);
    if (!c)
        return ReadStatus::unavailable(kClosed);
    const QByteArray table = quotedTable(collection);
    const ListQuery::Sql sql = q.toSql(table);
    SqliteStatement &st = c->statement(sql.text);
    if (!st.isValid())
        return tableMissing(c, table) ? ReadStatus() : failure(c, st, "list", sql.text);
    for (qsizetype i = 0; i < sql.bindings.size(); ++i)
        sql.bindings.at(i).bind(st, int(i + 1));
    QList<SqlValue> lastKeys;
    while (st.step()) {
        if (page->items.size() == q.limit) {
            // There is one more row: the page ends at the last item returned.
            page->nextCursor = q.nextCursor(d->signer, collection, lastKeys, page->items.last().id);
            break;
        }
        page->items.append(Private::readRow(st, collection));
        lastKeys.clear();
        for (qsizetype k = 0; k < q.sort.size(); ++k)
            lastKeys.append(SqlValue::fromColumn(st, sql.sortColumn + int(k)));
    }
    ReadStatus status;
    if (st.lastCode() != SQLITE_ROW && st.lastCode() != SQLITE_DONE) {
        status = failure(c, st, "list", sql.text);
        page->items.clear();   // never a partial page
        page->nextCursor.clear();
    }
    st.reset();
    return status;
}

QStringList ReadStore::collections(ReadStatus *status) const
{
    setStatus(status, {});
    QStringList names;
    auto c = d->readers ? d->readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return names;
    }
    static const char *const sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\' ORDER BY name";
    auto &st = c->statement(sql);
    while (st.step())
        names.append(st.columnString(0).mid(3));
    if (st.lastCode() != SQLITE_DONE) {
        setStatus(status, failure(c, st, "collections", sql));
        names.clear();
    }
    st.reset();
    return names;
}

qint64 ReadStore::count(const QString &collection, bool includeDeleted, ReadStatus *status) const
{
    setStatus(status, {});
    auto c = d->readers ? d->readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return 0;
    }
    const QByteArray table = quotedTable(collection);
    const QByteArray sql = "SELECT count(*) FROM " + table + (includeDeleted ? QByteArray() : QByteArrayLiteral(" WHERE deleted = 0"));
    SqliteStatement &st = c->statement(sql);
    if (!st.isValid()) {
        if (!tableMissing(c, table))
            setStatus(status, failure(c, st, "count", sql));
        return 0;
    }
    qint64 n = 0;
    if (st.step())
        n = st.columnInt(0);
    else
        setStatus(status, failure(c, st, "count", sql));
    st.reset();
    return n;
}

} // namespace Gatehouse
