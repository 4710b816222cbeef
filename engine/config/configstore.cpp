#include "configstore.h"

#include "base/steadyclock.h"
#include "sql/schemamigrations.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace Gatehouse {

namespace {

// Released steps are never edited; a change is a new step in both lists.
QList<QByteArray> sqliteMigrations()
{
    return {
        // 1: key/value settings (admin key, configuration version, ...).
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
        // 2: admin resources and seeding marks.
        "CREATE TABLE resources(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID;"
        "CREATE TABLE seeded(key TEXT PRIMARY KEY) WITHOUT ROWID;",
    };
}

QList<QByteArray> postgresMigrations()
{
    return {
        "CREATE TABLE settings(key text PRIMARY KEY, value text NOT NULL);",
        "CREATE TABLE resources(kind text NOT NULL, id text NOT NULL, body text NOT NULL,"
        " created_at bigint NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY(kind, id));"
        "CREATE TABLE seeded(key text PRIMARY KEY);",
    };
}

constexpr int kSqliteFull = 13;           // SQLITE_FULL, as QSQLITE reports it
const QString kPgDiskFull = QStringLiteral("53100");

std::atomic<int> sqliteConnections{0};

} // namespace

Q_LOGGING_CATEGORY(lcConfigStore, "gatehouse.config.store")

ConfigStore::~ConfigStore()
{
    close();
}

bool ConfigStore::open(const StorageTarget &target, QString *error)
{
    close();
    QMutexLocker lock(&m_mutex);
    m_target = target;
    if (target.isPostgres()) {
        if (!m_pg.open(target.postgres, QStringLiteral("config"), error))
            return false;
        if (!SchemaMigrations::apply(m_pg.database(), QStringLiteral("config"), postgresMigrations(), error)) {
            m_pg.close();
            return false;
        }
        m_open = true;
        return true;
    }
    m_sqliteName = QStringLiteral("gatehouse-config-%1").arg(++sqliteConnections);
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_sqliteName);
    m_db.setDatabaseName(target.sqlitePath);
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    bool opened = m_db.isValid() && m_db.open();
    QString failure = m_db.lastError().text();
    if (opened) {
        QSqlQuery pragma(m_db);
        opened = pragma.exec(QStringLiteral("PRAGMA journal_mode = WAL")) && pragma.exec(QStringLiteral("PRAGMA synchronous = FULL"));
        failure = pragma.lastError().text();
    }
    if (!opened) {
        *error = QStringLiteral("cannot open %1: %2").arg(target.sqlitePath, failure);
        lock.unlock();
        close();
        return false;
    }
    if (!SchemaMigrations::apply(m_db, QStringLiteral("config"), sqliteMigrations(), error)) {
        lock.unlock();
        close();
        return false;
    }
    m_open = true;
    return true;
}

void ConfigStore::close()
{
    QMutexLocker lock(&m_mutex);
    m_open = false;
    m_pg.close();
    if (!m_sqliteName.isEmpty()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_sqliteName);
        m_sqliteName.clear();
    }
}

bool ConfigStore::usableLocked() const
{
    if (!m_open)
        return false;
    if (!isPostgres() || m_pg.isOpen())
        return true;
    // Every caller would otherwise wait out a connect timeout while the server is away.
    const qint64 now = steadyNowMs();
    if (m_lastReopenMs != 0 && now - m_lastReopenMs < kReopenIntervalMs)
        return false;
    m_lastReopenMs = now;
    QString error;
    if (!m_pg.reopen(&error)) {
        m_lastState = m_pg.lastSqlState();
        qCWarning(lcConfigStore, "%ls", qUtf16Printable(error));
        return false;
    }
    qCInfo(lcConfigStore, "reconnected to %ls", qUtf16Printable(m_target.describe()));
    return true;
}

void ConfigStore::noteFailureLocked(const QSqlError &failure) const
{
    m_lastState = failure.nativeErrorCode();
    if (isPostgres())
        m_pg.noteError(failure);
    qCWarning(lcConfigStore, "%ls", qUtf16Printable(failure.text().left(300)));
}

bool ConfigStore::prepareLocked(QSqlQuery &query, const QString &sql) const
{
    if (query.prepare(sql))
        return true;
    noteFailureLocked(query.lastError());
    return false;
}

bool ConfigStore::execLocked(QSqlQuery &query) const
{
    if (query.exec())
        return true;
    noteFailureLocked(query.lastError());
    return false;
}

bool ConfigStore::runLocked(QSqlQuery &query, const QString &sql, const QVariantList &values) const
{
    if (!prepareLocked(query, sql))
        return false;
    for (const QVariant &value : values)
        query.addBindValue(value);
    return execLocked(query);
}

bool ConfigStore::lastFailureLostConnection() const
{
    return isPostgres() && PgConnection::isConnectionFailure(m_lastState);
}

template<typename Read>
bool ConfigStore::readLocked(Read &&read) const
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!usableLocked())
            return false;
        QSqlQuery query(dbLocked());
        if (read(query))
            return true;
        if (!lastFailureLostConnection())
            return false;
        m_lastReopenMs = 0;   // the loss was just found: reopen at once
    }
    return false;
}

QString ConfigStore::setting(const QString &key, const QString &fallback) const
{
    QMutexLocker lock(&m_mutex);
    QString value = fallback;
    readLocked([&](QSqlQuery &query) {
        if (!runLocked(query, QStringLiteral("SELECT value FROM settings WHERE key = ?"), {key}))
            return false;
        if (query.next())
            value = query.value(0).toString();
        return true;
    });
    return value;
}

bool ConfigStore::setSetting(const QString &key, const QString &value)
{
    QMutexLocker lock(&m_mutex);
    return readLocked([&](QSqlQuery &query) {   // an upsert: as safe to repeat as a read
        return runLocked(query, QStringLiteral("INSERT INTO settings(key, value) VALUES (?, ?)"
                                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
                         {key, value});
    });
}

QList<ConfigStore::Resource> ConfigStore::resources(const QString &kind) const
{
    QMutexLocker lock(&m_mutex);
    QList<Resource> out;
    // PostgreSQL orders text by the database's collation; "C" orders ids as SQLite does.
    const QString order = isPostgres() ? QStringLiteral(" ORDER BY created_at, id COLLATE \"C\"")
                                       : QStringLiteral(" ORDER BY created_at, id");
    readLocked([&](QSqlQuery &query) {
        out.clear();
        query.setForwardOnly(true);
        if (!runLocked(query, QStringLiteral("SELECT id, body, created_at, updated_at FROM resources WHERE kind = ?") + order,
                       {kind}))
            return false;
        while (query.next()) {
            out.append({query.value(0).toString(), query.value(1).toString().toUtf8(), query.value(2).toLongLong(),
                        query.value(3).toLongLong()});
        }
        return true;
    });
    return out;
}

qint64 ConfigStore::commitChange(const QString &kind, const QList<Resource> &puts, const QStringList &removes)
{
    QMutexLocker lock(&m_mutex);
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool retry = false;
        if (!usableLocked())
            break;
        const qint64 version = commitChangeLocked(kind, puts, removes, &retry);
        if (version > 0) {
            m_lastChangeFailedFull = false;
            return version;
        }
        if (!retry)
            break;
        m_lastReopenMs = 0;
    }
    m_lastChangeFailedFull = isPostgres() ? m_lastState == kPgDiskFull : m_lastState.toInt() == kSqliteFull;
    return 0;
}

qint64 ConfigStore::commitChangeLocked(const QString &kind, const QList<Resource> &puts, const QStringList &removes,
                                       bool *retry)
{
    QSqlDatabase db = dbLocked();
    QSqlQuery query(db);
    // SQLite: a write transaction from the start. PostgreSQL: the version row's lock, taken by
    // the bump below before anything else, orders concurrent changes of several engines.
    const bool begun = isPostgres() ? db.transaction() : runLocked(query, QStringLiteral("BEGIN IMMEDIATE"));
    if (!begun) {
        if (isPostgres())
            noteFailureLocked(db.lastError());
        *retry = lastFailureLostConnection();
        return 0;
    }
    auto fail = [&]() -> qint64 {
        query.finish();
        db.rollback();
        *retry = lastFailureLostConnection();   // nothing was committed: safe to do again
        return 0;
    };

    if (!runLocked(query, QStringLiteral("INSERT INTO settings(key, value) VALUES ('config_version', '1')"
                                          " ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)"
                                          " RETURNING value"))
        || !query.next())
        return fail();
    const qint64 version = query.value(0).toLongLong();
    query.finish();   // SQLite commits only once no statement is running

    if (!puts.isEmpty()
        && !prepareLocked(query, QStringLiteral("INSERT INTO resources(kind, id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                                                " ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")))
        return fail();
    for (const Resource &r : puts) {
        query.bindValue(0, kind);
        query.bindValue(1, r.id);
        query.bindValue(2, QString::fromUtf8(r.body));   // text, not a blob, on both backends
        query.bindValue(3, r.createdAt);
        query.bindValue(4, r.updatedAt);
        if (!execLocked(query))
            return fail();
    }
    if (!removes.isEmpty() && !prepareLocked(query, QStringLiteral("DELETE FROM resources WHERE kind = ? AND id = ?")))
        return fail();
    for (const QString &id : removes) {
        query.bindValue(0, kind);
        query.bindValue(1, id);
        if (!execLocked(query))
            return fail();
    }
    if (isPostgres()) {
        // Delivered at COMMIT, never for a change that rolled back.
        if (!runLocked(query, QStringLiteral("SELECT pg_notify(?, ?)"),
                       {QString::fromLatin1(kNotifyChannel), QString::number(version)}))
            return fail();
    }
    query.finish();
    // SQLite: COMMIT through a query, not QSqlDatabase::commit(), which drops SQLite's result
    // code -- the one that tells a full disk (the write-ahead log grows at COMMIT).
    const bool committed = isPostgres() ? db.commit() : runLocked(query, QStringLiteral("COMMIT"));
    if (!committed) {
        if (isPostgres())
            noteFailureLocked(db.lastError());
        // The outcome of a COMMIT on a lost connection is unknown: not retried here; the
        // caller answers 503 and the client retries.
        query.finish();
        db.rollback();
        return 0;
    }
    return version;
}

qint64 ConfigStore::configVersion() const
{
    QMutexLocker lock(&m_mutex);
    qint64 version = 0;
    readLocked([&](QSqlQuery &query) {
        if (!runLocked(query, QStringLiteral("SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'config_version'")))
            return false;
        version = query.next() ? query.value(0).toLongLong() : 0;
        return true;
    });
    return version;
}

bool ConfigStore::wasSeeded(const QString &key) const
{
    QMutexLocker lock(&m_mutex);
    bool seeded = false;
    readLocked([&](QSqlQuery &query) {
        if (!runLocked(query, QStringLiteral("SELECT 1 FROM seeded WHERE key = ?"), {key}))
            return false;
        seeded = query.next();
        return true;
    });
    return seeded;
}

bool ConfigStore::markSeeded(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    return readLocked([&](QSqlQuery &query) {   // idempotent
        return runLocked(query, QStringLiteral("INSERT INTO seeded(key) VALUES (?) ON CONFLICT DO NOTHING"), {key});
    });
}

std::optional<QStringList> ConfigStore::kinds() const
{
    QMutexLocker lock(&m_mutex);
    QStringList out;
    const bool ok = readLocked([&](QSqlQuery &query) {
        out.clear();
        if (!runLocked(query, QStringLiteral("SELECT DISTINCT kind FROM resources ORDER BY kind")))
            return false;
        while (query.next())
            out.append(query.value(0).toString());
        return true;
    });
    return ok ? std::optional<QStringList>(out) : std::nullopt;
}

std::optional<QList<std::pair<QString, QString>>> ConfigStore::settings() const
{
    QMutexLocker lock(&m_mutex);
    QList<std::pair<QString, QString>> out;
    const bool ok = readLocked([&](QSqlQuery &query) {
        out.clear();
        if (!runLocked(query, QStringLiteral("SELECT key, value FROM settings ORDER BY key")))
            return false;
        while (query.next())
            out.append({query.value(0).toString(), query.value(1).toString()});
        return true;
    });
    return ok ? std::optional<QList<std::pair<QString, QString>>>(out) : std::nullopt;
}

std::optional<QStringList> ConfigStore::seededKeys() const
{
    QMutexLocker lock(&m_mutex);
    QStringList out;
    const bool ok = readLocked([&](QSqlQuery &query) {
        out.clear();
        if (!runLocked(query, QStringLiteral("SELECT key FROM seeded ORDER BY key")))
            return false;
        while (query.next())
            out.append(query.value(0).toString());
        return true;
    });
    return ok ? std::optional<QStringList>(out) : std::nullopt;
}

} // namespace Gatehouse
