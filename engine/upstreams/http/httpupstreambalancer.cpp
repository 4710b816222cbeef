#include "httpupstreambalancer.h"

namespace Gatehouse {

HttpUpstreamBalancer::HttpUpstreamBalancer(QList<int> weights)
    : m_weights(std::move(weights))
    , m_current(m_weights.size(), 0)
{
}

int HttpUpstreamBalancer::pick(const std::function<bool(int)> &eligible)
{
    int best = -1;
    qint64 total = 0;
    for (int i = 0; i < int(m_weights.size()); ++i) {
        if (m_weights.at(i) <= 0 || !eligible(i))
            continue;
        m_current[i] += m_weights.at(i);
        total += m_weights.at(i);
        if (best < 0 || m_current.at(i) > m_current.at(best))
            best = i;
    }
    if (best >= 0)
        m_current[best] -= total;
    return best;
}

} // namespace Gatehouse
