#include "listeners.h"

#include "admin/adminapi.h"
#include "assembly/engine.h"
#include "engineviews.h"
#include "http/gatewayhttphandler.h"
#include "http/httpserver.h"
#include "liveendpoints.h"
#include "config/collectioncatalog.h"
#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"
#include "resources/apidescription.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QMutex>

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

namespace {
// Where MQTT clients reach the engine: read by the gateway's network thread (the descriptions),
// set from the main thread.
struct BrokerInfo
{
    QMutex mutex;
    QString url;
    QString topicPrefix = QStringLiteral("gatehouse");
};
} // namespace

struct Listeners::Private
{
    std::unique_ptr<EngineAdminBackend> adminBackend;
    std::unique_ptr<Admin::AdminApi> adminApi;
    Live::LiveOptions liveOptions;
    std::shared_ptr<Live::LiveEndpoints> live;   // /ws and /events/stream on the gateway port
    std::unique_ptr<Http::HttpServer> gateway;
    std::unique_ptr<Http::HttpServer> admin;
    std::shared_ptr<const Http::HttpTls> gatewayTls;
    std::shared_ptr<const Http::HttpTls> adminTls;
    std::shared_ptr<BrokerInfo> broker = std::make_shared<BrokerInfo>();
};

namespace {
// GET /openapi.json and /asyncapi.json on the gateway: made from the configuration as it is.
Http::BuiltinDocuments descriptions(Engine *engine, std::function<QString()> gatewayUrl, std::shared_ptr<BrokerInfo> broker)
{
    return [engine, gatewayUrl = std::move(gatewayUrl), broker](const QByteArray &path) -> QByteArray {
        const bool open = path == "/openapi.json";
        if (!open && path != "/asyncapi.json")
            return {};
        const std::shared_ptr<const GatewayConfig> config = engine->gateway()->config();
        const QList<Collection> collections = engine->collections()->snapshot()->collections();
        ApiDescription::Context context;
        context.engineVersion = QCoreApplication::applicationVersion();
        context.configVersion = config->version();
        context.gatewayUrl = gatewayUrl();
        {
            QMutexLocker lock(&broker->mutex);
            context.mqttUrl = broker->url;
            context.topicPrefix = broker->topicPrefix;
        }
        const QJsonObject document = open
            ? ApiDescription::openApi(config->routeTable().routes(), config->resources().globalRules, collections, context)
            : ApiDescription::asyncApi(collections, context);
        return QJsonDocument(document).toJson(QJsonDocument::Compact);
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
    // The descriptions name the gateway as clients reach it: a wildcard bind as loopback.
    auto gatewayUrl = [this] {
        Endpoint e = gatewayEndpoint();
        if (e.address == QHostAddress::Any || e.address == QHostAddress::AnyIPv4)
            e.address = QHostAddress::LocalHost;
        else if (e.address == QHostAddress::AnyIPv6)
            e.address = QHostAddress::LocalHostIPv6;
        return (d->gatewayTls ? QStringLiteral("https://") : QStringLiteral("http://")) + e.toString();
    };
    d->gateway = std::make_unique<Http::HttpServer>(
        Http::makeGatewayHandler(engine->gateway(), d->live, descriptions(engine, gatewayUrl, d->broker)), limits);
    d->gateway->setTls(d->gatewayTls);
    if (!d->gateway->listen(gateway.address, gateway.port)) {
        *error = QStringLiteral("cannot listen on %1 (gateway): %2").arg(gateway.toString(), d->gateway->errorString());
        close();
        return false;
    }
    d->adminBackend = std::make_unique<EngineAdminBackend>(engine);
    d->adminApi = std::make_unique<Admin::AdminApi>(d->adminBackend.get());
    d->admin = std::make_unique<Http::HttpServer>(d->adminApi->handler(), limits);
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

void Listeners::setTls(std::shared_ptr<const Http::HttpTls> gateway, std::shared_ptr<const Http::HttpTls> admin)
{
    d->gatewayTls = std::move(gateway);
    d->adminTls = std::move(admin);
}

void Listeners::setMqttBroker(const QString &url, const QString &topicPrefix)
{
    QMutexLocker lock(&d->broker->mutex);
    d->broker->url = url;
    d->broker->topicPrefix = topicPrefix;
}

void Listeners::stopAccepting()
{
    if (d->gateway)
        d->gateway->close();
    if (d->live)
        d->live->goingAway();
    if (d->admin)
        d->admin->close();
}

void Listeners::close()
{
    if (d->live)
        d->live->shutdown();   // its clients live on the gateway's network thread: before it stops
    d->gateway.reset();
    d->live.reset();
    d->admin.reset();
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

std::shared_ptr<const Http::HttpTls> Listeners::gatewayTls() const
{
    return d->gatewayTls;
}

QString Listeners::adminUrl() const
{
    return (d->adminTls ? QStringLiteral("https://") : QStringLiteral("http://")) + adminEndpoint().toString();
}

} // namespace Gatehouse::Server
