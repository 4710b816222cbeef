#pragma once

#include "location.h"

#include <functional>

class QMenu;

namespace Gatehouse {
struct RecordedEvent;
}

namespace Gatehouse::Ui {

// An event as a page knows it, enough to say where it leads.
struct EventRef
{
    QString id;
    qint64 position = -1;
    QString type;      // "products.created"
    QString subject;   // the entity's id
    QString stream;    // "products-42"; empty when not known

    static EventRef of(const RecordedEvent &event);
    // The collection whose entity the event is about: the stream's name without "-<subject>",
    // else the type without its verb. Empty when the event has no subject.
    QString collection() const;
};

// The places an event leads to, with the menu text for each: the event on the Events page,
// its stream stepped to it on the Streams page, its entity's document on the Read models page,
// and the dead letters functions left of it.
QList<std::pair<QString, Location>> eventLinks(const EventRef &event);

// Adds those links to `menu`, leaving out the place the menu is shown on (`here`); `open` is
// called with the one chosen.
void addEventLinks(QMenu *menu, const EventRef &event, Location::Kind here, const std::function<void(const Location &)> &open);

} // namespace Gatehouse::Ui
