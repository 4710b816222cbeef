#include "projectionrunner.h"

#include "base/steadyclock.h"
#include "logreadahead.h"
#include "positionwaiters.h"
#include "projectionbatch.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QMetaEnum>
#include <QMutex>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <deque>

Q_LOGGING_CATEGORY(lcProjections, "gatehouse.projections")

namespace Gatehouse {

struct ProjectionRunner::Private
{
    ProjectionRunner *q;
    std::shared_ptr<Projection> projection;
    EventStore *store;
    ReadStore *readStore;
    QThread thread;
    QString name;

    std::atomic<qint64> position{0};     // committed with the checkpoint
    std::atomic<qint64> folded{0};       // applied, maybe only in memory while rebuilding
    bool bulk = false;                   // rebuilding (beginBulk() .. endBulk()); runner thread only
    mutable QMutex statsMutex;
    Status status = Status::Stopped;     // guarded by statsMutex (written on the runner thread)
    QString error;
    qint64 faultPosition = 0;
    QString faultEventId;
    qint64 rebuildTarget = 0;
    std::deque<std::pair<qint64, qint64>> samples;   // (steady ms, position)

    std::atomic<bool> standby{false};            // setStandby(): another engine runs it
    std::atomic<bool> faultHeld{false};          // setFault()
    std::atomic<qint64> faultMsPerBatch{0};

    bool catchUpScheduled = false;       // runner thread only
    RecordedEvents readAhead;            // the batch after the last one applied, if it was read (runner thread)
    int storageRetryMs = 0;              // backing off after a storage failure; runner thread only
    ParkedEvents *parkedEvents = nullptr;
    std::shared_ptr<const QSet<qint64>> parked;   // runner thread only; a snapshot of parkedEvents

    PositionWaiters waiters;
    QTimer *waitTimer = nullptr;             // runner thread

    Status currentStatus() const
    {
        QMutexLocker lock(&statsMutex);
        return status;
    }
    void setStatus(Status s)
    {
        {
            QMutexLocker lock(&statsMutex);
            status = s;
        }
        Q_EMIT q->statsChanged();
    }

    void scheduleCatchUp()
    {
        if (catchUpScheduled)
            return;
        catchUpScheduled = true;
        QMetaObject::invokeMethod(q, [this] { catchUpStep(); }, Qt::QueuedConnection);
    }

    void catchUpStep()
    {
        catchUpScheduled = false;
        const Status s = currentStatus();
        if (s != Status::CatchingUp && s != Status::Rebuilding && s != Status::Running)
            return;
        if (faultHeld)
            return;   // setFault(false, ...) schedules the next step
        const int batch = s == Status::Running ? kLiveBatch : kCatchUpBatch;
        // A full batch read ahead is what a read now would return (the log only grows).
        RecordedEvents events = std::exchange(readAhead, {});
        if (events.size() != batch || events.first().position != folded + 1)
            events = store->readAll(folded + 1, batch);
        if (events.isEmpty()) {
            if (bulk && !finishBulk())
                return;
            if (s != Status::Running) {
                qCInfo(lcProjections) << name << "caught up at position" << position.load();
                setStatus(Status::Running);
            }
            return;
        }
        // A projection that prepares ahead (a function's JavaScript) gets the batch after this
        // one now, and works on it while this one is applied and committed.
        RecordedEvents next;
        if (!bulk && events.size() == batch && projection->preparesAhead())
            next = store->readAll(events.last().position + 1, batch);
        readAhead = next;
        if (applyBatch(events, next))
            scheduleCatchUp();
    }

    // What the projection still holds, the checkpoint and the deferred work in one transaction.
    bool finishBulk()
    {
        QString reason;
        if (!ProjectionBatch::finishRebuild(*projection, *readStore, folded, &reason)) {
            position = readStore->checkpoint(name);
            folded = position.load();
            {
                QMutexLocker lock(&statsMutex);
                status = Status::Faulted;
                error = QStringLiteral("finishing the rebuild failed: ") + reason;
            }
            Q_EMIT q->statsChanged();
            return false;
        }
        bulk = false;
        position = folded.load();
        notifyWaiters();
        return true;
    }

    void onCommitted(const RecordedEvents &events)
    {
        const Status s = currentStatus();
        if (s != Status::Running || catchUpScheduled || events.isEmpty() || faultHeld)
            return;   // paused, faulted, held or catching up: the log is read from the checkpoint later
        if (events.last().position <= folded)
            return;
        if (events.first().position == folded + 1)
            applyBatch(events);   // straight from the signal: no re-read
        else
            scheduleCatchUp();
    }

    void refreshParked()
    {
        parked = parkedEvents ? parkedEvents->positions(name) : nullptr;
    }

    bool applyBatch(const RecordedEvents &events, const RecordedEvents &next = {})
    {
        if (const qint64 slowdown = faultMsPerBatch; slowdown > 0)
            QThread::msleep(ulong(slowdown));
        ProjectionFault fault;
        qint64 checkpoint = position;
        const quint64 storageFailuresBefore = readStore->storageFailures();
        // Parked events are left out; the batch still counts as folded up to its last event.
        const RecordedEvents kept = ParkedEvents::without(events, parked.get());
        const bool applied = bulk ? ProjectionBatch::applyBulk(*projection, *store, *readStore, kept, &checkpoint, &fault)
                                  : ProjectionBatch::apply(*projection, *readStore, kept, &fault,
                                                           ParkedEvents::without(next, parked.get()));
        if (!applied) {
            position = readStore->checkpoint(name);
            folded = position.load();
            if (!bulk && readStore->storageFailures() != storageFailuresBefore) {
                retryLater(fault);
                return false;
            }
            {
                QMutexLocker lock(&statsMutex);
                status = Status::Faulted;
                error = fault.error;
                faultPosition = fault.position;
                faultEventId = fault.eventId;
            }
            qCWarning(lcProjections).noquote() << name << "faulted at position" << fault.position << ":" << fault.error;
            Q_EMIT q->statsChanged();
            notifyWaiters();
            return false;
        }
        folded = events.last().position;
        position = bulk ? checkpoint : folded.load();
        {
            QMutexLocker lock(&statsMutex);
            if (storageRetryMs > 0) {
                qCInfo(lcProjections) << name << "writes again after a storage failure";
                storageRetryMs = 0;
                error.clear();
            }
            const qint64 now = steadyNowMs();
            samples.emplace_back(now, folded.load());
            while (samples.size() > 2 && samples.front().first < now - 3000)
                samples.pop_front();
        }
        notifyWaiters();
        Q_EMIT q->statsChanged();
        return true;
    }

    // The read store could not be written (a full disk, an I/O error): nothing is wrong with
    // the events, so instead of faulting the runner tries again, backing off to 2 s, and
    // catches up once the storage works again. Its error says why it lags meanwhile.
    void retryLater(const ProjectionFault &fault)
    {
        const bool first = storageRetryMs == 0;
        storageRetryMs = first ? 250 : std::min(storageRetryMs * 2, 2000);
        {
            QMutexLocker lock(&statsMutex);
            status = Status::CatchingUp;
            error = QStringLiteral("the read store cannot be written (%1); retrying").arg(fault.error);
        }
        if (first)
            qCWarning(lcProjections).noquote() << name << "cannot write at position" << fault.position << ":" << fault.error << "- retrying";
        Q_EMIT q->statsChanged();
        notifyWaiters();
        QTimer::singleShot(storageRetryMs, q, [this] {
            if (currentStatus() == Status::CatchingUp)
                scheduleCatchUp();
        });
    }

    void notifyWaiters() { waiters.notify(position); }

    void armWaitTimer(qint64 earliest)
    {
        if (earliest < 0)
            waitTimer->stop();
        else
            waitTimer->start(int(qMax<qint64>(0, earliest - steadyNowMs())));
    }
};

ProjectionRunner::ProjectionRunner(std::shared_ptr<Projection> projection, EventStore *store, ReadStore *readStore, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->projection = std::move(projection);
    d->store = store;
    d->readStore = readStore;
    d->name = d->projection->name();
    d->thread.setObjectName(QStringLiteral("gatehouse-projection-") + d->name);
}

ProjectionRunner::~ProjectionRunner()
{
    stop();
}

QString ProjectionRunner::name() const { return d->name; }
Projection *ProjectionRunner::projection() const { return d->projection.get(); }
qint64 ProjectionRunner::position() const { return d->position.load(); }

void ProjectionRunner::setParkedEvents(ParkedEvents *parked)
{
    d->parkedEvents = parked;
    d->refreshParked();
}

ParkedEvents *ProjectionRunner::parkedEvents() const
{
    return d->parkedEvents;
}

bool ProjectionRunner::skipFault(ParkedEvents::Entry *parked, QString *error)
{
    if (!d->parkedEvents) {
        *error = QStringLiteral("projection %1 cannot park events").arg(d->name);
        return false;
    }
    const Stats s = stats();
    if (s.status != Status::Faulted || s.faultPosition <= 0) {
        *error = QStringLiteral("projection %1 is not stopped at an event (status %2)").arg(d->name, statusName(s.status));
        return false;
    }
    ParkedEvents::Entry entry;
    entry.projection = d->name;
    entry.position = s.faultPosition;
    entry.eventId = s.faultEventId;
    entry.error = s.error;
    if (const RecordedEvents e = d->store->readAll(s.faultPosition, 1); !e.isEmpty() && e.first().position == s.faultPosition)
        entry.eventType = e.first().type;
    if (!d->parkedEvents->park(entry)) {
        *error = QStringLiteral("the parked event could not be stored in config.db");
        return false;
    }
    qCWarning(lcProjections).noquote() << d->name << "parked the event at position" << entry.position << "(" << entry.eventId
                                       << ") after:" << entry.error;
    *parked = entry;
    QMetaObject::invokeMethod(this, [this, position = entry.position] {
        d->refreshParked();
        QMutexLocker lock(&d->statsMutex);
        const bool stillThere = d->status == Status::Faulted && d->faultPosition == position;
        lock.unlock();
        if (stillThere)
            resume();
    }, Qt::QueuedConnection);
    return true;
}

bool ProjectionRunner::releaseParked(qint64 position)
{
    if (!d->parkedEvents || !d->parkedEvents->release(d->name, position))
        return false;
    QMetaObject::invokeMethod(this, [this] { d->refreshParked(); }, Qt::QueuedConnection);
    return true;
}

void ProjectionRunner::start()
{
    if (d->thread.isRunning())
        return;
    d->refreshParked();
    d->position = d->readStore->checkpoint(d->name);
    d->folded = d->position.load();
    setParent(nullptr);   // a QObject with a parent cannot change threads
    moveToThread(&d->thread);
    if (auto *obj = dynamic_cast<QObject *>(d->projection.get()))
        obj->moveToThread(&d->thread);
    d->thread.start();
    QMetaObject::invokeMethod(this, [this] {
        d->waitTimer = new QTimer(this);
        d->waitTimer->setSingleShot(true);
        connect(d->waitTimer, &QTimer::timeout, this, [this] { d->armWaitTimer(d->waiters.expire(steadyNowMs())); });
        connect(d->store, &EventStore::eventsCommitted, this, [this](const RecordedEvents &events) { d->onCommitted(events); });
        if (d->standby) {
            d->setStatus(Status::Standby);
        } else {
            d->setStatus(Status::CatchingUp);
            d->scheduleCatchUp();
        }
        d->armWaitTimer(d->waiters.arm());
    }, Qt::QueuedConnection);
}

void ProjectionRunner::stop()
{
    if (!d->thread.isRunning())
        return;
    QMetaObject::invokeMethod(this, [this] {
        disconnect(d->store, nullptr, this, nullptr);
        if (d->bulk) {
            d->projection->discarded();   // folded in memory only: replayed from the checkpoint
            d->folded = d->position.load();
        }
        {
            QMutexLocker lock(&d->statsMutex);
            d->status = Status::Stopped;
        }
        delete d->waitTimer;
        d->waitTimer = nullptr;
        // Back to the main thread so the object can be deleted from there.
        if (auto *obj = dynamic_cast<QObject *>(d->projection.get()))
            obj->moveToThread(QCoreApplication::instance() ? QCoreApplication::instance()->thread() : nullptr);
        moveToThread(QCoreApplication::instance() ? QCoreApplication::instance()->thread() : nullptr);
        d->thread.quit();
    }, Qt::BlockingQueuedConnection);
    d->thread.wait();
    // Whoever still waits gets an answer rather than silence.
    d->waiters.finish(d->position);
}

void ProjectionRunner::pause()
{
    QMetaObject::invokeMethod(this, [this] {
        const Status s = d->currentStatus();
        if (s == Status::Running || s == Status::CatchingUp || s == Status::Rebuilding)
            d->setStatus(Status::Paused);
    }, Qt::QueuedConnection);
}

void ProjectionRunner::resume()
{
    QMetaObject::invokeMethod(this, [this] {
        const Status s = d->currentStatus();
        if (s != Status::Paused && s != Status::Faulted)
            return;
        {
            QMutexLocker lock(&d->statsMutex);
            d->error.clear();
            d->faultPosition = 0;
            d->faultEventId.clear();
            d->status = d->bulk ? Status::Rebuilding : Status::CatchingUp;
        }
        if (d->bulk && s == Status::Faulted)
            d->projection->beginBulk();   // a failed endBulk() may have ended it; it folds again from the checkpoint
        Q_EMIT statsChanged();
        d->scheduleCatchUp();
    }, Qt::QueuedConnection);
}

void ProjectionRunner::setStandby(bool standby)
{
    if (d->standby.exchange(standby) == standby)
        return;
    if (!d->thread.isRunning())
        return;   // start() reads it
    QMetaObject::invokeMethod(this, [this] {
        if (d->standby) {
            if (d->bulk) {
                d->projection->discarded();   // the new owner replays from the checkpoint
                d->bulk = false;
            }
            qCInfo(lcProjections) << d->name << "is run by another engine now";
            d->setStatus(Status::Standby);
            return;
        }
        if (d->currentStatus() != Status::Standby)
            return;
        // Taken over: from the checkpoint the previous owner committed last.
        d->refreshParked();
        d->position = std::max(d->position.load(), d->readStore->checkpoint(d->name));
        d->folded = d->position.load();
        qCInfo(lcProjections) << d->name << "taken over at position" << d->position.load();
        d->setStatus(Status::CatchingUp);
        d->scheduleCatchUp();
        d->notifyWaiters();
    }, Qt::QueuedConnection);
}

bool ProjectionRunner::isStandby() const
{
    return d->standby;
}

void ProjectionRunner::followCheckpoint(qint64 position)
{
    if (!d->standby || !d->thread.isRunning())
        return;
    // On the runner's thread, where waiters are answered.
    QMetaObject::invokeMethod(this, [this, position] {
        if (d->currentStatus() != Status::Standby || position <= d->position)
            return;
        d->position = position;
        d->folded = position;
        d->notifyWaiters();
        Q_EMIT statsChanged();
    }, Qt::QueuedConnection);
}

void ProjectionRunner::setFault(bool held, qint64 msPerBatch)
{
    d->faultMsPerBatch = qBound<qint64>(0, msPerBatch, kMaxFaultMsPerBatch);
    const bool wasHeld = d->faultHeld.exchange(held);
    if (wasHeld && !held) {
        QMetaObject::invokeMethod(this, [this] { d->scheduleCatchUp(); }, Qt::QueuedConnection);
        Q_EMIT statsChanged();
    } else if (held && !wasHeld) {
        Q_EMIT statsChanged();
    }
}

void ProjectionRunner::rebuild()
{
    QMetaObject::invokeMethod(this, [this] {
        if (d->currentStatus() == Status::Standby)
            return;   // the owner rebuilds; dropping its read model from here would race it
        QString error;
        if (!ProjectionBatch::resetForRebuild(*d->projection, *d->readStore, &error)) {
            QMutexLocker lock(&d->statsMutex);
            d->status = Status::Faulted;
            d->error = QStringLiteral("rebuild could not reset the read model: ") + error;
            return;
        }
        d->projection->beginBulk();
        d->bulk = true;
        d->position = 0;
        d->folded = 0;
        {
            QMutexLocker lock(&d->statsMutex);
            d->rebuildTarget = d->store->headPosition();
            d->error.clear();
            d->samples.clear();
            d->status = Status::Rebuilding;
        }
        qCInfo(lcProjections) << d->name << "rebuilding" << d->rebuildTarget << "events";
        Q_EMIT statsChanged();
        d->scheduleCatchUp();
    }, Qt::QueuedConnection);
}

ProjectionRunner::Stats ProjectionRunner::stats() const
{
    Stats s;
    s.name = d->name;
    s.position = d->position;
    s.head = d->store->headPosition();
    s.lagEvents = qMax<qint64>(0, s.head - s.position);
    s.faultHeld = d->faultHeld;
    s.faultMsPerBatch = d->faultMsPerBatch;
    {
        QMutexLocker lock(&d->statsMutex);
        s.status = d->status;
        s.error = d->error;
        s.faultPosition = d->faultPosition;
        s.faultEventId = d->faultEventId;
        s.rebuildTarget = d->rebuildTarget;
        if (d->samples.size() >= 2 && steadyNowMs() - d->samples.back().first < 2000) {
            const auto &[t0, p0] = d->samples.front();
            const auto &[t1, p1] = d->samples.back();
            s.eventsPerSecond = t1 > t0 ? double(p1 - p0) * 1000.0 / double(t1 - t0) : 0;
        }
    }
    if (s.lagEvents > 0) {
        const RecordedEvents next = d->store->readAll(s.position + 1, 1);
        if (!next.isEmpty())
            s.lagMs = qMax<qint64>(0, QDateTime::currentMSecsSinceEpoch() - next.first().timeMs);
    }
    const qint64 target = s.status == Status::Rebuilding ? s.rebuildTarget : s.head;
    s.progress = target > 0 ? qMin(1.0, double(d->folded) / double(target)) : 1.0;
    return s;
}

QString ProjectionRunner::statusName(Status status)
{
    switch (status) {
    case Status::Stopped: return QStringLiteral("stopped");
    case Status::CatchingUp: return QStringLiteral("catching_up");
    case Status::Running: return QStringLiteral("running");
    case Status::Paused: return QStringLiteral("paused");
    case Status::Rebuilding: return QStringLiteral("rebuilding");
    case Status::Faulted: return QStringLiteral("faulted");
    case Status::Standby: return QStringLiteral("standby");
    }
    return {};
}

void ProjectionRunner::whenReached(qint64 target, int timeoutMs, std::function<void(bool)> callback)
{
    if (d->position >= target) {
        callback(true);
        return;
    }
    // Only a deadline earlier than the timer's needs the runner thread to re-arm it.
    const bool arm = d->waiters.add(target, steadyNowMs() + timeoutMs, std::move(callback));
    // The position may have moved between the check and the insert.
    if (d->position >= target)
        d->notifyWaiters();
    if (arm) {
        QMetaObject::invokeMethod(this, [this] {
            if (d->waitTimer)
                d->armWaitTimer(d->waiters.arm());
        }, Qt::QueuedConnection);
    }
}

bool ProjectionRunner::rebuildOffline(Projection &projection, EventStore &store, ReadStore &readStore,
                                      const std::function<void(qint64, qint64)> &progress, QString *error,
                                      std::shared_ptr<const QSet<qint64>> parked)
{
    if (!ProjectionBatch::resetForRebuild(projection, readStore, error))
        return false;
    projection.beginBulk();
    const qint64 total = store.headPosition();
    qint64 checkpoint = 0;
    qint64 folded = 0;
    progress(0, total);
    // The next batches are read and digested on another thread while this one is applied.
    LogReadAhead log(store, projection, 1, kRebuildBatch, 2, std::move(parked));
    for (;;) {
        LogReadAhead::Batch batch = log.next();
        if (batch.events.isEmpty())
            break;
        ProjectionFault fault;
        if (!ProjectionBatch::applyBulk(projection, store, readStore, batch.events, &checkpoint, &fault, batch.digest.get())) {
            *error = QStringLiteral("event at position %1 (%2): %3").arg(fault.position).arg(fault.eventId, fault.error);
            return false;
        }
        folded = batch.events.last().position;
        progress(folded, qMax(total, folded));
        log.recycle(std::move(batch));
    }
    return ProjectionBatch::finishRebuild(projection, readStore, folded, error);
}

} // namespace Gatehouse
