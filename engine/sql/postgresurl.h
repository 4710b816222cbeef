#pragma once

#include <QString>

#include <optional>

namespace Gatehouse {

// Where a PostgreSQL database is: `--database postgresql://user[:password]@host[:port]/dbname`
// (also `postgres://`). Parsed strictly: an unknown scheme, an empty user, host or database
// name, a port outside 1..65535, a query parameter other than the ones listed, or a percent
// escape that is not valid UTF-8 is an error naming the part. `?sslmode=` and
// `?connect_timeout=` (seconds, 1..600; default 10) pass through to libpq; `?host=/dir` names
// a Unix-socket directory instead of a TCP host.
struct PostgresUrl
{
    // Limits of the parser: the whole text, and each name (PostgreSQL's NAMEDATALEN - 1 bytes).
    static constexpr qsizetype kMaxTextLength = 2048;
    static constexpr qsizetype kMaxNameBytes = 63;
    static constexpr int kMaxConnectTimeoutS = 600;

    QString user;
    QString password;        // empty: none (peer/trust auth, or PGPASSFILE)
    QString host;            // a host name, an IP literal, or a socket directory (starts with '/')
    int port = 5432;
    QString database;
    QString sslMode;         // empty: libpq's default
    int connectTimeoutS = 10;

    static std::optional<PostgresUrl> parse(const QString &text, QString *error);
    // postgresql://user@host:port/db -- never the password; for logs and messages.
    QString redacted() const;
    // The whole location, password included, in a form parse() reads back (e.g. to hand it
    // to another process).
    QString toString() const;
    // The same location with another database name (tests create one database per test).
    PostgresUrl withDatabase(const QString &name) const;
};

} // namespace Gatehouse
