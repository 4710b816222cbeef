#pragma once

#include "postgresurl.h"

#include <QObject>
#include <QStringList>

#include <atomic>

class QThread;

namespace Gatehouse {

// LISTENs on PostgreSQL channels (e.g. gatehouse_events, gatehouse_config) and reports each
// NOTIFY as notification(channel, payload) -- the wake-up of a tailer or a config reload, never a
// polling loop. It owns one PostgreSQL connection (QSqlDriver::subscribeToNotification) and a
// thread of its own with an event loop, on which that connection lives; the signals are emitted
// there, so receivers on other threads get them queued.
//
// A lost connection (server restart, pg_terminate_backend, network) is noticed as soon as the
// socket says so (keepalives cover a silent peer) and reported by connectionLost(); the listener
// then reconnects with backoff (kFirstRetryMs doubling up to kMaxRetryMs), LISTENs again and
// emits reconnected(). NOTIFYs sent in the gap are lost by PostgreSQL's design: a receiver of
// reconnected() must re-read whatever it may have missed (events after its last position, the
// configuration version).
//
// The listener object itself belongs to the thread that created it; start() and stop() are
// called there.
class PgNotificationListener final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PgNotificationListener)

public:
    static constexpr int kFirstRetryMs = 100;
    static constexpr int kMaxRetryMs = 2000;

    // `role` names the connection in pg_stat_activity ("gatehouse <role>").
    PgNotificationListener(const PostgresUrl &url, const QStringList &channels,
                           const QString &role = QStringLiteral("listener"), QObject *parent = nullptr);
    ~PgNotificationListener() override;

    // Connects and LISTENs on every channel; returns once it does (true), or with *error when
    // the first connection fails (false; nothing is left running). Blocks for at most the URL's
    // connect_timeout.
    bool start(QString *error);
    // Closes the connection and ends the thread (waits for a reconnection attempt under way).
    void stop();

    // Listening right now (false between connectionLost() and reconnected()).
    bool isListening() const;
    // The server process of the listening connection; 0 while not connected.
    qint64 backendPid() const;

signals:
    void notification(const QString &channel, const QString &payload);
    void connectionLost(const QString &reason);
    void reconnected();

private:
    class Worker;
    Worker *m_worker = nullptr;
    QThread *m_thread = nullptr;
};

} // namespace Gatehouse
