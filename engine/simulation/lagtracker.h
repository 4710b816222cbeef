#pragma once

#include "latencyhistogram.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QSet>
#include <QString>
#include <QStringList>

#include <array>

namespace Gatehouse::Simulation {

// The consistency lag of a run: how long after a command's 202 its change is visible.
// Generator threads report every 202 (its log position and when it arrived); subscriber
// connections report every event they receive; an event whose position a 202 of this run
// returned gives one sample: received - 202 (0 when the event came first). Read-after-write
// reports its own samples (202 -> the GET with X-Min-Position answered). A (connection,
// position) pair expected and not seen is "missing": a connection expects every accepted
// position of the collections it watches (all of them when it names none). Duplicates (MQTT
// is at least once) count once. Thread-safe: one mutex, held for a few hash operations.
class LagTracker
{
public:
    enum Via { Get, WebSocket, Sse, Mqtt };
    static constexpr int kViaCount = 4;
    static QString viaName(Via via);   // "get", "websocket", "sse", "mqtt"

    struct ViaStats
    {
        bool used = false;       // the run measures this via (subscribers, or read_after_write)
        LatencyHistogram lag;
        qint64 missing = 0;      // expected and not (yet) seen
        qint64 stale = 0;        // via get: the GET without X-Min-Position did not show the write
    };
    using Summary = std::array<ViaStats, kViaCount>;

    void accepted(qint64 position, const QString &collection, qint64 atNs);
    void useVia(Via via);
    int addConnection(Via via, const QStringList &collections);
    void seen(int connection, qint64 position, qint64 atNs);
    void getLag(qint64 lagNs, bool stale);

    // Totals; with `interval`, also the samples since the previous call with one (then cleared).
    Summary summary(Summary *interval = nullptr);
    // (connection, position) pairs still expected: 0 when every subscriber has seen everything.
    qint64 outstanding() const;

private:
    struct Connection
    {
        Via via = WebSocket;
        QSet<QString> collections;   // empty: every collection
        qint64 matched = 0;
        qint64 lastPosition = 0;     // WebSocket/SSE deliver in position order
        QSet<qint64> seen;           // MQTT: in order per topic only, and at least once
    };
    struct Accepted
    {
        qint64 atNs = 0;
        QString collection;
    };
    struct Early
    {
        qint64 atNs = 0;
        QList<int> connections;
    };

    bool firstSighting(Connection &c, qint64 position);
    void sample(Via via, qint64 lagNs);
    qint64 expectedFor(const Connection &c) const;

    mutable QMutex m_mutex;
    QHash<qint64, Accepted> m_accepted;
    QHash<QString, qint64> m_acceptedPerCollection;
    qint64 m_acceptedTotal = 0;
    QList<Connection> m_connections;
    QHash<qint64, Early> m_early;   // events seen before their 202 (pruned after kEarlyKeepNs)
    Summary m_total;
    Summary m_interval;
};

} // namespace Gatehouse::Simulation
