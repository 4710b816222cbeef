#include "sqlitereadtransaction.h"

#include "listquery.h"
#include "sqlitereadbackend.h"

#include <QScopeGuard>

#include <sqlite3.h>

#include <algorithm>

namespace Gatehouse {

SqliteReadTransaction::~SqliteReadTransaction()
{
    if (!m_committed && m_store->m_writer.inTransaction())   // SQLite may have rolled back already (full disk)
        m_store->m_writer.exec("ROLLBACK");
}

QString SqliteReadTransaction::errorString() const
{
    if (!m_fencedError.isEmpty())
        return m_fencedError;
    return m_store->m_writer.errorString();
}

bool SqliteReadTransaction::ensureCollection(const QString &collection, const QStringList &indexedFields)
{
    const QByteArray table = ReadStore::quotedTable(collection);
    QByteArray ddl = "CREATE TABLE IF NOT EXISTS " + table
        + "(id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,"
          " updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, origin INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
        + SqliteReadBackend::originIndexDdl(collection);
    for (const QString &field : indexedFields) {
        if (!ListQuery::isSafeFieldName(field))
            continue;
        const QByteArray index = "\"rm_" + collection.toUtf8().replace('"', "") + "__" + field.toLatin1() + '"';
        ddl += "CREATE INDEX IF NOT EXISTS " + index + " ON " + table + '(' + ListQuery::fieldExpression(field) + ");";
    }
    return m_store->m_writer.exec(ddl);
}

bool SqliteReadTransaction::put(const QList<StoredDocument> &docs)
{
    SqliteStatement *st = nullptr;
    const QString *collection = nullptr;
    for (const StoredDocument &doc : docs) {
        if (!collection || doc.collection != *collection) {
            collection = &doc.collection;
            st = m_store->statement("INSERT OR REPLACE INTO " + ReadStore::quotedTable(doc.collection)
                                    + "(id, doc, version, position, updated_at, deleted, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            if (!st)
                return false;
        }
        st->bind(1, doc.id);
        st->bind(2, doc.doc);
        st->bind(3, doc.version);
        st->bind(4, doc.position);
        st->bind(5, doc.updatedAtMs);
        st->bind(6, qint64(doc.deleted ? 1 : 0));
        st->bind(7, qint64(doc.byFunction ? 1 : 0));
        if (!st->exec())   // resets the statement too
            return false;
    }
    return true;
}

bool SqliteReadTransaction::putSnapshots(const QList<StoredDocument> &snapshots)
{
    if (snapshots.isEmpty())
        return true;
    SqliteStatement *st = m_store->statement("INSERT OR REPLACE INTO snapshots(collection, id, position, doc, version, updated_at, deleted)"
                                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!st)
        return false;
    for (const StoredDocument &s : snapshots) {
        st->bind(1, s.collection);
        st->bind(2, s.id);
        st->bind(3, s.position);
        st->bind(4, s.doc);
        st->bind(5, s.version);
        st->bind(6, s.updatedAtMs);
        st->bind(7, qint64(s.deleted ? 1 : 0));
        if (!st->exec())
            return false;
    }
    return true;
}

std::optional<StoredDocument> SqliteReadTransaction::get(const QString &collection, const QString &id)
{
    SqliteStatement *st = m_store->statement("SELECT id, doc, version, position, updated_at, deleted, origin FROM "
                                             + ReadStore::quotedTable(collection) + " WHERE id = ?1");
    if (!st)
        return std::nullopt;
    st->bind(1, id);
    std::optional<StoredDocument> result;
    if (st->step()) {
        result = SqliteReadBackend::readRow(*st, collection);
        result->byFunction = st->columnInt(6) != 0;
    }
    st->reset();
    return result;
}

bool SqliteReadTransaction::remove(const QString &collection, const QString &id)
{
    SqliteStatement *st = m_store->statement("DELETE FROM " + ReadStore::quotedTable(collection) + " WHERE id = ?1");
    if (!st)
        return false;
    st->bind(1, id);
    return st->exec();
}

bool SqliteReadTransaction::dropCollection(const QString &collection)
{
    const QByteArray table = ReadStore::quotedTable(collection);
    m_store->forgetStatementsOn(table);
    if (!m_store->m_writer.exec("DROP TABLE IF EXISTS " + table))
        return false;
    return dropSnapshots(collection, QString());
}

bool SqliteReadTransaction::deleteProjected(const QString &collection)
{
    return m_store->m_writer.exec("DELETE FROM " + ReadStore::quotedTable(collection) + " WHERE origin = 0");
}

std::optional<bool> SqliteReadTransaction::hasFunctionDocuments(const QString &collection)
{
    const QByteArray table = ReadStore::quotedTable(collection);
    SqliteStatement *st = m_store->statement("SELECT 1 FROM " + table + " WHERE origin <> 0 LIMIT 1");   // the origin index
    if (!st) {
        QByteArray name = table;
        name.replace('"', "");
        SqliteStatement *exists = m_store->statement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
        if (!exists)
            return std::nullopt;
        exists->bind(1, name);
        const bool there = exists->step();
        const bool answered = there || exists->lastCode() == SQLITE_DONE;
        exists->reset();
        if (answered && !there)
            return false;
        return std::nullopt;
    }
    const bool found = st->step();
    if (!found && st->lastCode() != SQLITE_DONE)
        return std::nullopt;
    st->reset();
    return found;
}

bool SqliteReadTransaction::markByFunction(const QString &collection, const QStringList &ids)
{
    SqliteStatement *st = m_store->statement("UPDATE " + ReadStore::quotedTable(collection) + " SET origin = 1 WHERE id = ?1");
    if (!st)
        return false;
    for (const QString &id : ids) {
        st->bind(1, id);
        if (!st->exec())
            return false;
    }
    return true;
}

bool SqliteReadTransaction::dropIndexesExcept(const QString &collection, const QStringList &keep)
{
    // The field indexes are "rm_<collection>__<field>" (ensureCollection(), createIndex()).
    const QByteArray prefix = "rm_" + collection.toUtf8().replace('"', "") + "__";
    SqliteStatement *st = m_store->statement("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1");
    if (!st)
        return false;
    st->bind(1, QByteArray("rm_" + collection.toUtf8().replace('"', "")));
    QList<QByteArray> drop;
    while (st->step()) {
        const QByteArray name = st->columnText(0);
        const QString field = QString::fromUtf8(name.mid(prefix.size()));
        if (name.startsWith(prefix) && !keep.contains(field) && field != QLatin1String(ReadStoreBackend::kOriginIndexField))
            drop.append(name);
    }
    const bool listed = st->lastCode() == SQLITE_DONE;
    st->reset();
    if (!listed)
        return false;
    for (const QByteArray &name : std::as_const(drop)) {
        if (!m_store->m_writer.exec("DROP INDEX IF EXISTS \"" + name + '"'))
            return false;
    }
    return true;
}

bool SqliteReadTransaction::dropSnapshots(const QString &collection, const QString &keepKey)
{
    // The keys are "<name>" and "<name>@<digest>"; no other collection's key starts with "<name>@".
    SqliteStatement *st = m_store->statement(keepKey.isEmpty()
        ? "DELETE FROM snapshots WHERE collection = ?1 OR substr(collection, 1, ?2) = ?3"
        : "DELETE FROM snapshots WHERE (collection = ?1 OR substr(collection, 1, ?2) = ?3) AND collection <> ?4");
    if (!st)
        return false;
    st->bind(1, collection);
    st->bind(2, qint64(collection.size() + 1));
    st->bind(3, QString(collection + QLatin1Char('@')));
    if (!keepKey.isEmpty())
        st->bind(4, keepKey);
    return st->exec();
}

namespace {
struct ProgressCount
{
    const std::function<bool(double)> *report = nullptr;
    qint64 steps = 0;       // VM steps so far, in units of kStepsPerCall
    double expected = 0;    // estimated steps of the whole statement
    bool counting = false;  // calibrating: count only
};
constexpr int kStepsPerCall = 4096;

int onProgress(void *context)
{
    auto *p = static_cast<ProgressCount *>(context);
    p->steps += kStepsPerCall;
    if (p->counting || p->expected <= 0)
        return 0;
    return (*p->report)(std::min(0.99, double(p->steps) / p->expected)) ? 0 : 1;
}
} // namespace

bool SqliteReadTransaction::createIndex(const QString &collection, const QString &field, const std::function<bool(double)> &progress)
{
    if (!ListQuery::isSafeFieldName(field))
        return true;   // as ensureCollection(): such a field is never indexed
    const QByteArray table = ReadStore::quotedTable(collection);
    const QByteArray indexName = "rm_" + collection.toUtf8().replace('"', "") + "__" + field.toLatin1();
    const QByteArray expression = ListQuery::fieldExpression(field);
    SqliteConnection &db = m_store->m_writer;
    SqliteStatement *exists = m_store->statement("SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1");
    if (!exists)
        return false;
    exists->bind(1, indexName);
    const bool there = exists->step();
    exists->reset();
    if (there)
        return true;
    progress(0);
    // How many steps a row costs, measured on a sample of the table's own documents; SQLite
    // cannot say how far a CREATE INDEX is, but it can count the steps it took so far.
    const qint64 rows = db.queryInt(QByteArray("SELECT count(*) FROM " + table).constData(), -1);
    if (rows < 0)
        return false;
    ProgressCount count;
    count.report = &progress;
    count.counting = true;
    sqlite3_progress_handler(db.handle(), kStepsPerCall, &onProgress, &count);
    const auto detach = qScopeGuard([&db] { sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr); });
    constexpr qint64 kSample = 4096;
    if (rows > kSample) {
        db.exec("DROP TABLE IF EXISTS temp.gatehouse_index_sample");
        if (db.exec("CREATE TEMP TABLE gatehouse_index_sample AS SELECT doc FROM " + table + " LIMIT " + QByteArray::number(kSample))) {
            count.steps = 0;
            db.exec("CREATE INDEX temp.gatehouse_index_sample_i ON gatehouse_index_sample(" + expression + ")");
            count.expected = double(std::max<qint64>(count.steps, kStepsPerCall)) * double(rows) / double(kSample);
        }
        db.exec("DROP TABLE IF EXISTS temp.gatehouse_index_sample");
    }
    count.steps = 0;
    count.counting = false;
    return db.exec("CREATE INDEX IF NOT EXISTS \"" + indexName + "\" ON " + table + '(' + expression + ')');
}

bool SqliteReadTransaction::setCheckpoint(const QString &projection, qint64 position, qint64 firstApplied)
{
    // One engine owns a SQLite read store, so the fence never closes here; it is kept the same
    // on both backends all the same (a missing row is checkpoint 0).
    SqliteStatement *st = m_store->statement(
        "INSERT INTO checkpoints(projection, position, updated_at) VALUES (?1, ?2, strftime('%s','now'))"
        " ON CONFLICT(projection) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at"
        " WHERE ?3 <= 0 OR checkpoints.position < ?3");
    if (!st)
        return false;
    st->bind(1, projection);
    st->bind(2, position);
    st->bind(3, firstApplied);
    if (!st->exec())
        return false;
    if (m_store->m_writer.changes() == 1)
        return true;
    m_fencedError = QStringLiteral("the checkpoint of %1 already reached position %2: the batch was applied before")
                        .arg(projection)
                        .arg(firstApplied);
    return false;
}

bool SqliteReadTransaction::commit()
{
    if (!m_fencedError.isEmpty())
        return false;   // as on PostgreSQL: the transaction failed with its fence; the destructor rolls back
    if (!m_store->m_writer.exec("COMMIT"))
        return false;
    m_committed = true;
    return true;
}

} // namespace Gatehouse
