#pragma once

#include "apirequest.h"
#include "apiresponse.h"
#include "gatewayconfig.h"
#include "route.h"

#include <QHash>
#include <QMutex>

#include <functional>
#include <memory>

namespace Gatehouse {

class MetricsRegistry;
class PluginState;

// The one place requests are dispatched: match the route, run its plugin chain (global rules
// and the route's plugins, by priority), hand the request to the upstream handler for the
// route's upstream type, then let the plugins see the answer. handle() may be called from any
// thread with an event loop (plugins may delay); the configuration is swapped atomically, so
// a request in flight finishes on the configuration it started with.
class Gateway final
{
public:
    using UpstreamHandler = std::function<void(const Route &route, ApiRequest &&request, ApiResponder &&respond)>;

    explicit Gateway(MetricsRegistry *metrics = nullptr);
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Register before serving; not synchronised with handle().
    void setUpstreamHandler(const QString &type, UpstreamHandler handler);

    // Builds a configuration from the resources and, when valid, makes it current.
    bool apply(const GatewayResources &resources, QStringList *errors);
    std::shared_ptr<const GatewayConfig> config() const;
    std::shared_ptr<PluginState> pluginState() const { return m_state; }

    // Convenience for tests and tools: routes only, no plugins.
    bool setRoutes(const QList<Route> &routes, QStringList *errors = nullptr);

    void handle(ApiRequest request, ApiResponder respond) const;

private:
    struct Exchange;
    void runAccess(std::shared_ptr<Exchange> ex, size_t index) const;
    void callUpstream(std::shared_ptr<Exchange> ex) const;
    void finish(std::shared_ptr<Exchange> ex, ApiResponse response) const;

    QHash<QString, UpstreamHandler> m_handlers;
    MetricsRegistry *m_metrics;
    std::shared_ptr<PluginState> m_state;
    mutable QMutex m_configMutex;
    std::shared_ptr<const GatewayConfig> m_config;
};

} // namespace Gatehouse
