#include "faultproxylink.h"

#include "base/steadyclock.h"

#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Gatehouse::Simulation {

namespace {

constexpr qint64 kReadChunk = 64 * 1024;
constexpr qint64 kSliceMs = 50;   // bandwidth: data is released in slices of this much time

// The next close of `socket` sends a TCP RST instead of a FIN (SO_LINGER with a zero timeout).
void makeAbortive(QTcpSocket *socket)
{
#ifdef Q_OS_UNIX
    const qintptr fd = socket->socketDescriptor();
    if (fd >= 0) {
        const linger l{1, 0};
        ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
#else
    Q_UNUSED(socket)
#endif
}

} // namespace

FaultProxyLink::FaultProxyLink(QTcpSocket *client, const QString &host, quint16 port, const Toxic &toxic, Counters *counters,
                               Finished finished, QObject *parent)
    : QObject(parent)
    , m_counters(counters)
    , m_finishedCallback(std::move(finished))
    , m_client(client)
    , m_upstream(new QTcpSocket(this))
    , m_toxicTimer(new QTimer(this))
{
    m_client->setParent(this);
    m_client->setReadBufferSize(kReadChunk);
    m_upstream->setReadBufferSize(kReadChunk);
    m_client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_up.from = m_client;
    m_up.to = m_upstream;
    m_up.stream = Toxic::Upstream;
    m_up.counter = &m_counters->bytesUp;
    m_down.from = m_upstream;
    m_down.to = m_client;
    m_down.stream = Toxic::Downstream;
    m_down.counter = &m_counters->bytesDown;
    for (Pipe *p : {&m_up, &m_down}) {
        p->timer = new QTimer(this);
        p->timer->setSingleShot(true);
        p->timer->setTimerType(Qt::PreciseTimer);
        connect(p->timer, &QTimer::timeout, this, [this, p] { service(*p); });
    }
    m_toxicTimer->setSingleShot(true);
    m_toxicTimer->setTimerType(Qt::PreciseTimer);
    connect(m_toxicTimer, &QTimer::timeout, this, [this] {
        if (m_toxic.kind == Toxic::Timeout)
            closeAll();
        else if (m_toxic.kind == Toxic::ResetPeer)
            resetAll();
    });

    connect(m_client, &QTcpSocket::readyRead, this, [this] { service(m_up); });
    connect(m_upstream, &QTcpSocket::readyRead, this, [this] { service(m_down); });
    connect(m_client, &QTcpSocket::bytesWritten, this, [this] { service(m_down); });
    connect(m_upstream, &QTcpSocket::bytesWritten, this, [this] { service(m_up); });
    connect(m_upstream, &QTcpSocket::connected, this, [this] {
        m_upstreamConnected = true;
        m_upstream->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        service(m_up);
    });
    // A side that is gone: what it sent still goes to the other side, nothing more goes to it.
    const auto gone = [this](QTcpSocket *socket) {
        Pipe &out = socket == m_client ? m_up : m_down;   // the pipe it feeds
        Pipe &in = socket == m_client ? m_down : m_up;    // the pipe that feeds it
        destinationClosed(in);
        sourceClosed(out);
        finishIfDone();
    };
    for (QTcpSocket *socket : {m_client, m_upstream}) {
        connect(socket, &QTcpSocket::disconnected, this, [gone, socket] { gone(socket); });
        connect(socket, &QTcpSocket::errorOccurred, this, [gone, socket] {
            if (socket->state() == QAbstractSocket::UnconnectedState)
                gone(socket);   // refused, reset, unreachable: no disconnected() follows for some
        });
    }
    setToxic(toxic);
    m_upstream->connectToHost(host, port);
    service(m_up);   // what the client sent before we got here
}

FaultProxyLink::~FaultProxyLink() = default;

void FaultProxyLink::setToxic(const Toxic &toxic)
{
    m_toxic = toxic;
    m_toxicTimer->stop();
    if (m_finished)
        return;
    if (toxic.kind == Toxic::Timeout) {
        // Data stops: what waits is dropped, and so is whatever arrives while it lasts.
        for (Pipe *p : {&m_up, &m_down}) {
            p->queue.clear();
            p->queued = 0;
            p->timer->stop();
        }
        if (toxic.timeoutMs > 0)
            m_toxicTimer->start(int(toxic.timeoutMs));
    } else if (toxic.kind == Toxic::ResetPeer) {
        m_toxicTimer->start(int(toxic.timeoutMs));
    }
    service(m_up);
    service(m_down);
}

bool FaultProxyLink::canWrite(const Pipe &pipe) const
{
    return !pipe.toClosed && (pipe.to != m_upstream || m_upstreamConnected) && pipe.to->state() == QAbstractSocket::ConnectedState
        && pipe.to->bytesToWrite() < kMaxBufferedBytes;
}

void FaultProxyLink::enqueue(Pipe &pipe, QByteArray data, qint64 nowMs)
{
    const bool here = m_toxic.stream == pipe.stream;
    if (m_toxic.kind == Toxic::Bandwidth && here) {
        // rate KB/s is rate bytes per millisecond; each slice leaves once it has "been sent".
        const qint64 rate = m_toxic.rateKBps;
        const qint64 slice = qMax<qint64>(1, rate * kSliceMs);
        for (qint64 offset = 0; offset < data.size(); offset += slice) {
            QByteArray part = data.mid(offset, slice);
            const qint64 due = qMax(nowMs, pipe.lastDueMs) + (part.size() + rate - 1) / rate;
            pipe.lastDueMs = due;
            pipe.queued += part.size();
            pipe.queue.emplace_back(due, std::move(part));
        }
        return;
    }
    qint64 due = nowMs;
    if (m_toxic.kind == Toxic::Latency && here) {
        qint64 delay = m_toxic.latencyMs;
        if (m_toxic.jitterMs > 0)
            delay += qint64(QRandomGenerator::global()->bounded(int(2 * m_toxic.jitterMs + 1))) - m_toxic.jitterMs;
        due += qMax<qint64>(0, delay);
    }
    due = qMax(due, pipe.lastDueMs);   // chunks keep their order, as on a wire
    pipe.lastDueMs = due;
    pipe.queued += data.size();
    pipe.queue.emplace_back(due, std::move(data));
}

void FaultProxyLink::service(Pipe &pipe)
{
    if (m_finished)
        return;
    if (dropping() || pipe.toClosed) {
        // Nowhere to go (or a timeout toxic): read and forget, so the sender is not held back.
        if (pipe.from->bytesAvailable() > 0)
            pipe.from->readAll();
        pipe.queue.clear();
        pipe.queued = 0;
    }
    const qint64 now = steadyNowMs();
    for (bool progress = true; progress;) {
        progress = false;
        while (!dropping() && !pipe.toClosed && pipe.queued < kMaxBufferedBytes && pipe.from->bytesAvailable() > 0) {
            enqueue(pipe, pipe.from->read(qMin(kReadChunk, kMaxBufferedBytes - pipe.queued)), now);
            progress = true;
        }
        while (!pipe.queue.empty() && pipe.queue.front().first <= now && canWrite(pipe)) {
            QByteArray data = std::move(pipe.queue.front().second);
            pipe.queue.pop_front();
            pipe.queued -= data.size();
            pipe.to->write(data);
            pipe.counter->fetch_add(quint64(data.size()), std::memory_order_relaxed);
            progress = true;
        }
    }
    if (!pipe.queue.empty() && pipe.queue.front().first > now && !pipe.timer->isActive())
        pipe.timer->start(int(qMin<qint64>(pipe.queue.front().first - now, Toxic::kMaxMs)));
    if (pipe.fromClosed && pipe.queue.empty() && pipe.from->bytesAvailable() == 0 && !pipe.toClosed) {
        // Everything the closed side sent has gone on: close the other side too (slow_close: later).
        pipe.toClosed = true;
        const qint64 delay = m_toxic.kind == Toxic::SlowClose ? m_toxic.delayMs : 0;
        QTimer::singleShot(int(delay), this, [this, to = pipe.to] {
            if (m_finished)
                return;
            if (to->state() == QAbstractSocket::ConnectedState)
                to->disconnectFromHost();
            else
                to->abort();
            finishIfDone();
        });
    }
}

void FaultProxyLink::sourceClosed(Pipe &pipe)
{
    if (pipe.fromClosed)
        return;
    pipe.fromClosed = true;
    service(pipe);
}

void FaultProxyLink::destinationClosed(Pipe &pipe)
{
    pipe.toClosed = true;
    pipe.queue.clear();
    pipe.queued = 0;
    pipe.timer->stop();
}

void FaultProxyLink::closeAll()
{
    for (Pipe *p : {&m_up, &m_down})
        destinationClosed(*p);
    for (QTcpSocket *socket : {m_client, m_upstream}) {
        if (socket->state() == QAbstractSocket::ConnectedState)
            socket->disconnectFromHost();
        else
            socket->abort();
    }
    finishIfDone();
}

void FaultProxyLink::resetAll()
{
    if (m_finished)
        return;
    m_finished = true;
    for (QTcpSocket *socket : {m_client, m_upstream}) {
        socket->disconnect(this);
        makeAbortive(socket);
        socket->abort();
    }
    m_finishedCallback(this);
}

void FaultProxyLink::drop()
{
    if (m_finished)
        return;
    m_finished = true;
    for (QTcpSocket *socket : {m_client, m_upstream}) {
        socket->disconnect(this);
        socket->abort();
    }
    m_finishedCallback(this);
}

void FaultProxyLink::finishIfDone()
{
    if (m_finished || m_client->state() != QAbstractSocket::UnconnectedState || m_upstream->state() != QAbstractSocket::UnconnectedState)
        return;
    m_finished = true;
    m_toxicTimer->stop();
    m_finishedCallback(this);
}

} // namespace Gatehouse::Simulation
