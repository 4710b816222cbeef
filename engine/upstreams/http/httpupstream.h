#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>

namespace Gatehouse {

// The gateway's `http` upstream type: proxies requests to external nodes the APISIX way
// (smooth weighted round robin, retries on the next node, connect/send/read timeouts,
// keep-alive pools, active and passive health checks) -- and lets passive checks bring a
// node back: after resting, an unhealthy node gets one real request as a probe, and enough
// healthy answers make it healthy again, so passive-only configurations do not lose nodes
// for good.
//
// Owns one thread ("gatehouse-upstream") where every upstream connection, pool, balancer,
// health checker and timer lives; handle() and status() may be called from any thread.
// Per-upstream state is keyed by route id and upstream configuration, so it survives
// configuration reloads that leave an upstream alone; state nobody used for the idle expiry
// (or dropped by retain()) is discarded.
class HttpUpstream final
{
public:
    struct NodeStatus
    {
        QString upstream;           // "<route id>/<config digest>"
        QString routeId;
        QString node;               // "host:port"
        int weight = 0;
        bool healthy = true;
        int consecutiveFailures = 0;
        QString lastError;          // empty after a success
    };

    HttpUpstream();
    ~HttpUpstream();   // answers requests still in flight with 503, joins the thread
    HttpUpstream(const HttpUpstream &) = delete;
    HttpUpstream &operator=(const HttpUpstream &) = delete;

    // The Gateway::UpstreamHandler for type "http". Any thread; answers on the upstream thread.
    void handle(const RouteUpstream &upstream, ApiRequest &&request, ApiResponder &&respond);   // route id: request.routeId

    // Every node of every upstream in use. Any thread; waits for the upstream thread.
    QList<NodeStatus> status() const;

    // Keeps the state of these (route id, upstream) pairs and discards every other (call after
    // a reload with every route's).
    void retain(const QList<std::pair<QString, RouteUpstream>> &upstreams);
    // How long unused upstream state is kept (default 10 minutes).
    void setIdleExpiry(int ms);

    // A simulation's fault proxy in front of a node: connections (and health probes) of the
    // upstream `upstreamId` to `node` ("host:port" as Node::address() writes it) go to `via`
    // ("host:port") instead; an empty `via` restores the node. `upstreamId` is the id of an
    // upstream resource (for every route that names it by upstream_id), or a route's id for an
    // upstream written into the route. Idle keep-alive connections to the old address are not
    // reused. In memory only. False when `via` is not an address. Any thread.
    bool setNodeOverride(const QString &upstreamId, const QString &node, const QString &via);

    static QString stateKey(const QString &routeId, const QJsonObject &upstream);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse
