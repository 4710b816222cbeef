#include "ssesession.h"

#include "live/credentialexpiry.h"
#include "live/eventsubscription.h"
#include "live/livefeed.h"
#include "live/livelogging.h"
#include "store/recordedevent.h"

namespace Gatehouse::Live {

namespace {
constexpr int kDrainPollMs = 20;
}

SseSession::SseSession(Http::HttpStream stream, const EventStore *store, EventFilter filter, qint64 from,
                       const LiveOptions &options, LiveFeed *feed, qint64 expiresAtMs)
    : QObject(feed)
    , m_stream(std::move(stream))
    , m_options(options)
    , m_feed(feed)
{
    m_feed->clientOpened("sse");
    m_stream.onClosed(this, [this] { end(); });
    connect(feed, &LiveFeed::goingAway, this, [this] {
        m_stream.close();
        end();
    });
    // A heartbeat is due after a quiet interval. The timer is not restarted by every write (each
    // restart walks the thread's list of timers, with a thousand clients in it): when it fires
    // after a write, it waits for the rest of the interval from that write.
    m_heartbeat.setSingleShot(true);
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        const int interval = qMax(1, m_options.heartbeatMs);
        if (const qint64 left = interval - m_lastWrite.elapsed(); left > 0) {
            m_heartbeat.start(int(left));
            return;
        }
        send(QByteArrayLiteral(": heartbeat\n\n"));
        if (!m_ended)   // a heartbeat that found the queue over its limit ended the stream
            m_heartbeat.start(interval);
    });
    m_lastWrite.start();
    m_heartbeat.start(qMax(1, options.heartbeatMs));
    m_drainPoll.setInterval(kDrainPollMs);
    connect(&m_drainPoll, &QTimer::timeout, this, [this] {
        if (!congested()) {
            m_drainPoll.stop();
            m_subscription->resume();
        }
    });
    EventSubscription::Sink sink;
    sink.deliver = [this](const RecordedEvent &event) { deliver(event); };
    sink.flush = [this] {
        if (!m_batch.isEmpty())
            send(std::exchange(m_batch, {}));
    };
    sink.congested = [this] {
        if (m_ended)
            return true;
        if (!congested())
            return false;
        m_drainPoll.start();
        return true;
    };
    m_subscription = new EventSubscription(store, feed, std::move(filter), from, options.pageSize, std::move(sink), this);
    callAtExpiry(this, expiresAtMs, [this] {
        if (m_ended)
            return;
        if (!m_batch.isEmpty())
            send(std::exchange(m_batch, {}));
        if (m_ended)   // that send cut a slow client off
            return;
        m_stream.write(QByteArrayLiteral("event: error\ndata: {\"message\":\"the credential expired; reconnect with a new one and Last-Event-ID\"}\n\n"));
        m_stream.close();
        end();
    });
}

SseSession::~SseSession()
{
    m_feed->clientClosed("sse");
}

bool SseSession::congested() const
{
    return m_stream.pendingBytes() + m_batch.size() >= m_options.maxQueueBytes / 2;
}

void SseSession::deliver(const RecordedEvent &event)
{
    // The events of a batch go out in one write (Sink::flush); each event's text is built once
    // for all the streams that send it.
    const QByteArray text = m_feed->sseEventText(event);
    if (m_batch.isEmpty())
        m_batch.reserve(qMin<qsizetype>(8 * text.size(), m_options.maxQueueBytes / 4 + text.size()));
    m_batch.append(text);
    // A large batch goes out in slices, each checked against the queue's limit (send()), so a
    // client never holds much more than maxQueueBytes, as over WebSocket.
    if (m_batch.size() >= m_options.maxQueueBytes / 4)
        send(std::exchange(m_batch, {}));
}

void SseSession::send(const QByteArray &bytes)
{
    if (m_ended)
        return;
    // Checked before writing: a fast client's queue is empty whenever new data is due, however
    // large the batch; a client whose queue is still full from last time has stopped keeping up.
    if (m_stream.pendingBytes() > m_options.maxQueueBytes) {
        cutOff();
        return;
    }
    m_stream.write(bytes);
    m_lastWrite.start();
}

void SseSession::cutOff()
{
    qCInfo(lcLive) << "SSE client cut off: more than" << m_options.maxQueueBytes << "bytes queued";
    m_stream.write(QByteArrayLiteral("event: error\ndata: {\"message\":\"slow consumer: more than ")
                   + QByteArray::number(m_options.maxQueueBytes)
                   + QByteArrayLiteral(" bytes queued; reconnect with Last-Event-ID\"}\n\n"));
    m_stream.close();
    m_feed->clientCutOff("sse");
    end();
}

void SseSession::end()
{
    if (m_ended)
        return;
    m_ended = true;
    m_heartbeat.stop();
    m_drainPoll.stop();
    deleteLater();
}

} // namespace Gatehouse::Live
