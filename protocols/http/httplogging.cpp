#include "httplogging.h"

namespace Gatehouse::Http {

Q_LOGGING_CATEGORY(lcHttp, "gatehouse.http")

} // namespace Gatehouse::Http
