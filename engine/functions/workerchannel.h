#pragma once

#include "functionoutcome.h"
#include "store/recordedevent.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QString>

namespace Gatehouse {

// One end of the socket between the engine and a function's worker process, and the small
// protocol spoken over it. A frame is a 4-byte little-endian length and a CBOR map whose "t"
// says what it is:
//
//   worker -> engine   hello {v, pid}        once, after start
//   engine -> worker   load {def}            -> loaded {ok, err, line, handle, decide, us, limit_kb}
//   engine -> worker   invoke {in: [..]}     -> outcome {i, last, ok, ...} per input, in order,
//                                               until the first that failed
//   engine -> worker   events {b, in: [[e..]..]}  -> as invoke; each input is a chunk of events
//                                               as stored (fromEvents), b: handle() gets arrays
//   engine -> worker   decide {s, c}         -> outcome
//   worker -> engine   get {c, id}           <- doc {d}          (ctx.get while a call runs)
//   worker -> engine   query {c, f}          <- items {ok, items, err}
//
// JSON values travel as CBOR. Every frame is bounded (kMaxFrameBytes) and decoded by a reader
// that refuses nesting past FunctionLimits::kMaxDepth plus the envelope, so a broken or
// compromised worker cannot make the engine recurse or allocate without bound; the engine
// also validates every outcome it is sent (decodeOutcome). Used on one thread at a time.
class WorkerChannel final
{
public:
    static constexpr int kProtocolVersion = 2;
    static constexpr qint64 kMaxFrameBytes = 64 * 1024 * 1024;
    static constexpr int kEnvelopeDepth = 4;   // map > list > entry > value

    enum class Status { Ok, Closed, TimedOut, Invalid };

    explicit WorkerChannel(int fd = -1) : m_fd(fd) {}
    ~WorkerChannel() { close(); }
    WorkerChannel(const WorkerChannel &) = delete;
    WorkerChannel &operator=(const WorkerChannel &) = delete;

    bool isOpen() const { return m_fd >= 0; }
    void open(int fd)
    {
        close();
        m_fd = fd;
    }
    void close();
    int release()   // the descriptor, no longer closed by this channel (nothing may be buffered)
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

    // Invalid (and nothing sent) when the message is larger than kMaxFrameBytes. send() is
    // queue() and flush(): what was queued goes first, so frames keep their order.
    Status send(const QCborMap &message, QDeadlineTimer deadline = QDeadlineTimer::Forever);
    // Frames may be queued and written together (the worker's outcomes of one round trip: one
    // write and one wake-up of the engine for several of them).
    Status queue(const QCborMap &message);
    Status flush(QDeadlineTimer deadline = QDeadlineTimer::Forever);
    qint64 queuedForMs() const;   // since the oldest frame not yet written was queued
    qsizetype queuedBytes() const { return m_out.size(); }
    Status receive(QCborMap *message, QDeadlineTimer deadline = QDeadlineTimer::Forever);
    QString errorString() const { return m_error; }

    static QCborValue fromJson(const QJsonValue &value) { return QCborValue::fromJsonValue(value); }
    // The JSON of a value a worker sent; false when it is nested deeper than kMaxDepth.
    static bool toJson(const QCborValue &value, QJsonValue *out);

    // Events of the log as the engine sends them for handle() (the worker builds their
    // CloudEvents itself): [position, stream, version, id, type, data, metadata, time].
    static QCborArray fromEvents(const RecordedEvents &events);
    static bool toEvents(const QCborValue &value, RecordedEvents *out);

    static QCborMap encodeOutcome(const FunctionOutcome &outcome, qsizetype index, bool last);
    // Checks what the worker claims: names, counts and depth of its effects.
    static bool decodeOutcome(const QCborMap &message, FunctionOutcome *outcome, QString *error);

private:
    bool waitFor(short events, QDeadlineTimer deadline);
    Status fail(Status status, const QString &error);

    int m_fd = -1;
    QString m_error;
    QByteArray m_in;        // read ahead: frames that came with the one asked for
    qsizetype m_inAt = 0;
    QByteArray m_out;       // queued frames
    QElapsedTimer m_queuedSince;
};

} // namespace Gatehouse
