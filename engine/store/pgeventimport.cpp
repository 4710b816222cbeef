#include "pgeventimport.h"

#include "pgpipeline.h"
#include "sql/pgadvisorylocks.h"
#include "sql/pgconnection.h"

namespace Gatehouse::PgEventImport {

namespace {
// Inserts only when the log ends right before the batch; says how many rows went in.
constexpr char kInsertSql[] =
    "WITH e AS (INSERT INTO events(position, stream, version, id, type, data, metadata, time)"
    " SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],"
    " $8::bigint[]) WHERE (SELECT COALESCE(max(position), 0) FROM events) = $9::bigint RETURNING 1)"
    " SELECT count(*)::bigint, pg_notify('gatehouse_events', $10::text) FROM e";
} // namespace

bool append(PgConnection &db, const RecordedEvents &events, QString *error)
{
    if (events.isEmpty())
        return true;
    QList<qint64> positions, versions, times;
    QList<QByteArray> streams, ids, types, data, metadata;
    for (qsizetype i = 0; i < events.size(); ++i) {
        const RecordedEvent &e = events.at(i);
        if (e.position != events.first().position + i) {
            *error = QStringLiteral("events to import must have consecutive positions (%1 follows %2)")
                         .arg(e.position).arg(events.at(i - 1).position);
            return false;
        }
        positions.append(e.position);
        versions.append(e.version);
        times.append(e.timeMs);
        streams.append(e.stream.toUtf8());
        ids.append(e.id.toUtf8());
        types.append(e.type.toUtf8());
        data.append(e.data);
        metadata.append(e.metadata.isEmpty() ? QByteArrayLiteral("{}") : e.metadata);
    }
    PgPipeline begin(db.nativeHandle());
    begin.add("BEGIN");
    begin.add("SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
              {PgPipeline::int4(PgAdvisoryLocks::kAppendClass), PgPipeline::int4(PgAdvisoryLocks::kAppendKey)});
    const int insert = begin.add(kInsertSql, {PgPipeline::int8Array(positions), PgPipeline::textArray(streams),
                                              PgPipeline::int8Array(versions), PgPipeline::textArray(ids),
                                              PgPipeline::textArray(types), PgPipeline::textArray(data),
                                              PgPipeline::textArray(metadata), PgPipeline::int8Array(times),
                                              PgPipeline::int8(events.first().position - 1),
                                              PgPipeline::text(QByteArray::number(events.last().position))});
    const bool inserted = begin.run() && begin.rows(insert) == 1 && begin.int8(insert, 0, 0) == events.size();
    if (!inserted) {
        *error = begin.errorString().isEmpty()
            ? QStringLiteral("the target log does not end at position %1 (is an engine writing to it?)").arg(events.first().position - 1)
            : begin.errorString();
    }
    PgPipeline end(db.nativeHandle());
    end.add(inserted ? "COMMIT" : "ROLLBACK");
    if (!end.run() && inserted) {
        *error = end.errorString();
        return false;
    }
    return inserted;
}

} // namespace Gatehouse::PgEventImport
