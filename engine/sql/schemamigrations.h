#pragma once

#include <QByteArray>
#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace Gatehouse {

// Numbered schema migrations on either backend, through Qt SQL: step N (1-based) upgrades a
// schema at version N-1 to N, in its own transaction together with the version bump, so a crash
// in the middle leaves the previous version intact. Steps are never edited once released; a
// change is a new step appended to the list. Each store names its `component` ("events",
// "readmodel", "config"): SQLite keeps one component per file and its version in
// PRAGMA user_version; PostgreSQL keeps every component in one database, with the versions in
// the table gatehouse_schema(component, version), and serialises engines that start at the
// same time with a transaction-scoped advisory lock, so two never run the same step.
namespace SchemaMigrations {
// On SQLite a step may hold several statements (split where sqlite3_complete() says one ends);
// on PostgreSQL it runs as one simple query.
bool apply(QSqlDatabase db, const QString &component, const QList<QByteArray> &steps, QString *error);
// 0 before the first step; -1 when it cannot be read (closed, or the query failed).
int currentVersion(QSqlDatabase db, const QString &component);
}

} // namespace Gatehouse
