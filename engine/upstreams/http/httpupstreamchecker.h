#pragma once

#include "httpupstreamconnection.h"
#include "httpupstreamspec.h"

#include <QObject>
#include <QSet>

#include <functional>

class QTimer;

namespace Gatehouse {

// Active health checks of one upstream (APISIX checks.active): every healthy.interval it
// probes the healthy nodes, every unhealthy.interval the unhealthy ones, with a GET of
// http_path on a new connection (or only a connect for type "tcp"), at most one probe per
// node at a time. It only reports results; the upstream state judges them. Lives on the
// upstream thread, a child of the state.
class HttpUpstreamChecker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpUpstreamChecker)

public:
    using HealthQuery = std::function<bool(int node)>;
    using Reporter = std::function<void(int node, const HttpUpstreamConnection::Result &result)>;
    // Where node `index` is reached now (a simulation's fault proxy may stand in for it).
    using AddressOf = std::function<std::pair<QString, quint16>(int node)>;

    HttpUpstreamChecker(HttpUpstreamSpec spec, HealthQuery isHealthy, Reporter report, QObject *parent = nullptr);
    void setAddressOf(AddressOf addressOf) { m_addressOf = std::move(addressOf); }

    void start();

private:
    void probeAll(bool healthy);
    void probe(int node);
    QByteArray probeRequest(int node) const;

    HttpUpstreamSpec m_spec;
    HealthQuery m_isHealthy;
    Reporter m_report;
    AddressOf m_addressOf;
    QTimer *m_healthyTimer;
    QTimer *m_unhealthyTimer;
    QSet<int> m_probing;
};

} // namespace Gatehouse
