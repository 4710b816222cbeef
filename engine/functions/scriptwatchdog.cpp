#include "scriptwatchdog.h"

#include "base/steadyclock.h"

#include <QJSEngine>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

#ifdef Q_OS_LINUX
#include <dlfcn.h>
#include <malloc.h>
#endif

namespace Gatehouse {

namespace {
std::atomic<qint64> g_residentKb{0};   // sampled every tick while engines exist
} // namespace

struct ScriptWatchdog::Slot::Private
{
    std::mutex mutex;
    QJSEngine *engine = nullptr;
    bool active = false;
    qint64 deadlineMs = 0;
    qint64 startKb = 0;
    qint64 limitKb = 0;   // 0: no memory ceiling
    Reason fired = Reason::None;
};

struct ScriptWatchdog::Private
{
    std::mutex mutex;
    std::condition_variable wake;
    std::vector<Slot *> registered;
    std::thread thread;
};

ScriptWatchdog &ScriptWatchdog::instance()
{
    // Never destroyed: hosts may be destroyed during static destruction, after main().
    static ScriptWatchdog *watchdog = [] {
        auto *w = new ScriptWatchdog;
        w->d = new Private;
        w->d->thread = std::thread([w] { w->run(); });
        w->d->thread.detach();
        return w;
    }();
    return *watchdog;
}

qint64 ScriptWatchdog::residentKb()
{
#ifdef Q_OS_LINUX
    FILE *f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long long size = 0;
    long long resident = 0;
    const int n = std::fscanf(f, "%lld %lld", &size, &resident);
    std::fclose(f);
    static const long pageKb = sysconf(_SC_PAGESIZE) / 1024;
    return n == 2 ? resident * pageKb : 0;
#else
    return 0;
#endif
}

void ScriptWatchdog::releaseFreeMemory()
{
#ifdef Q_OS_LINUX
    // Looked up at run time: the engine library does not know which allocator the executable
    // was linked with (GATEHOUSE_ALLOCATOR).
    using Release = void (*)();
    static const auto tcmallocRelease = reinterpret_cast<Release>(dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory"));
    if (tcmallocRelease)
        tcmallocRelease();
    else
        malloc_trim(0);
#endif
}

void ScriptWatchdog::add(Slot *slot)
{
    if (g_residentKb.load(std::memory_order_relaxed) == 0)
        g_residentKb.store(residentKb(), std::memory_order_relaxed);
    std::lock_guard lock(d->mutex);
    d->registered.push_back(slot);
    d->wake.notify_all();
}

void ScriptWatchdog::remove(Slot *slot)
{
    std::lock_guard lock(d->mutex);
    std::erase(d->registered, slot);
}

void ScriptWatchdog::run()
{
    std::unique_lock lock(d->mutex);
    for (;;) {
        if (d->registered.empty())
            d->wake.wait(lock, [this] { return !d->registered.empty(); });
        d->wake.wait_for(lock, std::chrono::milliseconds(kTickMs));
        // Slots are removed under d->mutex, so each one stays valid while it is checked here.
        const qint64 now = steadyNowMs();
        const qint64 resident = residentKb();
        g_residentKb.store(resident, std::memory_order_relaxed);
        for (Slot *slot : d->registered) {
            Slot::Private &s = *slot->d;
            std::lock_guard slotLock(s.mutex);
            if (!s.active || s.fired != Reason::None)
                continue;
            Reason reason = Reason::None;
            if (now >= s.deadlineMs) {
                reason = Reason::Timeout;
            } else if (s.limitKb > 0 && resident > 0 && s.startKb > 0 && resident - s.startKb > s.limitKb) {
                reason = Reason::Memory;
            }
            if (reason != Reason::None) {
                s.fired = reason;
                s.engine->setInterrupted(true);
            }
        }
    }
}

ScriptWatchdog::Slot::Slot(QJSEngine *engine)
    : d(std::make_unique<Private>())
{
    d->engine = engine;
    ScriptWatchdog::instance().add(this);
}

ScriptWatchdog::Slot::~Slot()
{
    ScriptWatchdog::instance().remove(this);
}

void ScriptWatchdog::Slot::begin(int timeoutMs, qint64 memoryLimitKb)
{
    // The last sample, not a fresh read: /proc costs microseconds, an invocation may cost less.
    const qint64 startKb = g_residentKb.load(std::memory_order_relaxed);
    std::lock_guard lock(d->mutex);
    d->active = true;
    d->fired = Reason::None;
    d->deadlineMs = steadyNowMs() + timeoutMs;
    d->startKb = startKb;
    d->limitKb = memoryLimitKb;
}

ScriptWatchdog::Reason ScriptWatchdog::Slot::end()
{
    Reason fired;
    {
        std::lock_guard lock(d->mutex);
        d->active = false;
        fired = d->fired;
        d->fired = Reason::None;
    }
    if (fired != Reason::None)
        d->engine->setInterrupted(false);
    return fired;
}

} // namespace Gatehouse
