#include "sqlitereadbackend.h"

#include "cursorsigner.h"
#include "listquery.h"
#include "sql/sqlerrorlog.h"
#include "sql/sqlitemigrations.h"
#include "sql/storagetarget.h"
#include "sqlitereadtransaction.h"

#include <QDir>
#include <QFileInfo>

#include <sqlite3.h>

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
        // 3: snapshots of entities, every N events of their stream (see ReadStore::snapshot).
        "CREATE TABLE snapshots(collection TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL,"
        " doc TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL,"
        " PRIMARY KEY(collection, id, position));",
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

SqliteReadBackend::~SqliteReadBackend()
{
    close();
}

bool SqliteReadBackend::open(const StorageTarget &target, QString *error)
{
    close();
    m_path = target.sqlitePath;
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    if (!m_writer.open(m_path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(m_path, m_writer.errorString());
        return false;
    }
    m_writer.queryInt("PRAGMA journal_mode = WAL");
    m_writer.exec("PRAGMA synchronous = NORMAL");
    if (!SqliteMigrations::apply(m_writer, migrations(), error) || !addOriginColumns(error) || !loadCursorKey(error))
        return false;
    m_readers = std::make_unique<SqliteReadPool>(m_path);
    m_readers->setDefaultBudgetMs(m_budgetMs);
    return true;
}

bool SqliteReadBackend::addOriginColumns(QString *why)
{
    // Collection tables are created as collections are first written, so a numbered migration
    // cannot list them: those from before the origin column (StoredDocument::byFunction) get
    // it here, every row then counting as the upsert projection's.
    QList<QByteArray> tables;
    {
        SqliteStatement st(m_writer, "SELECT s.name FROM sqlite_schema AS s WHERE s.type = 'table' AND s.name LIKE 'rm\\_%' ESCAPE '\\'"
                                     " AND NOT EXISTS (SELECT 1 FROM pragma_index_list(s.name) AS i WHERE i.name LIKE '%\\_\\_$origin' ESCAPE '\\')");
        while (st.step())
            tables.append(st.columnText(0));
        if (st.lastCode() != SQLITE_DONE) {
            *why = QStringLiteral("cannot list the tables of %1: %2").arg(m_path, m_writer.errorString());
            return false;
        }
    }
    for (const QByteArray &table : std::as_const(tables)) {
        const QString collection = QString::fromUtf8(table.mid(3));
        SqliteStatement column(m_writer, "SELECT 1 FROM pragma_table_info(?1) WHERE name = 'origin'");
        column.bind(1, table);
        const bool hasColumn = column.step();
        column.reset();
        if ((!hasColumn && !m_writer.exec("ALTER TABLE " + ReadStore::quotedTable(collection) + " ADD COLUMN origin INTEGER NOT NULL DEFAULT 0"))
            || !m_writer.exec(originIndexDdl(collection))) {
            *why = QStringLiteral("cannot add the origin column to %1 in %2: %3").arg(QString::fromUtf8(table), m_path, m_writer.errorString());
            return false;
        }
    }
    return true;
}

bool SqliteReadBackend::loadCursorKey(QString *why)
{
    SqliteStatement get(m_writer, "SELECT value FROM secrets WHERE name = 'cursor_key'");
    if (get.step() && get.columnView(0).size() >= CursorSigner::kKeyBytes) {
        m_cursorKey = get.columnText(0);
        return true;
    }
    const QByteArray key = CursorSigner::generateKey();
    SqliteStatement put(m_writer, "INSERT OR REPLACE INTO secrets(name, value) VALUES ('cursor_key', ?1)");
    put.bindBlob(1, key);
    if (!put.exec()) {
        *why = QStringLiteral("cannot store the cursor key in %1: %2").arg(m_path, m_writer.errorString());
        return false;
    }
    m_cursorKey = key;
    return true;
}

void SqliteReadBackend::close()
{
    m_statements.clear();
    m_writer.close();
    if (m_readers)
        m_readers->clear();
}

bool SqliteReadBackend::isOpen() const
{
    return m_writer.isOpen();
}

void SqliteReadBackend::setQueryBudgetMs(int ms)
{
    m_budgetMs = ms;
    if (m_readers)
        m_readers->setDefaultBudgetMs(ms);
}

quint64 SqliteReadBackend::storageFailures() const
{
    return m_writer.storageFailures();
}

std::unique_ptr<ReadStoreBackend::Transaction> SqliteReadBackend::begin(QString *error)
{
    if (!m_writer.isOpen() || !m_writer.exec("BEGIN IMMEDIATE")) {
        *error = m_writer.isOpen() ? m_writer.errorString() : QStringLiteral("the read store is closed");
        return nullptr;
    }
    return std::make_unique<SqliteReadTransaction>(this);
}

SqliteStatement *SqliteReadBackend::statement(const QByteArray &sql)
{
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        auto st = std::make_unique<SqliteStatement>();
        if (!st->prepare(m_writer, sql.constData()))
            return nullptr;
        it = m_statements.emplace(sql, std::move(st)).first;
    } else {
        it->second->reset();
    }
    return it->second.get();
}

void SqliteReadBackend::forgetStatementsOn(const QByteArray &quotedTable)
{
    // Cached statements on a dropped table must go before the table does.
    for (auto it = m_statements.begin(); it != m_statements.end();) {
        if (it->first.contains(quotedTable))
            it = m_statements.erase(it);
        else
            ++it;
    }
}

QByteArray SqliteReadBackend::originIndexDdl(const QString &collection)
{
    const QByteArray name = collection.toUtf8().replace('"', "");
    return "CREATE INDEX IF NOT EXISTS \"rm_" + name + "__" + kOriginIndexField + "\" ON " + ReadStore::quotedTable(collection)
        + "(origin) WHERE origin <> 0;";
}

StoredDocument SqliteReadBackend::readRow(const SqliteStatement &st, const QString &collection)
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

qint64 SqliteReadBackend::checkpoint(const QString &projection) const
{
    auto c = m_readers ? m_readers->acquire(0) : Lease(nullptr, nullptr);
    if (!c)
        return 0;
    auto &st = c->statement("SELECT position FROM checkpoints WHERE projection = ?1");
    st.bind(1, projection);
    const qint64 position = st.step() ? st.columnInt(0) : 0;
    st.reset();
    return position;
}

std::optional<StoredDocument> SqliteReadBackend::document(const QString &collection, const QString &id, ReadStatus *status) const
{
    setStatus(status, {});
    auto c = m_readers ? m_readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return std::nullopt;
    }
    const QByteArray table = ReadStore::quotedTable(collection);
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
        result = readRow(st, collection);
    else if (st.lastCode() != SQLITE_DONE && !tableMissing(c, table))   // dropped since it was prepared: nothing projected
        setStatus(status, failure(c, st, "document", sql));
    st.reset();
    return result;
}

ReadStatus SqliteReadBackend::list(const QString &collection, const ListQuery &q, ListResult *out) const
{
    auto c = m_readers ? m_readers->acquire() : Lease(nullptr, nullptr);
    if (!c)
        return ReadStatus::unavailable(kClosed);
    const QByteArray table = ReadStore::quotedTable(collection);
    const ListQuery::Sql sql = q.toSql(table, ListQuery::Dialect::Sqlite);
    SqliteStatement &st = c->statement(sql.text);
    if (!st.isValid())
        return tableMissing(c, table) ? ReadStatus() : failure(c, st, "list", sql.text);
    for (qsizetype i = 0; i < sql.bindings.size(); ++i)
        sql.bindings.at(i).bind(st, int(i + 1));
    while (st.step()) {
        if (out->items.size() == q.limit) {
            out->more = true;   // there is one more row: the page ends at the last item returned
            break;
        }
        out->items.append(readRow(st, collection));
        out->lastKeys.clear();
        for (qsizetype k = 0; k < q.sort.size(); ++k)
            out->lastKeys.append(SqlValue::fromColumn(st, sql.sortColumn + int(k)));
    }
    ReadStatus status;
    if (st.lastCode() != SQLITE_ROW && st.lastCode() != SQLITE_DONE && !tableMissing(c, table))
        status = failure(c, st, "list", sql.text);
    st.reset();
    return status;
}

std::optional<StoredDocument> SqliteReadBackend::snapshot(const QString &collection, const QString &id, qint64 atOrBefore,
                                                          ReadStatus *status) const
{
    setStatus(status, {});
    auto c = m_readers ? m_readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return std::nullopt;
    }
    static const char *const sql = "SELECT id, doc, version, position, updated_at, deleted FROM snapshots"
                                   " WHERE collection = ?1 AND id = ?2 AND position <= ?3 ORDER BY position DESC LIMIT 1";
    SqliteStatement &st = c->statement(sql);
    st.bind(1, collection);
    st.bind(2, id);
    st.bind(3, atOrBefore);
    std::optional<StoredDocument> result;
    if (st.step())
        result = readRow(st, collection);
    else if (st.lastCode() != SQLITE_DONE)
        setStatus(status, failure(c, st, "snapshot", sql));
    st.reset();
    return result;
}

QStringList SqliteReadBackend::collections(ReadStatus *status) const
{
    setStatus(status, {});
    QStringList names;
    auto c = m_readers ? m_readers->acquire() : Lease(nullptr, nullptr);
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

qint64 SqliteReadBackend::count(const QString &collection, bool includeDeleted, ReadStatus *status) const
{
    setStatus(status, {});
    auto c = m_readers ? m_readers->acquire() : Lease(nullptr, nullptr);
    if (!c) {
        setStatus(status, ReadStatus::unavailable(kClosed));
        return 0;
    }
    const QByteArray table = ReadStore::quotedTable(collection);
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
    else if (!tableMissing(c, table))
        setStatus(status, failure(c, st, "count", sql));
    st.reset();
    return n;
}

} // namespace Gatehouse
