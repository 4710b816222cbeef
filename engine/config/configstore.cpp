#include "configstore.h"

#include "sql/sqlitemigrations.h"

namespace Gatehouse {

namespace {
QList<const char *> migrations()
{
    return {
        // 1: key/value settings (admin key, ...).
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
        // 2: admin resources and seeding marks.
        "CREATE TABLE resources(kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
        " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY(kind, id)) WITHOUT ROWID;"
        "CREATE TABLE seeded(key TEXT PRIMARY KEY) WITHOUT ROWID;",
    };
}
} // namespace

bool ConfigStore::open(const QString &path, QString *error)
{
    QMutexLocker lock(&m_mutex);
    if (!m_db.open(path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, m_db.errorString());
        return false;
    }
    m_db.queryInt("PRAGMA journal_mode = WAL");
    m_db.exec("PRAGMA synchronous = FULL");
    return SqliteMigrations::apply(m_db, migrations(), error);
}

void ConfigStore::close()
{
    QMutexLocker lock(&m_mutex);
    m_db.close();
}

QString ConfigStore::setting(const QString &key, const QString &fallback) const
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "SELECT value FROM settings WHERE key = ?1");
    st.bind(1, key);
    return st.step() ? st.columnString(0) : fallback;
}

bool ConfigStore::setSetting(const QString &key, const QString &value)
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "INSERT INTO settings(key, value) VALUES (?1, ?2)"
                             " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, key);
    st.bind(2, value);
    return st.exec();
}

} // namespace Gatehouse

namespace Gatehouse {

QList<ConfigStore::Resource> ConfigStore::resources(const QString &kind) const
{
    QMutexLocker lock(&m_mutex);
    QList<Resource> out;
    SqliteStatement st(m_db, "SELECT id, body, created_at, updated_at FROM resources WHERE kind = ?1 ORDER BY created_at, id");
    st.bind(1, kind);
    while (st.step())
        out.append({st.columnString(0), st.columnText(1), st.columnInt(2), st.columnInt(3)});
    return out;
}

qint64 ConfigStore::commitChange(const QString &kind, const QList<Resource> &puts, const QStringList &removes)
{
    QMutexLocker lock(&m_mutex);
    if (!m_db.exec("BEGIN IMMEDIATE")) {
        m_lastChangeFailedFull = SqliteConnection::isDiskFull(m_db.lastErrorCode());
        return 0;
    }
    bool ok = true;
    {
        SqliteStatement put(m_db, "INSERT INTO resources(kind, id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                                  " ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at");
        for (const Resource &r : puts) {
            put.bind(1, kind);
            put.bind(2, r.id);
            put.bind(3, r.body);
            put.bind(4, r.createdAt);
            put.bind(5, r.updatedAt);
            ok = ok && put.exec();
        }
        SqliteStatement del(m_db, "DELETE FROM resources WHERE kind = ?1 AND id = ?2");
        for (const QString &id : removes) {
            del.bind(1, kind);
            del.bind(2, id);
            ok = ok && del.exec();
        }
    }
    const qint64 version = m_db.queryInt("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'config_version'", 0) + 1;
    SqliteStatement bump(m_db, "INSERT INTO settings(key, value) VALUES ('config_version', ?1)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    bump.bind(1, QString::number(version));
    ok = ok && bump.exec();
    if (!ok || !m_db.exec("COMMIT")) {
        m_lastChangeFailedFull = SqliteConnection::isDiskFull(m_db.lastErrorCode());
        if (m_db.inTransaction())
            m_db.exec("ROLLBACK");
        return 0;
    }
    m_lastChangeFailedFull = false;
    return version;
}

qint64 ConfigStore::configVersion() const
{
    QMutexLocker lock(&m_mutex);
    return m_db.queryInt("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'config_version'", 0);
}

bool ConfigStore::wasSeeded(const QString &key) const
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "SELECT 1 FROM seeded WHERE key = ?1");
    st.bind(1, key);
    return st.step();
}

bool ConfigStore::markSeeded(const QString &key)
{
    QMutexLocker lock(&m_mutex);
    SqliteStatement st(m_db, "INSERT OR IGNORE INTO seeded(key) VALUES (?1)");
    st.bind(1, key);
    return st.exec();
}

} // namespace Gatehouse
