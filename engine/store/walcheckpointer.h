#pragma once

#include <QString>

#include <condition_variable>
#include <mutex>

class QThread;

namespace Gatehouse {

// Copies the event store's write-ahead log back into the database on a thread and connection
// of its own (PASSIVE: it never blocks the writer or a reader), so no COMMIT has to. The
// writer asks for it from SQLite's WAL hook (request(), any thread); a checkpoint that fails
// (a full disk) is simply tried again at the next request.
class WalCheckpointer final
{
public:
    WalCheckpointer() = default;
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    void start(const QString &databasePath);
    void request();
    // The WAL is too long: the next checkpoint is a RESTART. It takes the write lock and waits
    // (kRestartWaitMs at most) for readers of older snapshots, copies all of the WAL back, and
    // the writer's next commit starts the WAL from its beginning. The writer's commits wait for
    // it meanwhile; it runs once per WAL of kWalCapPages.
    void requestRestart();
    static constexpr int kRestartWaitMs = 1000;
    void stop();   // joins the thread
    // Held while the checkpointer runs a checkpoint: another connection of this process that
    // takes it before its own checkpoint waits for that one to end (SQLite would answer BUSY
    // at once, without waiting, to a second checkpoint).
    std::unique_lock<std::mutex> holdCheckpoints() { return std::unique_lock(m_running); }

private:
    void run(const QString &databasePath);

    QThread *m_thread = nullptr;
    std::mutex m_mutex;
    std::mutex m_running;   // see holdCheckpoints()
    std::condition_variable m_wake;
    bool m_due = false;
    bool m_restart = false;
    bool m_stop = false;
};

} // namespace Gatehouse
