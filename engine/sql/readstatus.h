#pragma once

#include <QString>

namespace Gatehouse {

// How a read that answers a request went. An empty result is only ever Ok: a statement that
// failed, ran past its time budget or found the store closed says so, and the caller answers
// with a problem instead of an empty page.
struct ReadStatus
{
    enum class Kind {
        Ok,
        BadRequest,    // the request itself is wrong (e.g. a tampered cursor): 400
        TimedOut,      // a statement ran past its time budget and was interrupted
        Failed,        // SQLite reported an error (logged by SqlErrorLog)
        Unavailable,   // the store is closed or cannot open a connection
    };

    Kind kind = Kind::Ok;
    QString detail;    // for the client: bounded, never SQL text
    int budgetMs = 0;  // TimedOut: the budget that ran out

    bool ok() const { return kind == Kind::Ok; }

    static ReadStatus badRequest(const QString &detail) { return {Kind::BadRequest, detail, 0}; }
    static ReadStatus timedOut(int budgetMs)
    {
        return {Kind::TimedOut, QStringLiteral("the query ran past its time budget of %1 ms").arg(budgetMs), budgetMs};
    }
    static ReadStatus failed(const QString &detail) { return {Kind::Failed, detail, 0}; }
    static ReadStatus unavailable(const QString &detail) { return {Kind::Unavailable, detail, 0}; }
};

} // namespace Gatehouse
