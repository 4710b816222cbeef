#pragma once

#include "functioninstance.h"

#include <QCborMap>

#include <memory>

namespace Gatehouse {

// "isolation": "process" (the default): the function runs in a worker process, the
// gatehouse executable started as `gatehouse function-worker` (FunctionWorkerProcess), and
// this class is the engine's side of it, on the FunctionWorker's thread. It takes a started
// worker from WorkerSpares, loads the definition,
// sends calls over WorkerChannel, serves the worker's ctx.get and ctx.query from the
// engine's DocumentAccess while a call runs, and hands back outcomes whose effects it has
// checked. The engine applies them exactly as for thread isolation.
//
// A worker that crashes, runs out of memory (its RLIMIT_DATA) or does not answer within the
// call's timeout plus a grace period (then it is killed with SIGKILL) fails the call it was
// running and is not used again; the FunctionWorker starts a new one for the next call.
class ProcessInstance final : public FunctionInstance
{
public:
    explicit ProcessInstance(Runtime runtime);
    ~ProcessInstance() override;   // kills the worker process and reaps it

    bool load(const FunctionDefinition &definition, QString *error, int *line) override;
    qint64 version() const override;
    qint64 initUs() const override;
    bool usable() const override;
    bool hasHandle() const override;
    qint64 stop() override;
    void invoke(const QList<QJsonValue> &inputs, const DocumentAccess &access, const Each &each) override;
    // The events go to the worker as they are stored; it builds their CloudEvents itself.
    void invokeEvents(const QList<RecordedEvents> &chunks, bool batched, const DocumentAccess &access, const Each &each) override;
    FunctionOutcome decide(const QJsonValue &state, const QJsonValue &command, const DocumentAccess &access) override;

    // Grace after timeout_ms before the engine kills a worker that did not answer: the
    // worker's own watchdog interrupts the script at timeout_ms, this is for when it cannot.
    static int hardDeadlineMs(int timeoutMs) { return timeoutMs + 2000 + timeoutMs / 2; }
    static constexpr int kInputsPerRoundTrip = 64;

private:
    struct Private;
    bool spawn(QString *error);
    enum class Trip { Done, Stopped, TooLarge };
    Trip roundTrip(const QCborMap &request, qsizetype count, const DocumentAccess &access, const Each &each);
    // `total` inputs, up to kInputsPerRoundTrip per round trip (fewer when a frame would be too
    // large); `request(from, count)` makes the frame of inputs from..from+count.
    void invokeInFrames(qsizetype total, const std::function<QCborMap(qsizetype from, qsizetype count)> &request,
                        const DocumentAccess &access, const Each &each);
    int serve(const QCborMap &request, const DocumentAccess &access);
    FunctionOutcome lost(int status, const QString &why);
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
