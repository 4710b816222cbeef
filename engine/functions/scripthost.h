#pragma once

#include "functiondefinition.h"
#include "scriptcontext.h"

#include <QJsonValue>

#include <memory>

namespace Gatehouse {

// One loaded function in one QJSEngine. Created, used and destroyed on one thread (QJSEngine is
// thread-affine): the function's projection thread for event triggers, its worker thread for
// HTTP calls. Every evaluation runs under a watchdog that interrupts the engine after the
// function's timeout, so `while(true){}` ends as a timeout instead of hanging the thread.
class ScriptHost final
{
public:
    struct Outcome
    {
        bool ok = false;
        bool timedOut = false;
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

    // Evaluates the code and looks up handle(); false with the error (and its line when known).
    bool load(const FunctionDefinition &definition, QString *error, int *line);
    qint64 version() const { return m_version; }
    qint64 initUs() const { return m_initUs; }

    Outcome invoke(const QJsonValue &input, const DocumentReader &reader);

    // Deploy-time check in a throw-away engine: syntax, top-level errors, a callable handle.
    static bool check(const FunctionDefinition &definition, QString *error, int *line);

private:
    struct Private;
    std::unique_ptr<Private> d;
    qint64 m_version = -1;
    qint64 m_initUs = 0;
};

} // namespace Gatehouse
