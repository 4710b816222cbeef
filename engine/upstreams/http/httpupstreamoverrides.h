#pragma once

#include <QHash>
#include <QReadWriteLock>
#include <QString>

#include <atomic>

namespace Gatehouse {

// Node addresses replaced for a while (HttpUpstream::setNodeOverride): a simulation's fault
// proxy stands in for one node of one upstream. Shared by the HttpUpstream (which writes) and
// its upstream states (which read, on the upstream thread). Thread-safe; in memory only.
class HttpUpstreamOverrides final
{
public:
    // `via`: "host:port" ("[v6]:port"); empty removes the override. False when `via` is not an address.
    bool set(const QString &upstreamId, const QString &node, const QString &via);
    // Replaces *host and *port when (upstreamId, node) is overridden; `node` as Node::address().
    void resolve(const QString &upstreamId, const QString &node, QString *host, quint16 *port) const;

    static bool parseAddress(const QString &text, QString *host, quint16 *port);

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, std::pair<QString, quint16>> m_vias;   // "<upstream id>\n<node>" -> address
    std::atomic<bool> m_any{false};                       // the common case takes no lock
};

} // namespace Gatehouse
