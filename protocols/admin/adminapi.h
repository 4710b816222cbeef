#pragma once

#include "http/httphandler.h"

#include <QString>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Admin {

// The admin listener (default 127.0.0.1:9180): /health and /metrics without a key, everything
// under /admin/ with X-API-KEY (compared in constant time). Handlers run on the network thread.
class AdminApi final
{
public:
    explicit AdminApi(Engine *engine);
    Http::HttpHandler handler() const;

    // Constant-time comparison: the time taken does not depend on where the strings differ.
    static bool keysEqual(const QByteArray &given, const QByteArray &expected);

private:
    Engine *m_engine;
};

} // namespace Gatehouse::Admin
