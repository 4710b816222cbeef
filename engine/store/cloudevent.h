#pragma once

#include "recordedevent.h"

#include <QJsonObject>

namespace Gatehouse {

// How a stored event travels: CloudEvents 1.0, JSON format, with our extension attributes
// position, stream, streamversion, correlationid and causationid (DESIGN.md, "External contract").
namespace CloudEvent {
QJsonObject toJson(const RecordedEvent &event);
QByteArray toJsonBytes(const RecordedEvent &event);
// A JSON array of events, for application/cloudevents-batch+json.
QByteArray batchToJsonBytes(const RecordedEvents &events);
// "products.created" -> "products"; the verb is everything after the last dot.
QString collectionOf(const QString &type);
QString verbOf(const QString &type);
// The schema version an event was written under: the number ending the "dataschema" of its
// metadata ("/schemas/products/3" -> 3); 0 when it records none (written before versions, or
// not by a collection's command).
int schemaVersionOf(const QByteArray &metadata);
// "products-42" with collection "products" -> "42".
QString subjectOf(const RecordedEvent &event);
// The same, as a view into event.stream (valid while the event is).
QStringView subjectViewOf(const RecordedEvent &event);
QString streamName(const QString &collection, const QString &id);
// Appends a time (ms since the epoch) as CloudEvents and _meta carry it: ISO 8601 UTC with
// milliseconds, "2026-11-27T09:19:17.475Z" (what QDateTime gives, without building one: nothing
// outside the years 1 to 9999).
void appendTime(QByteArray &out, qint64 ms);
}

} // namespace Gatehouse
