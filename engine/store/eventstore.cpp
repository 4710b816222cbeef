#include "eventstore.h"

#include "pgeventlog.h"
#include "sqliteeventlog.h"

#include <QLoggingCategory>

#include <atomic>
#include <future>

Q_LOGGING_CATEGORY(lcStore, "gatehouse.store")

namespace Gatehouse {

bool ExpectedVersion::accepts(qint64 currentVersion) const
{
    switch (kind) {
    case Any: return true;
    case NoStream: return currentVersion < 0;
    case StreamExists: return currentVersion >= 0;
    case Exact: return currentVersion == version;
    }
    return false;
}

QString ExpectedVersion::toString() const
{
    switch (kind) {
    case Any: return QStringLiteral("any");
    case NoStream: return QStringLiteral("no_stream");
    case StreamExists: return QStringLiteral("stream_exists");
    case Exact: return QString::number(version);
    }
    return {};
}

// The store's side of its backend: the head it has announced and the commit delay.
struct EventStore::Private final : EventLogHost
{
    explicit Private(EventStore *store) : q(store) {}

    void setHead(qint64 position) override { headPosition.store(position); }
    void announce(const RecordedEvents &events) override
    {
        headPosition.store(events.last().position);
        Q_EMIT q->eventsCommitted(events);
    }
    qint64 commitDelayMs() const override { return commitDelay.load(std::memory_order_relaxed); }

    EventStore *q;
    Options options;
    std::unique_ptr<EventLogBackend> backend;
    std::atomic<qint64> headPosition{0};
    std::atomic<bool> open{false};
    std::atomic<qint64> commitDelay{0};   // setCommitDelay(); read by the writer before each batch
    QString error;
};

EventStore::EventStore(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(this))
{
    qRegisterMetaType<Gatehouse::RecordedEvents>("Gatehouse::RecordedEvents");
}

EventStore::~EventStore()
{
    close();
}

bool EventStore::open(const Options &options)
{
    close();
    d->options = options;
    d->error.clear();
    d->headPosition = 0;
    if (options.target.isPostgres())
        d->backend = std::make_unique<PgEventLog>(d.get(), options);
    else
        d->backend = std::make_unique<SqliteEventLog>(d.get(), options);
    if (!d->backend->open(&d->error)) {
        d->backend->close();
        return false;
    }
    d->open = true;
    return true;
}

void EventStore::close()
{
    if (!d->open.exchange(false))
        return;
    d->backend->close();   // kept: reads racing with close() answer Unavailable
}

bool EventStore::isOpen() const
{
    return d->open;
}

void EventStore::setCommitDelay(qint64 delayMs)
{
    d->commitDelay.store(qBound<qint64>(0, delayMs, kMaxCommitDelayMs), std::memory_order_relaxed);
}

qint64 EventStore::commitDelay() const
{
    return d->commitDelay.load(std::memory_order_relaxed);
}

QString EventStore::errorString() const
{
    return d->error;
}

void EventStore::append(AppendRequest request, AppendCallback callback)
{
    if (!d->open) {
        AppendResult r;
        r.status = AppendResult::Stopped;
        r.stream = request.stream;
        r.error = QStringLiteral("the event store is closed");
        callback(r);
        return;
    }
    d->backend->append(std::move(request), std::move(callback));
}

AppendResult EventStore::appendAndWait(AppendRequest request)
{
    std::promise<AppendResult> promise;
    auto future = promise.get_future();
    append(std::move(request), [&promise](const AppendResult &r) { promise.set_value(r); });
    return future.get();
}

qint64 EventStore::headPosition() const
{
    return d->headPosition.load();
}

qint64 EventStore::eventCount() const
{
    return d->headPosition.load();
}

qint64 EventStore::appendConflicts() const
{
    return d->backend ? d->backend->appendConflicts() : 0;
}

namespace {
ReadStatus closedStatus()
{
    return ReadStatus::unavailable(QStringLiteral("the event store is not available"));
}
} // namespace

RecordedEvents EventStore::readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status, int budgetMs) const
{
    if (!d->backend) {
        if (status)
            *status = closedStatus();
        return {};
    }
    return d->backend->readStream(stream, fromVersion, maxCount, status, budgetMs);
}

RecordedEvents EventStore::readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status, int budgetMs) const
{
    if (!d->backend) {
        if (status)
            *status = closedStatus();
        return {};
    }
    return d->backend->readAll(fromPosition, maxCount, typeGlob, status, budgetMs);
}

RecordedEvents EventStore::readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                        int budgetMs) const
{
    if (!d->backend) {
        if (status)
            *status = closedStatus();
        return {};
    }
    return d->backend->readBackward(beforePosition, maxCount, typeGlob, status, budgetMs);
}

EventStore::StreamHead EventStore::streamHead(const QString &stream) const
{
    return d->backend ? d->backend->streamHead(stream) : StreamHead{};
}

EventStore::IdempotencyRecord EventStore::idempotencyRecord(const QString &key) const
{
    return d->backend ? d->backend->idempotencyRecord(key) : IdempotencyRecord{};
}

bool EventStore::scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const
{
    return d->backend && d->backend->scan(fromPosition, visitor);
}

} // namespace Gatehouse
