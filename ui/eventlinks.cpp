#include "eventlinks.h"

#include "store/cloudevent.h"
#include "store/recordedevent.h"

#include <QAction>
#include <QCoreApplication>
#include <QMenu>

namespace Gatehouse::Ui {

EventRef EventRef::of(const RecordedEvent &event)
{
    return {event.id, event.position, event.type, CloudEvent::subjectOf(event), event.stream};
}

QString EventRef::collection() const
{
    if (subject.isEmpty())
        return {};
    if (stream.size() > subject.size() + 1 && stream.endsWith(subject) && stream.at(stream.size() - subject.size() - 1) == u'-')
        return stream.left(stream.size() - subject.size() - 1);
    return type.contains(u'.') ? CloudEvent::collectionOf(type) : QString();
}

QList<std::pair<QString, Location>> eventLinks(const EventRef &event)
{
    auto tr = [](const char *text) { return QCoreApplication::translate("Gatehouse::Ui::EventLinks", text); };
    QList<std::pair<QString, Location>> links;
    if (!event.id.isEmpty())
        links.append({tr("Show in Events"), Location::ofEvent(event.id, event.position)});
    const QString collection = event.collection();
    if (!collection.isEmpty()) {
        links.append({tr("Open stream at this event"), Location::ofStream(collection, event.subject, event.position)});
        links.append({tr("Open document"), Location::ofDocument(collection, event.subject)});
    }
    if (!event.id.isEmpty())
        links.append({tr("Show its dead letters"), Location::ofDeadLettersOfEvent(event.id, event.position)});
    return links;
}

void addEventLinks(QMenu *menu, const EventRef &event, Location::Kind here, const std::function<void(const Location &)> &open)
{
    for (const auto &[text, location] : eventLinks(event)) {
        if (location.kind == here)
            continue;
        QAction *action = menu->addAction(text);
        action->setData(int(location.kind));
        QObject::connect(action, &QAction::triggered, menu, [open, location = location] { open(location); });
    }
}

} // namespace Gatehouse::Ui
