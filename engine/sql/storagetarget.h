#pragma once

#include "postgresurl.h"

#include <QString>

namespace Gatehouse {

// Which backend holds a store, and where. SQLite (the embedded default) keeps each store in
// its own file; PostgreSQL keeps them all in one database that several engines share.
struct StorageTarget
{
    enum class Backend { Sqlite, Postgres };

    Backend backend = Backend::Sqlite;
    QString sqlitePath;      // Sqlite: the store's file (events.db, readmodel.db, config.db)
    PostgresUrl postgres;    // Postgres: the shared database

    static StorageTarget sqlite(const QString &path)
    {
        StorageTarget t;
        t.sqlitePath = path;
        return t;
    }
    static StorageTarget postgresql(const PostgresUrl &url)
    {
        StorageTarget t;
        t.backend = Backend::Postgres;
        t.postgres = url;
        return t;
    }
    bool isPostgres() const { return backend == Backend::Postgres; }
    // For messages: the file, or the redacted URL.
    QString describe() const { return isPostgres() ? postgres.redacted() : sqlitePath; }
};

} // namespace Gatehouse
