#include "simulationlogging.h"

namespace Gatehouse::Simulation {

Q_LOGGING_CATEGORY(lcSimulation, "gatehouse.simulation")

} // namespace Gatehouse::Simulation
