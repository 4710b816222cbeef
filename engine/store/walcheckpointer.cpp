#include "walcheckpointer.h"

#include "sql/sqliteconnection.h"

#include <QThread>

#include <sqlite3.h>

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
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_due || m_stop; });
            if (m_stop)
                return;
            m_due = false;
        }
        sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
}

} // namespace Gatehouse
