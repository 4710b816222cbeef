#include "pgeventschema.h"

#include <QSqlQuery>
#include <QVariant>

namespace Gatehouse::PgEventSchema {

QList<QByteArray> migrations()
{
    return {
        // 1: the log, its uniqueness rules, durable idempotency keys.
        "CREATE TABLE events("
        "  position bigint PRIMARY KEY,"
        "  stream text NOT NULL,"
        "  version bigint NOT NULL,"
        "  id text NOT NULL,"
        "  type text NOT NULL,"
        "  data text NOT NULL,"
        "  metadata text NOT NULL,"
        "  time bigint NOT NULL);"
        "CREATE UNIQUE INDEX events_stream_version ON events(stream, version);"
        "CREATE UNIQUE INDEX events_id ON events(id);"
        // The log is append-only; refuse edits even from a stray psql shell.
        "CREATE FUNCTION gatehouse_events_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        "  'BEGIN RAISE EXCEPTION ''the event log is append-only''; END';"
        "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events"
        "  FOR EACH ROW EXECUTE FUNCTION gatehouse_events_append_only();"
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
        "  FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_events_append_only();"
        "CREATE TABLE idempotency_keys("
        "  key text PRIMARY KEY,"
        "  request_hash bytea NOT NULL,"
        "  stream text NOT NULL,"
        "  first_position bigint NOT NULL,"
        "  last_position bigint NOT NULL,"
        "  version bigint NOT NULL,"
        "  event_types text NOT NULL,"
        "  created bigint NOT NULL);",
    };
}

RecordedEvent readRow(const QSqlQuery &query)
{
    RecordedEvent e;
    e.position = query.value(0).toLongLong();
    e.stream = query.value(1).toString();
    e.version = query.value(2).toLongLong();
    e.id = query.value(3).toString();
    e.type = query.value(4).toString();
    e.data = query.value(5).toString().toUtf8();
    e.metadata = query.value(6).toString().toUtf8();
    e.timeMs = query.value(7).toLongLong();
    return e;
}

QString likePattern(const QString &glob)
{
    QString out;
    out.reserve(glob.size() + 4);
    for (const QChar c : glob) {
        if (c == QLatin1Char('*'))
            out += QLatin1Char('%');
        else if (c == QLatin1Char('?'))
            out += QLatin1Char('_');
        else if (c == QLatin1Char('%') || c == QLatin1Char('_') || c == QLatin1Char('\\'))
            out += QLatin1Char('\\') + c;
        else
            out += c;
    }
    return out;
}

} // namespace Gatehouse::PgEventSchema
