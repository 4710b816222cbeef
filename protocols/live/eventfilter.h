#pragma once

#include <QString>

namespace Gatehouse {
struct RecordedEvent;
}

namespace Gatehouse::Live {

// Which events a live client wants: a glob on the type and one on the subject (entity id),
// each empty for "any". Globs follow SQLite GLOB (SqliteGlob::match), as EventStore::readAll
// does on either backend (/events?type=): `*` any run, `?` one character, `[a-z]` / `[^a-z]`
// sets, case-sensitive; so a live client and a read of the log select the same events. (Live
// clients filter in memory, catch-up included.)
struct EventFilter
{
    QString type;
    QString subject;

    bool matches(const RecordedEvent &event) const;
    bool matchesSubject(const RecordedEvent &event) const;
    static bool globMatch(QStringView pattern, QStringView text);
};

} // namespace Gatehouse::Live
