#pragma once

#include <QList>
#include <QString>

namespace Gatehouse {

class SqliteConnection;

// Numbered schema migrations: step N (1-based) upgrades a database at user_version N-1 to N.
// Each step runs in its own transaction together with the version bump, so a crash in the
// middle leaves the previous version intact. Steps are never edited once released; a change
// is a new step appended to the list.
namespace SqliteMigrations {
bool apply(SqliteConnection &db, const QList<const char *> &steps, QString *error);
int currentVersion(SqliteConnection &db);
}

} // namespace Gatehouse
