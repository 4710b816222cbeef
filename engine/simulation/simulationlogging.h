#pragma once

#include <QLoggingCategory>

namespace Gatehouse::Simulation {

// "gatehouse.simulation": runs (start, end, why a run failed), the load generator and the
// subscribers of a run, faults switched on and off.
Q_DECLARE_LOGGING_CATEGORY(lcSimulation)

} // namespace Gatehouse::Simulation
