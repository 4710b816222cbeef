#include "documentfold.h"

#include "config/jsonmergepatch.h"
#include "store/cloudevent.h"

#include <QJsonDocument>
#include <QJsonObject>

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

bool apply(std::optional<StoredDocument> &record, const RecordedEvent &event, const QString &collection,
           const QString &id, QString *error)
{
    const Verb verb = verbOf(event);
    if (verb == Verb::Other)
        return true;

    QJsonObject data;
    if (verb != Verb::Deleted || !event.data.isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument parsed = QJsonDocument::fromJson(event.data, &parseError);
        if (parseError.error != QJsonParseError::NoError || !parsed.isObject()) {
            if (verb != Verb::Deleted) {
                *error = QStringLiteral("event %1 (%2 at position %3) has data that is not a JSON object: %4")
                             .arg(event.id, event.type).arg(event.position)
                             .arg(parseError.error != QJsonParseError::NoError ? parseError.errorString() : QStringLiteral("not an object"));
                return false;
            }
        } else {
            data = parsed.object();
        }
    }

    if (!record) {
        record = StoredDocument{};
        record->collection = collection;
        record->id = id;
        record->doc = "{}";
    }
    switch (verb) {
    case Verb::Created:
        // Keep the stored text as committed; no re-serialisation on the hot path.
        record->doc = event.data;
        record->deleted = false;
        break;
    case Verb::Updated: {
        const QJsonObject current = QJsonDocument::fromJson(record->doc).object();
        record->doc = QJsonDocument(JsonMergePatch::apply(current, data).toObject()).toJson(QJsonDocument::Compact);
        break;
    }
    case Verb::Deleted:
        record->deleted = true;
        break;
    case Verb::Other:
        break;
    }
    record->version = event.version;
    record->position = event.position;
    record->updatedAtMs = event.timeMs;
    return true;
}

} // namespace Gatehouse::DocumentFold
