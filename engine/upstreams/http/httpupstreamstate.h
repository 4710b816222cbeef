#pragma once

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "httpupstreambalancer.h"
#include "httpupstreamconnection.h"
#include "httpupstreamhealth.h"
#include "httpupstreamspec.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

namespace Gatehouse {

class HttpUpstreamChecker;
class HttpUpstreamOverrides;
class HttpUpstreamExchange;

// What the gateway knows about one `http` upstream of one route while it is in use: its
// parsed spec, every node's health and keep-alive pool, the round-robin position and the
// active health checker. Exchanges (one per proxied request) borrow nodes and connections
// from it. Created on first use, kept across configuration reloads that leave the upstream
// unchanged. Lives on the upstream thread, with everything it owns.
class HttpUpstreamState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpUpstreamState)

public:
    struct NodeStatus
    {
        QString node;               // "host:port"
        int weight = 0;
        bool healthy = true;
        int consecutiveFailures = 0;
        QString lastError;          // empty when the last exchange succeeded
    };

    // `upstreamId` and `overrides` (may be null): where a simulation's node overrides apply.
    HttpUpstreamState(QString name, HttpUpstreamSpec spec, QStringList specErrors, QString upstreamId = {},
                      std::shared_ptr<const HttpUpstreamOverrides> overrides = nullptr, QObject *parent = nullptr);
    ~HttpUpstreamState() override;   // answers exchanges still in flight with 503

    const QString &name() const { return m_name; }
    const HttpUpstreamSpec &spec() const { return m_spec; }
    bool isBusy() const { return !m_exchanges.isEmpty(); }
    qint64 lastUsedMs() const { return m_lastUsedMs; }
    QList<NodeStatus> status() const;

    // Proxies one request; `respond` is called once, on this thread.
    void forward(ApiRequest request, ApiResponder respond);

    // For exchanges: the next node not in `tried` (healthy first, a resting node as a probe,
    // unhealthy ones when nothing else is left); -1 when there is none.
    int pick(const QSet<int> &tried, bool *probe);
    HttpUpstreamConnection *acquire(int node, bool fresh);
    void release(int node, HttpUpstreamConnection *connection, bool reusable);
    void report(int node, const HttpUpstreamConnection::Result &result, bool probe);
    void finished(HttpUpstreamExchange *exchange);

private:
    struct Node
    {
        HttpUpstreamHealth health;
        QList<HttpUpstreamConnection *> idle;   // most recently used last
        int consecutiveFailures = 0;
        QString lastError;
    };
    void recordActive(int node, HttpUpstreamHealth::Outcome outcome, const QString &error);
    std::pair<QString, quint16> addressOf(int node) const;   // the node's, unless overridden
    void noteTransition(int node, const char *source);

    QString m_name;
    HttpUpstreamSpec m_spec;
    QStringList m_specErrors;
    QString m_upstreamId;
    std::shared_ptr<const HttpUpstreamOverrides> m_overrides;
    QList<Node> m_nodes;
    HttpUpstreamBalancer m_balancer;
    HttpUpstreamChecker *m_checker = nullptr;
    QSet<HttpUpstreamExchange *> m_exchanges;
    qint64 m_lastUsedMs = 0;
};

} // namespace Gatehouse
