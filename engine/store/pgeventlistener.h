#pragma once

#include "sql/postgresurl.h"

#include <functional>
#include <memory>

class QThread;

namespace Gatehouse {

class PgConnection;

// LISTENs on the channel gatehouse_events for PgEventTailer, on a thread and connection of its
// own, and calls `notified` with each notification's payload (the last position a transaction
// committed). The thread sleeps in poll() on the connection's socket and a wake-up descriptor:
// no polling loop. A lost connection is opened again with backoff (100 ms doubling to 2 s); once
// it listens again `resync` is called, since notifications sent meanwhile are lost.
//
// It reads the socket with libpq (PgConnection::nativeHandle()): Qt SQL's own notification
// support (QSqlDriver::subscribeToNotification) cannot tell a lost connection from a quiet one.
class PgEventListener final
{
public:
    PgEventListener(const PostgresUrl &url, std::function<void(qint64)> notified, std::function<void()> resync);
    ~PgEventListener();
    PgEventListener(const PgEventListener &) = delete;
    PgEventListener &operator=(const PgEventListener &) = delete;

    // Returns once LISTEN is in effect (true), or the first connection failed (false).
    bool start(QString *error);
    void stop();

private:
    bool listen(QString *error);   // listener thread
    void run();

    PostgresUrl m_url;
    std::function<void(qint64)> m_notified;
    std::function<void()> m_resync;
    std::unique_ptr<PgConnection> m_db;
    QThread *m_thread = nullptr;
    int m_wakeFd = -1;
};

} // namespace Gatehouse
