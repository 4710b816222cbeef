#pragma once

#include "functioninstance.h"
#include "scripthost.h"

namespace Gatehouse {

// "isolation": "thread": the function's QJSEngine runs inside the engine process, on the
// calling FunctionWorker's thread. The fastest mode, for trusted code only: the watchdog
// interrupts endless loops and stops allocations by sampling the resident set every
// ScriptWatchdog::kTickMs, but one large native allocation can overshoot the memory ceiling
// before it is seen, and a crash of QJSEngine (deep native recursion in String(), Proxy
// chains, ...) takes the whole engine down.
class ThreadInstance final : public FunctionInstance
{
public:
    ThreadInstance() = default;

    bool load(const FunctionDefinition &definition, QString *error, int *line) override;
    qint64 version() const override { return m_host.version(); }
    qint64 initUs() const override { return m_host.initUs(); }
    bool usable() const override { return m_usable; }
    bool hasHandle() const override { return m_host.hasHandle(); }
    void invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each) override;
    // Each CloudEvent is built by the script engine itself (ScriptHost::invokeEvents).
    void invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each) override;
    FunctionOutcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access) override;
    const ScriptHost &host() const { return m_host; }

private:
    ScriptHost m_host;
    bool m_usable = true;
};

} // namespace Gatehouse
