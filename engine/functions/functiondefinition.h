#pragma once

#include "store/recordedevent.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// One match rule of an event trigger's filter: an exact value, {"prefix": …} or {"suffix": …}.
struct FunctionMatch
{
    enum Kind { Any, Exact, Prefix, Suffix };
    Kind kind = Any;
    QString value;
    bool matches(const QString &text) const;
    static bool parse(const QJsonValue &json, FunctionMatch *out);
};

// {"type":"event","filter":{"type":…,"subject":…,"source":…},"from":"now"|<position>}
struct FunctionEventTrigger
{
    FunctionMatch type;
    FunctionMatch subject;
    FunctionMatch source;
    qint64 fromPosition = -1;   // -1: "now" (the head when the function is first deployed)
    bool matches(const RecordedEvent &event) const;
};

// A deployed JavaScript function as stored in config.db (kind "functions"), with the defaults
// of the admin API filled in. Plain data; parse() validates everything but the code itself:
// every member's type and range, and no member it does not know.
struct FunctionDefinition
{
    // Where the code runs: a worker process of its own (the default; a crash, a runaway
    // allocation or an endless loop ends only that process), or a thread of the engine (for
    // trusted code: faster, but a crash of the script engine is a crash of the engine).
    enum class Isolation { Process, Thread };

    QString name;
    QString runtime = QStringLiteral("js");
    QString code;
    Isolation isolation = Isolation::Process;
    QJsonArray triggers;
    QList<FunctionEventTrigger> eventTriggers;
    bool httpTrigger = false;            // a {"type":"http"} trigger (routes may call it either way)
    QList<int> intervalsS;               // {"type":"interval","every_s":N} triggers
    int timeoutMs = 3000;
    int maxAttempts = 3;
    QString backoff = QStringLiteral("exponential");   // or "fixed"
    int delayMs = 100;
    int maxDelayMs = 10000;
    int maxEventAgeS = 3600;
    int concurrency = 4;
    int batchSize = 1;                   // events per handle() call; above 1 the input is an array
    int memoryLimitMb = 128;             // growth during one call (ScriptWatchdog); a worker process's data limit
    int instanceIdleS = 300;             // an instance idle this long is reclaimed
    QJsonObject env;
    qint64 version = 0;                  // bumped on every deploy
    qint64 deployedAtMs = 0;
    qint64 rolledBackFrom = 0;           // the version this one restored, 0 if none

    static bool parse(const QString &name, const QJsonObject &json, FunctionDefinition *out, QStringList *errors);
    QJsonObject toJson() const;
    int retryDelayMs(int attempt) const;   // before attempt `attempt` (2, 3, …)
    bool hasEventTriggers() const { return !eventTriggers.isEmpty(); }
    bool wants(const RecordedEvent &event) const;
    static bool isValidName(const QString &name);
    static QString isolationName(Isolation isolation);
};

} // namespace Gatehouse
