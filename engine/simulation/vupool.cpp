#include "vupool.h"

#include "httploadclient.h"
#include "runmetrics.h"

namespace Gatehouse::Simulation {

VuPool::VuPool(GatewayTarget target, int maxVus, MetricsShard *metrics, QObject *owner)
    : m_target(std::move(target))
    , m_max(maxVus)
    , m_metrics(metrics)
    , m_owner(owner)
{
}

VuPool::~VuPool()
{
    m_metrics->vus -= int(m_all.size());
    qDeleteAll(m_all);
}

void VuPool::reserve(int count)
{
    while (m_all.size() < qMin(count, m_max)) {
        auto *vu = new HttpLoadClient(m_target, m_owner);
        m_all.append(vu);
        m_free.append(vu);
        ++m_metrics->vus;
    }
}

HttpLoadClient *VuPool::add()
{
    auto *vu = new HttpLoadClient(m_target, m_owner);
    m_all.append(vu);
    ++m_metrics->vus;
    return vu;
}

HttpLoadClient *VuPool::acquire()
{
    if (!m_free.isEmpty()) {
        ++m_metrics->busyVus;
        return m_free.takeLast();
    }
    if (m_all.size() >= m_max)
        return nullptr;
    ++m_metrics->busyVus;
    return add();
}

void VuPool::release(HttpLoadClient *vu)
{
    --m_metrics->busyVus;
    m_free.append(vu);
}

void VuPool::abortAll()
{
    for (HttpLoadClient *vu : std::as_const(m_all))
        vu->abort();
}

} // namespace Gatehouse::Simulation
