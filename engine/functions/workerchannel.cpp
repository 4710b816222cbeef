#include "workerchannel.h"

#include "config/strictjson.h"
#include "functionlimits.h"
#include "scriptcontext.h"

#include <QCborArray>
#include <QCborStreamReader>
#include <QJsonArray>
#include <QJsonObject>
#include <QtEndian>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Gatehouse {

namespace {

constexpr int kMaxFrameDepth = FunctionLimits::kMaxDepth + WorkerChannel::kEnvelopeDepth;

// QCborValue::fromCbor without its trust: nesting and sizes are checked while reading.
bool readValue(QCborStreamReader &reader, int depth, QCborValue *out)
{
    switch (reader.type()) {
    case QCborStreamReader::UnsignedInteger:
    case QCborStreamReader::NegativeInteger:
        *out = reader.toInteger();
        return reader.next();
    case QCborStreamReader::Float16:
        *out = double(reader.toFloat16());
        return reader.next();
    case QCborStreamReader::Float:
        *out = double(reader.toFloat());
        return reader.next();
    case QCborStreamReader::Double:
        *out = reader.toDouble();
        return reader.next();
    case QCborStreamReader::SimpleType: {
        const QCborSimpleType t = reader.toSimpleType();
        if (t == QCborSimpleType::False || t == QCborSimpleType::True)
            *out = t == QCborSimpleType::True;
        else if (t == QCborSimpleType::Null)
            *out = QCborValue(QCborValue::Null);
        else
            *out = QCborValue(QCborValue::Undefined);
        return reader.next();
    }
    case QCborStreamReader::String: {
        QString s;
        auto r = reader.readString();
        for (; r.status == QCborStreamReader::Ok; r = reader.readString())
            s += r.data;
        *out = s;
        return r.status == QCborStreamReader::EndOfString;
    }
    case QCborStreamReader::ByteArray: {
        QByteArray b;
        auto r = reader.readByteArray();
        for (; r.status == QCborStreamReader::Ok; r = reader.readByteArray())
            b += r.data;
        *out = b;
        return r.status == QCborStreamReader::EndOfString;
    }
    case QCborStreamReader::Array: {
        if (depth >= kMaxFrameDepth || !reader.enterContainer())
            return false;
        QCborArray array;
        while (reader.hasNext()) {
            QCborValue element;
            if (!readValue(reader, depth + 1, &element))
                return false;
            array.append(element);
        }
        *out = array;
        return reader.lastError() == QCborError::NoError && reader.leaveContainer();
    }
    case QCborStreamReader::Map: {
        if (depth >= kMaxFrameDepth || !reader.enterContainer())
            return false;
        QCborMap map;
        while (reader.hasNext()) {
            QCborValue key;
            QCborValue value;
            if (!reader.isString() || !readValue(reader, depth + 1, &key) || !readValue(reader, depth + 1, &value))
                return false;
            map.insert(key, value);
        }
        *out = map;
        return reader.lastError() == QCborError::NoError && reader.leaveContainer();
    }
    default:   // tags, invalid data
        return false;
    }
}

} // namespace

void WorkerChannel::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_in.clear();
    m_inAt = 0;
    m_out.clear();
}

WorkerChannel::Status WorkerChannel::fail(Status status, const QString &error)
{
    m_error = error;
    return status;
}

bool WorkerChannel::waitFor(short events, QDeadlineTimer deadline)
{
    for (;;) {
        pollfd p{m_fd, events, 0};
        const qint64 left = deadline.isForever() ? -1 : deadline.remainingTime();
        const int n = ::poll(&p, 1, left < 0 ? -1 : int(qMin<qint64>(left, 1 << 30)));
        if (n > 0)
            return true;
        if (n == 0)
            return false;
        if (errno != EINTR)
            return true;   // the read or write reports the error
    }
}

WorkerChannel::Status WorkerChannel::queue(const QCborMap &message)
{
    const QByteArray payload = QCborValue(message).toCbor();
    if (payload.size() > kMaxFrameBytes)
        return fail(Status::Invalid, QStringLiteral("a message of %1 bytes is larger than %2").arg(payload.size()).arg(kMaxFrameBytes));
    if (m_out.isEmpty())
        m_queuedSince.start();
    const qsizetype at = m_out.size();
    m_out.resize(at + 4);
    qToLittleEndian(quint32(payload.size()), m_out.data() + at);
    m_out += payload;
    return Status::Ok;
}

WorkerChannel::Status WorkerChannel::flush(QDeadlineTimer deadline)
{
    if (m_fd < 0)
        return fail(Status::Closed, QStringLiteral("the channel is closed"));
    qsizetype done = 0;
    while (done < m_out.size()) {
        // MSG_NOSIGNAL: a worker that died must not take the engine with it through SIGPIPE.
        const ssize_t n = ::send(m_fd, m_out.constData() + done, size_t(m_out.size() - done), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!waitFor(POLLOUT, deadline)) {
                m_out.remove(0, done);
                return fail(Status::TimedOut, QStringLiteral("timed out sending"));
            }
            continue;
        }
        m_out.clear();
        return fail(Status::Closed, QStringLiteral("the other end is gone"));
    }
    m_out.clear();
    return Status::Ok;
}

qint64 WorkerChannel::queuedForMs() const
{
    return m_out.isEmpty() ? 0 : m_queuedSince.elapsed();
}

WorkerChannel::Status WorkerChannel::send(const QCborMap &message, QDeadlineTimer deadline)
{
    if (m_fd < 0)
        return fail(Status::Closed, QStringLiteral("the channel is closed"));
    if (const Status s = queue(message); s != Status::Ok)
        return s;
    return flush(deadline);
}

WorkerChannel::Status WorkerChannel::receive(QCborMap *message, QDeadlineTimer deadline)
{
    if (m_fd < 0)
        return fail(Status::Closed, QStringLiteral("the channel is closed"));
    // Reads what is there (several frames at once when the other end queued them) until the
    // buffer holds `size` bytes past m_inAt.
    auto fill = [this, deadline](qsizetype size) -> Status {
        while (m_in.size() - m_inAt < size) {
            if (m_inAt > 0 && m_inAt == m_in.size()) {
                m_in.clear();
                m_inAt = 0;
            }
            const qsizetype at = m_in.size();
            const qsizetype want = qMax<qsizetype>(size - (at - m_inAt), 64 * 1024);
            m_in.resize(at + want);
            const ssize_t n = ::recv(m_fd, m_in.data() + at, size_t(want), MSG_DONTWAIT);
            m_in.resize(at + qMax<ssize_t>(n, 0));
            if (n > 0)
                continue;
            if (n == 0)
                return fail(Status::Closed, QStringLiteral("the other end closed the channel"));
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return fail(Status::Closed, QStringLiteral("the channel broke"));
            if (!waitFor(POLLIN, deadline))
                return fail(Status::TimedOut, QStringLiteral("timed out waiting"));
        }
        return Status::Ok;
    };
    if (const Status s = fill(4); s != Status::Ok)
        return s;
    const quint32 size = qFromLittleEndian<quint32>(m_in.constData() + m_inAt);
    if (size > kMaxFrameBytes)
        return fail(Status::Invalid, QStringLiteral("a frame of %1 bytes is larger than %2").arg(size).arg(kMaxFrameBytes));
    if (const Status s = fill(4 + qsizetype(size)); s != Status::Ok)
        return s;
    const QByteArray payload = m_in.mid(m_inAt + 4, qsizetype(size));
    m_inAt += 4 + qsizetype(size);
    if (m_inAt == m_in.size()) {
        m_in.clear();
        m_inAt = 0;
    }
    QCborStreamReader reader(payload);
    QCborValue value;
    if (!readValue(reader, 0, &value) || !value.isMap() || reader.currentOffset() != payload.size())   // nothing after the map
        return fail(Status::Invalid, QStringLiteral("a malformed or too deeply nested message"));
    *message = value.toMap();
    return Status::Ok;
}

QCborArray WorkerChannel::fromEvents(const RecordedEvents &events)
{
    QCborArray out;
    for (const RecordedEvent &e : events)
        out.append(QCborArray{e.position, e.stream, e.version, e.id, e.type, e.data, e.metadata, e.timeMs});
    return out;
}

bool WorkerChannel::toEvents(const QCborValue &value, RecordedEvents *out)
{
    if (!value.isArray())
        return false;
    const QCborArray list = value.toArray();
    out->clear();
    out->reserve(list.size());
    for (const QCborValue &item : list) {
        const QCborArray f = item.toArray();
        if (!item.isArray() || f.size() != 8 || !f.at(0).isInteger() || !f.at(1).isString() || !f.at(2).isInteger()
            || !f.at(3).isString() || !f.at(4).isString() || !f.at(5).isByteArray() || !f.at(6).isByteArray()
            || !f.at(7).isInteger())
            return false;
        RecordedEvent e;
        e.position = f.at(0).toInteger();
        e.stream = f.at(1).toString();
        e.version = f.at(2).toInteger();
        e.id = f.at(3).toString();
        e.type = f.at(4).toString();
        e.data = f.at(5).toByteArray();
        e.metadata = f.at(6).toByteArray();
        e.timeMs = f.at(7).toInteger();
        out->append(std::move(e));
    }
    return !out->isEmpty();
}

bool WorkerChannel::toJson(const QCborValue &value, QJsonValue *out)
{
    // The frame's reader already bounded the nesting, so converting it cannot run away.
    const QJsonValue json = value.isUndefined() ? QJsonValue(QJsonValue::Undefined) : value.toJsonValue();
    if (StrictJson::depth(json) > FunctionLimits::kMaxDepth)
        return false;
    *out = json;
    return true;
}

QCborMap WorkerChannel::encodeOutcome(const FunctionOutcome &o, qsizetype index, bool last)
{
    QCborMap m{{QStringLiteral("t"), QStringLiteral("outcome")}, {QStringLiteral("i"), index}, {QStringLiteral("last"), last},
               {QStringLiteral("ok"), o.ok}, {QStringLiteral("us"), o.durationUs}};
    if (o.timedOut)
        m.insert(QStringLiteral("timeout"), true);
    if (o.outOfMemory)
        m.insert(QStringLiteral("oom"), true);
    if (!o.error.isEmpty())
        m.insert(QStringLiteral("err"), o.error);
    if (o.line > 0)
        m.insert(QStringLiteral("line"), o.line);
    if (!o.result.isUndefined())
        m.insert(QStringLiteral("r"), fromJson(o.result));
    QCborArray writes;
    for (const FunctionEffects::Write &w : o.effects.writes)
        writes.append(QCborArray{w.collection, w.id, w.remove ? QCborValue(QCborValue::Null) : QCborValue(QCborValue::fromJsonValue(w.doc))});
    QCborArray emits;
    for (const FunctionEffects::Emit &e : o.effects.emits)
        emits.append(QCborArray{e.type, e.subject, fromJson(e.data)});
    QCborArray logs;
    for (const QString &line : o.effects.logs)
        logs.append(line);
    if (!writes.isEmpty())
        m.insert(QStringLiteral("w"), writes);
    if (!emits.isEmpty())
        m.insert(QStringLiteral("e"), emits);
    if (!logs.isEmpty())
        m.insert(QStringLiteral("l"), logs);
    return m;
}

bool WorkerChannel::decodeOutcome(const QCborMap &m, FunctionOutcome *o, QString *error)
{
    *o = {};
    o->ok = m.value(QStringLiteral("ok")).toBool();
    o->timedOut = m.value(QStringLiteral("timeout")).toBool();
    o->outOfMemory = m.value(QStringLiteral("oom")).toBool();
    o->error = m.value(QStringLiteral("err")).toString().left(FunctionLimits::kMaxLogLineChars);
    o->line = int(m.value(QStringLiteral("line")).toInteger());
    o->durationUs = m.value(QStringLiteral("us")).toInteger();
    const QCborValue result = m.value(QStringLiteral("r"));
    if (!result.isUndefined() && !toJson(result, &o->result)) {
        *error = QStringLiteral("the result is nested too deeply");
        return false;
    }
    const QCborArray writes = m.value(QStringLiteral("w")).toArray();
    const QCborArray emits = m.value(QStringLiteral("e")).toArray();
    const QCborArray logs = m.value(QStringLiteral("l")).toArray();
    if (writes.size() > FunctionLimits::kMaxWrites || emits.size() > FunctionLimits::kMaxEmits || logs.size() > FunctionLimits::kMaxLogLines) {
        *error = QStringLiteral("more effects than an invocation may have");
        return false;
    }
    for (const QCborValue &v : writes) {
        const QCborArray w = v.toArray();
        FunctionEffects::Write write{w.at(0).toString(), w.at(1).toString(), {}, w.at(2).isNull()};
        QJsonValue doc;
        if (!ScriptContext::isValidCollection(write.collection) || write.id.isEmpty()
            || (!write.remove && (!w.at(2).isMap() || !toJson(w.at(2), &doc)))) {
            *error = QStringLiteral("an invalid write");
            return false;
        }
        write.doc = doc.toObject();
        o->effects.writes.append(write);
    }
    for (const QCborValue &v : emits) {
        const QCborArray e = v.toArray();
        FunctionEffects::Emit event{e.at(0).toString(), e.at(1).toString(), {}};
        if (!event.type.contains(u'.') || !ScriptContext::isValidCollection(event.type.section(u'.', 0, -2)) || event.subject.isEmpty()
            || !toJson(e.at(2), &event.data)) {
            *error = QStringLiteral("an invalid event");
            return false;
        }
        o->effects.emits.append(event);
    }
    for (const QCborValue &line : logs)
        o->effects.logs.append(line.toString().left(FunctionLimits::kMaxLogLineChars + 32));
    if (!o->ok && (!o->effects.writes.isEmpty() || !o->effects.emits.isEmpty())) {
        *error = QStringLiteral("a failed call with effects");
        return false;
    }
    return true;
}

} // namespace Gatehouse
