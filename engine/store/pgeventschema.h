#pragma once

#include "recordedevent.h"

#include <QByteArray>
#include <QList>

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
// An event type glob (`*`, `?`) as a LIKE pattern (escape character '\').
QString likePattern(const QString &glob);
}

} // namespace Gatehouse
