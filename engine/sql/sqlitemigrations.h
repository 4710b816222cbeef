#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace Gatehouse {

class SqliteConnection;

// Numbered schema migrations: step N (1-based) upgrades a database at user_version N-1 to N.
// Each step runs in its own transaction together with the version bump, so a crash in the
// middle leaves the previous version intact. Steps are never edited once released; a change
// is a new step appended to the list. A cold path: runs through Qt SQL (QSqlQuery on the
// connection's database()), one statement at a time.
namespace SqliteMigrations {
bool apply(SqliteConnection &db, const QList<const char *> &steps, QString *error);
int currentVersion(SqliteConnection &db);
// The statements of a script, each without its ';' (QSqlQuery runs one at a time). Split
// where SQLite's own lexer (sqlite3_complete) says a statement ends, so a ';' inside a
// string, a comment or a trigger's BEGIN ... END does not cut it; empty statements and
// comments alone are left out.
QList<QByteArray> statements(QByteArrayView script);
}

} // namespace Gatehouse
