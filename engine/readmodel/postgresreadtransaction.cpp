#include "postgresreadtransaction.h"

#include "listquery.h"
#include "pgfieldkey.h"
#include "postgresreadbackend.h"
#include "sql/pgadvisorylocks.h"

#include <QHash>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>

namespace Gatehouse {

namespace {
// An array literal ({"a","b"}) of `texts`, for one unnest() parameter.
QString arrayLiteral(const QList<QString> &texts)
{
    QString out;
    out.reserve(texts.size() * 16 + 2);
    out += QLatin1Char('{');
    for (qsizetype i = 0; i < texts.size(); ++i) {
        if (i > 0)
            out += QLatin1Char(',');
        out += QLatin1Char('"');
        for (const QChar c : texts.at(i)) {
            if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
                out += QLatin1Char('\\');
            out += c;
        }
        out += QLatin1Char('"');
    }
    out += QLatin1Char('}');
    return out;
}

const QByteArray kColumns = "id, doc, version, position, updated_at, deleted";
} // namespace

PostgresReadTransaction::~PostgresReadTransaction()
{
    if (!m_committed && !m_store->m_writerBroken) {
        QSqlDatabase db = m_store->m_writer.database();
        if (!db.rollback())
            m_store->noteWriteFailure(db.lastError());
    }
}

QString PostgresReadTransaction::errorString() const
{
    return m_error;
}

bool PostgresReadTransaction::fail(const QString &error)
{
    m_failed = true;
    m_error = error;
    return false;
}

QSqlQuery *PostgresReadTransaction::exec(const QByteArray &sql, const QVariantList &values)
{
    if (m_failed) {
        m_error = QStringLiteral("an earlier statement of this transaction failed: ") + m_error;
        return nullptr;
    }
    QSqlQuery *q = m_store->writerQuery(sql);
    if (!q) {
        fail(m_store->m_writerError);
        return nullptr;
    }
    for (qsizetype i = 0; i < values.size(); ++i)
        q->bindValue(int(i), values.at(i));
    if (!q->exec()) {
        m_store->noteWriteFailure(q->lastError());
        fail(m_store->m_writerError);
        return nullptr;
    }
    return q;
}

bool PostgresReadTransaction::execDirect(const QString &sql)
{
    if (m_failed)
        return false;
    QSqlQuery q(m_store->m_writer.database());
    if (!q.exec(sql)) {
        m_store->noteWriteFailure(q.lastError());
        return fail(m_store->m_writerError);
    }
    return true;
}

bool PostgresReadTransaction::lockSchema()
{
    // Two engines creating the same table at once would collide in PostgreSQL's catalog
    // (CREATE ... IF NOT EXISTS is not safe against a concurrent CREATE): one at a time.
    if (m_schemaLocked)
        return true;
    m_schemaLocked = execDirect(QStringLiteral("SELECT pg_advisory_xact_lock(%1, %2)")
                                    .arg(PgAdvisoryLocks::kReadModelSchemaClass)
                                    .arg(PgAdvisoryLocks::kReadModelSchemaKey));
    return m_schemaLocked;
}

bool PostgresReadTransaction::ensureCollection(const QString &collection, const QStringList &indexedFields)
{
    if (!lockSchema())
        return false;
    const QByteArray tableName = PostgresReadBackend::tableName(collection);
    const QByteArray table = '"' + tableName + '"';
    QByteArray ddl = "CREATE TABLE IF NOT EXISTS " + table
        + "(id text COLLATE \"C\" PRIMARY KEY, doc json NOT NULL, version bigint NOT NULL, position bigint NOT NULL,"
          " updated_at bigint NOT NULL, deleted boolean NOT NULL DEFAULT false, origin smallint NOT NULL DEFAULT 0, "
        + PgFieldKey::fieldsColumn() + ");";
    if (tableName != "rm_" + collection.toUtf8()) {
        QByteArray name = collection.toUtf8();
        ddl += "COMMENT ON TABLE " + table + " IS '" + name.replace('\'', "''") + "';";
    }
    for (const QString &field : indexedFields) {
        if (!ListQuery::isSafeFieldName(field))
            continue;
        ddl += "CREATE INDEX IF NOT EXISTS \"" + PostgresReadBackend::indexName(collection, field) + "\" ON " + table + " ("
            + PgFieldKey::columns(field) + ");";
    }
    ddl += "CREATE INDEX IF NOT EXISTS \"" + PostgresReadBackend::indexName(collection, QLatin1String(ReadStoreBackend::kOriginIndexField)) + "\" ON "
        + table + " (origin) WHERE origin <> 0;";
    if (!execDirect(QString::fromUtf8(ddl)))
        return false;
    m_tables.insert(collection);
    return true;
}

bool PostgresReadTransaction::put(const QList<StoredDocument> &docs)
{
    // One statement per run of one collection; within a run the last write of an id wins, as
    // one statement may not change a row twice.
    qsizetype start = 0;
    while (start < docs.size()) {
        qsizetype end = start;
        while (end < docs.size() && docs.at(end).collection == docs.at(start).collection)
            ++end;
        QHash<QString, qsizetype> lastOf;
        for (qsizetype i = start; i < end; ++i)
            lastOf.insert(docs.at(i).id, i);
        QList<const StoredDocument *> run;
        for (qsizetype i = start; i < end; ++i) {
            if (lastOf.value(docs.at(i).id) == i)
                run.append(&docs.at(i));
        }
        if (!putRun(docs.at(start).collection, run))
            return false;
        start = end;
    }
    return true;
}

bool PostgresReadTransaction::putRun(const QString &collection, const QList<const StoredDocument *> &docs)
{
    // The whole run in one round trip: each column as one array parameter, unnested.
    QList<QString> ids, bodies, versions, positions, times, deleted, origins;
    for (const StoredDocument *d : docs) {
        if (d->id.contains(QChar(0)) || d->doc.contains('\0'))
            return fail(QStringLiteral("a document id or body holds U+0000, which PostgreSQL cannot store"));
        ids.append(d->id);
        bodies.append(QString::fromUtf8(d->doc));
        versions.append(QString::number(d->version));
        positions.append(QString::number(d->position));
        times.append(QString::number(d->updatedAtMs));
        deleted.append(d->deleted ? QStringLiteral("t") : QStringLiteral("f"));
        origins.append(d->byFunction ? QStringLiteral("1") : QStringLiteral("0"));
    }
    const QByteArray sql = "INSERT INTO " + PostgresReadBackend::quotedTable(collection) + " (" + kColumns
        + ", origin) SELECT * FROM unnest(?::text[], ?::json[], ?::bigint[], ?::bigint[], ?::bigint[], ?::boolean[], ?::smallint[])"
          " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, version = excluded.version, position = excluded.position,"
          " updated_at = excluded.updated_at, deleted = excluded.deleted, origin = excluded.origin";
    return exec(sql, {arrayLiteral(ids), arrayLiteral(bodies), arrayLiteral(versions), arrayLiteral(positions),
                      arrayLiteral(times), arrayLiteral(deleted), arrayLiteral(origins)}) != nullptr;
}

bool PostgresReadTransaction::putSnapshots(const QList<StoredDocument> &snapshots)
{
    if (snapshots.isEmpty())
        return true;
    QList<QString> collections, ids, positions, bodies, versions, times, deleted;
    QSet<QPair<QString, qint64>> seen;   // one statement may not change a row twice
    for (qsizetype i = snapshots.size() - 1; i >= 0; --i) {
        const StoredDocument &d = snapshots.at(i);
        if (d.id.contains(QChar(0)) || d.doc.contains('\0'))
            return fail(QStringLiteral("a document id or body holds U+0000, which PostgreSQL cannot store"));
        if (seen.contains({d.collection, d.position}))
            continue;
        seen.insert({d.collection, d.position});
        collections.append(d.collection);
        ids.append(d.id);
        positions.append(QString::number(d.position));
        bodies.append(QString::fromUtf8(d.doc));
        versions.append(QString::number(d.version));
        times.append(QString::number(d.updatedAtMs));
        deleted.append(d.deleted ? QStringLiteral("t") : QStringLiteral("f"));
    }
    return exec("INSERT INTO snapshots(collection, id, position, doc, version, updated_at, deleted)"
                " SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::json[], ?::bigint[], ?::bigint[], ?::boolean[])"
                " ON CONFLICT (collection, id, position) DO UPDATE SET doc = excluded.doc, version = excluded.version,"
                " updated_at = excluded.updated_at, deleted = excluded.deleted",
                {arrayLiteral(collections), arrayLiteral(ids), arrayLiteral(positions), arrayLiteral(bodies),
                 arrayLiteral(versions), arrayLiteral(times), arrayLiteral(deleted)})
        != nullptr;
}

bool PostgresReadTransaction::createIndex(const QString &collection, const QString &field, const std::function<bool(double)> &progress)
{
    if (!ListQuery::isSafeFieldName(field))
        return true;
    // Reads go on meanwhile (CREATE INDEX takes a SHARE lock: writes to the table wait); how far
    // it got is not known until it is done.
    progress(-1);
    if (!lockSchema())
        return false;
    return execDirect(QString::fromUtf8("CREATE INDEX IF NOT EXISTS \"" + PostgresReadBackend::indexName(collection, field) + "\" ON "
                                        + PostgresReadBackend::quotedTable(collection) + " (" + PgFieldKey::columns(field) + ")"));
}

std::optional<bool> PostgresReadTransaction::tableExists(const QString &collection)
{
    if (m_tables.contains(collection))
        return true;
    QSqlQuery *q = exec("SELECT to_regclass(?) IS NOT NULL", {QString::fromUtf8(PostgresReadBackend::quotedTable(collection))});
    if (!q || !q->next())
        return std::nullopt;
    const bool exists = q->value(0).toBool();
    q->finish();
    if (exists)
        m_tables.insert(collection);
    return exists;
}

std::optional<StoredDocument> PostgresReadTransaction::get(const QString &collection, const QString &id)
{
    if (id.contains(QChar(0)) || tableExists(collection) != std::optional<bool>(true))
        return std::nullopt;
    QSqlQuery *q = exec("SELECT " + kColumns + ", origin FROM " + PostgresReadBackend::quotedTable(collection) + " WHERE id = ?", {id});
    if (!q)
        return std::nullopt;
    std::optional<StoredDocument> result;
    if (q->next()) {
        result = PostgresReadBackend::rowOf(*q, collection);
        result->byFunction = q->value(6).toInt() != 0;
    }
    q->finish();
    return result;
}

bool PostgresReadTransaction::remove(const QString &collection, const QString &id)
{
    const std::optional<bool> exists = tableExists(collection);
    if (!exists)
        return false;
    if (!*exists) {
        m_error = QStringLiteral("no such table: rm_%1").arg(collection);
        return false;   // as SQLite answers: the statement cannot be prepared
    }
    return exec("DELETE FROM " + PostgresReadBackend::quotedTable(collection) + " WHERE id = ?", {id}) != nullptr;
}

bool PostgresReadTransaction::dropCollection(const QString &collection)
{
    if (!lockSchema())
        return false;
    // Prepared statements on the dropped table would be planned again anyway; they go with it.
    m_store->forgetWriterQueries();
    m_tables.remove(collection);
    return execDirect(QString::fromUtf8("DROP TABLE IF EXISTS " + PostgresReadBackend::quotedTable(collection)))
        && dropSnapshots(collection, QString());
}

bool PostgresReadTransaction::deleteProjected(const QString &collection)
{
    return exec("DELETE FROM " + PostgresReadBackend::quotedTable(collection) + " WHERE origin = 0", {}) != nullptr;
}

std::optional<bool> PostgresReadTransaction::hasFunctionDocuments(const QString &collection)
{
    const std::optional<bool> exists = tableExists(collection);
    if (!exists || !*exists)
        return exists;
    QSqlQuery *q = exec("SELECT EXISTS (SELECT 1 FROM " + PostgresReadBackend::quotedTable(collection) + " WHERE origin <> 0)", {});
    if (!q || !q->next())
        return std::nullopt;
    const bool found = q->value(0).toBool();
    q->finish();
    return found;
}

bool PostgresReadTransaction::markByFunction(const QString &collection, const QStringList &ids)
{
    if (ids.isEmpty())
        return true;
    return exec("UPDATE " + PostgresReadBackend::quotedTable(collection) + " SET origin = 1 WHERE id = ANY(?::text[])",
                {arrayLiteral(ids)}) != nullptr;
}

bool PostgresReadTransaction::dropIndexesExcept(const QString &collection, const QStringList &keep)
{
    if (!lockSchema())
        return false;
    // The table's indexes besides its primary key; those of the fields kept by their names
    // (PostgresReadBackend::indexName, which may shorten a long one).
    QSet<QString> kept;
    for (const QString &field : keep)
        kept.insert(QString::fromUtf8(PostgresReadBackend::indexName(collection, field)));
    kept.insert(QString::fromUtf8(PostgresReadBackend::indexName(collection, QLatin1String(ReadStoreBackend::kOriginIndexField))));
    QSqlQuery *q = exec("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                        " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
                        " WHERE n.nspname = current_schema() AND t.relname = ? AND NOT i.indisprimary",
                        {QString::fromUtf8(PostgresReadBackend::tableName(collection))});
    if (!q)
        return false;
    QStringList drop;
    while (q->next()) {
        const QString name = q->value(0).toString();
        if (!kept.contains(name))
            drop.append(name);
    }
    for (const QString &name : std::as_const(drop)) {
        if (!execDirect(QStringLiteral("DROP INDEX IF EXISTS \"") + name + u'"'))
            return false;
    }
    return true;
}

bool PostgresReadTransaction::dropSnapshots(const QString &collection, const QString &keepKey)
{
    // The keys are "<name>" and "<name>@<digest>"; no other collection's key starts with "<name>@".
    const QVariantList keys{collection, int(collection.size() + 1), QString(collection + QLatin1Char('@'))};
    if (keepKey.isEmpty())
        return exec("DELETE FROM snapshots WHERE collection = ? OR substr(collection, 1, ?) = ?", keys) != nullptr;
    return exec("DELETE FROM snapshots WHERE (collection = ? OR substr(collection, 1, ?) = ?) AND collection <> ?", keys + QVariantList{keepKey})
        != nullptr;
}

bool PostgresReadTransaction::setCheckpoint(const QString &projection, qint64 position, qint64 firstApplied)
{
    // The fence: an engine that lost the projection without knowing it yet (its ownership
    // connection cut, itself still running) must not apply a batch the new owner applied.
    // The row is locked by the upsert until COMMIT, so two engines cannot both pass it.
    QSqlQuery *q = exec("INSERT INTO checkpoints(projection, position, updated_at)"
                        " VALUES (?, ?, extract(epoch FROM now())::bigint)"
                        " ON CONFLICT (projection) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at"
                        " WHERE ?::bigint <= 0 OR checkpoints.position < ?::bigint",
                        {projection, position, firstApplied, firstApplied});
    if (!q)
        return false;
    if (q->numRowsAffected() != 1) {
        m_store->m_storageFailures.fetch_add(1, std::memory_order_relaxed);   // the runner reads the checkpoint back
        return fail(QStringLiteral("the checkpoint of %1 already reached position %2: another engine applied the batch")
                        .arg(projection)
                        .arg(firstApplied));
    }
    // Announced at COMMIT (not before, and not at all when it rolls back) to the engines that
    // follow this projection (ReadStore::kCheckpointChannel).
    return exec("SELECT pg_notify('gatehouse_checkpoints', ?)", {QVariant(projection + QLatin1Char(' ') + QString::number(position))}) != nullptr;
}

bool PostgresReadTransaction::relaxDurability()
{
    // For this transaction only: the connection's other transactions keep waiting for the flush.
    // SET LOCAL, in a form that can be prepared once and reused.
    return exec("SELECT set_config('synchronous_commit', 'off', true)", {}) != nullptr;
}

bool PostgresReadTransaction::commit()
{
    if (m_failed) {
        m_error = QStringLiteral("the transaction was rolled back: ") + m_error;
        return false;   // the destructor rolls back
    }
    QSqlDatabase db = m_store->m_writer.database();
    // A COMMIT whose answer is lost may or may not have happened: it fails here, and the
    // projection reads its checkpoint back before going on (so nothing is applied twice).
    if (!db.commit()) {
        m_store->noteWriteFailure(db.lastError());
        m_error = m_store->m_writerError;
        m_committed = true;   // nothing left to roll back
        return false;
    }
    m_committed = true;
    return true;
}

} // namespace Gatehouse
