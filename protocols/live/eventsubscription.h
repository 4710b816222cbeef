#pragma once

#include "eventfilter.h"
#include "store/recordedevent.h"

#include <QObject>

#include <functional>

namespace Gatehouse {
class EventStore;
}

namespace Gatehouse::Live {

class LiveFeed;

// One client's cursor on the event log: catches up from the log in bounded pages, one page per
// turn of the event loop, then follows the live batches, delivering every matching event
// exactly once and in position order. The only state is the next position to look at, so a
// live batch is either already covered, continues the cursor exactly, or reveals a gap that is
// read from the log instead; there is no separate hand-over step to get wrong.
//
// While the client's queue is congested it stops reading the log and waits for resume(); live
// batches keep flowing once it is live (the owner cuts off a client whose queue overflows).
// Lives on the network thread, as a child of the client it delivers to.
class EventSubscription final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventSubscription)

public:
    struct Sink
    {
        std::function<void(const RecordedEvent &)> deliver;   // writes one event to the client
        std::function<bool()> congested;                     // true: hold the catch-up
        // Optional: the events delivered since the last call are a batch (a live batch or a step
        // of the catch-up) and may go out together.
        std::function<void()> flush;
    };

    // Delivers events with position >= from.
    EventSubscription(const EventStore *store, LiveFeed *feed, EventFilter filter, qint64 from, int pageSize,
                      Sink sink, QObject *parent = nullptr);
    ~EventSubscription() override;

    void resume();                 // the client drained its queue
    // Delivers nothing more, from now on (before deleteLater(), for a subscription that may be
    // inside one of its own deliveries: a flush of its sink can read the client's next message).
    void cancel();
    qint64 nextPosition() const { return m_next; }
    bool isLive() const { return m_live; }

private:
    void onCommitted(const RecordedEvents &batch);
    void scheduleCatchUp();
    void catchUp();
    void flushSink();   // the batch delivered so far may go out

    const EventStore *m_store;
    EventFilter m_filter;
    int m_pageSize;
    Sink m_sink;
    QMetaObject::Connection m_feedConnection;
    bool m_cancelled = false;
    qint64 m_next;
    bool m_live = false;        // caught up: live batches are delivered
    bool m_scheduled = false;   // a catch-up step is queued
    bool m_paused = false;      // waiting for resume()
};

} // namespace Gatehouse::Live
