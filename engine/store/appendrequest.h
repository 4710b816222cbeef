#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>

namespace Gatehouse {

// What a caller expects of a stream before appending (optimistic concurrency).
struct ExpectedVersion
{
    enum Kind { Any, NoStream, StreamExists, Exact };
    Kind kind = Any;
    qint64 version = -1;   // for Exact: the version of the stream's last event

    static ExpectedVersion any() { return {Any, -1}; }
    static ExpectedVersion noStream() { return {NoStream, -1}; }
    static ExpectedVersion streamExists() { return {StreamExists, -1}; }
    static ExpectedVersion exact(qint64 v) { return {Exact, v}; }
    bool accepts(qint64 currentVersion) const;   // currentVersion -1 = no stream
    QString toString() const;
};

struct NewEvent
{
    QString id;              // empty: the store generates a UUID
    QString type;
    QByteArray data;         // JSON text
    QByteArray metadata;     // JSON text, "{}" if empty
};

struct AppendRequest
{
    QString stream;
    ExpectedVersion expected;
    QList<NewEvent> events;
    // Optional durable idempotency: the same key with the same requestHash returns the first
    // result and appends nothing; with another hash the append is refused.
    QString idempotencyKey;
    QByteArray requestHash;
    // Optional domain check run by the writer against the stream's authoritative head, inside
    // the transaction (e.g. "the entity exists and is not deleted"). Returning false refuses
    // the append with PreconditionFailed and the message given.
    std::function<bool(qint64 currentVersion, const QString &lastType, QString *message)> precondition;
};

} // namespace Gatehouse
