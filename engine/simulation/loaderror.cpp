#include "loaderror.h"

namespace Gatehouse::Simulation {

QString loadErrorName(LoadError error)
{
    switch (error) {
    case LoadError::None: return {};
    case LoadError::Connect: return QStringLiteral("connect");
    case LoadError::Timeout: return QStringLiteral("timeout");
    case LoadError::Reset: return QStringLiteral("reset");
    case LoadError::BadResponse: return QStringLiteral("bad_response");
    case LoadError::Status4xx: return QStringLiteral("status_4xx");
    case LoadError::Status5xx: return QStringLiteral("status_5xx");
    case LoadError::RateLimited: return QStringLiteral("rate_limited");
    case LoadError::NoId: return QStringLiteral("no_id");
    case LoadError::Mqtt: return QStringLiteral("mqtt");
    case LoadError::Interrupted: return QStringLiteral("interrupted");
    }
    return {};
}

LoadError errorForStatus(int status)
{
    if (status == 429)
        return LoadError::RateLimited;
    if (status >= 500)
        return LoadError::Status5xx;
    if (status >= 400)
        return LoadError::Status4xx;
    return LoadError::None;
}

} // namespace Gatehouse::Simulation
