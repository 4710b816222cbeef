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

LiveFeed::LiveFeed(EventStore *store, UpsertProjection *upsert, MetricsRegistry *metrics, QObject *parent)
    : QObject(parent)
    , m_metrics(metrics)
    , m_cloudEvents(8 * 1024 * 1024)
{
    // Queued: the emitters run on other threads; `this` lives on the network thread.
    if (store)
        connect(store, &EventStore::eventsCommitted, this, &LiveFeed::eventsCommitted, Qt::QueuedConnection);
    if (upsert)
        connect(upsert, &UpsertProjection::documentsChanged, this, &LiveFeed::documentsChanged, Qt::QueuedConnection);
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
