#pragma once

#include "readmodel/storeddocument.h"
#include "store/recordedevent.h"

#include <QCache>
#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

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
//
// Relays are paced: what arrives within `batchMs` of the last relay waits for the end of that
// interval and goes out as one relay (still in commit order), so under a steady stream each
// client gets one write per interval carrying several commits instead of one write per commit.
// The first batch after a quiet interval goes out at once. 0 relays every batch as it comes.
class LiveFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveFeed)

public:
    LiveFeed(EventStore *store, UpsertProjection *upsert, MetricsRegistry *metrics, int batchMs = 0,
             QObject *parent = nullptr);
    ~LiveFeed() override;

    // Bookkeeping by the clients; `protocol` is "websocket" or "sse".
    void clientOpened(const char *protocol);
    void clientClosed(const char *protocol);
    void clientCutOff(const char *protocol);   // closed for overflowing its queue
    static void describeMetrics(MetricsRegistry *metrics);

    // The event as CloudEvent JSON, serialised once for all the clients that send it: a live
    // batch goes to every subscriber, and catch-ups tend to read the same recent pages.
    QByteArray cloudEventJson(const RecordedEvent &event);
    // The same as an SSE event: "id: {position}\nevent: {type}\ndata: {CloudEvent}\n\n" (compact
    // JSON has no line breaks, so one data: line carries it).
    QByteArray sseEventText(const RecordedEvent &event);

Q_SIGNALS:
    void eventsCommitted(const Gatehouse::RecordedEvents &events);
    void documentsChanged(const QList<Gatehouse::StoredDocument> &documents);
    // The server is stopping: WebSocket clients get close 1001, SSE streams end.
    void goingAway();

private:
    void committed(const Gatehouse::RecordedEvents &events);
    void changed(const QList<Gatehouse::StoredDocument> &documents);
    void scheduleRelay();
    void relay();

    MetricsRegistry *m_metrics;
    QCache<qint64, QByteArray> m_cloudEvents;   // by position; cost = bytes
    QCache<qint64, QByteArray> m_sseEvents;     // the same, as SSE text
    const int m_batchMs;
    QTimer m_relayTimer;           // pending relay, at the end of the interval
    QElapsedTimer m_lastRelay;     // invalid until the first relay
    RecordedEvents m_pendingEvents;
    QList<StoredDocument> m_pendingDocuments;
};

} // namespace Gatehouse::Live
