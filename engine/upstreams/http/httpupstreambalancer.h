#pragma once

#include <QList>

#include <functional>

namespace Gatehouse {

// Smooth weighted round robin, nginx's algorithm: every pick adds each eligible node's
// weight to its running score, takes the highest score and subtracts the eligible total
// from it. Over any run of picks among the same nodes, each node gets exactly its share,
// interleaved (weights 5,1,1 give a a b a c a a, not a a a a a b c). Not thread-safe: one
// balancer per upstream, used on the upstream thread.
class HttpUpstreamBalancer final
{
public:
    explicit HttpUpstreamBalancer(QList<int> weights = {});

    // The node to use among those for which `eligible(index)` is true and whose weight is
    // above 0; -1 when there is none.
    int pick(const std::function<bool(int)> &eligible);

private:
    QList<int> m_weights;
    QList<qint64> m_current;
};

} // namespace Gatehouse
