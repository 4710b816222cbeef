#pragma once

#include <QLoggingCategory>

namespace Gatehouse {

// "gatehouse.upstream": http upstream node health changes and proxy failures.
Q_DECLARE_LOGGING_CATEGORY(lcUpstream)

} // namespace Gatehouse
