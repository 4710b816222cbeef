#include "walcheckpointer.h"

#include "sql/sqliteconnection.h"

#include <QLoggingCategory>
#include <QThread>

#include <sqlite3.h>

#include <utility>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

WalCheckpointer::~WalCheckpointer()
{
    stop();
}

void WalCheckpointer::start(const QString &databasePath)
{
    if (m_thread)
        return;
    m_stop = false;
    m_thread = QThread::create([this, databasePath] { run(databasePath); });
    m_thread->setObjectName(QStringLiteral("gatehouse-store-checkpoint"));
    m_thread->start();
}

void WalCheckpointer::request()
{
    std::lock_guard lock(m_mutex);
    m_due = true;
    m_wake.notify_one();
}

void WalCheckpointer::requestRestart()
{
    std::lock_guard lock(m_mutex);
    m_due = true;
    m_restart = true;
    m_wake.notify_one();
}

void WalCheckpointer::stop()
{
    if (!m_thread)
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_wake.notify_one();
    }
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void WalCheckpointer::run(const QString &databasePath)
{
    SqliteConnection db;
    if (!db.open(databasePath))
        return;
    // A connection learns that the file is in WAL mode when it first reads it: until then a
    // checkpoint finds no WAL and does nothing (answering "not in WAL mode" as success), and
    // the WAL would grow for as long as the engine runs.
    if (!db.exec("SELECT count(*) FROM sqlite_schema"))
        qCWarning(lcStore).noquote() << "WAL checkpoints of" << databasePath << "cannot run:" << db.errorString();
    sqlite3_busy_timeout(db.handle(), 0);   // PASSIVE never waits; RESTART sets its own
    bool warned = false;
    bool restart = false;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_due || m_stop; });
            if (m_stop)
                return;
            m_due = false;
            restart = std::exchange(m_restart, false);
        }
        int logFrames = 0;
        int checkpointed = 0;
        const std::lock_guard running(m_running);
        if (restart) {
            sqlite3_busy_timeout(db.handle(), kRestartWaitMs);
            sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_RESTART, &logFrames, &checkpointed);
            sqlite3_busy_timeout(db.handle(), 0);
        } else {
            sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &checkpointed);
        }
        if (logFrames < 0 && !warned) {
            qCWarning(lcStore).noquote() << "WAL checkpoints of" << databasePath << "find no WAL: the WAL grows until the engine stops";
            warned = true;
        }
    }
}

} // namespace Gatehouse
