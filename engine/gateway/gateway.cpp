#include "gateway.h"

#include "base/steadyclock.h"
#include "metrics/metricsregistry.h"
#include "pluginstate.h"
#include "resourceschemas.h"
#include "routetable.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QTimer>

#include <chrono>
#include <utility>

Q_LOGGING_CATEGORY(lcGateway, "gatehouse.gateway")

namespace Gatehouse {

struct Gateway::Exchange
{
    std::shared_ptr<const GatewayConfig> config;   // keeps route and chain alive
    const Route *route = nullptr;
    const GatewayConfig::Chain *chain = nullptr;
    ApiRequest request;
    ApiResponder respond;
    std::function<void()> handedOver;   // see handle()
    RequestContext ctx;
    size_t entered = 0;         // plugins whose access phase let the request through
    double startedAt = 0;
};

Gateway::Gateway(MetricsRegistry *metrics)
    : m_metrics(metrics)
    , m_state(std::make_shared<PluginState>())
    , m_schemas(ResourceSchemas::defaults())
{
    m_config = build({});
    if (m_metrics) {
        m_metrics->describe("gatehouse_http_requests_total", MetricsRegistry::Type::Counter,
                            "Requests answered by the gateway, by route and status.");
        m_metrics->describe("gatehouse_http_request_duration_seconds", MetricsRegistry::Type::Histogram,
                            "Time from the gateway receiving a request to its answer, by route.",
                            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
        m_metrics->describe("gatehouse_plugin_rejections_total", MetricsRegistry::Type::Counter,
                            "Requests a plugin answered itself (rate limits, auth, open breakers), by route, plugin and status.");
    }
}

Gateway::~Gateway() = default;

void Gateway::setUpstreamHandler(const QString &type, UpstreamHandler handler)
{
    m_handlers.insert(type, std::move(handler));
}

void Gateway::setSchemas(std::shared_ptr<const ResourceSchemas> schemas)
{
    m_schemas = std::move(schemas);
}

std::shared_ptr<const GatewayConfig> Gateway::build(const GatewayResources &resources) const
{
    // Built against the current configuration: what did not change is not checked again.
    const std::shared_ptr<const GatewayConfig> current = config();
    return GatewayConfig::build(resources, m_state, *m_schemas, current.get());
}

bool Gateway::apply(const GatewayResources &resources, QStringList *errors)
{
    auto config = build(resources);
    if (config->hasProblems()) {
        if (errors)
            errors->append(config->allProblems());
        return false;
    }
    install(std::move(config));
    return true;
}

std::shared_ptr<const GatewayConfig> Gateway::applyFailClosed(const GatewayResources &resources)
{
    auto config = build(resources);
    install(config);
    return config;
}

void Gateway::install(std::shared_ptr<const GatewayConfig> config)
{
    std::shared_ptr<const GatewayConfig> previous;
    {
        QMutexLocker lock(&m_configMutex);
        previous = std::exchange(m_config, config);
    }
    // Logged when a problem first appears, not per request or per unrelated change.
    for (const QString &kind : {QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                                QStringLiteral("global_rules")}) {
        const QJsonArray &items = kind == QLatin1String("routes") ? config->resources().routes
            : kind == QLatin1String("upstreams")                    ? config->resources().upstreams
            : kind == QLatin1String("consumers")                    ? config->resources().consumers
                                                                    : config->resources().globalRules;
        const QString key = kind == QLatin1String("consumers") ? QStringLiteral("username") : QStringLiteral("id");
        for (const QJsonValue &v : items) {
            const QString id = v.toObject().value(key).toString();
            const QStringList now = config->problems(kind, id);
            if (now.isEmpty() || (previous && previous->problems(kind, id) == now))
                continue;
            qCWarning(lcGateway).noquote() << kind.chopped(1) << id << "is not applied (fails closed):" << now.join(QStringLiteral("; "));
        }
    }
}

bool Gateway::setRoutes(const QList<Route> &routes, QStringList *errors)
{
    GatewayResources resources;
    for (const Route &r : routes)
        resources.routes.append(r.toJson());
    return apply(resources, errors);
}

std::shared_ptr<const GatewayConfig> Gateway::config() const
{
    QMutexLocker lock(&m_configMutex);
    return m_config;
}

void Gateway::handle(ApiRequest request, ApiResponder respond) const
{
    handle(std::move(request), std::move(respond), {});
}

void Gateway::handle(ApiRequest request, ApiResponder respond, std::function<void()> handedOver) const
{
    // Answered before any plugin ran: handed over once the answer is out.
    const auto answer = [&respond, &handedOver](ApiResponse r) {
        respond(std::move(r));
        if (handedOver)
            handedOver();
    };
    auto ex = std::make_shared<Exchange>();
    ex->config = config();
    ex->startedAt = steadyNowSeconds();
    if (!ex->config->brokenGlobalRules().isEmpty()) {
        // A global rule runs for every request; without it nothing may pass.
        answer(misconfigured(*ex->config, nullptr));
        return;
    }
    const auto refusePath = [&](const QString &error, const QString &routeId) {
        if (m_metrics)
            m_metrics->increment("gatehouse_http_requests_total", MetricsRegistry::label("route", routeId) + ",status=\"400\"");
        answer(ApiResponse::problem(400, error, QStringLiteral("malformed-path")));
    };
    if (QString error; !request.checkPath(&error, false))
        return refusePath(error, {});
    RouteTable::Match m = ex->config->routeTable().match(request);
    if (m.outcome != RouteTable::Match::Found) {
        ApiResponse r;
        QByteArray routeLabel;
        if (m.outcome == RouteTable::Match::Undecided) {
            // Fail closed: a lower route would let the request past a negated condition.
            r = ApiResponse::problem(400,
                                     QStringLiteral("route '%1' could not tell whether this request meets its vars: a regular expression gave up "
                                                    "at its match limit on a value the request sent")
                                         .arg(m.route->id),
                                     QStringLiteral("route-condition-undecided"), QJsonObject{{QStringLiteral("route"), m.route->id}});
            routeLabel = MetricsRegistry::label("route", m.route->id);
        } else if (m.outcome == RouteTable::Match::MethodNotAllowed) {
            const QString allowed = m.allowedMethods.join(QStringLiteral(", "));
            r = ApiResponse::problem(405, QStringLiteral("%1 is not allowed here; allowed: %2").arg(QString::fromLatin1(request.method), allowed),
                                     QStringLiteral("method-not-allowed"));
            r.setHeader(QByteArrayLiteral("allow"), allowed.toLatin1());
        } else {
            r = ApiResponse::problem(404, QStringLiteral("no route matches %1 %2").arg(QString::fromLatin1(request.method), QString::fromUtf8(request.path)),
                                     QStringLiteral("no-route"));
        }
        if (m_metrics)
            m_metrics->increment("gatehouse_http_requests_total",
                                 (routeLabel.isEmpty() ? QByteArray("route=\"\"") : routeLabel) + ",status=\"" + QByteArray::number(r.status) + '"');
        answer(std::move(r));
        return;
    }
    if (!m.route->problems.isEmpty()) {
        answer(misconfigured(*ex->config, m.route));
        return;
    }
    if (QString error; m.route->upstream.type != QLatin1String("http") && !request.checkPath(&error, true))
        return refusePath(error, m.route->id);
    ex->route = m.route;
    ex->chain = &ex->config->chain(m.route);
    ex->request = std::move(request);
    ex->request.routeId = m.route->id;
    ex->request.params = std::move(m.params);
    ex->respond = std::move(respond);
    ex->handedOver = std::move(handedOver);
    ex->ctx.request = &ex->request;
    ex->ctx.consumer = ex->request.consumer;
    ex->ctx.route = m.route;
    ex->ctx.startedMs = steadyNowMs();
    runAccess(std::move(ex), 0);
}

ApiResponse Gateway::misconfigured(const GatewayConfig &config, const Route *route) const
{
    // The client learns which route, not why: the reasons are configuration, for the operator.
    const QString detail = route
        ? QStringLiteral("route '%1' is misconfigured and not served; its problems are listed in GET /admin/routes/%1").arg(route->id)
        : QStringLiteral("global rule '%1' is misconfigured, so no request is served; its problems are listed in GET /admin/global_rules/%1")
              .arg(config.brokenGlobalRules().constFirst());
    ApiResponse r = ApiResponse::problem(503, detail, QStringLiteral("route-misconfigured"),
                                         route ? QJsonObject{{QStringLiteral("route"), route->id}}
                                               : QJsonObject{{QStringLiteral("global_rule"), config.brokenGlobalRules().constFirst()}});
    if (m_metrics)
        m_metrics->increment("gatehouse_http_requests_total", MetricsRegistry::label("route", route ? route->id : QString()) + ",status=\"503\"");
    return r;
}

void Gateway::runAccess(std::shared_ptr<Exchange> ex, size_t index) const
{
    const auto &chain = *ex->chain;
    for (size_t i = index; i < chain.size(); ++i) {
        PluginVerdict verdict = chain[i].plugin->access(ex->ctx);
        if (verdict.kind == PluginVerdict::Respond) {
            reject(std::move(ex), chain[i].name, std::move(verdict.response));
            return;
        }
        if (verdict.kind == PluginVerdict::Delay && verdict.respondAfterDelay) {
            // fault-injection's delay followed by its abort: the answer goes out after the wait.
            QTimer::singleShot(verdict.delayMs, [this, ex, name = chain[i].name, r = std::move(verdict.response)]() mutable {
                reject(std::move(ex), name, std::move(r));
            });
            return;
        }
        ex->entered = i + 1;
        if (verdict.kind == PluginVerdict::Delay) {
            // Continue later on this thread's event loop (limit-req's "delay" mode).
            QTimer::singleShot(verdict.delayMs, [this, ex, i]() mutable { runAccess(std::move(ex), i + 1); });
            return;
        }
    }
    ex->request.consumer = ex->ctx.consumer;
    callUpstream(std::move(ex));
}

void Gateway::reject(std::shared_ptr<Exchange> ex, const QString &plugin, ApiResponse response) const
{
    if (m_metrics)
        m_metrics->increment("gatehouse_plugin_rejections_total",
                             MetricsRegistry::label("route", ex->route->id) + ',' + MetricsRegistry::label("plugin", plugin)
                                 + ",status=\"" + QByteArray::number(response.status) + '"');
    finish(std::move(ex), std::move(response));
}

void Gateway::callUpstream(std::shared_ptr<Exchange> ex) const
{
    const auto handler = m_handlers.constFind(ex->route->upstream.type);
    if (handler == m_handlers.cend()) {
        finish(std::move(ex), ApiResponse::problem(502, QStringLiteral("upstream type '%1' is not available in this build")
                                                            .arg(ex->route->upstream.type),
                                                   QStringLiteral("upstream-unavailable")));
        return;
    }
    // enable_websocket belongs to the route, not to its upstream: checked here, so the
    // connection that answers the upgrade needs only the upstream.
    if (ex->request.connection && !ex->route->enableWebsocket && ex->route->upstream.type == QLatin1String("websocket")) {
        finish(std::move(ex), ApiResponse::problem(403, QStringLiteral("route '%1' has enable_websocket false").arg(ex->route->id),
                                                   QStringLiteral("websocket-disabled")));
        return;
    }
    ApiRequest request = ex->request;   // the handler consumes its copy; plugins keep the original
    std::function<void()> handedOver = std::move(ex->handedOver);
    (*handler)(ex->route->upstream, std::move(request), [this, ex](ApiResponse r) mutable { finish(std::move(ex), std::move(r)); });
    if (handedOver)
        handedOver();
}

void Gateway::finish(std::shared_ptr<Exchange> ex, ApiResponse response) const
{
    const auto &chain = *ex->chain;
    for (size_t i = ex->entered; i-- > 0;)
        chain[i].plugin->response(ex->ctx, response);
    for (const auto &[name, value] : std::as_const(ex->ctx.responseHeaders))
        response.setHeader(name, value);
    if (m_metrics) {
        const QByteArray route = MetricsRegistry::label("route", ex->route->id);
        m_metrics->increment("gatehouse_http_requests_total", route + ",status=\"" + QByteArray::number(response.status) + '"');
        m_metrics->observe("gatehouse_http_request_duration_seconds", route, steadyNowSeconds() - ex->startedAt);
    }
    ApiResponder respond = std::move(ex->respond);
    std::function<void()> handedOver = std::move(ex->handedOver);   // answered without reaching the upstream
    respond(std::move(response));
    if (handedOver)
        handedOver();
}

} // namespace Gatehouse
