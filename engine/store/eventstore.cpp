#include "eventstore.h"

#include "eventstore_p.h"
#include "sql/sqlerrorlog.h"
#include "sql/sqlitemigrations.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>

#include <future>

#include <sqlite3.h>

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

namespace EventStoreSchema {

QList<const char *> migrations()
{
    return {
        // 1: the log, its uniqueness rules, durable idempotency keys.
        "CREATE TABLE events("
        "  position INTEGER PRIMARY KEY,"
        "  stream TEXT NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  id TEXT NOT NULL,"
        "  type TEXT NOT NULL,"
        "  data TEXT NOT NULL,"
        "  metadata TEXT NOT NULL,"
        "  time INTEGER NOT NULL);"
        "CREATE UNIQUE INDEX events_stream_version ON events(stream, version);"
        "CREATE UNIQUE INDEX events_id ON events(id);"
        // The log is append-only; refuse edits even from a stray sqlite3 shell.
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
        "  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;"
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
        "  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;"
        "CREATE TABLE idempotency_keys("
        "  key TEXT PRIMARY KEY,"
        "  request_hash BLOB NOT NULL,"
        "  stream TEXT NOT NULL,"
        "  first_position INTEGER NOT NULL,"
        "  last_position INTEGER NOT NULL,"
        "  version INTEGER NOT NULL,"
        "  event_types TEXT NOT NULL,"
        "  created INTEGER NOT NULL) WITHOUT ROWID;",
    };
}

QString TypeNames::intern(QByteArrayView utf8)
{
    for (const auto &[bytes, name] : std::as_const(m_names)) {
        if (bytes == utf8)
            return name;
    }
    QString name = QString::fromUtf8(utf8);
    if (m_names.size() < 16)
        m_names.append({utf8.toByteArray(), name});
    return name;
}

RecordedEvent readRow(const SqliteStatement &st, TypeNames *types)
{
    RecordedEvent e;
    e.position = st.columnInt(0);
    e.stream = st.columnString(1);
    e.version = st.columnInt(2);
    e.id = st.columnString(3);
    e.type = types ? types->intern(st.columnView(4)) : st.columnString(4);
    e.data = st.columnText(5);
    e.metadata = st.columnText(6);
    e.timeMs = st.columnInt(7);
    return e;
}

} // namespace EventStoreSchema

EventStore::EventStore(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
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
    QDir().mkpath(QFileInfo(options.path).absolutePath());

    SqliteConnection db;
    if (!db.open(options.path)) {
        d->error = QStringLiteral("cannot open %1: %2").arg(options.path, db.errorString());
        return false;
    }
    const char *sync = options.durability == Durability::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    db.queryInt("PRAGMA journal_mode = WAL");
    if (!db.exec(sync)) {
        d->error = db.errorString();
        return false;
    }
    if (!SqliteMigrations::apply(db, EventStoreSchema::migrations(), &d->error))
        return false;

    const qint64 last = db.queryInt("SELECT MAX(position) FROM events", 0);
    d->headPosition = last;
    d->readers = std::make_unique<SqliteReadPool>(options.path);
    d->writer = std::make_unique<Writer>(this, options, last);
    if (!d->writer->start(std::move(db), &d->error)) {
        d->writer.reset();
        return false;
    }
    d->open = true;
    qCInfo(lcStore) << "opened" << options.path << "at position" << last;
    return true;
}

void EventStore::close()
{
    if (!d->open.exchange(false))
        return;
    d->writer->stop();
    d->writer.reset();
    d->readers->clear();
}

bool EventStore::isOpen() const
{
    return d->open;
}

void EventStore::setCommitDelay(qint64 delayMs)
{
    d->commitDelayMs.store(qBound<qint64>(0, delayMs, kMaxCommitDelayMs), std::memory_order_relaxed);
}

qint64 EventStore::commitDelay() const
{
    return d->commitDelayMs.load(std::memory_order_relaxed);
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
    d->writer->enqueue(std::move(request), std::move(callback));
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

namespace {
// Ends a read for `status`: the statement stopped on an error or its budget, or went to the end.
bool finishRead(const SqliteReadPool::Lease &c, SqliteStatement &st, const char *where, ReadStatus *status)
{
    const int code = st.lastCode();
    const bool ok = code == SQLITE_DONE || code == SQLITE_ROW;
    if (!ok && status) {
        if (c.timedOut() || code == SQLITE_INTERRUPT)
            *status = ReadStatus::timedOut(c.budgetMs());
        else
            *status = ReadStatus::failed(QStringLiteral("the event store failed: ")
                                         + SqlErrorLog::instance().report(where, code, st.errorString(), {}));
    }
    st.reset();
    return ok;
}
} // namespace

RecordedEvents EventStore::readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status, int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = d->lease(budgetMs);
    if (!c) {
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store is not available"));
        return out;
    }
    auto &st = c->statement("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                            " WHERE stream = ?1 AND version >= ?2 ORDER BY version LIMIT ?3");
    st.bind(1, stream);
    st.bind(2, fromVersion);
    st.bind(3, qint64(maxCount));
    while (st.step())
        out.append(EventStoreSchema::readRow(st));
    if (!finishRead(c, st, "readStream", status))
        out.clear();
    return out;
}

RecordedEvents EventStore::readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status, int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = d->lease(budgetMs);
    if (!c) {
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store is not available"));
        return out;
    }
    auto &st = typeGlob.isEmpty()
        ? c->statement("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                       " WHERE position >= ?1 ORDER BY position LIMIT ?2")
        : c->statement("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                       " WHERE position >= ?1 AND type GLOB ?3 ORDER BY position LIMIT ?2");
    st.bind(1, fromPosition);
    st.bind(2, qint64(maxCount));
    if (!typeGlob.isEmpty())
        st.bind(3, typeGlob);
    out.reserve(qMin(maxCount, 1024));
    EventStoreSchema::TypeNames types;
    while (st.step())
        out.append(EventStoreSchema::readRow(st, &types));
    if (!finishRead(c, st, "readAll", status))
        out.clear();
    return out;
}

RecordedEvents EventStore::readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                        int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = d->lease(budgetMs);
    if (!c) {
        if (status)
            *status = ReadStatus::unavailable(QStringLiteral("the event store is not available"));
        return out;
    }
    auto &st = typeGlob.isEmpty()
        ? c->statement("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                       " WHERE position < ?1 ORDER BY position DESC LIMIT ?2")
        : c->statement("SELECT position, stream, version, id, type, data, metadata, time FROM events"
                       " WHERE position < ?1 AND type GLOB ?3 ORDER BY position DESC LIMIT ?2");
    st.bind(1, beforePosition);
    st.bind(2, qint64(maxCount));
    if (!typeGlob.isEmpty())
        st.bind(3, typeGlob);
    while (st.step())
        out.prepend(EventStoreSchema::readRow(st));
    if (!finishRead(c, st, "readBackward", status))
        out.clear();
    return out;
}

EventStore::StreamHead EventStore::streamHead(const QString &stream) const
{
    StreamHead head;
    auto c = d->lease();
    if (!c)
        return head;
    auto &st = c->statement("SELECT version, type, position FROM events WHERE stream = ?1 ORDER BY version DESC LIMIT 1");
    st.bind(1, stream);
    if (st.step()) {
        head.version = st.columnInt(0);
        head.lastType = st.columnString(1);
        head.lastPosition = st.columnInt(2);
    }
    st.reset();
    return head;
}

EventStore::IdempotencyRecord EventStore::idempotencyRecord(const QString &key) const
{
    IdempotencyRecord rec;
    auto c = d->lease();
    if (!c)
        return rec;
    auto &st = c->statement("SELECT request_hash, stream, first_position, last_position, version, event_types"
                            " FROM idempotency_keys WHERE key = ?1");
    st.bind(1, key);
    if (st.step()) {
        rec.found = true;
        rec.requestHash = st.columnText(0);
        rec.result.status = AppendResult::Ok;
        rec.result.replayed = true;
        rec.result.stream = st.columnString(1);
        rec.result.firstPosition = st.columnInt(2);
        rec.result.lastPosition = st.columnInt(3);
        rec.result.version = st.columnInt(4);
        rec.result.eventTypes = st.columnString(5).split(QLatin1Char(','), Qt::SkipEmptyParts);
    }
    st.reset();
    return rec;
}

bool EventStore::scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const
{
    auto c = d->lease();
    if (!c)
        return false;
    // One statement, one snapshot: a scan sees a consistent prefix of the log.
    SqliteStatement st(c->db, "SELECT position, stream, version, id, type, data, metadata, time FROM events"
                              " WHERE position >= ?1 ORDER BY position");
    st.bind(1, fromPosition);
    while (st.step()) {
        if (!visitor(EventStoreSchema::readRow(st)))
            break;
    }
    return true;
}

} // namespace Gatehouse
