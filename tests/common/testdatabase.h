#pragma once

// The backend a test's stores run on. Every store, command, projection and query test runs
// twice under CTest: as itself on SQLite, and as `<name>@postgres` with
// GATEHOUSE_TEST_BACKEND=postgres, against the real PostgreSQL 15 the `postgres` fixture
// started (tests/support/postgres-fixture.sh; its URL is in the file named by
// GATEHOUSE_TEST_POSTGRES_FILE). On PostgreSQL each call of target() creates a fresh database,
// so tests stay as independent as their temporary directories make them on SQLite.

#include "sql/postgresurl.h"
#include "sql/storagetarget.h"

#include <QString>
#include <QStringList>

namespace Test {

bool usesPostgres();                    // GATEHOUSE_TEST_BACKEND=postgres
QString backendName();                  // "sqlite" or "postgres"
// The fixture's server (database "postgres"); nullopt with *error when it is not running.
std::optional<Gatehouse::PostgresUrl> postgresServer(QString *error);
// A new, empty database on the fixture's server, e.g. for two engines that share it.
std::optional<Gatehouse::PostgresUrl> newPostgresDatabase(QString *error);
// SQLite: `dir/fileName`; PostgreSQL: a new database (the same one for every fileName of the
// same dir, so one engine's stores share it, as they do in production).
Gatehouse::StorageTarget target(const QString &dir, const QString &fileName);
// For an engine started in-process on `dir`: its PostgreSQL database (the one target(dir, ...)
// gives), or nullopt on SQLite.
std::optional<Gatehouse::PostgresUrl> engineDatabase(const QString &dir);
// Extra arguments that put a `gatehouse` process on this backend: {} on SQLite,
// {"--database", url} on PostgreSQL (one new database per call).
QStringList engineArguments();

} // namespace Test
