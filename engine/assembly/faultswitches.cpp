#include "faultswitches.h"

#include "engine.h"
#include "config/collectioncatalog.h"
#include "functions/functionservice.h"
#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"
#include "gateway/plugins/breakerstate.h"
#include "projections/projectionrunner.h"
#include "store/eventstore.h"
#include "upstreams/http/httpupstream.h"
#include "upstreams/http/httpupstreamspec.h"

#include <QJsonArray>

#include <optional>

namespace Gatehouse {

namespace {

const QString kNotRunning = QStringLiteral("the engine is not running");

// The http upstream `id` names: an upstream resource, else a route's own upstream.
std::optional<QJsonObject> httpUpstream(const Gateway &gateway, const QString &id)
{
    const GatewayResources &resources = gateway.config()->resources();
    for (const QJsonValue &u : resources.upstreams) {
        if (u.toObject().value(QLatin1String("id")).toString() == id)
            return u.toObject();
    }
    for (const QJsonValue &r : resources.routes) {
        const QJsonObject route = r.toObject();
        if (route.value(QLatin1String("id")).toString() == id && route.contains(QLatin1String("upstream")))
            return route.value(QLatin1String("upstream")).toObject();
    }
    return std::nullopt;
}

} // namespace

QString FaultSwitches::setFunctionFault(const QString &function, double errorRate, qint64 latencyMs) const
{
    if (!m_engine->isRunning() || !m_engine->functions())
        return kNotRunning;
    if (!(errorRate >= 0 && errorRate <= 1) || latencyMs < 0)
        return QStringLiteral("error rate must be 0..1 and latency >= 0");
    if (!m_engine->functions()->setFault(function, errorRate, latencyMs))
        return QStringLiteral("no function '%1' is deployed").arg(function);
    return {};
}

QString FaultSwitches::setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch) const
{
    if (!m_engine->isRunning())
        return kNotRunning;
    if (msPerBatch < 0 || msPerBatch > ProjectionRunner::kMaxFaultMsPerBatch)
        return QStringLiteral("ms per batch must be 0..%1").arg(ProjectionRunner::kMaxFaultMsPerBatch);
    ProjectionRunner *runner = m_engine->projection(QStringLiteral("function:") + projection);
    if (!runner && (projection == QLatin1String("upsert") || m_engine->collections()->collection(projection)))
        runner = m_engine->projection(QStringLiteral("upsert"));
    if (!runner)
        return QStringLiteral("no projection '%1' (a collection's name for the upsert projection, or an event-triggered function's name)")
            .arg(projection);
    runner->setFault(paused, msPerBatch);
    return {};
}

QString FaultSwitches::setCommitDelay(qint64 delayMs) const
{
    if (!m_engine->isRunning() || !m_engine->eventStore())
        return kNotRunning;
    if (delayMs < 0 || delayMs > EventStore::kMaxCommitDelayMs)
        return QStringLiteral("the commit delay must be 0..%1 ms").arg(EventStore::kMaxCommitDelayMs);
    m_engine->eventStore()->setCommitDelay(delayMs);
    return {};
}

QString FaultSwitches::setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &viaAddress) const
{
    if (!m_engine->isRunning() || !m_engine->httpUpstream() || !m_engine->gateway())
        return kNotRunning;
    const QStringList nodes = upstreamNodes(upstream);
    if (nodes.isEmpty())
        return QStringLiteral("no http upstream '%1' (an upstream's id, or a route's id for its own upstream)").arg(upstream);
    if (!nodes.contains(node))
        return QStringLiteral("upstream '%1' has no node '%2' (it has %3)").arg(upstream, node, nodes.join(QStringLiteral(", ")));
    if (!m_engine->httpUpstream()->setNodeOverride(upstream, node, viaAddress))
        return QStringLiteral("'%1' is not a host:port address").arg(viaAddress);
    return {};
}

QStringList FaultSwitches::upstreamNodes(const QString &upstream) const
{
    if (!m_engine->isRunning() || !m_engine->gateway())
        return {};
    const std::optional<QJsonObject> config = httpUpstream(*m_engine->gateway(), upstream);
    if (!config || config->value(QLatin1String("type")).toString() != QLatin1String("http"))
        return {};
    QStringList errors;
    const HttpUpstreamSpec spec = HttpUpstreamSpec::fromJson(*config, &errors);
    QStringList nodes;
    for (const HttpUpstreamSpec::Node &n : spec.nodes)
        nodes.append(n.address());
    return nodes;
}

FaultSwitches::Load FaultSwitches::load() const
{
    Load l;
    if (!m_engine->isRunning())
        return l;
    if (EventStore *store = m_engine->eventStore())
        l.logHead = store->headPosition();
    for (const ProjectionRunner *runner : m_engine->projections())
        l.projectionLag = qMax(l.projectionLag, l.logHead - runner->position());
    if (FunctionService *functions = m_engine->functions()) {
        l.functionQueue = functions->queueDepth();
        l.deadLetters = functions->deadLetterCount();
    }
    if (Gateway *gateway = m_engine->gateway()) {
        for (const BreakerStatus &b : breakerStatuses(gateway->pluginState().get()))
            l.breakersOpen += b.state == QLatin1String("closed") ? 0 : 1;
    }
    return l;
}

} // namespace Gatehouse
