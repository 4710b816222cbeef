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
    void stop();   // joins the thread

private:
    void run(const QString &databasePath);

    QThread *m_thread = nullptr;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_due = false;
    bool m_stop = false;
};

} // namespace Gatehouse
