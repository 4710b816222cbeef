#pragma once

#include "postgresurl.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

class QThread;
class QTimer;

namespace Gatehouse {

class PgConnection;

// Which engine runs what, when several share one PostgreSQL database: each projection,
// event-triggered function, interval trigger and the MQTT outbox must have exactly one owner
// at a time. Ownership is a session advisory lock (PgAdvisoryLocks::kOwnershipClass, second key
// a stable hash of the name) held on this object's own connection: the lock lives exactly as
// long as the owning engine's session, so when an engine dies -- kill -9 included -- the server
// ends its session and the lock is free at once.
//
// Every kRetryMs this engine tries, in one statement, to take whatever it wants and does not
// own (a retry of lock acquisition; work itself is woken by notifications, never by polling)
// and, when it already owns everything, checks that its connection is alive. A lost
// connection loses every lock with it: lost() is emitted for each name at once, before
// anything else happens, so the owner stops before another engine can start.
//
// Lives on its own thread; want()/release() may be called from any thread; acquired()/lost()
// are emitted on that thread (connect queued or direct, the receiver decides).
class PgOwnership final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PgOwnership)

public:
    static constexpr int kRetryMs = 1000;

    explicit PgOwnership(QObject *parent = nullptr);
    ~PgOwnership() override;

    // Opens the connection and starts the thread; false with the reason.
    bool start(const PostgresUrl &url, QString *error);
    void stop();   // releases every lock (a clean hand-over) and ends the thread

    // Asks for `name` (tried at once, then every kRetryMs until it is ours).
    void want(const QString &name);
    // Gives `name` up (its lock is released; another engine may take it).
    void release(const QString &name);
    bool owns(const QString &name) const;
    QStringList owned() const;

    // The lock key of a name: stable across engines, versions and platforms (FNV-1a of UTF-8).
    static qint32 keyOf(const QString &name);

Q_SIGNALS:
    void acquired(const QString &name);
    void lost(const QString &name);

private:
    void tick();           // on the thread
    void dropAll(const QString &reason);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
