#include "readstore.h"

#include "config/collection.h"
#include "listquery.h"
#include "postgresreadbackend.h"
#include "readstore_p.h"
#include "sqlitereadbackend.h"

#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcReadStore, "gatehouse.readstore")

namespace Gatehouse {

namespace {
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

bool ReadStore::open(const StorageTarget &target, QString *error)
{
    close();
    QMutexLocker lock(&d->writeLock);
    if (target.isPostgres())
        d->backend = std::make_unique<PostgresReadBackend>();
    else
        d->backend = std::make_unique<SqliteReadBackend>();
    d->useCache = d->backend->cachesDocuments();
    d->indexes = std::make_unique<IndexBuilder>(this);
    d->backend->setQueryBudgetMs(d->budgetMs);
    if (!d->backend->open(target, error))
        return false;
    d->signer = CursorSigner(d->backend->cursorKey());
    return true;
}

void ReadStore::setQueryBudgetMs(int ms)
{
    d->budgetMs = qMax(0, ms);
    if (d->backend)
        d->backend->setQueryBudgetMs(d->budgetMs);
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
    // First: a build holds the write lock while it runs.
    if (d->indexes)
        d->indexes->stop();
    QMutexLocker lock(&d->writeLock);
    d->indexes.reset();
    if (d->backend)
        d->backend->close();
    d->cache.clear();
}

bool ReadStore::isOpen() const
{
    return d->backend && d->backend->isOpen();
}

QString ReadStore::errorString() const
{
    return d->error;
}

quint64 ReadStore::storageFailures() const
{
    return d->backend ? d->backend->storageFailures() : 0;
}

qint64 ReadStore::checkpoint(const QString &projection) const
{
    return d->backend ? d->backend->checkpoint(projection) : 0;
}

std::optional<StoredDocument> ReadStore::document(const QString &collection, const QString &id, ReadStatus *status) const
{
    if (auto cached = cachedDocument(collection, id)) {
        setStatus(status, {});
        return cached;
    }
    return storedDocument(collection, id, status);
}

std::optional<StoredDocument> ReadStore::cachedDocument(const QString &collection, const QString &id) const
{
    if (!d->useCache)
        return std::nullopt;
    return d->cache.find(collection, id);
}

std::optional<StoredDocument> ReadStore::storedDocument(const QString &collection, const QString &id, ReadStatus *status) const
{
    if (!d->backend) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return std::nullopt;
    }
    const quint64 generation = d->cache.beginRead();
    std::optional<StoredDocument> result = d->backend->document(collection, id, status);
    if (result && d->useCache)
        d->cache.insert(*result, generation);
    return result;
}

std::optional<StoredDocument> ReadStore::snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                                  ReadStatus *status) const
{
    if (!d->backend) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return std::nullopt;
    }
    return d->backend->snapshot(collection, id, atOrBefore, status);
}

void ReadStore::buildIndexes(const QString &collection, const QStringList &fields)
{
    if (d->indexes)
        d->indexes->build(collection, fields);
}

QList<IndexBuilder::Build> ReadStore::indexBuilds(const QString &collection) const
{
    return d->indexes ? d->indexes->builds(collection) : QList<IndexBuilder::Build>();
}

void ReadStore::noteSnapshotUse(const QString &collection, bool hit, qint64 eventsFolded) const
{
    QMutexLocker lock(&d->snapshotUseLock);
    SnapshotUse &use = d->snapshotUse[collection];
    ++(hit ? use.hits : use.misses);
    use.eventsFolded += quint64(std::max<qint64>(0, eventsFolded));
}

QHash<QString, ReadStore::SnapshotUse> ReadStore::snapshotUse() const
{
    QMutexLocker lock(&d->snapshotUseLock);
    return d->snapshotUse;
}

bool ReadStore::forEachPage(const QString &collection, bool onlyByFunction, const std::function<bool(QList<StoredDocument> &)> &page,
                            QString *error) const
{
    Collection any;   // no schema: the query needs no field
    any.name = collection;
    QString cursor;
    do {
        QList<std::pair<QString, QString>> items{{QStringLiteral("limit"), QStringLiteral("1000")},
                                                 {QStringLiteral("include_deleted"), QStringLiteral("true")}};
        if (!cursor.isEmpty())
            items.append({QStringLiteral("cursor"), cursor});
        ListQuery query;
        Page read;
        if (!ListQuery::parse(items, any, &query, error))
            return false;
        query.onlyByFunction = onlyByFunction;
        if (!list(collection, query, &read, error))
            return false;
        if (!page(read.items))
            return true;
        cursor = QString::fromUtf8(read.nextCursor);
    } while (!cursor.isEmpty());
    return true;
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
    if (!d->backend)
        return ReadStatus::unavailable(kClosed);
    ReadStoreBackend::ListResult result;
    const ReadStatus status = d->backend->list(collection, q, &result);
    if (!status.ok())
        return status;   // never a partial page
    page->items = std::move(result.items);
    if (result.more && !page->items.isEmpty())
        page->nextCursor = q.nextCursor(d->signer, collection, result.lastKeys, page->items.last().id);
    return status;
}

QStringList ReadStore::collections(ReadStatus *status) const
{
    if (!d->backend) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return {};
    }
    return d->backend->collections(status);
}

qint64 ReadStore::count(const QString &collection, bool includeDeleted, ReadStatus *status) const
{
    if (!d->backend) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return 0;
    }
    return d->backend->count(collection, includeDeleted, status);
}

} // namespace Gatehouse
