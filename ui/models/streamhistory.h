#pragma once

#include "config/collection.h"
#include "store/recordedevent.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QList>

#include <optional>

namespace Gatehouse::Ui {

// One entity's history for the Streams page's time travel: its events in stream order and the
// state after each, folded with the engine's own rule (DocumentFold: created sets the
// document, updated applies a JSON merge patch, deleted marks it deleted), so it agrees with
// the read model and with GET /api/{collection}/{id}?at_position=N. Also the field-by-field
// difference between two states. Plain data; any thread.
class StreamHistory
{
public:
    struct State
    {
        bool exists = false;    // some created/updated event has been applied
        bool deleted = false;
        QJsonObject document;   // without _meta
        QString error;          // the event could not be applied (its data was not an object)
    };

    struct Change
    {
        enum Kind { Added, Removed, Changed, Deleted, Restored };
        QString field;          // dotted path into nested objects; empty for Deleted/Restored
        Kind kind = Changed;
        QJsonValue before;      // Undefined where the field is absent
        QJsonValue after;
    };

    // `definition`: the collection's as the engine serves it (its upcasters turn events of an
    // older schema version into the current shape, as the engine's folds do); may be null.
    void reset(const QString &collection, const QString &id, const Collection *definition = nullptr);
    void append(const RecordedEvents &events);   // in stream order, after what is here

    QString collection() const { return m_collection; }
    QString id() const { return m_id; }
    QString streamName() const;
    int size() const { return int(m_events.size()); }
    const RecordedEvent &eventAt(int step) const { return m_events.at(step); }
    const State &stateAfter(int step) const { return m_states.at(step); }
    // What event `step` changed: stateAfter(step - 1) (nothing before step 0) against stateAfter(step).
    QList<Change> changesAt(int step) const;

    static QList<Change> diff(const State &before, const State &after);
    static QString kindName(Change::Kind kind);

private:
    QString m_collection;
    QString m_id;
    std::optional<Collection> m_definition;
    RecordedEvents m_events;
    QList<State> m_states;
};

} // namespace Gatehouse::Ui
