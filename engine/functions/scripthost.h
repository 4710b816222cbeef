#pragma once

#include "functiondefinition.h"
#include "functionoutcome.h"
#include "store/recordedevent.h"

#include <QJSValue>
#include <QJsonValue>

#include <functional>
#include <memory>

namespace Gatehouse {

// One loaded function in one QJSEngine: an "instance". Created, used and destroyed on one
// thread (QJSEngine is thread-affine): a lane of the function's event runtime, or its worker
// thread for HTTP calls, intervals and custom commands. Every evaluation runs under the
// process-wide ScriptWatchdog, which interrupts the engine after the function's timeout or
// when the process grew by more than its memory ceiling, so `while(true){}` ends as a timeout
// and an endless allocation as a memory error instead of hanging or exhausting the engine.
// Values leaving the script go through ScriptJson (FunctionLimits), never through
// QJSEngine::fromScriptValue.
//
// With process isolation (the default) a ScriptHost lives in a worker process (see
// FunctionWorkerProcess); with thread isolation in the engine itself (ThreadInstance).
class ScriptHost final
{
public:
    using Outcome = FunctionOutcome;

    ScriptHost();
    ~ScriptHost();
    ScriptHost(const ScriptHost &) = delete;
    ScriptHost &operator=(const ScriptHost &) = delete;

    // Evaluates the code and looks up handle() and decide(); false with the error (and its line
    // when known) unless at least one of them is callable. `beforeCode` runs once the engine
    // and the prelude exist, right before the function's own code (the worker process sets
    // its memory limit there, measured from that baseline).
    bool load(const FunctionDefinition &definition, QString *error, int *line, const std::function<void()> &beforeCode = {});
    bool hasHandle() const;
    qint64 version() const { return m_version; }
    qint64 initUs() const { return m_initUs; }
    bool hasDecide() const;

    // handle(input, ctx)
    Outcome invoke(const QJsonValue &input, const DocumentAccess &access);
    // handle(event, ctx) for events of the log: the input is the CloudEvent of the one event
    // or, `batched`, the array of the events' CloudEvents -- the same value, members in the
    // same order, as invoke() with CloudEvent::toJson gives, but built by the script engine
    // from the event's fields without the JSON object in between.
    Outcome invokeEvents(const RecordedEvents &events, bool batched, const DocumentAccess &access);
    // decide(state, command, ctx): the returned value is the result.
    Outcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access);


private:
    struct Private;
    // Calls the prelude's invoke (or invoke2) with what `arguments()` makes: the function, then
    // its input (or state and command); they are made inside the watchdog's bracket. An input
    // that could not be made (`*error` set) fails the call without calling the function.
    Outcome call(const std::function<QJSValueList(QString *error)> &arguments, const DocumentAccess &access);
    QJSValue eventValue(const RecordedEvent &event);
    std::unique_ptr<Private> d;
    qint64 m_version = -1;
    qint64 m_initUs = 0;
};

} // namespace Gatehouse
