#pragma once

// The subscribers of bench_live_ws's fan-out: what one delivery is, the parser of an SSE
// response read off a plain socket, and subscribers on plain non-blocking sockets and epoll
// (fanoutsubscribers.cpp), which read a thousand connections for a fraction of the CPU that
// QWebSocket and Qt's event loop need, so that the benchmark's own clients take less of the
// machine they share with the engine.

#include <QByteArray>
#include <QByteArrayView>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QString>

#include <atomic>
#include <functional>
#include <vector>

struct Received
{
    qint64 position;
    qint64 ns;
};

// One event stream read off a plain socket: the response head, then the chunked body, whose
// "id: N" lines (the event's log position) are reported as they arrive.
class SseReader
{
public:
    explicit SseReader(std::function<void()> onHead, std::function<void(qint64)> onEvent)
        : m_onHead(std::move(onHead))
        , m_onEvent(std::move(onEvent))
    {
    }
    bool feed(const QByteArray &bytes)   // false: not an event stream
    {
        m_buffer += bytes;
        qsizetype at = 0;   // what is parsed; the buffer is compacted once per call
        const auto done = qScopeGuard([&] { m_buffer.remove(0, at); });
        if (!m_inBody) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return true;
            if (!m_buffer.startsWith("HTTP/1.1 200"))
                return false;
            at = end + 4;
            m_inBody = true;
            m_onHead();
        }
        while (at < m_buffer.size()) {
            if (m_chunkLeft == 0) {
                const qsizetype eol = m_buffer.indexOf("\r\n", at);
                if (eol < 0)
                    return true;
                bool ok = false;
                m_chunkLeft = QByteArrayView(m_buffer).sliced(at, eol - at).toByteArray().toLongLong(&ok, 16);
                if (!ok)
                    return false;
                at = eol + 2;
                m_chunkLeft += 2;   // the CRLF after the data
            }
            const qsizetype take = qMin<qsizetype>(m_chunkLeft, m_buffer.size() - at);
            lines(QByteArrayView(m_buffer).sliced(at, take));
            at += take;
            m_chunkLeft -= take;
        }
        return true;
    }

private:
    // Chunk data (and the CRLFs that end chunks, which are blank lines to it): "id: N" lines.
    void lines(QByteArrayView data)
    {
        qsizetype start = 0;
        while (start < data.size()) {
            const qsizetype eol = data.indexOf('\n', start);
            const qsizetype end = eol < 0 ? data.size() : eol;
            if (m_line.size() < 64)   // only a line's beginning matters
                m_line.append(data.sliced(start, qMin<qsizetype>(end - start, 64 - m_line.size())));
            if (eol < 0)
                return;
            if (m_line.startsWith("id: "))
                m_onEvent(m_line.mid(4).trimmed().toLongLong());
            m_line.clear();
            start = eol + 1;
        }
    }

    std::function<void()> m_onHead;
    std::function<void(qint64)> m_onEvent;
    QByteArray m_buffer, m_line;
    bool m_inBody = false;
    qint64 m_chunkLeft = 0;
};

struct SubscriberCounters
{
    std::atomic<int> subscribed{0};   // subscriptions acknowledged (WebSocket) or streams opened (SSE)
    std::atomic<int> closed{0};       // connections that ended before `stop`
    std::atomic<qint64> delivered{0};
    std::atomic<bool> stop{false};
};

// Opens `connections` subscriptions -- WebSocket on /ws with {"op":"subscribe","from":"live"},
// or SSE streams GET /events/stream -- on non-blocking sockets watched by one epoll set, on the
// calling thread, and reads them until counters.stop. Every event's log position is appended
// to `out` with the time (clock) of the read that brought it. False when a socket cannot be
// opened at all.
bool runRawSubscribers(const QString &host, quint16 port, int connections, bool sse, const QElapsedTimer &clock,
                       SubscriberCounters &counters, std::vector<Received> &out);
