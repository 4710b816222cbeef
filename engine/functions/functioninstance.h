#pragma once

#include "functionoutcome.h"
#include "store/recordedevent.h"

#include <QJsonValue>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

namespace Gatehouse {

struct FunctionDefinition;

// One loaded version of a function, ready to run: a ScriptHost on the calling thread
// ("isolation": "thread") or a worker process that hosts it ("isolation": "process", the
// default; ProcessInstance). Made, used and destroyed on one thread, a FunctionWorker's.
class FunctionInstance
{
public:
    // Where the worker processes come from: the gatehouse executable (`function-worker`).
    struct Runtime
    {
        QString workerExecutable;
    };

    virtual ~FunctionInstance() = default;

    static std::unique_ptr<FunctionInstance> create(const FunctionDefinition &definition, const Runtime &runtime);
    // Deploy-time check in a throw-away instance of the definition's isolation: syntax,
    // top-level errors, a callable handle (or only decide for custom commands).
    static bool check(const FunctionDefinition &definition, const Runtime &runtime, QString *error, int *line);

    virtual bool load(const FunctionDefinition &definition, QString *error, int *line) = 0;
    virtual qint64 version() const = 0;
    virtual qint64 initUs() const = 0;   // the cold start: process start (if any) and load
    // False once the instance must not be used again (its memory ceiling was hit, or its
    // process died); the worker then starts a new one for the next call.
    virtual bool usable() const = 0;
    virtual bool hasHandle() const = 0;
    // Ends the instance (a worker process is killed and reaped); returns the peak resident
    // set of its process in kB, 0 for thread isolation.
    virtual qint64 stop() { return 0; }

    // Calls handle() once per input, in order. `each(index, outcome)` is told each outcome as
    // it comes; the calls stop after the first that failed, or after `each` returned false.
    // A worker process gets all inputs in one round trip.
    using Each = std::function<bool(qsizetype index, FunctionOutcome &&outcome)>;
    virtual void invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each) = 0;
    // As invoke(), once per chunk of events of the log: each call's input is the CloudEvent of
    // the chunk's one event or, `batched`, the array of its events' CloudEvents -- the value
    // CloudEvent::toJson gives, made by the script engine itself (ScriptHost::invokeEvents).
    virtual void invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each) = 0;
    FunctionOutcome invoke(const QJsonValue &input, const DocumentAccess &access);
    // decide(state, command, ctx)
    virtual FunctionOutcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access) = 0;
};

} // namespace Gatehouse
