#include "functionfault.h"

#include "functionstats.h"

#include <QRandomGenerator>
#include <QThread>

#include <algorithm>

namespace Gatehouse {

void FunctionFault::set(double errorRate, qint64 latencyMs)
{
    m_errorRate.store(std::clamp(errorRate, 0.0, 1.0), std::memory_order_relaxed);
    m_latencyMs.store(std::max<qint64>(0, latencyMs), std::memory_order_relaxed);
    m_active.store(errorRate > 0 || latencyMs > 0, std::memory_order_release);
}

bool FunctionFault::strike(FunctionOutcome *failed) const
{
    const qint64 latency = latencyMs();
    if (latency > 0)
        QThread::msleep(ulong(latency));
    const double rate = errorRate();
    if (rate <= 0 || QRandomGenerator::global()->generateDouble() >= rate)
        return false;
    *failed = FunctionOutcome{};
    failed->ok = false;
    failed->error = QStringLiteral("injected fault");
    failed->durationUs = latency * 1000;
    return true;
}

FaultyInstance::FaultyInstance(std::unique_ptr<FunctionInstance> inner, std::shared_ptr<FunctionStats> stats)
    : m_inner(std::move(inner))
    , m_stats(std::move(stats))
{
}

bool FaultyInstance::load(const FunctionDefinition &definition, QString *error, int *line)
{
    return m_inner->load(definition, error, line);
}

template<typename Input, typename One>
void FaultyInstance::struck(const QList<Input> &inputs, const Each &each, One one)
{
    // The first that fails ends the calls, as a thrown error does.
    const FunctionFault &fault = m_stats->fault();
    for (qsizetype i = 0; i < inputs.size(); ++i) {
        FunctionOutcome failed;
        if (fault.strike(&failed)) {
            each(i, std::move(failed));
            return;
        }
        bool goOn = false;
        one(inputs.at(i), [&](qsizetype, FunctionOutcome &&outcome) {
            const bool ok = outcome.ok;
            goOn = each(i, std::move(outcome)) && ok;
            return goOn;
        });
        if (!goOn)
            return;
    }
}

void FaultyInstance::invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each)
{
    if (!m_stats->fault().active()) {
        m_inner->invoke(inputs, access, each);
        return;
    }
    struck(inputs, each, [&](const QJsonValue &input, const Each &one) { m_inner->invoke(QList<QJsonValue>{input}, access, one); });
}

void FaultyInstance::invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each)
{
    if (!m_stats->fault().active()) {
        m_inner->invokeEvents(chunks, batched, access, each);
        return;
    }
    struck(chunks, each, [&](const RecordedEvents &events, const Each &one) {
        m_inner->invokeEvents(QList<RecordedEvents>{events}, batched, access, one);
    });
}

FunctionOutcome FaultyInstance::decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access)
{
    FunctionOutcome failed;
    if (m_stats->fault().active() && m_stats->fault().strike(&failed))
        return failed;
    return m_inner->decide(state, command, access);
}

} // namespace Gatehouse
