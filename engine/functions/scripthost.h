#pragma once

#include "functiondefinition.h"
#include "scriptcontext.h"

#include <QJsonValue>

#include <memory>

namespace Gatehouse {

// One loaded function in one QJSEngine: an "instance". Created, used and destroyed on one
// thread (QJSEngine is thread-affine): a lane of the function's event runtime, or its worker
// thread for HTTP calls, intervals and custom commands. Every evaluation runs under the
// process-wide ScriptWatchdog, which interrupts the engine after the function's timeout or
// when the process grew by more than its memory ceiling, so `while(true){}` ends as a timeout
// and an endless allocation as a memory error instead of hanging or exhausting the engine.
class ScriptHost final
{
public:
    struct Outcome
    {
        bool ok = false;
        bool timedOut = false;
        bool outOfMemory = false;   // the host must then be discarded (its heap is full of garbage)
        QString error;
        int line = 0;
        QJsonValue result;
        FunctionEffects effects;
        qint64 durationUs = 0;
    };

    ScriptHost();
    ~ScriptHost();
    ScriptHost(const ScriptHost &) = delete;
    ScriptHost &operator=(const ScriptHost &) = delete;

    // Evaluates the code and looks up handle() and decide(); false with the error (and its line
    // when known) unless at least one of them is callable.
    bool load(const FunctionDefinition &definition, QString *error, int *line);
    qint64 version() const { return m_version; }
    qint64 initUs() const { return m_initUs; }
    bool hasDecide() const;

    // handle(input, ctx)
    Outcome invoke(const QJsonValue &input, const DocumentAccess &access);
    // decide(state, command, ctx): the returned value is the result.
    Outcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access);

    // Deploy-time check in a throw-away engine: syntax, top-level errors, a callable handle
    // (or only decide, for a function without triggers that serves custom commands).
    static bool check(const FunctionDefinition &definition, QString *error, int *line);

private:
    struct Private;
    Outcome call(const QJSValue &function, const QJsonValue &a, const QJsonValue *b, const DocumentAccess &access);
    std::unique_ptr<Private> d;
    qint64 m_version = -1;
    qint64 m_initUs = 0;
};

} // namespace Gatehouse
