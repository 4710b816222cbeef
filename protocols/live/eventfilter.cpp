#include "eventfilter.h"

#include "base/sqliteglob.h"
#include "store/cloudevent.h"


namespace Gatehouse::Live {

bool EventFilter::globMatch(QStringView pattern, QStringView text)
{
    return SqliteGlob::match(pattern, text);
}

bool EventFilter::matchesSubject(const RecordedEvent &event) const
{
    return subject.isEmpty() || globMatch(subject, CloudEvent::subjectViewOf(event));
}

bool EventFilter::matches(const RecordedEvent &event) const
{
    return (type.isEmpty() || globMatch(type, event.type)) && matchesSubject(event);
}

} // namespace Gatehouse::Live
