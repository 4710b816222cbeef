#include "documentfold.h"

#include "config/collection.h"
#include "config/jsonmergepatch.h"
#include "config/strictjson.h"
#include "store/cloudevent.h"

#include <QJsonDocument>

namespace Gatehouse::DocumentFold {

Verb verbOf(const RecordedEvent &event)
{
    const auto dot = event.type.lastIndexOf(QLatin1Char('.'));
    const QStringView verb = QStringView(event.type).mid(dot + 1);
    if (verb == QLatin1String("created"))
        return Verb::Created;
    if (verb == QLatin1String("updated"))
        return Verb::Updated;
    if (verb == QLatin1String("deleted"))
        return Verb::Deleted;
    return Verb::Other;
}

bool parseData(const RecordedEvent &event, Verb verb, QJsonObject *data, QString *error)
{
    if (verb == Verb::Other || (verb == Verb::Deleted && event.data.isEmpty()))
        return true;
    // Strictly: a document the read store keeps must be JSON that SQLite's json functions (and
    // every client) read the same way, or the projection would fail later, at an index build,
    // without pointing at the event. Events written by this version always pass.
    StrictJson::Error parseError;
    std::optional<QJsonValue> parsed = StrictJson::parse(event.data, &parseError);
    if (!parsed || !parsed->isObject()) {
        if (verb == Verb::Deleted)
            return true;   // a delete's data is not used
        *error = QStringLiteral("event %1 (%2 at position %3) has data that is not a JSON object (strict RFC 8259): %4")
                     .arg(event.id, event.type).arg(event.position)
                     .arg(parsed ? QStringLiteral("not an object") : parseError.toString());
        return false;
    }
    *data = parsed->toObject();
    return true;
}

bool apply(std::optional<StoredDocument> &record, const RecordedEvent &event, const QString &collection,
           const QString &id, QString *error, const Collection *definition)
{
    const Verb verb = verbOf(event);
    if (verb == Verb::Other)
        return true;
    QJsonObject data;
    if (!parseData(event, verb, &data, error))
        return false;
    const bool upcasted = definition && upcast(*definition, event, verb, data);
    Record r = record ? Record(std::move(*record)) : Record(collection, id);
    r.apply(verb, event, data, upcasted);
    record = r.take();
    return true;
}

bool upcast(const Collection &definition, const RecordedEvent &event, Verb verb, QJsonObject &data)
{
    if (definition.upcasters.isEmpty())
        return false;
    const int schemaVersion = CloudEvent::schemaVersionOf(event.metadata);
    if (!definition.upcastsFrom(schemaVersion))
        return false;
    definition.upcast(schemaVersion, verb == Verb::Created, data);
    return true;
}

Record::Record(const QString &collection, const QString &id)
{
    m_stored.collection = collection;
    m_stored.id = id;
    m_stored.doc = "{}";
}

Record::Record(StoredDocument stored)
    : m_stored(std::move(stored))
{
}

void Record::apply(Verb verb, const RecordedEvent &event, const QJsonObject &data, bool upcast)
{
    switch (verb) {
    case Verb::Created:
        // Keep the stored text as committed; the parsed data serves a later update.
        m_stored.doc = upcast ? QByteArray() : event.data;
        m_object = data;
        m_parsed = true;
        m_parsedBytes = event.data.size();
        m_changed = upcast;
        m_stored.deleted = false;
        m_stored.byFunction = false;   // nothing of a function's write is left
        break;
    case Verb::Updated:
        if (!m_parsed) {
            m_object = QJsonDocument::fromJson(m_stored.doc).object();
            m_parsed = true;
            m_parsedBytes = m_stored.doc.size();
        }
        JsonMergePatch::applyTo(m_object, data);
        m_parsedBytes += event.data.size();
        if (!m_changed) {
            m_changed = true;
            m_stored.doc.clear();   // stale until stored()
        }
        break;
    case Verb::Deleted:
        m_stored.deleted = true;
        break;
    case Verb::Other:
        return;
    }
    m_stored.version = event.version;
    m_stored.position = event.position;
    m_stored.updatedAtMs = event.timeMs;
}

const StoredDocument &Record::stored()
{
    if (m_changed) {
        m_stored.doc = QJsonDocument(m_object).toJson(QJsonDocument::Compact);
        m_changed = false;
    }
    return m_stored;
}

StoredDocument Record::take()
{
    stored();
    m_object = {};
    m_parsed = false;
    m_parsedBytes = 0;
    return std::move(m_stored);
}

qsizetype Record::approximateBytes() const
{
    // A parsed object costs a few times its text; this only has to bound memory roughly.
    return qsizetype(sizeof(Record)) + 2 * (m_stored.id.size() + m_stored.collection.size()) + m_stored.doc.size()
        + (m_parsed ? 4 * m_parsedBytes + 64 : 0);
}

} // namespace Gatehouse::DocumentFold
