#pragma once

#include <QString>
#include <QStringList>

namespace Gatehouse {

struct AppendResult
{
    enum Status {
        Ok,
        WrongExpectedVersion,   // currentVersion says what the stream is at
        IdempotencyConflict,    // the key was used with another request
        DuplicateEventId,       // an event id already stands in another stream or place
        PreconditionFailed,     // the request's precondition refused the stream's state
        InvalidRequest,
        StorageError,           // the storage failed (I/O error, queue full...); nothing was appended, a retry may succeed
        StorageFull,            // the disk (or quota) is full; nothing was appended, a retry succeeds once space returns
        Stopped,                // the store is closing; nothing was appended
    };
    Status status = StorageError;
    QString stream;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    qint64 version = -1;          // stream version after the append (of its last event)
    qint64 currentVersion = -1;   // for WrongExpectedVersion: what the stream was at
    bool replayed = false;        // idempotent repeat: nothing appended, the first result returned
    QStringList eventTypes;
    QString error;

    bool ok() const { return status == Ok; }
    bool storageFailed() const { return status == StorageError || status == StorageFull; }
};

} // namespace Gatehouse
