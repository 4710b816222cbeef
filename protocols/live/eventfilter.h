#pragma once

#include <QString>

namespace Gatehouse {
struct RecordedEvent;
}

namespace Gatehouse::Live {

// Which events a live client wants: a glob on the type and one on the subject (entity id),
// each empty for "any". Globs follow SQLite GLOB, as EventStore::readAll does: `*` any run,
// `?` one character, `[a-z]` / `[^a-z]` sets, case-sensitive; so the type filter can run in SQL
// during catch-up and in memory on live batches with the same result.
struct EventFilter
{
    QString type;
    QString subject;

    bool matches(const RecordedEvent &event) const;
    bool matchesSubject(const RecordedEvent &event) const;
    static bool globMatch(QStringView pattern, QStringView text);
};

} // namespace Gatehouse::Live
