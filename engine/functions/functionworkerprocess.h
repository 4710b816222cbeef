#pragma once

namespace Gatehouse {

// `gatehouse function-worker`: the worker process of one function instance with process
// isolation, started by ProcessInstance (never by hand; it is not in --help). It hosts one
// ScriptHost and serves the engine over the socket on file descriptor kChannelFd
// (WorkerChannel's protocol) until the engine closes it.
//
// Before the function's code is evaluated the process limits its own data segment
// (RLIMIT_DATA) to what it uses at that moment, with QJSEngine and the prelude loaded, plus
// the function's memory_limit_mb and kMemorySlackMb, so one large allocation fails at once
// instead of growing the process (the watchdog's resident-set sampling still interrupts
// gradual growth cleanly first). A failed allocation ends the process with kExitOutOfMemory;
// any other crash ends it by its signal, which the engine reports. Core dumps are off. In a
// build with AddressSanitizer or ThreadSanitizer the limit is not set (their shadow memory and
// quarantine count as data).
class FunctionWorkerProcess final
{
public:
    static constexpr const char *kCommand = "function-worker";
    static constexpr int kChannelFd = 3;
    static constexpr int kExitOutOfMemory = 3;
    static constexpr int kExitProtocol = 4;
    static constexpr int kMemorySlackMb = 16;

    static int run(int argc, char **argv);
};

} // namespace Gatehouse
