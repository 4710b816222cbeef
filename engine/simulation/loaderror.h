#pragma once

#include <QString>

namespace Gatehouse::Simulation {

// Why a request of the load generator did not get the answer it wanted. The names are the
// report's error kinds (README, "Simulation").
enum class LoadError {
    None,
    Connect,       // the TCP connection could not be opened (refused, no route, unknown host)
    Timeout,       // no complete answer within the request timeout
    Reset,         // the connection ended before the answer was complete
    BadResponse,   // bytes that are not an HTTP/1.1 response (or not the JSON the op needs)
    Status4xx,     // an answer >= 400 and < 500, except 429
    Status5xx,     // an answer >= 500
    RateLimited,   // 429
    NoId,          // a request path uses {id} and no id has been created yet in the run
    Mqtt,          // an MQTT command could not be published or got no reply
    Interrupted,   // still in flight when the run ended (stop(), or past the graceful stop)
};

QString loadErrorName(LoadError error);
LoadError errorForStatus(int status);   // None below 400

} // namespace Gatehouse::Simulation
