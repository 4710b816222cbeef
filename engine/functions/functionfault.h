#pragma once

#include "functioninstance.h"

#include <atomic>
#include <memory>

namespace Gatehouse {

class FunctionStats;

// A fault injected into one function by a simulation (FunctionService::setFault): every
// invocation first waits `latencyMs`, then fails with probability `errorRate` as if the code had
// thrown "injected fault" -- so a failed event is retried and dead-lettered as usual, an HTTP
// call answers 500, a custom command's decide() fails. In memory only; both 0 switch it off.
// Thread-safe: set from any thread, read by every instance of the function.
class FunctionFault final
{
public:
    void set(double errorRate, qint64 latencyMs);
    bool active() const { return m_active.load(std::memory_order_acquire); }
    double errorRate() const { return m_errorRate.load(std::memory_order_relaxed); }
    qint64 latencyMs() const { return m_latencyMs.load(std::memory_order_relaxed); }

    // Before one invocation, on the worker's thread: waits the latency; true when this
    // invocation fails, with `failed` filled in as the code's failure would be.
    bool strike(FunctionOutcome *failed) const;

private:
    std::atomic<double> m_errorRate{0};
    std::atomic<qint64> m_latencyMs{0};
    std::atomic<bool> m_active{false};
};

// What a FunctionWorker runs: the real instance, behind the function's fault (FunctionStats
// holds it, so every lane, worker and version of the function shares it). With no fault set
// it passes every call straight on.
class FaultyInstance final : public FunctionInstance
{
public:
    FaultyInstance(std::unique_ptr<FunctionInstance> inner, std::shared_ptr<FunctionStats> stats);

    bool load(const FunctionDefinition &definition, QString *error, int *line) override;
    qint64 version() const override { return m_inner->version(); }
    qint64 initUs() const override { return m_inner->initUs(); }
    bool usable() const override { return m_inner->usable(); }
    bool hasHandle() const override { return m_inner->hasHandle(); }
    qint64 stop() override { return m_inner->stop(); }
    void invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each) override;
    void invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each) override;
    using FunctionInstance::invoke;
    FunctionOutcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access) override;

private:
    // The inputs one at a time, each behind the fault, through `one(input, each)`.
    template<typename Input, typename One>
    void struck(const QList<Input> &inputs, const Each &each, One one);

    std::unique_ptr<FunctionInstance> m_inner;
    std::shared_ptr<FunctionStats> m_stats;
};

} // namespace Gatehouse
