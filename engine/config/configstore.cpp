#include "configstore.h"

#include "sql/sqlitemigrations.h"

namespace Gatehouse {

namespace {
QList<const char *> migrations()
{
    return {
        // 1: key/value settings (admin key, ...).
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
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
