#include "workerspares.h"

#include "functionworkerprocess.h"
#include "workerchannel.h"

#include <QFile>
#include <QHash>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace Gatehouse {

namespace {

constexpr int kStartTimeoutMs = 15000;   // from spawn to the worker's hello

void discard(const WorkerSpares::Worker &w)
{
    if (w.fd >= 0)
        ::close(w.fd);
    if (w.pid > 0) {
        ::kill(w.pid, SIGKILL);
        int status = 0;
        while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

} // namespace

struct WorkerSpares::Private
{
    std::mutex mutex;
    std::condition_variable wake;
    QHash<QString, Worker> spares;     // at most one per executable
    std::deque<QString> wanted;        // executables to start a spare for
    std::thread thread;

    void run()
    {
        std::unique_lock lock(mutex);
        for (;;) {
            wake.wait(lock, [this] { return !wanted.empty(); });
            const QString executable = wanted.front();
            wanted.pop_front();
            if (spares.contains(executable))
                continue;
            lock.unlock();
            Worker w;
            QString error;
            const bool ok = start(executable, &w, &error);
            lock.lock();
            if (ok && !spares.contains(executable))
                spares.insert(executable, w);
            else if (ok)
                discard(w);
        }
    }
};

WorkerSpares::Private &WorkerSpares::instance()
{
    // Never destroyed: its thread must outlive every worker it started.
    static Private *p = [] {
        auto *d = new Private;
        d->thread = std::thread([d] { d->run(); });
        d->thread.detach();
        return d;
    }();
    return *p;
}

bool WorkerSpares::take(const QString &executable, Worker *out, QString *error)
{
    Private &d = instance();
    Worker spare;
    {
        std::lock_guard lock(d.mutex);
        spare = d.spares.take(executable);
        d.wanted.push_back(executable);
        d.wake.notify_one();
    }
    if (spare.pid > 0) {
        int status = 0;
        if (waitpid(spare.pid, &status, WNOHANG) == 0) {
            *out = spare;
            return true;
        }
        spare.pid = -1;   // it died waiting (reaped just now)
        discard(spare);
    }
    return start(executable, out, error);
}

bool WorkerSpares::hasSpare(const QString &executable)
{
    Private &d = instance();
    std::lock_guard lock(d.mutex);
    return d.spares.contains(executable);
}

bool WorkerSpares::start(const QString &executable, Worker *out, QString *error)
{
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        *error = QStringLiteral("cannot create the worker's channel: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    int childEnd = sockets[1];
    if (childEnd == FunctionWorkerProcess::kChannelFd) {
        // dup2 onto itself would keep close-on-exec set.
        childEnd = fcntl(sockets[1], F_DUPFD_CLOEXEC, FunctionWorkerProcess::kChannelFd + 1);
        ::close(sockets[1]);
    }
    const QByteArray program = QFile::encodeName(executable);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, childEnd, FunctionWorkerProcess::kChannelFd);
    // Nothing else of the engine's (databases, sockets, files) reaches the worker.
    posix_spawn_file_actions_addclosefrom_np(&actions, FunctionWorkerProcess::kChannelFd + 1);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {const_cast<char *>(program.constData()), const_cast<char *>(FunctionWorkerProcess::kCommand), nullptr};
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program.constData(), &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(childEnd);
    if (rc != 0) {
        ::close(sockets[0]);
        *error = QStringLiteral("cannot start the function worker %1: %2").arg(executable, QString::fromLocal8Bit(std::strerror(rc)));
        return false;
    }
    WorkerChannel channel(sockets[0]);
    QCborMap hello;
    const WorkerChannel::Status s = channel.receive(&hello, QDeadlineTimer(kStartTimeoutMs));
    if (s != WorkerChannel::Status::Ok || hello.value(QStringLiteral("t")).toString() != QLatin1String("hello")
        || hello.value(QStringLiteral("v")).toInteger() != WorkerChannel::kProtocolVersion) {
        *error = QStringLiteral("the function worker %1 did not start (%2)").arg(executable, channel.errorString());
        channel.close();
        discard({pid, -1});
        return false;
    }
    out->pid = pid;
    out->fd = channel.release();
    return true;
}

} // namespace Gatehouse
