#include "streamhistory.h"

#include "readmodel/documentfold.h"
#include "store/cloudevent.h"

#include <QCoreApplication>
#include <QJsonDocument>

#include <optional>

namespace Gatehouse::Ui {

namespace {
using Change = StreamHistory::Change;
const QJsonValue kAbsent(QJsonValue::Undefined);

void diffObjects(const QString &prefix, const QJsonObject &before, const QJsonObject &after, QList<Change> *out)
{
    for (auto it = before.begin(); it != before.end(); ++it) {
        const QString field = prefix + it.key();
        if (!after.contains(it.key())) {
            out->append({field, Change::Removed, it.value(), kAbsent});
            continue;
        }
        const QJsonValue now = after.value(it.key());
        if (it.value().isObject() && now.isObject())
            diffObjects(field + QLatin1Char('.'), it.value().toObject(), now.toObject(), out);
        else if (it.value() != now)
            out->append({field, Change::Changed, it.value(), now});
    }
    for (auto it = after.begin(); it != after.end(); ++it) {
        if (!before.contains(it.key()))
            out->append({prefix + it.key(), Change::Added, kAbsent, it.value()});
    }
}
} // namespace

void StreamHistory::reset(const QString &collection, const QString &id, const Collection *definition)
{
    m_collection = collection;
    m_id = id;
    m_definition.reset();
    if (definition)
        m_definition = *definition;
    m_events.clear();
    m_states.clear();
}

QString StreamHistory::streamName() const
{
    return CloudEvent::streamName(m_collection, m_id);
}

void StreamHistory::append(const RecordedEvents &events)
{
    // Carry the engine's record along so the fold is exactly the read model's.
    std::optional<StoredDocument> record;
    if (!m_states.isEmpty() && m_states.constLast().exists) {
        record = StoredDocument{};
        record->collection = m_collection;
        record->id = m_id;
        record->doc = QJsonDocument(m_states.constLast().document).toJson(QJsonDocument::Compact);
        record->deleted = m_states.constLast().deleted;
    }
    for (const RecordedEvent &event : events) {
        State state;
        if (!DocumentFold::apply(record, event, m_collection, m_id, &state.error, m_definition ? &*m_definition : nullptr) && !m_states.isEmpty()) {
            const QString error = state.error;
            state = m_states.constLast();
            state.error = error;
        }
        if (record) {
            state.exists = true;
            state.deleted = record->deleted;
            state.document = QJsonDocument::fromJson(record->doc).object();
        }
        m_events.append(event);
        m_states.append(state);
    }
}

QList<StreamHistory::Change> StreamHistory::changesAt(int step) const
{
    return diff(step > 0 ? m_states.at(step - 1) : State{}, m_states.at(step));
}

QList<StreamHistory::Change> StreamHistory::diff(const State &before, const State &after)
{
    QList<Change> out;
    diffObjects({}, before.document, after.document, &out);
    if (after.deleted && !before.deleted)
        out.append({{}, Change::Deleted, kAbsent, kAbsent});
    else if (!after.deleted && before.deleted)
        out.append({{}, Change::Restored, kAbsent, kAbsent});
    return out;
}

QString StreamHistory::kindName(Change::Kind kind)
{
    switch (kind) {
    case Change::Added: return QCoreApplication::translate("StreamHistory", "added");
    case Change::Removed: return QCoreApplication::translate("StreamHistory", "removed");
    case Change::Changed: return QCoreApplication::translate("StreamHistory", "changed");
    case Change::Deleted: return QCoreApplication::translate("StreamHistory", "entity deleted");
    case Change::Restored: return QCoreApplication::translate("StreamHistory", "entity restored");
    }
    return {};
}

} // namespace Gatehouse::Ui
