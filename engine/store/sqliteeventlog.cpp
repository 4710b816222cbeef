#include "sqliteeventlog.h"

#include "sqliteeventlog_p.h"
#include "sql/sqlerrorlog.h"
#include "sql/sqlitemigrations.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>

#include <sqlite3.h>

Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace Gatehouse {

namespace SqliteEventSchema {

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

} // namespace SqliteEventSchema

SqliteEventLog::SqliteEventLog(EventLogHost *host, const EventStore::Options &options)
    : m_host(host)
    , m_options(options)
{
}

SqliteEventLog::~SqliteEventLog()
{
    close();
}

bool SqliteEventLog::open(QString *error)
{
    const QString path = m_options.target.sqlitePath;
    QDir().mkpath(QFileInfo(path).absolutePath());

    SqliteConnection db;
    if (!db.open(path)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, db.errorString());
        return false;
    }
    const char *sync = m_options.durability == EventStore::Durability::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    db.queryInt("PRAGMA journal_mode = WAL");
    if (!db.exec(sync)) {
        *error = db.errorString();
        return false;
    }
    if (!SqliteMigrations::apply(db, SqliteEventSchema::migrations(), error))
        return false;

    const qint64 last = db.queryInt("SELECT MAX(position) FROM events", 0);
    m_host->setHead(last);
    m_readers = std::make_unique<SqliteReadPool>(path);
    m_writer = std::make_unique<Writer>(m_host, m_options, last);
    if (!m_writer->start(std::move(db), error)) {
        m_writer.reset();
        return false;
    }
    qCInfo(lcStore) << "opened" << path << "at position" << last;
    return true;
}

void SqliteEventLog::close()
{
    if (!m_writer)
        return;
    m_writer->stop();
    m_writer.reset();
    m_readers->clear();   // later reads answer Unavailable
}

void SqliteEventLog::append(AppendRequest &&request, EventStore::AppendCallback &&callback)
{
    m_writer->enqueue(std::move(request), std::move(callback));
}

SqliteReadPool::Lease SqliteEventLog::lease(int budgetMs) const
{
    return m_readers ? m_readers->acquire(budgetMs) : SqliteReadPool::Lease(nullptr, nullptr);
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

RecordedEvents SqliteEventLog::readStream(const QString &stream, qint64 fromVersion, int maxCount, ReadStatus *status, int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = lease(budgetMs);
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
        out.append(SqliteEventSchema::readRow(st));
    if (!finishRead(c, st, "readStream", status))
        out.clear();
    return out;
}

RecordedEvents SqliteEventLog::readAll(qint64 fromPosition, int maxCount, const QString &typeGlob, ReadStatus *status, int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = lease(budgetMs);
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
    SqliteEventSchema::TypeNames types;
    while (st.step())
        out.append(SqliteEventSchema::readRow(st, &types));
    if (!finishRead(c, st, "readAll", status))
        out.clear();
    return out;
}

RecordedEvents SqliteEventLog::readBackward(qint64 beforePosition, int maxCount, const QString &typeGlob, ReadStatus *status,
                                        int budgetMs) const
{
    RecordedEvents out;
    if (status)
        *status = {};
    auto c = lease(budgetMs);
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
        out.prepend(SqliteEventSchema::readRow(st));
    if (!finishRead(c, st, "readBackward", status))
        out.clear();
    return out;
}

EventStore::StreamHead SqliteEventLog::streamHead(const QString &stream) const
{
    EventStore::StreamHead head;
    auto c = lease();
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

EventStore::IdempotencyRecord SqliteEventLog::idempotencyRecord(const QString &key) const
{
    EventStore::IdempotencyRecord rec;
    auto c = lease();
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

bool SqliteEventLog::scan(qint64 fromPosition, const std::function<bool(const RecordedEvent &)> &visitor) const
{
    auto c = lease();
    if (!c)
        return false;
    // One statement, one snapshot: a scan sees a consistent prefix of the log.
    SqliteStatement st(c->db, "SELECT position, stream, version, id, type, data, metadata, time FROM events"
                              " WHERE position >= ?1 ORDER BY position");
    st.bind(1, fromPosition);
    while (st.step()) {
        if (!visitor(SqliteEventSchema::readRow(st)))
            break;
    }
    return true;
}

} // namespace Gatehouse
