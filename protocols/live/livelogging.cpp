#include "livelogging.h"

namespace Gatehouse::Live {

Q_LOGGING_CATEGORY(lcLive, "gatehouse.live")

} // namespace Gatehouse::Live
