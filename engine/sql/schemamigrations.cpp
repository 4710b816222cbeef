#include "schemamigrations.h"

#include "pgadvisorylocks.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <sqlite3.h>

namespace Gatehouse::SchemaMigrations {

namespace {

bool isPostgres(const QSqlDatabase &db)
{
    return db.driverName() == u"QPSQL";
}

// The second key of the component's migration lock: a stable hash of its name (FNV-1a), never
// 0, which guards the creation of gatehouse_schema itself.
qint32 lockKey(const QString &component)
{
    quint32 hash = 2166136261u;
    for (const char byte : component.toUtf8()) {
        hash ^= static_cast<unsigned char>(byte);
        hash *= 16777619u;
    }
    const auto key = static_cast<qint32>(hash);
    return key == 0 ? 1 : key;
}

QString errorText(const QSqlError &error)
{
    const QString text = error.databaseText().trimmed();
    return text.isEmpty() ? error.driverText().trimmed() : text;
}

// Qt's SQLite driver runs one statement per exec(); a step may hold several. sqlite3_complete()
// tells where one ends, so a ';' inside a string literal, a comment or a trigger's body does not
// split it.
QStringList sqliteStatements(const QByteArray &sql)
{
    QStringList statements;
    QByteArray current;
    for (const char c : sql) {
        current.append(c);
        if (c == ';' && sqlite3_complete(current.constData())) {
            statements << QString::fromUtf8(current).trimmed();
            current.clear();
        }
    }
    if (!current.trimmed().isEmpty())
        statements << QString::fromUtf8(current).trimmed();
    return statements;
}

bool run(QSqlDatabase &db, const QString &sql, QString *message)
{
    QSqlQuery query(db);
    if (!query.exec(sql)) {
        *message = errorText(query.lastError());
        return false;
    }
    // QPSQL sends several statements as one query but reports only the first one's outcome;
    // the others are further result sets.
    while (query.nextResult()) {
    }
    if (query.lastError().isValid()) {
        *message = errorText(query.lastError());
        return false;
    }
    return true;
}

bool runStep(QSqlDatabase &db, const QByteArray &step, QString *message)
{
    if (isPostgres(db))
        return run(db, QString::fromUtf8(step), message);   // PQexec runs several statements
    for (const QString &statement : sqliteStatements(step)) {
        if (!run(db, statement, message))
            return false;
    }
    return true;
}

// Begins the transaction in which a step runs: on SQLite a write transaction from the start
// (IMMEDIATE), so two connections cannot both read the same version; on PostgreSQL the
// component's advisory lock, held until COMMIT or ROLLBACK.
bool begin(QSqlDatabase &db, qint32 key, QString *message)
{
    if (!isPostgres(db))
        return run(db, QStringLiteral("BEGIN IMMEDIATE"), message);
    if (!db.transaction()) {
        *message = errorText(db.lastError());
        return false;
    }
    QSqlQuery lock(db);
    lock.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(?, ?)"));
    lock.addBindValue(PgAdvisoryLocks::kMigrationClass);
    lock.addBindValue(key);
    if (!lock.exec()) {
        *message = errorText(lock.lastError());
        db.rollback();
        return false;
    }
    return true;
}

bool commit(QSqlDatabase &db, QString *message)
{
    if (!db.commit()) {
        *message = errorText(db.lastError());
        db.rollback();
        return false;
    }
    return true;
}

// Inside begin(): the version as the transaction sees it; -1 on failure.
int readVersion(QSqlDatabase &db, const QString &component, QString *message)
{
    QSqlQuery query(db);
    if (isPostgres(db)) {
        query.prepare(QStringLiteral("SELECT version FROM gatehouse_schema WHERE component = ?"));
        query.addBindValue(component);
    } else {
        query.prepare(QStringLiteral("PRAGMA user_version"));
    }
    if (!query.exec()) {
        *message = errorText(query.lastError());
        return -1;
    }
    return query.next() ? query.value(0).toInt() : 0;
}

bool writeVersion(QSqlDatabase &db, const QString &component, int version, QString *message)
{
    QSqlQuery query(db);
    if (!isPostgres(db))
        return run(db, QStringLiteral("PRAGMA user_version = %1").arg(version), message);
    query.prepare(QStringLiteral("INSERT INTO gatehouse_schema(component, version) VALUES (?, ?) "
                                 "ON CONFLICT (component) DO UPDATE SET version = excluded.version"));
    query.addBindValue(component);
    query.addBindValue(version);
    if (!query.exec()) {
        *message = errorText(query.lastError());
        return false;
    }
    return true;
}

// gatehouse_schema itself, created under a lock of its own: two engines creating it at once
// would otherwise collide in PostgreSQL's catalog (CREATE TABLE IF NOT EXISTS is not atomic).
bool createSchemaTable(QSqlDatabase &db, QString *message)
{
    if (!begin(db, 0, message))
        return false;
    if (!run(db, QStringLiteral("CREATE TABLE IF NOT EXISTS gatehouse_schema("
                                "component text PRIMARY KEY, version integer NOT NULL)"), message)) {
        db.rollback();
        return false;
    }
    return commit(db, message);
}

} // namespace

bool apply(QSqlDatabase db, const QString &component, const QList<QByteArray> &steps, QString *error)
{
    const QString where = isPostgres(db) ? QStringLiteral("component %1").arg(component) : db.databaseName();
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    QString message;
    if (!db.isOpen())
        return fail(QStringLiteral("cannot migrate %1: the database is not open").arg(where));
    if (isPostgres(db) && !createSchemaTable(db, &message))
        return fail(QStringLiteral("cannot create gatehouse_schema: %1").arg(message));

    const qint32 key = lockKey(component);
    const int target = int(steps.size());
    // One step per transaction; the version is read again under the lock each time, so an engine
    // that waited while another migrated finds the work done and skips it.
    for (;;) {
        if (!begin(db, key, &message))
            return fail(QStringLiteral("cannot migrate %1: %2").arg(where, message));
        const int version = readVersion(db, component, &message);
        if (version < 0) {
            db.rollback();
            return fail(QStringLiteral("cannot read the schema version of %1: %2").arg(where, message));
        }
        if (version > target) {
            db.rollback();
            return fail(QStringLiteral("%1 has schema version %2, newer than this build knows (%3)")
                            .arg(where).arg(version).arg(target));
        }
        if (version == target)
            return commit(db, &message) || fail(QStringLiteral("cannot migrate %1: %2").arg(where, message));
        const int next = version + 1;
        if (!runStep(db, steps.at(next - 1), &message) || !writeVersion(db, component, next, &message)) {
            db.rollback();
            return fail(QStringLiteral("migration %1 of %2 failed: %3").arg(next).arg(where, message));
        }
        if (!commit(db, &message))
            return fail(QStringLiteral("migration %1 of %2 failed: %3").arg(next).arg(where, message));
    }
}

int currentVersion(QSqlDatabase db, const QString &component)
{
    if (!db.isOpen())
        return -1;
    QSqlQuery query(db);
    if (isPostgres(db)) {
        if (!query.exec(QStringLiteral("SELECT to_regclass('gatehouse_schema') IS NOT NULL")) || !query.next())
            return -1;
        if (!query.value(0).toBool())
            return 0;
        query.prepare(QStringLiteral("SELECT version FROM gatehouse_schema WHERE component = ?"));
        query.addBindValue(component);
    } else {
        query.prepare(QStringLiteral("PRAGMA user_version"));
    }
    if (!query.exec())
        return -1;
    return query.next() ? query.value(0).toInt() : 0;
}

} // namespace Gatehouse::SchemaMigrations
