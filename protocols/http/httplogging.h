#pragma once

#include <QLoggingCategory>

namespace Gatehouse::Http {

// "gatehouse.http": connection lifecycle, parse errors, limits hit.
Q_DECLARE_LOGGING_CATEGORY(lcHttp)

} // namespace Gatehouse::Http
