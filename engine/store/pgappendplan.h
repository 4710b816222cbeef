#pragma once

#include "appendrequest.h"
#include "appendresult.h"
#include "recordedevent.h"

#include <QHash>
#include <QSet>

#include <vector>

namespace Gatehouse {

// Decides a batch of appends for PgEventLog's writer, in C++, the way SqliteEventLog's writer
// decides them one after another inside its transaction: expected version, precondition,
// idempotency key (repeat or conflict), event ids (repeat at the same place, or duplicate), and
// each append sees what the ones before it in the batch appended. The writer first reads
// everything the batch can touch (wanted*()), loads it (set*()), lets decide() run for every
// request, then inserts the columns below in one statement, placed after the log's end it read;
// if the log grew meanwhile, the insert moves them and rebase() moves the answers as much.
//
// Plain data, one thread.
class PgAppendPlan final
{
public:
    // What the batch can touch: its streams, idempotency keys and given event ids.
    void collect(const AppendRequest &request);
    QList<QByteArray> wantedStreams() const { return m_wantedStreams.values(); }
    QList<QByteArray> wantedKeys() const { return m_wantedKeys.values(); }
    QList<QByteArray> wantedIds() const { return m_wantedIds.values(); }

    // The log as the writer read it.
    void setLogEnd(qint64 lastPosition) { m_readEnd = m_lastPosition = lastPosition; }
    void setStreamHead(const QString &stream, qint64 version, const QString &lastType);
    void setKey(const QString &key, const QByteArray &requestHash, qint64 firstPosition, qint64 lastPosition,
                qint64 version, const QString &eventTypes);
    void setEventId(const QString &id, const QString &stream, qint64 version, qint64 position);

    AppendResult decide(const AppendRequest &request, qint64 timeMs);

    bool hasRows() const { return !committed.isEmpty(); }
    qint64 readEnd() const { return m_readEnd; }
    qint64 lastPosition() const { return m_lastPosition; }

    // The batch was inserted `shift` positions later than planned: its rows, and every answer
    // pointing into it (appends, and repeats of an append earlier in the batch), move as much.
    void rebase(qint64 shift, std::vector<AppendResult> *results);

    // Rows to insert, column by column (arrays for unnest).
    RecordedEvents committed;
    struct KeyRows
    {
        QList<QByteArray> keys, hashes, streams, types;
        QList<qint64> first, last, versions, created;
    } keyRows;

    // PostgreSQL text holds neither NUL nor invalid UTF-8; such an append is refused alone
    // rather than failing the whole batch's statement.
    static bool storableText(QByteArrayView bytes);

private:
    struct Head
    {
        qint64 version = -1;
        QString lastType;
    };
    struct Key
    {
        QByteArray hash;
        qint64 first = 0, last = 0, version = -1;
        QString types;
    };
    struct Placed
    {
        QString stream;
        qint64 version = 0;
        qint64 position = 0;
    };
    bool replayByEventId(const AppendRequest &request, AppendResult &result) const;

    QSet<QByteArray> m_wantedStreams, m_wantedKeys, m_wantedIds;
    qint64 m_readEnd = 0;
    qint64 m_lastPosition = 0;
    QHash<QString, Head> m_heads;
    QHash<QString, Key> m_keys;
    QHash<QString, Placed> m_ids;
};

} // namespace Gatehouse
