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
// "products-42" with collection "products" -> "42".
QString subjectOf(const RecordedEvent &event);
QString streamName(const QString &collection, const QString &id);
}

} // namespace Gatehouse
