#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// When a node counts as healthy or unhealthy, for one kind of check (APISIX's
// checks.active / checks.passive; lua-resty-healthcheck semantics: a threshold of 0 disables
// that counter, an interval of 0 disables that kind of probing).
struct HttpHealthThresholds
{
    QList<int> healthyStatuses;
    int successes = 0;          // consecutive healthy answers that make an unhealthy node healthy
    QList<int> unhealthyStatuses;
    int httpFailures = 0;       // consecutive unhealthy statuses that make a healthy node unhealthy
    int tcpFailures = 0;        // consecutive connect failures / resets
    int timeouts = 0;           // consecutive timeouts
    int healthyIntervalMs = 0;  // active: probe healthy nodes this often
    int unhealthyIntervalMs = 0; // active: probe unhealthy nodes this often; passive: rest time
                                 // before a real request may probe an unhealthy node
};

// An `http` upstream's configuration (APISIX field names), parsed and checked once per
// configuration version. Times are milliseconds; the JSON gives (fractional) seconds.
struct HttpUpstreamSpec
{
    struct Node
    {
        QString host;       // name or address, IPv6 without brackets
        quint16 port = 0;
        int weight = 1;
        QString address() const;   // "host:port", "[::1]:port"
    };
    enum class PassHost { Pass, Node, Rewrite };

    QList<Node> nodes;
    bool tls = false;               // scheme "https"
    bool tlsVerify = false;         // tls.verify
    int connectTimeoutMs = 6000;
    int sendTimeoutMs = 6000;
    int readTimeoutMs = 6000;
    int retries = 0;                // further attempts after the first (default: nodes - 1)
    int retryTimeoutMs = 0;         // 0: no limit on the time spent retrying
    PassHost passHost = PassHost::Pass;
    QByteArray upstreamHost;        // pass_host "rewrite"
    int poolSize = 320;             // idle keep-alive connections kept per node
    int poolIdleMs = 60000;
    int poolRequests = 1000;        // requests per connection before it is closed

    bool activeChecks = false;
    bool activeTcp = false;         // checks.active.type "tcp": a connect is the probe
    bool activeTls = false;         // checks.active.type "https"
    QByteArray activePath = "/";
    QByteArray activeHost;          // Host header of probes; empty: the node's host
    QList<QByteArray> activeHeaders; // checks.active.req_headers ("Name: value")
    int activeTimeoutMs = 1000;
    HttpHealthThresholds active;
    bool passiveChecks = false;
    HttpHealthThresholds passive;

    bool healthChecks() const { return activeChecks || passiveChecks; }
    // Passive checks bring a node back by letting one real request through after a rest,
    // unless active checks already probe unhealthy nodes.
    bool halfOpenRecovery() const { return passiveChecks && !(activeChecks && active.unhealthyIntervalMs > 0); }

    // Errors are "<pointer>: <message>" with pointers below `pointer`.
    static HttpUpstreamSpec fromJson(const QJsonObject &upstream, QStringList *errors,
                                     const QString &pointer = {});
};

} // namespace Gatehouse
