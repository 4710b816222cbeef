#pragma once

#include "httphandler.h"

namespace Gatehouse {
class Gateway;
}

namespace Gatehouse::Http {

// Turns HTTP requests into gateway requests and gateway answers back into HTTP responses.
// The returned handler runs on the network thread; the gateway may answer from any thread.
HttpHandler makeGatewayHandler(Gateway *gateway);

} // namespace Gatehouse::Http
