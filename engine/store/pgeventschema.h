#pragma once

#include "recordedevent.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

class QSqlQuery;

namespace Gatehouse {

// The event log's tables on PostgreSQL (component "events" of SchemaMigrations): the same
// columns, uniqueness rules and append-only guard as events.db; data and metadata are text, so
// the JSON an append gave is read back byte for byte.
namespace PgEventSchema {
QList<QByteArray> migrations();
inline constexpr char kChannel[] = "gatehouse_events";   // NOTIFY payload: the last position committed
// An event from a row of "SELECT position, stream, version, id, type, data, metadata, time".
RecordedEvent readRow(const QSqlQuery &query);
// An event type glob as a PostgreSQL regular expression (for `~`) that matches exactly what
// SQLite's GLOB matches on the UTF-8 the engine binds (the embedded log's `type GLOB ?`, and
// SqliteGlob::match, which the live filters and searches use): `*`, `?` and sets (`[...]`, `[^...]`, a `]` first
// is a member, `a-z` a range unless `-` is last). Every other character stands for itself.
// Nothing when no text can match (an unterminated set, a set with no member).
std::optional<QString> globRegex(const QString &glob);
}

} // namespace Gatehouse
