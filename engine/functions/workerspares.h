#pragma once

#include <QString>

#include <sys/types.h>

namespace Gatehouse {

// Starts `function-worker` processes (posix_spawn: the worker inherits only its channel on
// FunctionWorkerProcess::kChannelFd, stderr and /dev/null as stdin) and keeps one started
// spare per executable, so that most of a process instance's cold start -- exec, dynamic
// linking, Qt's start-up, the handshake -- has already happened when a function needs a new
// worker. After each take() a dedicated thread starts the next spare; the thread lives as
// long as the process, because a worker is killed when the thread that started it ends
// (PR_SET_PDEATHSIG). A spare found dead is reaped and replaced on the spot.
//
// take() may be called from any thread.
class WorkerSpares final
{
public:
    struct Worker
    {
        pid_t pid = -1;
        int fd = -1;   // the engine's end of the channel; its hello has been read
    };

    static bool take(const QString &executable, Worker *out, QString *error);
    static bool start(const QString &executable, Worker *out, QString *error);   // a new one, now
    static bool hasSpare(const QString &executable);   // one is started and waiting

private:
    struct Private;
    static Private &instance();
};

} // namespace Gatehouse
