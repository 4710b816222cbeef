#include "httpupstreamchecker.h"

#include <QTimer>

namespace Gatehouse {

HttpUpstreamChecker::HttpUpstreamChecker(HttpUpstreamSpec spec, HealthQuery isHealthy, Reporter report, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_isHealthy(std::move(isHealthy))
    , m_report(std::move(report))
    , m_healthyTimer(new QTimer(this))
    , m_unhealthyTimer(new QTimer(this))
{
    connect(m_healthyTimer, &QTimer::timeout, this, [this] { probeAll(true); });
    connect(m_unhealthyTimer, &QTimer::timeout, this, [this] { probeAll(false); });
}

void HttpUpstreamChecker::start()
{
    // An interval of 0 turns that half of the probing off (lua-resty-healthcheck).
    if (m_spec.active.healthyIntervalMs > 0)
        m_healthyTimer->start(m_spec.active.healthyIntervalMs);
    if (m_spec.active.unhealthyIntervalMs > 0)
        m_unhealthyTimer->start(m_spec.active.unhealthyIntervalMs);
}

void HttpUpstreamChecker::probeAll(bool healthy)
{
    for (int i = 0; i < int(m_spec.nodes.size()); ++i) {
        if (m_isHealthy(i) == healthy)
            probe(i);
    }
}

void HttpUpstreamChecker::probe(int node)
{
    if (m_probing.contains(node))
        return;
    m_probing.insert(node);
    const auto &n = m_spec.nodes.at(node);
    const auto [host, port] = m_addressOf ? m_addressOf(node) : std::pair<QString, quint16>{n.host, n.port};
    auto *connection = new HttpUpstreamConnection(host, port, m_spec.activeTls, m_spec.tlsVerify, this);
    auto done = [this, node, connection](HttpUpstreamConnection::Result result) {
        m_probing.remove(node);
        connection->deleteLater();
        m_report(node, result);
    };
    if (m_spec.activeTcp) {
        connection->connectOnly(m_spec.activeTimeoutMs, std::move(done));
    } else {
        const int t = m_spec.activeTimeoutMs;
        connection->send(probeRequest(node), false, {t, t, t}, std::move(done));
    }
}

QByteArray HttpUpstreamChecker::probeRequest(int node) const
{
    const auto &n = m_spec.nodes.at(node);
    QByteArray host = m_spec.activeHost;
    if (host.isEmpty()) {
        host = n.host.contains(QLatin1Char(':')) ? QByteArray('[' + n.host.toLatin1() + ']') : n.host.toLatin1();
        host += ':' + QByteArray::number(n.port);
    }
    QByteArray out = "GET " + m_spec.activePath + " HTTP/1.1\r\nhost: " + host
        + "\r\nuser-agent: gatehouse-healthcheck\r\nconnection: close\r\n";
    for (const QByteArray &header : m_spec.activeHeaders)
        out += header.trimmed() + "\r\n";
    return out + "\r\n";
}

} // namespace Gatehouse
