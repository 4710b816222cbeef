#include "listeners.h"

#include "admin/adminapi.h"
#include "adminlive.h"
#include "assembly/engine.h"
#include "base/placecount.h"
#include "config/collectioncatalog.h"
#include "config/projectconfig.h"
#include "engineviews.h"
#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"
#include "http/gatewayhttphandler.h"
#include "http/httprequest.h"
#include "http/httpserver.h"
#include "liveendpoints.h"
#include "resources/apidescription.h"
#include "resources/resourceservice.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QThread>
#include <QMutex>
#include <QRegularExpression>
#include <QScopeGuard>

#include <atomic>
#include <memory>

namespace Gatehouse::Server {

bool Listeners::Endpoint::parse(const QString &text, Endpoint *out)
{
    const auto colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon < 0)
        return false;
    QString host = text.left(colon);
    bool ok = false;
    const uint port = text.mid(colon + 1).toUInt(&ok);
    if (!ok || port > 65535)
        return false;
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    Endpoint e;
    e.port = quint16(port);
    if (host.isEmpty() || host == QLatin1String("localhost"))
        e.address = QHostAddress::LocalHost;
    else if (!e.address.setAddress(host))
        return false;
    *out = e;
    return true;
}

QString Listeners::Endpoint::toString() const
{
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
        : address.toString();
    return host + QLatin1Char(':') + QString::number(port);
}

bool Listeners::Endpoint::isLoopback() const
{
    return address.isLoopback();
}

Listeners::Endpoint Listeners::reachable(Endpoint e)
{
    if (e.address == QHostAddress::Any || e.address == QHostAddress::AnyIPv4)
        e.address = QHostAddress::LocalHost;
    else if (e.address == QHostAddress::AnyIPv6)
        e.address = QHostAddress::LocalHostIPv6;
    return e;
}

namespace {
// What the descriptions need besides the configuration, shared with the gateway's network
// thread (which serves them) and set from the main thread: where the gateway listens, where
// MQTT clients reach the engine, and the last document made (made again only when an input
// changed: anyone may ask for it).
struct DescriptionState
{
    QMutex mutex;
    bool enabled = true;
    QString scheme = QStringLiteral("http");
    QString boundAddress;      // "127.0.0.1:9080" (a wildcard bind as loopback)
    QString mqttUrl;
    QString topicPrefix = QStringLiteral("gatehouse");
    // The last document and what it was made from (the snapshots held, so a new one can never
    // come at the address of the old one).
    std::shared_ptr<const GatewayConfig> cachedConfig;
    std::shared_ptr<const ProjectConfig> cachedProject;
    QString cachedKey;
    QByteArray cached;
};
} // namespace

struct Listeners::Private
{
    std::unique_ptr<EngineAdminBackend> adminBackend;
    std::unique_ptr<Admin::AdminApi> adminApi;
    std::unique_ptr<AdminLive> adminLive;   // /admin/live on the admin port
    std::unique_ptr<QThread> adminThread;   // where the admin API's handlers run (adminHandler)
    QObject *adminWorker = nullptr;         // lives on adminThread; deleted when it finishes
    std::shared_ptr<std::atomic<int>> adminWaiting = std::make_shared<std::atomic<int>>(0);
    Mqtt::MqttService *mqtt = nullptr;
    Live::LiveOptions liveOptions;
    int gatewayThreads = Listeners::defaultGatewayThreads();
    std::shared_ptr<Live::LiveEndpoints> live;   // /ws and /events/stream on the gateway port
    std::unique_ptr<Http::HttpServer> gateway;
    std::unique_ptr<Http::HttpServer> admin;
    std::shared_ptr<const Http::HttpTls> gatewayTls;
    std::shared_ptr<const Http::HttpTls> adminTls;
    std::shared_ptr<DescriptionState> descriptions = std::make_shared<DescriptionState>();
};

namespace {
// The server the descriptions name: the host the client asked for (its Host header, when it is
// a plain host[:port]), else the address the gateway is bound to.
QString serverHost(const Http::HttpRequest &request, const QString &bound)
{
    static const QRegularExpression plainHost(QStringLiteral(R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?$)"));
    const QString host = QString::fromLatin1(request.header("host"));
    return plainHost.match(host).hasMatch() ? host : bound;
}

// GET /openapi.json and /asyncapi.json on the gateway: made from the configuration as it is.
Http::BuiltinDocuments descriptions(Engine *engine, std::shared_ptr<DescriptionState> state)
{
    return [engine, state](const Http::HttpRequest &request) -> QByteArray {
        const bool open = request.path == "/openapi.json";
        if (!open && request.path != "/asyncapi.json")
            return {};
        const std::shared_ptr<const GatewayConfig> config = engine->gateway()->config();
        const std::shared_ptr<const ProjectConfig> project = engine->collections()->snapshot();
        ApiDescription::Context context;
        context.engineVersion = QCoreApplication::applicationVersion();
        context.configVersion = config->version();
        QMutexLocker lock(&state->mutex);
        if (!state->enabled)
            return {};
        context.gatewayUrl = state->scheme + QStringLiteral("://") + serverHost(request, state->boundAddress);
        context.mqttUrl = state->mqttUrl;
        context.topicPrefix = state->topicPrefix;
        // The configuration snapshots are replaced whole on a change: the same snapshots and the
        // same server say nothing the document is made from changed.
        const QString key = QStringLiteral("%1 %2 %3").arg(open).arg(context.gatewayUrl, context.mqttUrl + u' ' + context.topicPrefix);
        if (key != state->cachedKey || config != state->cachedConfig || project != state->cachedProject) {
            const QList<Collection> collections = project->collections();
            const QJsonObject document = open
                ? ApiDescription::openApi(config->routeTable().routes(), config->resources().globalRules, collections, context)
                : ApiDescription::asyncApi(collections, context);
            state->cached = QJsonDocument(document).toJson(QJsonDocument::Compact);
            state->cachedKey = key;
            state->cachedConfig = config;
            state->cachedProject = project;
        }
        return state->cached;
    };
}

// The admin listener: the admin API, and /admin/live for remote consoles, which also hear of
// every change made through the admin API (of routes, upstreams, consumers and global rules
// from the resource service, which tells of every change however it was made).
//
// The admin API's handlers are synchronous and some take long (a function's test run, a search
// of the whole log): requests with the key run one at a time, in arrival order, on a thread of
// their own (`worker`'s), so the listener's network thread stays free for the consoles' live
// channels, for /health and /metrics (a probe never waits behind a slow request) and for
// refusing requests without the key. At most kMaxWaitingAdminRequests wait there (`waiting`).
Http::HttpHandler adminHandler(const Admin::AdminApi *api, AdminLive *live, QObject *worker, std::shared_ptr<std::atomic<int>> waiting)
{
    return [api, live, worker, waiting](const Http::HttpRequest &request, const Http::HttpResponder &responder) {
        const bool adminPath = request.path == "/admin" || request.path.startsWith("/admin/");
        if (!adminPath || !api->authorised(request)) {
            responder.respond(api->handle(request));   // /health, /metrics, 404 and 401: at once
            return;
        }
        if (request.path == "/admin/live") {
            live->serve(request, responder);   // takes the socket over: on the network thread
            return;
        }
        if (!takePlace(*waiting, Listeners::kMaxWaitingAdminRequests)) {
            Http::HttpResponse busy = Admin::Reply::problem(
                503, QStringLiteral("%1 admin requests are already waiting; try again").arg(Listeners::kMaxWaitingAdminRequests));
            busy.setHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
            responder.respond(std::move(busy));
            return;
        }
        QMetaObject::invokeMethod(worker, [api, live, request, responder, waiting] {
            // Run even when the client left meanwhile (a write it sent is applied, as it was
            // received); the answer then goes nowhere.
            const auto done = qScopeGuard([&waiting] { --*waiting; });
            Http::HttpResponse response = api->handle(request);
            if (request.method != "GET" && request.method != "HEAD" && response.status >= 200 && response.status < 300) {
                const QStringList segments = QString::fromUtf8(request.path).split(QLatin1Char('/'), Qt::SkipEmptyParts);
                if (segments.size() >= 2 && segments.at(0) == QLatin1String("admin") && !ResourceService::kinds().contains(segments.at(1)))
                    live->resourceChanged(segments.at(1), segments.value(2));
            }
            responder.respond(std::move(response));
        }, Qt::QueuedConnection);
    };
}
} // namespace

Listeners::Listeners()
    : d(std::make_unique<Private>())
{
}

Listeners::~Listeners()
{
    close();
}

bool Listeners::start(Engine *engine, const Endpoint &gateway, const Endpoint &admin, const Http::HttpLimits &limits,
                      QString *error)
{
    d->live = std::make_shared<Live::LiveEndpoints>(engine, d->liveOptions);
    d->gateway = std::make_unique<Http::HttpServer>(
        Http::makeGatewayHandler(engine->gateway(), d->live, descriptions(engine, d->descriptions)), limits,
        d->gatewayThreads);
    d->gateway->setTls(d->gatewayTls);
    if (!d->gateway->listen(gateway.address, gateway.port)) {
        *error = QStringLiteral("cannot listen on %1 (gateway): %2").arg(gateway.toString(), d->gateway->errorString());
        close();
        return false;
    }
    {
        QMutexLocker lock(&d->descriptions->mutex);
        d->descriptions->scheme = d->gatewayTls ? QStringLiteral("https") : QStringLiteral("http");
        d->descriptions->boundAddress = reachable(gatewayEndpoint()).toString();
    }
    d->adminBackend = std::make_unique<EngineAdminBackend>(engine);
    d->adminApi = std::make_unique<Admin::AdminApi>(d->adminBackend.get());
    d->adminLive = std::make_unique<AdminLive>(engine, d->liveOptions);
    d->adminLive->setMqtt(d->mqtt);
    {
        const Endpoint e = reachable(gatewayEndpoint());
        d->adminLive->setGateway(gatewayUrl(), e.port, bool(d->gatewayTls),
                                 d->gatewayTls ? d->gatewayTls->verifyNameFor(e.address) : e.address.toString());
    }
    if (ResourceService *resources = engine->resources()) {
        AdminLive *live = d->adminLive.get();
        QObject::connect(resources, &ResourceService::changed, live,
                         [live](const QString &kind, const QString &id) { live->resourceChanged(kind, id); });
    }
    d->adminThread = std::make_unique<QThread>();
    d->adminThread->setObjectName(QStringLiteral("gatehouse-admin"));
    d->adminWorker = new QObject;
    d->adminWorker->moveToThread(d->adminThread.get());
    QObject::connect(d->adminThread.get(), &QThread::finished, d->adminWorker, &QObject::deleteLater);
    d->adminThread->start();
    d->admin = std::make_unique<Http::HttpServer>(adminHandler(d->adminApi.get(), d->adminLive.get(), d->adminWorker, d->adminWaiting), limits);
    d->admin->setTls(d->adminTls);
    if (!d->admin->listen(admin.address, admin.port)) {
        *error = QStringLiteral("cannot listen on %1 (admin API): %2").arg(admin.toString(), d->admin->errorString());
        close();
        return false;
    }
    return true;
}

void Listeners::setLiveOptions(const Live::LiveOptions &options)
{
    d->liveOptions = options;
}

int Listeners::defaultGatewayThreads()
{
    return qBound(1, QThread::idealThreadCount(), kDefaultMaxGatewayThreads);
}

void Listeners::setGatewayThreads(int threads)
{
    d->gatewayThreads = qBound(1, threads, Http::HttpServer::kMaxThreads);
}

void Listeners::setTls(std::shared_ptr<const Http::HttpTls> gateway, std::shared_ptr<const Http::HttpTls> admin)
{
    d->gatewayTls = std::move(gateway);
    d->adminTls = std::move(admin);
}

void Listeners::setMqttBroker(const QString &url, const QString &topicPrefix)
{
    QMutexLocker lock(&d->descriptions->mutex);
    d->descriptions->mqttUrl = url;
    d->descriptions->topicPrefix = topicPrefix;
}

void Listeners::setMqttService(Mqtt::MqttService *mqtt)
{
    d->mqtt = mqtt;
    if (d->adminLive)
        d->adminLive->setMqtt(mqtt);
}

void Listeners::setApiDescriptions(bool served)
{
    QMutexLocker lock(&d->descriptions->mutex);
    d->descriptions->enabled = served;
}

void Listeners::stopAccepting()
{
    if (d->gateway)
        d->gateway->close();
    if (d->live)
        d->live->goingAway();
    if (d->admin)
        d->admin->close();
    if (d->adminLive)
        d->adminLive->goingAway();
}

void Listeners::close()
{
    if (d->live)
        d->live->shutdown();   // its clients live on the gateway's network thread: before it stops
    d->gateway.reset();
    d->live.reset();
    if (d->adminLive)
        d->adminLive->shutdown();   // the consoles live on the admin listener's network thread
    d->admin.reset();
    if (d->adminThread) {
        // After the listener: no request arrives any more. The one running finishes; those
        // still waiting go unanswered with their connections.
        d->adminThread->quit();
        d->adminThread->wait();
        d->adminThread.reset();
        d->adminWorker = nullptr;
    }
    d->adminLive.reset();
    d->adminApi.reset();
    d->adminBackend.reset();
}

Listeners::Endpoint Listeners::gatewayEndpoint() const
{
    return d->gateway ? Endpoint{d->gateway->serverAddress(), d->gateway->serverPort()} : Endpoint{};
}

Listeners::Endpoint Listeners::adminEndpoint() const
{
    return d->admin ? Endpoint{d->admin->serverAddress(), d->admin->serverPort()} : Endpoint{};
}

QString Listeners::gatewayUrl() const
{
    return (d->gatewayTls ? QStringLiteral("https://") : QStringLiteral("http://")) + gatewayEndpoint().toString();
}

QString Listeners::gatewayClientUrl() const
{
    const Endpoint e = reachable(gatewayEndpoint());
    if (!d->gatewayTls)
        return QStringLiteral("http://") + e.toString();
    // A certificate that names "localhost" but not the loopback address is verified by name.
    if (d->gatewayTls->verifyNameFor(e.address) == QLatin1String("localhost"))
        return QStringLiteral("https://localhost:") + QString::number(e.port);
    return QStringLiteral("https://") + e.toString();
}

std::shared_ptr<const Http::HttpTls> Listeners::gatewayTls() const
{
    return d->gatewayTls;
}

QString Listeners::adminUrl() const
{
    return (d->adminTls ? QStringLiteral("https://") : QStringLiteral("http://")) + adminEndpoint().toString();
}

} // namespace Gatehouse::Server
