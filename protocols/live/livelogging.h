#pragma once

#include <QLoggingCategory>

namespace Gatehouse::Live {

// "gatehouse.live": WebSocket and SSE clients (connect, cut off, protocol errors).
Q_DECLARE_LOGGING_CATEGORY(lcLive)

} // namespace Gatehouse::Live
