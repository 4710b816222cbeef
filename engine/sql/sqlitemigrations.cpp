#include "sqlitemigrations.h"

#include "sqliteconnection.h"

namespace Gatehouse::SqliteMigrations {

int currentVersion(SqliteConnection &db)
{
    return int(db.queryInt("PRAGMA user_version", 0));
}

bool apply(SqliteConnection &db, const QList<const char *> &steps, QString *error)
{
    const int from = currentVersion(db);
    if (from > steps.size()) {
        if (error)
            *error = QStringLiteral("database %1 has schema version %2, newer than this build knows (%3)")
                         .arg(db.path()).arg(from).arg(steps.size());
        return false;
    }
    for (int version = from + 1; version <= steps.size(); ++version) {
        const QByteArray bump = "PRAGMA user_version = " + QByteArray::number(version);
        if (!db.exec("BEGIN IMMEDIATE") || !db.exec(steps.at(version - 1)) || !db.exec(bump)
            || !db.exec("COMMIT")) {
            if (error)
                *error = QStringLiteral("migration %1 of %2 failed: %3").arg(version).arg(db.path(), db.errorString());
            db.exec("ROLLBACK");
            return false;
        }
    }
    return true;
}

} // namespace Gatehouse::SqliteMigrations
