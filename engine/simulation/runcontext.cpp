#include "runcontext.h"

namespace Gatehouse::Simulation {

QList<double> RunContext::weightsOf(int workload) const
{
    QList<double> weights;
    for (const Operation &op : scenario.workloads.at(workload).operations)
        weights.append(op.weight);
    return weights;
}

int RunContext::workloadOf(int flat) const
{
    int w = 0;
    while (w + 1 < opOffset.size() && opOffset.at(w + 1) <= flat)
        ++w;
    return w;
}

const Operation &RunContext::operation(int flat) const
{
    const int w = workloadOf(flat);
    return scenario.workloads.at(w).operations.at(flat - opOffset.at(w));
}

} // namespace Gatehouse::Simulation
