#pragma once

#include "storeddocument.h"
#include "store/recordedevent.h"

#include <QJsonObject>

#include <optional>

namespace Gatehouse {

struct Collection;

// How one collection event changes a read-model record -- the upsert service's rule, shared
// by the live projection, rebuilds and time travel so all three agree:
//   <c>.created  the event data is the document
//   <c>.updated  the event data is a JSON merge patch (an update of a missing record creates it)
//   <c>.deleted  the record is kept and marked deleted
// Other verbs leave the record as it is. Returns false (with a reason) on data that is not a
// JSON object.
namespace DocumentFold {
enum class Verb { Created, Updated, Deleted, Other };
Verb verbOf(const RecordedEvent &event);
// `definition` (may be null): the collection's, whose upcasters bring events written under an
// older schema version to the current one first.
bool apply(std::optional<StoredDocument> &record, const RecordedEvent &event, const QString &collection,
           const QString &id, QString *error, const Collection *definition = nullptr);

// The same rule in two steps, for folding many events: parseData() reads an event's data once
// (any thread), Record::apply() folds it in.
bool parseData(const RecordedEvent &event, Verb verb, QJsonObject *data, QString *error);
// Brings parsed `data` of an event written under an older schema version of `definition` to
// the current version's shape (its upcasters); true when it did, so the record is then
// serialised from `data` (Record::apply's `upcast`). Cheap for a collection without upcasters.
bool upcast(const Collection &definition, const RecordedEvent &event, Verb verb, QJsonObject &data);

// A record with events folded into it. A created document keeps its committed text; once
// updated, the document stays a parsed object across further updates and is serialised
// once, by stored(). That gives the text serialising after every update would: Qt's compact
// JSON output reads back to a value that serialises to the same text.
class Record
{
public:
    Record(const QString &collection, const QString &id);   // missing: an empty document
    explicit Record(StoredDocument stored);

    // `upcast`: `data` is not the event's own (an upcaster changed it), so a created document
    // is serialised from `data` instead of keeping the event's text.
    void apply(Verb verb, const RecordedEvent &event, const QJsonObject &data, bool upcast = false);
    const QString &id() const { return m_stored.id; }
    qint64 version() const { return m_stored.version; }   // of the last event applied (-1: none)
    qint64 position() const { return m_stored.position; }
    // Based on a document a function wrote (StoredDocument::byFunction) and kept marked so
    // until a created event replaces it.
    bool byFunction() const { return m_stored.byFunction; }
    const StoredDocument &stored();   // serialises a changed document
    StoredDocument take();
    qsizetype approximateBytes() const;

private:
    StoredDocument m_stored;   // doc is current unless m_changed
    QJsonObject m_object;      // the parsed document (empty until needed, unless m_parsed)
    qsizetype m_parsedBytes = 0;   // JSON text behind m_object, for approximateBytes()
    bool m_parsed = false;
    bool m_changed = false;    // m_object is newer than m_stored.doc
};
} // namespace DocumentFold

} // namespace Gatehouse
