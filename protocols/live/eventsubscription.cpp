#include "eventsubscription.h"

#include <QScopeGuard>

#include "livefeed.h"
#include "store/eventstore.h"

#include <QMetaObject>

namespace Gatehouse::Live {

EventSubscription::EventSubscription(const EventStore *store, LiveFeed *feed, EventFilter filter, qint64 from,
                                     int pageSize, Sink sink, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_filter(std::move(filter))
    , m_pageSize(qMax(1, pageSize))
    , m_sink(std::move(sink))
    , m_next(qMax<qint64>(1, from))
{
    // Connected before the first read: a batch committed from now on is either seen here or
    // already in the log when the catch-up reads it; the cursor sorts out the overlap.
    m_feedConnection = connect(feed, &LiveFeed::eventsCommitted, this, &EventSubscription::onCommitted);
    scheduleCatchUp();
}

EventSubscription::~EventSubscription() = default;

void EventSubscription::cancel()
{
    m_cancelled = true;
    disconnect(m_feedConnection);
}

void EventSubscription::resume()
{
    if (m_paused && !m_cancelled) {
        m_paused = false;
        scheduleCatchUp();
    }
}

void EventSubscription::scheduleCatchUp()
{
    if (m_scheduled)
        return;
    m_scheduled = true;
    m_live = false;
    // Queued, so that a long catch-up shares the network thread with everything else on it.
    QMetaObject::invokeMethod(this, &EventSubscription::catchUp, Qt::QueuedConnection);
}

void EventSubscription::catchUp()
{
    m_scheduled = false;
    if (m_cancelled)
        return;
    const auto flush = qScopeGuard([this] { flushSink(); });
    if (m_sink.congested()) {
        m_paused = true;
        return;
    }
    // Every position up to `head` is committed and visible to a read that starts after this.
    const qint64 head = m_store->headPosition();
    if (m_next > head) {
        m_live = true;
        return;
    }
    // The page is read unfiltered and filtered here: a type filter in SQL would scan the log
    // until it found a page of matches, and a filter that matches nothing would hold the
    // network thread for the whole log. This way each step reads at most a page of rows.
    const RecordedEvents page = m_store->readAll(m_next, m_pageSize);
    for (qsizetype i = 0; i < page.size(); ++i) {
        const RecordedEvent &event = page.at(i);
        m_next = event.position + 1;
        if (m_filter.matches(event))
            m_sink.deliver(event);
        if (i + 1 < page.size() && m_sink.congested()) {
            m_next = page.at(i + 1).position;
            m_paused = true;
            return;
        }
    }
    if (page.size() < m_pageSize) {
        // A short page holds every match up to the head read before it (and maybe beyond).
        m_next = qMax(m_next, head + 1);
        m_live = true;
    } else {
        scheduleCatchUp();
    }
}

void EventSubscription::onCommitted(const RecordedEvents &batch)
{
    if (m_cancelled || batch.isEmpty() || !m_live || batch.last().position < m_next)
        return;   // catching up (the log has these) or already delivered
    if (batch.first().position > m_next) {
        scheduleCatchUp();   // a gap: read it from the log
        return;
    }
    for (const RecordedEvent &event : batch) {
        if (event.position >= m_next && m_filter.matches(event))
            m_sink.deliver(event);
    }
    m_next = batch.last().position + 1;
    flushSink();
}

void EventSubscription::flushSink()
{
    if (m_sink.flush)
        m_sink.flush();
}

} // namespace Gatehouse::Live
