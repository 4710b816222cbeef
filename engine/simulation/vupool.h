#pragma once

#include "gatewaytarget.h"
#include <QList>
#include <QObject>
#include <QString>

namespace Gatehouse::Simulation {

class HttpLoadClient;
class MetricsShard;

// The virtual users of one executor on one generator thread: each a keep-alive connection to
// the target. `reserve` opens none (a connection opens on its VU's first request, as a k6 VU's
// would); a VU is either free or running one iteration. Owned by its scheduler, on its thread.
class VuPool
{
public:
    VuPool(GatewayTarget target, int maxVus, MetricsShard *metrics, QObject *owner);
    ~VuPool();
    VuPool(const VuPool &) = delete;
    VuPool &operator=(const VuPool &) = delete;

    void reserve(int count);          // pre-allocated VUs
    // A free VU, or a new one while under maxVus; null when every VU is busy and no more may be.
    HttpLoadClient *acquire();
    void release(HttpLoadClient *vu);
    HttpLoadClient *at(int index) const { return m_all.at(index); }
    HttpLoadClient *add();            // one more VU, outside the free list (VU executors keep their own)
    int size() const { return int(m_all.size()); }
    void abortAll();                  // every request in flight ends as interrupted

private:
    GatewayTarget m_target;
    int m_max;
    MetricsShard *m_metrics;
    QObject *m_owner;
    QList<HttpLoadClient *> m_all;
    QList<HttpLoadClient *> m_free;
};

// How many of `total` things share `share` of `shares` gets when they are dealt round-robin.
inline int dealtShare(int total, int share, int shares)
{
    return total / shares + (share < total % shares ? 1 : 0);
}

} // namespace Gatehouse::Simulation
