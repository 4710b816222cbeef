#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Gatehouse {

// What one invocation asked its ctx to do. Nothing takes effect while the code runs: the
// caller applies the writes and appends the events only when handle() returned normally, so
// a failed attempt (and its retry) leaves no trace.
struct FunctionEffects
{
    struct Write
    {
        QString collection;
        QString id;
        QJsonObject doc;
        bool remove = false;
    };
    struct Emit
    {
        QString type;
        QString subject;
        QJsonValue data;
    };
    QList<Write> writes;
    QList<Emit> emits;
    QStringList logs;
};

using DocumentReader = std::function<std::optional<QJsonObject>(const QString &collection, const QString &id)>;
// ctx.query: the documents of `collection` matching `filter` (the list API's parameters as an
// object: {"field": value, "field[gt]": n, "sort": "-field", "limit": 10}); false with a message.
using DocumentQuery = std::function<bool(const QString &collection, const QJsonObject &filter, QJsonArray *out, QString *error)>;

// What an invocation may read: ctx.get and ctx.query.
struct DocumentAccess
{
    DocumentReader get;
    DocumentQuery query;
};

// What one call of handle() or decide() came to, in either isolation mode. Plain data.
struct FunctionOutcome
{
    bool ok = false;
    bool timedOut = false;
    bool outOfMemory = false;   // the instance must then be discarded (its heap is full of garbage)
    bool crashed = false;       // the worker process died during the call (process isolation)
    QString error;
    int line = 0;
    QJsonValue result;
    FunctionEffects effects;    // writes and emits only when ok; logs always
    qint64 durationUs = 0;

    // The error with its line, as dead letters and logs show it.
    QString describe() const { return line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(error) : error; }
};

} // namespace Gatehouse
