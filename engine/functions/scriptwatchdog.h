#pragma once

#include <QtGlobal>

#include <memory>

class QJSEngine;

namespace Gatehouse {

// One process-wide thread that keeps JavaScript from stalling or exhausting the engine. Every
// ScriptHost registers its QJSEngine here; while an invocation runs, the watchdog checks every
// kTickMs whether it is past its deadline (timeout_ms) or whether the process's resident memory
// has grown by more than the function's memory_limit_mb since the invocation began, and
// interrupts the engine (QJSEngine::setInterrupted) in either case. Qt 6.4's QJSEngine has no
// heap limit of its own, hence the resident-set measurement (Linux /proc/self/statm; elsewhere
// only the timeout applies). The thread sleeps while no engine exists.
//
// begin()/end() are two uncontended mutex operations, cheap enough for every invocation.
class ScriptWatchdog final
{
public:
    static constexpr int kTickMs = 10;
    enum class Reason { None, Timeout, Memory };

    // A registration; begin()/end() bracket one evaluation on the engine's thread.
    class Slot
    {
    public:
        explicit Slot(QJSEngine *engine);
        ~Slot();
        Slot(const Slot &) = delete;
        Slot &operator=(const Slot &) = delete;
        void begin(int timeoutMs, qint64 memoryLimitKb);
        Reason end();   // why the evaluation was interrupted, if it was (the interrupt is cleared)

    private:
        friend class ScriptWatchdog;
        struct Private;
        std::unique_ptr<Private> d;
    };

    static qint64 residentKb();   // the process's resident set; 0 where unknown
    // Hands the allocator's free memory back to the system (tcmalloc when the executable links
    // it, else glibc's malloc_trim), so a dropped instance's heap does not stay resident and
    // the next invocation's growth is measured from where the process really is.
    static void releaseFreeMemory();

private:
    ScriptWatchdog() = default;
    static ScriptWatchdog &instance();
    void add(Slot *slot);
    void remove(Slot *slot);
    void run();
    struct Private;
    Private *d = nullptr;
};

} // namespace Gatehouse
