#include "postgresreadbackend.h"

#include "cursorsigner.h"
#include "listquery.h"
#include "pgfieldkey.h"
#include "postgresreadtransaction.h"
#include "sql/pgadvisorylocks.h"
#include "sql/schemamigrations.h"
#include "sql/sqlerrorlog.h"
#include "sql/storagetarget.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QMutex>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

Q_DECLARE_LOGGING_CATEGORY(lcReadStore)

namespace Gatehouse {

namespace {
QList<QByteArray> migrations()
{
    return {
        // 1: checkpoints of every projection (documents live in one table per collection).
        "CREATE TABLE checkpoints(projection text PRIMARY KEY, position bigint NOT NULL, updated_at bigint NOT NULL)",
        // 2: secrets of the read model (the key that signs paging cursors).
        "CREATE TABLE secrets(name text PRIMARY KEY, value bytea NOT NULL)",
        // 3: snapshots of entities, every N events of their stream (see ReadStore::snapshot).
        "CREATE TABLE snapshots(collection text NOT NULL, id text NOT NULL, position bigint NOT NULL, doc json NOT NULL,"
        " version bigint NOT NULL, updated_at bigint NOT NULL, deleted boolean NOT NULL, PRIMARY KEY (collection, id, position))",
        // 4: each collection's table gains `fields`, its documents parsed once (PgFieldKey). The
        // field indexes over the json text go; the engine builds them again over `fields` at
        // start (IndexBuilder), as for any collection whose indexes are missing.
        "DO $migration$ DECLARE t record; i record; BEGIN"
        " PERFORM pg_advisory_xact_lock(" + QByteArray::number(PgAdvisoryLocks::kReadModelSchemaClass) + ", "
            + QByteArray::number(PgAdvisoryLocks::kReadModelSchemaKey) + ");"
        " FOR t IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "   WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'rm\\_%'"
        "   AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'doc' AND a.atttypid = 'json'::regtype)"
        "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'fields') LOOP"
        "   FOR i IN SELECT x.indexrelid::regclass AS name FROM pg_index x WHERE x.indrelid = t.oid AND NOT x.indisprimary LOOP"
        "     EXECUTE format('DROP INDEX %s', i.name);"
        "   END LOOP;"
        "   EXECUTE format('ALTER TABLE %I ADD COLUMN %s', t.relname, $column$" + PgFieldKey::fieldsColumn() + "$column$);"
        " END LOOP; END $migration$",
        // 5: each collection's table gains `origin` (StoredDocument::byFunction): 1 for a document
        // a function wrote, which a rebuild of the upsert projection leaves (open() adds the
        // partial index over those, whose name it knows). Rows from before count as the
        // projection's.
        "DO $migration$ DECLARE t record; BEGIN"
        " PERFORM pg_advisory_xact_lock(" + QByteArray::number(PgAdvisoryLocks::kReadModelSchemaClass) + ", "
            + QByteArray::number(PgAdvisoryLocks::kReadModelSchemaKey) + ");"
        " FOR t IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        "   WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'rm\\_%'"
        "   AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'doc')"
        "   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'origin') LOOP"
        "   EXECUTE format('ALTER TABLE %I ADD COLUMN origin smallint NOT NULL DEFAULT 0', t.relname);"
        " END LOOP; END $migration$",
    };
}

constexpr int kMaxName = 63;   // PostgreSQL's identifier length (NAMEDATALEN - 1)

QByteArray shortened(const QByteArray &name)
{
    if (name.size() <= kMaxName)
        return name;
    const QByteArray hash = QCryptographicHash::hash(name, QCryptographicHash::Sha256).toHex().left(16);
    return name.left(kMaxName - 17) + '_' + hash;
}

void setStatus(ReadStatus *out, ReadStatus status)
{
    if (out)
        *out = std::move(status);
}

// The first line of PostgreSQL's message (the rest quotes the statement), bounded.
QString primaryMessage(const QSqlError &error)
{
    QString text = error.databaseText().section(QLatin1Char('\n'), 0, 0).trimmed();
    if (text.startsWith(QLatin1String("ERROR:")))
        text = text.mid(6).trimmed();
    if (text.isEmpty())
        text = error.text();
    return SqlErrorLog::bounded(text, SqlErrorLog::kMaxMessageChars);
}

// Each cause (where, SQLSTATE) is logged once per process: clients cannot flood the log.
void logOnce(const char *where, const QString &state, const QString &message, const QByteArray &sql)
{
    static QMutex mutex;
    static QSet<QString> seen;
    const QString key = QString::fromLatin1(where) + QLatin1Char(' ') + state;
    QMutexLocker lock(&mutex);
    if (seen.size() > 256 || seen.contains(key))
        return;
    seen.insert(key);
    qCWarning(lcReadStore).noquote() << where << "failed:" << state << message << "in" << SqlErrorLog::excerpt(sql);
}

const QString kClosed = QStringLiteral("the read store is not available");
const QString kLost = QStringLiteral("the read store's database cannot be reached");
} // namespace

QByteArray PostgresReadBackend::tableName(const QString &collection)
{
    return shortened("rm_" + collection.toUtf8().replace('"', ""));
}

QByteArray PostgresReadBackend::quotedTable(const QString &collection)
{
    return '"' + tableName(collection) + '"';
}

QByteArray PostgresReadBackend::indexName(const QString &collection, const QString &field)
{
    return shortened("rm_" + collection.toUtf8().replace('"', "") + "__" + field.toLatin1());
}

PostgresReadBackend::~PostgresReadBackend()
{
    close();
}

bool PostgresReadBackend::open(const StorageTarget &target, QString *error)
{
    close();
    m_url = target.postgres;
    if (!openWriter(error))
        return false;
    if (!SchemaMigrations::apply(m_writer.database(), QStringLiteral("readmodel"), migrations(), error)
        || !loadCursorKey(error)) {
        m_writer.close();
        return false;
    }
    m_readers = std::make_unique<PgDocumentReadPool>(m_url);
    m_readers->setDefaultBudgetMs(m_budgetMs);
    if (!addOriginIndexes(error)) {
        close();
        return false;
    }
    m_open = true;
    return true;
}

bool PostgresReadBackend::addOriginIndexes(QString *error)
{
    // Tables from before the origin column (schema migration 5) get the partial index over
    // the documents functions wrote, as ensureCollection() makes it for new ones.
    QSqlQuery q(m_writer.database());
    QStringList names;   // as collections() lists them
    if (!q.exec(QStringLiteral("SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
                               " WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'rm\\_%'"))) {
        *error = QStringLiteral("cannot list the read model's tables at %1: %2").arg(m_url.redacted(), primaryMessage(q.lastError()));
        return false;
    }
    while (q.next()) {
        const QString comment = q.value(1).toString();
        names.append(comment.isEmpty() ? q.value(0).toString().mid(3) : comment);
    }
    q.finish();
    QStringList missing;
    for (const QString &name : names) {
        q.prepare(QStringLiteral("SELECT to_regclass(?) IS NULL"));
        q.addBindValue(QString::fromUtf8('"' + indexName(name, QLatin1String(kOriginIndexField)) + '"'));
        if (!q.exec() || !q.next()) {
            *error = QStringLiteral("cannot read the read model's indexes at %1: %2").arg(m_url.redacted(), primaryMessage(q.lastError()));
            return false;
        }
        if (q.value(0).toBool())
            missing.append(name);
        q.finish();
    }
    if (missing.isEmpty())
        return true;
    QSqlDatabase db = m_writer.database();
    bool ok = db.transaction()
        && q.exec(QStringLiteral("SELECT pg_advisory_xact_lock(%1, %2)").arg(PgAdvisoryLocks::kReadModelSchemaClass).arg(PgAdvisoryLocks::kReadModelSchemaKey));
    for (const QString &name : std::as_const(missing)) {
        ok = ok && q.exec(QString::fromUtf8("CREATE INDEX IF NOT EXISTS \"" + indexName(name, QLatin1String(kOriginIndexField)) + "\" ON "
                                            + quotedTable(name) + " (origin) WHERE origin <> 0"));
    }
    ok = ok && db.commit();
    if (!ok) {
        *error = QStringLiteral("cannot index the read model at %1: %2").arg(m_url.redacted(), primaryMessage(q.lastError().isValid() ? q.lastError() : db.lastError()));
        db.rollback();
        return false;
    }
    return true;
}

bool PostgresReadBackend::openWriter(QString *error)
{
    forgetWriterQueries();
    m_writer.close();
    QString why;
    // CREATE ... IF NOT EXISTS reports an existing table as a NOTICE: not worth a log line.
    if (!m_writer.open(m_url, QStringLiteral("read model writer"), &why) || !m_writer.exec(QStringLiteral("SET client_min_messages = warning; SET plan_cache_mode = force_generic_plan"))) {
        *error = QStringLiteral("cannot open the read store at %1: %2").arg(m_url.redacted(), why.isEmpty() ? m_writer.errorString() : why);
        m_writerBroken = true;
        return false;
    }
    m_writerBroken = false;
    return true;
}

bool PostgresReadBackend::loadCursorKey(QString *error)
{
    // Two engines starting at once: the first insert wins, both read the winner's key.
    QSqlQuery put(m_writer.database());
    put.prepare(QStringLiteral("INSERT INTO secrets(name, value) VALUES ('cursor_key', ?) ON CONFLICT (name) DO NOTHING"));
    put.addBindValue(CursorSigner::generateKey());
    QSqlQuery get(m_writer.database());
    if (!put.exec() || !get.exec(QStringLiteral("SELECT value FROM secrets WHERE name = 'cursor_key'")) || !get.next()) {
        const QSqlError e = put.lastError().isValid() ? put.lastError() : get.lastError();
        *error = QStringLiteral("cannot read the cursor key at %1: %2").arg(m_url.redacted(), primaryMessage(e));
        return false;
    }
    m_cursorKey = get.value(0).toByteArray();
    if (m_cursorKey.size() < CursorSigner::kKeyBytes) {
        *error = QStringLiteral("the cursor key at %1 is too short").arg(m_url.redacted());
        return false;
    }
    return true;
}

void PostgresReadBackend::close()
{
    m_open = false;
    forgetWriterQueries();
    m_writer.close();
    if (m_readers)
        m_readers->clear();
}

bool PostgresReadBackend::isOpen() const
{
    return m_open;
}

void PostgresReadBackend::setQueryBudgetMs(int ms)
{
    m_budgetMs = ms;
    if (m_readers)
        m_readers->setDefaultBudgetMs(ms);
}

std::unique_ptr<ReadStoreBackend::Transaction> PostgresReadBackend::begin(QString *error)
{
    if (!m_open) {
        *error = QStringLiteral("the read store is closed");
        return nullptr;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (m_writerBroken && !openWriter(error))
            return nullptr;
        QSqlDatabase db = m_writer.database();
        if (db.transaction())
            return std::make_unique<PostgresReadTransaction>(this);
        noteWriteFailure(db.lastError());
        *error = primaryMessage(db.lastError());
        if (!m_writerBroken)
            return nullptr;
        // The connection was lost while idle: nothing was done yet, so open it again and retry.
    }
    return nullptr;
}

QSqlQuery *PostgresReadBackend::writerQuery(const QByteArray &sql)
{
    auto it = m_writerQueries.find(sql);
    if (it != m_writerQueries.end())
        return it->second.get();
    auto query = std::make_unique<QSqlQuery>(m_writer.database());
    if (!query->prepare(QString::fromUtf8(sql))) {
        noteWriteFailure(query->lastError());
        return nullptr;
    }
    return m_writerQueries.emplace(sql, std::move(query)).first->second.get();
}

void PostgresReadBackend::forgetWriterQueries()
{
    m_writerQueries.clear();
}

void PostgresReadBackend::noteWriteFailure(const QSqlError &error)
{
    const QString state = error.nativeErrorCode();
    m_writerError = primaryMessage(error);
    const bool lost = PgConnection::isConnectionFailure(state) || !m_writer.database().isOpen();
    // Lost connection, no space or memory (class 53), a system error (58), or a conflict
    // another attempt resolves (serialization failure, deadlock): the write may pass later.
    if (lost || state.startsWith(QLatin1String("53")) || state.startsWith(QLatin1String("58")) || state == QLatin1String("40001")
        || state == QLatin1String("40P01"))
        m_storageFailures.fetch_add(1, std::memory_order_relaxed);
    if (lost) {
        qCWarning(lcReadStore).noquote() << "the read model writer lost its connection:" << m_writerError << "- reconnecting";
        m_writerBroken = true;
    }
}

ReadStatus PostgresReadBackend::run(const char *where, const QByteArray &sql, const QVariantList &values, int budgetMs,
                                    const std::function<void(QSqlQuery &)> &read, bool *missingTable) const
{
    if (!m_open || !m_readers)
        return ReadStatus::unavailable(kClosed);
    for (int attempt = 0; attempt < 2; ++attempt) {
        QString error;
        PgDocumentReadPool::Lease c = budgetMs < 0 ? m_readers->acquire(&error) : m_readers->acquire(budgetMs, &error);
        if (!c) {
            logOnce(where, QStringLiteral("connect"), error, sql);
            return ReadStatus::unavailable(kLost);
        }
        QSqlError e;
        QSqlQuery *q = c->prepared(sql, &e);
        if (q) {
            for (qsizetype i = 0; i < values.size(); ++i)
                q->bindValue(int(i), values.at(i));
            if (q->exec()) {
                read(*q);
                q->finish();
                return {};
            }
            e = q->lastError();
        }
        const QString state = e.nativeErrorCode();
        if (state == QLatin1String("42P01")) {   // undefined table: nothing projected yet
            if (missingTable)
                *missingTable = true;
            return {};
        }
        if (state == QLatin1String("57014"))
            return ReadStatus::timedOut(c.budgetMs());
        if (PgConnection::isConnectionFailure(state) || !c->db.database().isOpen()) {
            c.discard();   // and once more on a new connection: a read may simply be repeated
            if (attempt == 0)
                continue;
            logOnce(where, state, primaryMessage(e), sql);
            return ReadStatus::unavailable(kLost);
        }
        const QString message = primaryMessage(e);
        logOnce(where, state, message, sql);
        return ReadStatus::failed(QStringLiteral("the read store failed: SQLSTATE %1: %2").arg(state, message));
    }
    return ReadStatus::unavailable(kLost);
}

namespace {
StoredDocument readRow(const QSqlQuery &q, const QString &collection)
{
    StoredDocument doc;
    doc.collection = collection;
    doc.id = q.value(0).toString();
    doc.doc = q.value(1).toString().toUtf8();
    doc.version = q.value(2).toLongLong();
    doc.position = q.value(3).toLongLong();
    doc.updatedAtMs = q.value(4).toLongLong();
    doc.deleted = q.value(5).toBool();
    return doc;
}

QVariant toVariant(const SqlValue &v)
{
    switch (v.type) {
    case SqlValue::Integer: return QVariant(v.integer);
    // The shortest text that reads back as this double: compared as numeric with the
    // document's literal, which Qt and JavaScript write the same way (see PgFieldKey).
    case SqlValue::Real: return QVariant(QString::number(v.real, 'g', QLocale::FloatingPointShortest));
    case SqlValue::Text: return QVariant(v.text);
    case SqlValue::Null: break;
    }
    return QVariant(QMetaType(QMetaType::QString));
}
} // namespace

StoredDocument PostgresReadBackend::rowOf(const QSqlQuery &q, const QString &collection)
{
    return readRow(q, collection);
}

qint64 PostgresReadBackend::checkpoint(const QString &projection) const
{
    qint64 position = 0;
    run("checkpoint", "SELECT position FROM checkpoints WHERE projection = ?", {projection}, 0, [&](QSqlQuery &q) {
        if (q.next())
            position = q.value(0).toLongLong();
    });
    return position;
}

std::optional<StoredDocument> PostgresReadBackend::document(const QString &collection, const QString &id, ReadStatus *status) const
{
    setStatus(status, {});
    if (id.contains(QChar(0)))
        return std::nullopt;   // PostgreSQL text holds no U+0000: no such id can exist
    std::optional<StoredDocument> result;
    const ReadStatus s = run("document", "SELECT id, doc, version, position, updated_at, deleted FROM " + quotedTable(collection) + " WHERE id = ?",
                             {id}, -1, [&](QSqlQuery &q) {
                                 if (q.next())
                                     result = readRow(q, collection);
                             });
    setStatus(status, s);
    return result;
}

std::optional<StoredDocument> PostgresReadBackend::snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                                            ReadStatus *status) const
{
    setStatus(status, {});
    if (id.contains(QChar(0)) || collection.contains(QChar(0)))
        return std::nullopt;
    std::optional<StoredDocument> result;
    const ReadStatus s = run("snapshot",
                             "SELECT id, doc, version, position, updated_at, deleted FROM snapshots"
                             " WHERE collection = ? AND id = ? AND position <= ? ORDER BY position DESC LIMIT 1",
                             {collection, id, atOrBefore}, -1, [&](QSqlQuery &q) {
                                 if (q.next())
                                     result = readRow(q, collection);
                             });
    setStatus(status, s);
    return result;
}

ReadStatus PostgresReadBackend::list(const QString &collection, const ListQuery &query, ListResult *out) const
{
    const ListQuery::Sql sql = query.toSql(quotedTable(collection), ListQuery::Dialect::Postgres);
    QVariantList values;
    values.reserve(sql.bindings.size());
    for (const SqlValue &v : sql.bindings)
        values.append(toVariant(v));
    ListResult result;
    const ReadStatus status = run("list", sql.text, values, -1, [&](QSqlQuery &q) {
        while (q.next()) {
            if (result.items.size() == query.limit) {
                result.more = true;
                break;
            }
            result.items.append(readRow(q, collection));
            result.lastKeys.clear();
            for (qsizetype k = 0; k < query.sort.size(); ++k) {
                const int column = sql.sortColumn + int(k) * sql.keyColumns;
                result.lastKeys.append(ListQuery::sortValue(q.value(column).toLongLong(), q.value(column + 1).toString(),
                                                            q.value(column + 2).toString()));
            }
        }
    });
    if (status.ok())
        *out = std::move(result);
    return status;
}

QStringList PostgresReadBackend::collections(ReadStatus *status) const
{
    QStringList names;
    const ReadStatus s = run("collections",
                             "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
                             " WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace"
                             " AND c.relname LIKE 'rm\\_%'",
                             {}, -1, [&](QSqlQuery &q) {
                                 while (q.next()) {
                                     const QString comment = q.value(1).toString();
                                     names.append(comment.isEmpty() ? q.value(0).toString().mid(3) : comment);
                                 }
                             });
    setStatus(status, s);
    if (!s.ok())
        return {};
    std::sort(names.begin(), names.end());
    return names;
}

qint64 PostgresReadBackend::count(const QString &collection, bool includeDeleted, ReadStatus *status) const
{
    qint64 n = 0;
    const ReadStatus s = run("count", "SELECT count(*) FROM " + quotedTable(collection) + (includeDeleted ? "" : " WHERE NOT deleted"),
                             {}, -1, [&](QSqlQuery &q) {
                                 if (q.next())
                                     n = q.value(0).toLongLong();
                             });
    setStatus(status, s);
    return s.ok() ? n : 0;
}

} // namespace Gatehouse
