#include "httpupstreamstate.h"

#include "base/steadyclock.h"
#include "httpupstreamchecker.h"
#include "httpupstreamexchange.h"
#include "httpupstreamlogging.h"
#include "httpupstreamoverrides.h"

namespace Gatehouse {

namespace {

QList<int> weightsOf(const HttpUpstreamSpec &spec)
{
    QList<int> weights;
    for (const auto &node : spec.nodes)
        weights.append(node.weight);
    return weights;
}

HttpUpstreamHealth::Outcome healthOutcome(const HttpUpstreamConnection::Result &result, const HttpHealthThresholds &thresholds)
{
    using Outcome = HttpUpstreamConnection::Outcome;
    switch (result.outcome) {
    case Outcome::Response:
        return HttpUpstreamHealth::classify(result.status, thresholds);
    case Outcome::Connected:
        return HttpUpstreamHealth::Outcome::Success;
    case Outcome::ConnectTimeout:
    case Outcome::SendTimeout:
    case Outcome::ReadTimeout:
        return HttpUpstreamHealth::Outcome::Timeout;
    case Outcome::ConnectFailed:
    case Outcome::Closed:
    case Outcome::Malformed:
        break;
    }
    return HttpUpstreamHealth::Outcome::TcpFailure;
}
} // namespace

HttpUpstreamState::HttpUpstreamState(QString name, HttpUpstreamSpec spec, QStringList specErrors, QString upstreamId,
                                     std::shared_ptr<const HttpUpstreamOverrides> overrides, QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_spec(std::move(spec))
    , m_specErrors(std::move(specErrors))
    , m_upstreamId(std::move(upstreamId))
    , m_overrides(std::move(overrides))
    , m_nodes(m_spec.nodes.size())
    , m_balancer(weightsOf(m_spec))
    , m_lastUsedMs(steadyNowMs())
{
    if (m_spec.activeChecks && m_specErrors.isEmpty()) {
        m_checker = new HttpUpstreamChecker(
            m_spec, [this](int node) { return m_nodes.at(node).health.isHealthy(); },
            [this](int node, const HttpUpstreamConnection::Result &result) {
                recordActive(node, healthOutcome(result, m_spec.active),
                             result.outcome == HttpUpstreamConnection::Outcome::Response ? QStringLiteral("answered %1").arg(result.status) : result.error);
            },
            this);
        m_checker->setAddressOf([this](int node) { return addressOf(node); });
        m_checker->start();
    }
}

HttpUpstreamState::~HttpUpstreamState()
{
    delete m_checker;   // its callbacks use members that go before QObject deletes children
    const auto exchanges = m_exchanges;
    m_exchanges.clear();
    for (HttpUpstreamExchange *exchange : exchanges)
        exchange->abort(QStringLiteral("the gateway stopped using this upstream"));
}

void HttpUpstreamState::forward(ApiRequest request, ApiResponder respond)
{
    m_lastUsedMs = steadyNowMs();
    if (!m_specErrors.isEmpty()) {
        respond(ApiResponse::problem(502, QStringLiteral("the route's http upstream is misconfigured: ") + m_specErrors.join(QStringLiteral("; ")),
                                     QStringLiteral("upstream-unavailable")));
        return;
    }
    auto *exchange = new HttpUpstreamExchange(this, std::move(request), std::move(respond));
    m_exchanges.insert(exchange);
    exchange->start();
}

void HttpUpstreamState::finished(HttpUpstreamExchange *exchange)
{
    m_lastUsedMs = steadyNowMs();
    if (m_exchanges.remove(exchange))
        exchange->deleteLater();
}

int HttpUpstreamState::pick(const QSet<int> &tried, bool *probe)
{
    *probe = false;
    if (m_spec.halfOpenRecovery()) {
        const qint64 now = steadyNowMs();
        for (int i = 0; i < int(m_nodes.size()); ++i) {
            if (m_spec.nodes.at(i).weight > 0 && !tried.contains(i) && m_nodes.at(i).health.admitsProbe(now)) {
                m_nodes[i].health.beginProbe();
                *probe = true;
                return i;
            }
        }
    }
    const int healthy = m_balancer.pick([&](int i) { return !tried.contains(i) && m_nodes.at(i).health.isHealthy(); });
    if (healthy >= 0)
        return healthy;
    // Fail open: an unhealthy node may answer; refusing outright would answer 502 for sure.
    return m_balancer.pick([&](int i) { return !tried.contains(i); });
}

std::pair<QString, quint16> HttpUpstreamState::addressOf(int node) const
{
    const auto &n = m_spec.nodes.at(node);
    std::pair<QString, quint16> address{n.host, n.port};
    if (m_overrides)
        m_overrides->resolve(m_upstreamId, n.address(), &address.first, &address.second);
    return address;
}

HttpUpstreamConnection *HttpUpstreamState::acquire(int node, bool fresh)
{
    auto &idle = m_nodes[node].idle;
    const auto [host, port] = addressOf(node);
    while (!fresh && !idle.isEmpty()) {
        HttpUpstreamConnection *connection = idle.takeLast();
        // One kept from before an override began or ended goes to the wrong place: not reused.
        if (connection->isReusable() && connection->host() == host && connection->port() == port)
            return connection;
        connection->deleteLater();
    }
    auto *connection = new HttpUpstreamConnection(host, port, m_spec.tls, m_spec.tlsVerify, this);
    connect(connection, &HttpUpstreamConnection::idleClosed, this, [this, node](HttpUpstreamConnection *c) {
        m_nodes[node].idle.removeOne(c);
        c->deleteLater();
    });
    return connection;
}

void HttpUpstreamState::release(int node, HttpUpstreamConnection *connection, bool reusable)
{
    auto &idle = m_nodes[node].idle;
    if (reusable && connection->requestCount() < m_spec.poolRequests && idle.size() < m_spec.poolSize) {
        idle.append(connection);
        connection->park(m_spec.poolIdleMs);
    } else {
        connection->deleteLater();
    }
}

void HttpUpstreamState::report(int node, const HttpUpstreamConnection::Result &result, bool probe)
{
    Node &n = m_nodes[node];
    const HttpUpstreamHealth::Outcome outcome = healthOutcome(result, m_spec.passive);
    if (result.outcome != HttpUpstreamConnection::Outcome::Response) {
        ++n.consecutiveFailures;
        n.lastError = result.error;
    } else if (outcome == HttpUpstreamHealth::Outcome::HttpFailure
               || (!m_spec.passiveChecks && result.status >= 500)) {
        ++n.consecutiveFailures;
        n.lastError = QStringLiteral("answered %1").arg(result.status);
    } else {
        n.consecutiveFailures = 0;
        n.lastError.clear();
    }
    if (!m_spec.passiveChecks)
        return;
    const bool changed = n.health.record(outcome, m_spec.passive);
    if (probe)
        n.health.endProbe(outcome, steadyNowMs(), m_spec.passive.unhealthyIntervalMs);
    if (changed)
        noteTransition(node, "passive");
}

void HttpUpstreamState::recordActive(int node, HttpUpstreamHealth::Outcome outcome, const QString &error)
{
    Node &n = m_nodes[node];
    if (outcome == HttpUpstreamHealth::Outcome::Success) {
        n.consecutiveFailures = 0;
        n.lastError.clear();
    } else if (outcome != HttpUpstreamHealth::Outcome::Neutral) {
        ++n.consecutiveFailures;
        n.lastError = QStringLiteral("health check: ") + error;
    }
    if (n.health.record(outcome, m_spec.active))
        noteTransition(node, "active");
}

void HttpUpstreamState::noteTransition(int node, const char *source)
{
    Node &n = m_nodes[node];
    const QString address = m_spec.nodes.at(node).address();
    if (n.health.isHealthy()) {
        n.lastError.clear();
        qCInfo(lcUpstream, "upstream %s node %s is healthy again (%s check)", qUtf8Printable(m_name), qUtf8Printable(address), source);
        return;
    }
    n.health.restUntil(steadyNowMs() + m_spec.passive.unhealthyIntervalMs);
    qCWarning(lcUpstream, "upstream %s node %s is unhealthy (%s check): %s", qUtf8Printable(m_name), qUtf8Printable(address), source,
              qUtf8Printable(n.lastError));
}

QList<HttpUpstreamState::NodeStatus> HttpUpstreamState::status() const
{
    QList<NodeStatus> out;
    for (int i = 0; i < int(m_nodes.size()); ++i) {
        const auto &n = m_nodes.at(i);
        out.append({m_spec.nodes.at(i).address(), m_spec.nodes.at(i).weight, n.health.isHealthy(), n.consecutiveFailures, n.lastError});
    }
    return out;
}

} // namespace Gatehouse
