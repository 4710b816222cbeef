#include "threadinstance.h"

namespace Gatehouse {

bool ThreadInstance::load(const FunctionDefinition &definition, QString *error, int *line)
{
    return m_host.load(definition, error, line);
}

void ThreadInstance::invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each)
{
    for (qsizetype i = 0; i < inputs.size() && m_usable; ++i) {
        FunctionOutcome out = m_host.invoke(inputs.at(i), access);
        m_usable = !out.outOfMemory;   // its heap is full; the next call starts a new instance
        const bool ok = out.ok;
        if (!each(i, std::move(out)) || !ok)
            return;
    }
}

void ThreadInstance::invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each)
{
    for (qsizetype i = 0; i < chunks.size() && m_usable; ++i) {
        FunctionOutcome out = m_host.invokeEvents(chunks.at(i), batched, access);
        m_usable = !out.outOfMemory;
        const bool ok = out.ok;
        if (!each(i, std::move(out)) || !ok)
            return;
    }
}

FunctionOutcome ThreadInstance::decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access)
{
    FunctionOutcome out = m_host.decide(state, command, access);
    m_usable = !out.outOfMemory;
    return out;
}

} // namespace Gatehouse
