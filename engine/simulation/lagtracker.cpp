#include "lagtracker.h"

#include "base/steadyclock.h"

namespace Gatehouse::Simulation {

namespace {
// An event seen before any 202 named its position waits this long for one; events the run did
// not cause (a function's, another client's) are forgotten after it.
constexpr qint64 kEarlyKeepNs = 30LL * 1000 * 1000 * 1000;
} // namespace

QString LagTracker::viaName(Via via)
{
    switch (via) {
    case Get: return QStringLiteral("get");
    case WebSocket: return QStringLiteral("websocket");
    case Sse: return QStringLiteral("sse");
    case Mqtt: return QStringLiteral("mqtt");
    }
    return {};
}

void LagTracker::useVia(Via via)
{
    const QMutexLocker lock(&m_mutex);
    m_total[via].used = true;
}

int LagTracker::addConnection(Via via, const QStringList &collections)
{
    const QMutexLocker lock(&m_mutex);
    Connection c;
    c.via = via;
    c.collections = QSet<QString>(collections.cbegin(), collections.cend());
    m_connections.append(std::move(c));
    m_total[via].used = true;
    return int(m_connections.size() - 1);
}

void LagTracker::sample(Via via, qint64 lagNs)
{
    m_total[via].lag.record(lagNs);
    m_interval[via].lag.record(lagNs);
}

bool LagTracker::firstSighting(Connection &c, qint64 position)
{
    if (c.via == Mqtt) {
        if (c.seen.contains(position))
            return false;
        c.seen.insert(position);
        return true;
    }
    if (position <= c.lastPosition)
        return false;
    c.lastPosition = position;
    return true;
}

void LagTracker::accepted(qint64 position, const QString &collection, qint64 atNs)
{
    const QMutexLocker lock(&m_mutex);
    if (m_accepted.contains(position))
        return;   // an idempotent repeat answers with the first position
    m_accepted.insert(position, Accepted{atNs, collection});
    ++m_acceptedPerCollection[collection];
    ++m_acceptedTotal;
    const auto early = m_early.find(position);
    if (early == m_early.end())
        return;
    for (const int index : std::as_const(early->connections)) {
        Connection &c = m_connections[index];
        if (!c.collections.isEmpty() && !c.collections.contains(collection))
            continue;
        ++c.matched;
        sample(c.via, 0);
    }
    m_early.erase(early);
}

void LagTracker::seen(int connection, qint64 position, qint64 atNs)
{
    const QMutexLocker lock(&m_mutex);
    Connection &c = m_connections[connection];
    if (!firstSighting(c, position))
        return;
    const auto it = m_accepted.constFind(position);
    if (it == m_accepted.cend()) {
        Early &early = m_early[position];
        if (early.connections.isEmpty())
            early.atNs = atNs;
        early.connections.append(connection);
        return;
    }
    if (!c.collections.isEmpty() && !c.collections.contains(it->collection))
        return;
    ++c.matched;
    sample(c.via, qMax<qint64>(0, atNs - it->atNs));
}

void LagTracker::getLag(qint64 lagNs, bool stale)
{
    const QMutexLocker lock(&m_mutex);
    m_total[Get].used = true;
    if (lagNs >= 0)
        sample(Get, lagNs);
    if (stale) {
        ++m_total[Get].stale;
        ++m_interval[Get].stale;
    }
}

qint64 LagTracker::expectedFor(const Connection &c) const
{
    if (c.collections.isEmpty())
        return m_acceptedTotal;
    qint64 n = 0;
    for (const QString &name : c.collections)
        n += m_acceptedPerCollection.value(name);
    return n;
}

LagTracker::Summary LagTracker::summary(Summary *interval)
{
    const QMutexLocker lock(&m_mutex);
    Summary out = m_total;
    for (const Connection &c : std::as_const(m_connections))
        out[c.via].missing += qMax<qint64>(0, expectedFor(c) - c.matched);
    if (interval) {
        *interval = std::exchange(m_interval, Summary());
        const qint64 horizon = steadyNowNs() - kEarlyKeepNs;
        for (auto it = m_early.begin(); it != m_early.end();)
            it = it->atNs < horizon ? m_early.erase(it) : std::next(it);
    }
    return out;
}

qint64 LagTracker::outstanding() const
{
    const QMutexLocker lock(&m_mutex);
    qint64 n = 0;
    for (const Connection &c : m_connections)
        n += qMax<qint64>(0, expectedFor(c) - c.matched);
    return n;
}

} // namespace Gatehouse::Simulation
