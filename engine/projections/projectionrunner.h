#pragma once

#include "parkedevents.h"
#include "projection.h"

#include <QObject>

#include <functional>
#include <memory>

namespace Gatehouse {

class EventStore;

// Runs one projection on its own thread: loads its checkpoint, catches up from the log in
// batches, then follows the store's committed-events signal (no polling). Each batch and the
// checkpoint commit in one read-store transaction. A fault stops this projection only, with
// the reason and the event kept for display; resume() retries from the checkpoint, and
// skipFault() parks the event (ParkedEvents) so the projection goes on without it.
//
// The runner object lives on its own thread; every public function may be called from any
// thread.
class ProjectionRunner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProjectionRunner)

public:
    // Standby: another engine on the same database runs this projection; this one follows the
    // checkpoint that engine commits (followCheckpoint) so reads waiting for a position work
    // here too, and takes over from that checkpoint when it becomes the owner.
    enum class Status { Stopped, CatchingUp, Running, Paused, Rebuilding, Faulted, Standby };
    Q_ENUM(Status)

    struct Stats
    {
        QString name;
        Status status = Status::Stopped;
        qint64 position = 0;          // last event applied
        qint64 head = 0;              // last event in the log
        qint64 lagEvents = 0;
        qint64 lagMs = 0;             // age of the oldest event not yet applied
        double eventsPerSecond = 0;   // recent throughput
        QString error;                // when faulted
        qint64 faultPosition = 0;
        QString faultEventId;
        qint64 rebuildTarget = 0;     // head when the rebuild started
        double progress = 1.0;        // 0..1 while rebuilding or catching up
        bool faultHeld = false;       // a simulation holds it (setFault)
        qint64 faultMsPerBatch = 0;   // a simulation slows it (setFault)
    };

    static constexpr qint64 kMaxFaultMsPerBatch = 60000;

    static constexpr int kLiveBatch = 1000;
    static constexpr int kCatchUpBatch = 5000;
    // An offline rebuild reads ahead in small batches: they are handed between two threads
    // while still in the cache, and records stay in memory across batches anyway.
    static constexpr int kRebuildBatch = 1000;

    ProjectionRunner(std::shared_ptr<Projection> projection, EventStore *store, ReadStore *readStore,
                     QObject *parent = nullptr);
    ~ProjectionRunner() override;

    QString name() const;
    Projection *projection() const;

    void start();
    void stop();      // finishes the batch in progress; blocks until the thread has ended
    void pause();
    void resume();    // also retries after a fault
    void rebuild();   // drop and replay, reporting progress in stats()
    // With several engines on one database: `standby` true hands the projection to another
    // engine (the batch in progress finishes; nothing more is applied here), false takes it
    // over from the checkpoint in the read store. Call before or after start().
    void setStandby(bool standby);
    bool isStandby() const;
    // In standby: the owner committed its checkpoint at `position` (waiters are answered).
    void followCheckpoint(qint64 position);

    // A simulation's fault, apart from pause()/resume() so that it neither undoes nor is undone
    // by an operator's: `held` applies no batch until released (the status stays, the lag
    // grows); `msPerBatch` (0..kMaxFaultMsPerBatch) is waited before each batch on the
    // runner's thread. In memory only; (false, 0) switches it off.
    void setFault(bool held, qint64 msPerBatch);

    // Where parked events are kept; set before start(). Without it nothing can be skipped.
    void setParkedEvents(ParkedEvents *parked);
    ParkedEvents *parkedEvents() const;
    // Parks the event the projection faulted on (with its error) and resumes without it.
    // False with a message when the projection is not faulted at an event.
    bool skipFault(ParkedEvents::Entry *parked, QString *error);
    // Forgets a parked event: the next rebuild applies it again. False when it was not parked.
    bool releaseParked(qint64 position);

    Stats stats() const;
    qint64 position() const;   // atomic, cheap
    static QString statusName(Status status);

    // Calls `callback(true)` once the projection has applied `target`, or `callback(false)`
    // after `timeoutMs`. The callback runs on the runner's thread (or at once on the calling
    // thread when the position is already reached); it must be quick.
    void whenReached(qint64 target, int timeoutMs, std::function<void(bool reached)> callback);

    // Rebuilds synchronously on the calling thread, without a running engine (offline tool).
    // Parked events (`parked`, may be null) are left out, as in the running engine.
    static bool rebuildOffline(Projection &projection, EventStore &store, ReadStore &readStore,
                               const std::function<void(qint64 done, qint64 total)> &progress, QString *error,
                               std::shared_ptr<const QSet<qint64>> parked = nullptr);

Q_SIGNALS:
    void statsChanged();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
