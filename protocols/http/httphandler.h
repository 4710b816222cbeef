#pragma once

#include <functional>

namespace Gatehouse::Http {

struct HttpRequest;
class HttpResponder;

// Called on the network thread for every complete request. It must not block: answer through
// the responder now, later, or from another thread.
using HttpHandler = std::function<void(const HttpRequest &request, const HttpResponder &responder)>;

} // namespace Gatehouse::Http
