#pragma once

#include "http/httpstream.h"
#include "live/eventfilter.h"
#include "live/liveoptions.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace Gatehouse {
class EventStore;
struct RecordedEvent;
}

namespace Gatehouse::Live {

class EventSubscription;
class LiveFeed;

// One Server-Sent Events client of GET /events/stream: `id: <position>`, `event: <type>`,
// `data: <CloudEvent>` per event, a comment heartbeat while quiet, and a cut-off (an `event:
// error` and the end of the stream) when its queue passes LiveOptions::maxQueueBytes. Lives on
// the network thread as a child of the LiveFeed; deletes itself when the stream ends.
class SseSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SseSession)

public:
    // Streams events with position >= from; `feed` is also the parent. The stream ends when the
    // request's credential runs out (`expiresAtMs`, ApiRequest::credentialExpiresAtMs; 0: never).
    SseSession(Http::HttpStream stream, const EventStore *store, EventFilter filter, qint64 from,
               const LiveOptions &options, LiveFeed *feed, qint64 expiresAtMs = 0);
    ~SseSession() override;

private:
    void deliver(const RecordedEvent &event);
    bool congested() const;
    void send(const QByteArray &bytes);
    void cutOff();
    void end();

    Http::HttpStream m_stream;
    LiveOptions m_options;
    LiveFeed *m_feed;
    EventSubscription *m_subscription = nullptr;
    QTimer m_heartbeat;
    QElapsedTimer m_lastWrite;
    QByteArray m_batch;    // delivered events not written yet (until the batch's end)
    QTimer m_drainPoll;    // HttpStream has no "written" signal: poll while the catch-up waits
    bool m_ended = false;
};

} // namespace Gatehouse::Live
