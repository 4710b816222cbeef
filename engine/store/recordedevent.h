#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Gatehouse {

// One event as stored in the log. `data` and `metadata` are compact JSON text, kept as
// bytes so the hot paths (append, catch-up, projection) never re-serialise them.
struct RecordedEvent
{
    qint64 position = 0;     // global, 1-based, strictly increasing in commit order
    QString stream;          // "<collection>-<id>"
    qint64 version = 0;      // 0-based within the stream
    QString id;              // UUID, unique across the log
    QString type;            // "<collection>.<verb-past>"
    QByteArray data;         // JSON
    QByteArray metadata;     // JSON: correlationid, causationid, commandid, user
    qint64 timeMs = 0;       // commit time, ms since the Unix epoch (UTC)
};

using RecordedEvents = QList<RecordedEvent>;

} // namespace Gatehouse

Q_DECLARE_METATYPE(Gatehouse::RecordedEvent)
