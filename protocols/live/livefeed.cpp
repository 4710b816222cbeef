#include "livefeed.h"

#include "metrics/metricsregistry.h"
#include "projections/upsertprojection.h"
#include "store/cloudevent.h"
#include "store/eventstore.h"

namespace Gatehouse::Live {

namespace {
QByteArray protocolLabel(const char *protocol)
{
    return MetricsRegistry::label("protocol", QString::fromLatin1(protocol));
}
} // namespace

LiveFeed::LiveFeed(EventStore *store, UpsertProjection *upsert, MetricsRegistry *metrics, int batchMs, QObject *parent)
    : QObject(parent)
    , m_metrics(metrics)
    , m_cloudEvents(8 * 1024 * 1024)
    , m_sseEvents(4 * 1024 * 1024)
    , m_batchMs(qMax(0, batchMs))
{
    m_relayTimer.setSingleShot(true);
    m_relayTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_relayTimer, &QTimer::timeout, this, &LiveFeed::relay);
    // First of goingAway()'s receivers: what waits for the interval's end goes out before the
    // clients are told to go.
    connect(this, &LiveFeed::goingAway, this, &LiveFeed::relay);
    // Queued: the emitters run on other threads; `this` lives on the network thread.
    if (store)
        connect(store, &EventStore::eventsCommitted, this, &LiveFeed::committed, Qt::QueuedConnection);
    if (upsert)
        connect(upsert, &UpsertProjection::documentsChanged, this, &LiveFeed::changed, Qt::QueuedConnection);
}

void LiveFeed::committed(const RecordedEvents &events)
{
    if (events.isEmpty())
        return;
    m_pendingEvents.append(events);
    scheduleRelay();
}

void LiveFeed::changed(const QList<StoredDocument> &documents)
{
    if (documents.isEmpty())
        return;
    m_pendingDocuments.append(documents);
    scheduleRelay();
}

void LiveFeed::scheduleRelay()
{
    if (m_relayTimer.isActive())
        return;   // the pending relay takes this too
    const qint64 since = m_lastRelay.isValid() ? m_lastRelay.elapsed() : m_batchMs;
    if (since >= m_batchMs)
        relay();
    else
        m_relayTimer.start(int(m_batchMs - since));
}

void LiveFeed::relay()
{
    m_relayTimer.stop();
    m_lastRelay.start();
    // Taken first: a client's slot may run a nested loop that brings the next batch in.
    const RecordedEvents events = std::exchange(m_pendingEvents, {});
    const QList<StoredDocument> documents = std::exchange(m_pendingDocuments, {});
    if (!events.isEmpty())
        Q_EMIT eventsCommitted(events);
    if (!documents.isEmpty())
        Q_EMIT documentsChanged(documents);
}

LiveFeed::~LiveFeed()
{
    // The clients report to us as they go, so they must go while we are still whole.
    while (!children().isEmpty())
        delete children().constFirst();
}

void LiveFeed::describeMetrics(MetricsRegistry *metrics)
{
    metrics->describe("gatehouse_live_clients", MetricsRegistry::Type::Gauge,
                      "Connected WebSocket and SSE clients of the gateway port, by protocol.");
    metrics->describe("gatehouse_live_cutoffs_total", MetricsRegistry::Type::Counter,
                      "WebSocket and SSE clients disconnected because their send queue overflowed.");
    for (const char *protocol : {"websocket", "sse"}) {
        metrics->increment("gatehouse_live_clients", protocolLabel(protocol), 0);
        metrics->increment("gatehouse_live_cutoffs_total", protocolLabel(protocol), 0);
    }
}

QByteArray LiveFeed::cloudEventJson(const RecordedEvent &event)
{
    if (const QByteArray *cached = m_cloudEvents.object(event.position))
        return *cached;
    const QByteArray json = CloudEvent::toJsonBytes(event);
    m_cloudEvents.insert(event.position, new QByteArray(json), json.size());
    return json;
}

QByteArray LiveFeed::sseEventText(const RecordedEvent &event)
{
    if (const QByteArray *cached = m_sseEvents.object(event.position))
        return *cached;
    const QByteArray text = "id: " + QByteArray::number(event.position) + "\nevent: " + event.type.toUtf8() + "\ndata: "
        + cloudEventJson(event) + "\n\n";
    m_sseEvents.insert(event.position, new QByteArray(text), text.size());
    return text;
}

void LiveFeed::clientOpened(const char *protocol)
{
    if (m_metrics)
        m_metrics->increment("gatehouse_live_clients", protocolLabel(protocol), 1);
}

void LiveFeed::clientClosed(const char *protocol)
{
    if (m_metrics)
        m_metrics->increment("gatehouse_live_clients", protocolLabel(protocol), -1);
}

void LiveFeed::clientCutOff(const char *protocol)
{
    if (m_metrics)
        m_metrics->increment("gatehouse_live_cutoffs_total", protocolLabel(protocol), 1);
}

} // namespace Gatehouse::Live
