#pragma once

#include "readmodel/storeddocument.h"
#include "store/recordedevent.h"

#include <QCache>
#include <QObject>

namespace Gatehouse {
class EventStore;
class MetricsRegistry;
class UpsertProjection;
}

namespace Gatehouse::Live {

// The push protocols' view of the engine on the network thread: relays the store's committed
// batches (emitted on the writer thread) and the upsert service's changed documents (emitted on
// its runner thread) as signals of an object living on the network thread, so each client
// connects directly and Qt queues every batch once for all of them, in commit order. It is also
// the parent of every live client of its thread, so deleting it ends them all, and it counts
// them in the metrics (gatehouse_live_clients, gatehouse_live_cutoffs_total).
class LiveFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveFeed)

public:
    LiveFeed(EventStore *store, UpsertProjection *upsert, MetricsRegistry *metrics, QObject *parent = nullptr);
    ~LiveFeed() override;

    // Bookkeeping by the clients; `protocol` is "websocket" or "sse".
    void clientOpened(const char *protocol);
    void clientClosed(const char *protocol);
    void clientCutOff(const char *protocol);   // closed for overflowing its queue
    static void describeMetrics(MetricsRegistry *metrics);

    // The event as CloudEvent JSON, serialised once for all the clients that send it: a live
    // batch goes to every subscriber, and catch-ups tend to read the same recent pages.
    QByteArray cloudEventJson(const RecordedEvent &event);

Q_SIGNALS:
    void eventsCommitted(const Gatehouse::RecordedEvents &events);
    void documentsChanged(const QList<Gatehouse::StoredDocument> &documents);
    // The server is stopping: WebSocket clients get close 1001, SSE streams end.
    void goingAway();

private:
    MetricsRegistry *m_metrics;
    QCache<qint64, QByteArray> m_cloudEvents;   // by position; cost = bytes
};

} // namespace Gatehouse::Live
