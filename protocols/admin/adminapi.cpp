#include "adminapi.h"

#include "api/apirequest.h"
#include "api/apiresponse.h"
#include "base/constanttime.h"
#include "config/strictjson.h"
#include "gateway/routetable.h"
#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "metrics/metricsregistry.h"
#include "resources/collectionservice.h"
#include "resources/configexport.h"
#include "resources/resourceservice.h"
#include "simulation/simulationservice.h"
#include "store/eventstore.h"

#include <QRegularExpression>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace Gatehouse::Admin {

namespace Reply {

Http::HttpResponse json(int status, const QJsonObject &body)
{
    return Http::HttpResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

Http::HttpResponse list(const QJsonArray &items)
{
    return json(200, QJsonObject{{QStringLiteral("total"), items.size()}, {QStringLiteral("items"), items}});
}

Http::HttpResponse problem(int status, const QString &detail, const QStringList &errors)
{
    QJsonObject body{
        {QStringLiteral("type"), QStringLiteral("about:blank")},
        {QStringLiteral("title"), ApiResponse::statusTitle(status)},
        {QStringLiteral("status"), status},
        {QStringLiteral("detail"), detail},
    };
    if (!errors.isEmpty())
        body.insert(QStringLiteral("errors"), QJsonArray::fromStringList(errors));
    Http::HttpResponse r = Http::HttpResponse::json(status, QJsonDocument(body).toJson(QJsonDocument::Compact));
    r.setHeader(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/problem+json"));
    return r;
}

Http::HttpResponse methodNotAllowed(const QByteArray &allowed)
{
    Http::HttpResponse r = problem(405, QStringLiteral("allowed here: ") + QString::fromLatin1(allowed));
    r.setHeader(QByteArrayLiteral("Allow"), allowed);
    return r;
}

bool parseObject(const Http::HttpRequest &request, QJsonObject *out, Http::HttpResponse *error)
{
    StrictJson::Error parseError;
    const std::optional<QJsonValue> value = StrictJson::parse(request.body, &parseError);
    if (!value || !value->isObject()) {
        *error = problem(400, value ? QStringLiteral("the body must be a JSON object")
                                    : QStringLiteral("malformed JSON: ") + parseError.toString());
        return false;
    }
    *out = value->toObject();
    return true;
}

} // namespace Reply

AdminApi::AdminApi(const AdminBackend *engine)
    : m_engine(engine)
{
}

bool AdminApi::keysEqual(const QByteArray &given, const QByteArray &expected)
{
    // The same comparison the auth plugins use for secrets; an empty key never matches.
    return !expected.isEmpty() && constantTimeEquals(given, expected);
}

bool AdminApi::authorised(const Http::HttpRequest &request) const
{
    return keysEqual(request.header("x-api-key"), m_engine->adminKey().toUtf8());
}

Http::HttpResponse AdminApi::unauthorised()
{
    Http::HttpResponse r = Reply::problem(401, QStringLiteral("a valid X-API-KEY header is required"));
    r.setHeader(QByteArrayLiteral("WWW-Authenticate"), QByteArrayLiteral("X-API-KEY"));
    return r;
}

Http::HttpHandler AdminApi::handler() const
{
    return [this](const Http::HttpRequest &request, const Http::HttpResponder &responder) {
        responder.respond(dispatch(request));
    };
}

Http::HttpResponse AdminApi::dispatch(const Http::HttpRequest &request) const
{
    if (request.path == "/health") {
        const bool ready = m_engine->isRunning();
        QJsonObject body{
            {QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("starting")},
            {QStringLiteral("position"), ready ? m_engine->eventStore()->headPosition() : 0},
        };
        return Reply::json(ready ? 200 : 503, body);
    }
    if (request.path == "/metrics") {
        Http::HttpResponse r;
        r.body = m_engine->metrics() ? m_engine->metrics()->exposition() : QByteArray();
        r.setHeader(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8"));
        return r;
    }
    if (request.path != "/admin" && !request.path.startsWith("/admin/"))
        return Reply::problem(404, QStringLiteral("no admin resource at %1").arg(QString::fromUtf8(request.path)));
    if (!authorised(request))
        return unauthorised();
    const QStringList segments = RouteTable::splitPath(request.path).mid(1);   // after "admin"
    const QString kind = segments.value(0);
    const QString id = segments.value(1);
    if (segments.size() <= 2 && (kind == QLatin1String("routes") || kind == QLatin1String("upstreams")
                                 || kind == QLatin1String("consumers") || kind == QLatin1String("global_rules")))
        return resources(request, kind, id);
    if (kind == QLatin1String("plugins") && segments.size() <= 2)
        return plugins(request, id);
    if (kind == QLatin1String("schemas") && segments.size() <= 2)
        return schemas(request, id);
    if (kind == QLatin1String("projections") && segments.size() <= 4)
        return projections(request, segments);
    if (kind == QLatin1String("collections") && segments.size() <= 2)
        return collections(request, id);
    if (kind == QLatin1String("functions") && segments.size() <= 3)
        return functions(request, segments);
    if (kind == QLatin1String("dead-letters") && segments.size() <= 3)
        return deadLetters(request, segments);
    if (kind == QLatin1String("scenarios") && segments.size() <= 3)
        return scenarios(request, segments);
    if (kind == QLatin1String("runs") && segments.size() <= 3)
        return runs(request, segments);
    if (kind == QLatin1String("config") && segments.size() == 2 && id == QLatin1String("export"))
        return exportConfig(request);
    if (kind == QLatin1String("config") && segments.size() == 1 && request.method == "PUT")
        return importConfig(request);
    if (kind.isEmpty() || kind == QLatin1String("config")) {
        if (request.method != "GET")
            return Reply::methodNotAllowed(kind.isEmpty() ? "GET" : "GET, PUT");
        return Reply::json(200, QJsonObject{
            {QStringLiteral("config_version"), m_engine->resources() ? m_engine->resources()->version() : 0},
            {QStringLiteral("resources"), QJsonArray{QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                                                     QStringLiteral("global_rules"), QStringLiteral("plugins"), QStringLiteral("schemas"),
                                                     QStringLiteral("projections"), QStringLiteral("collections"),
                                                     QStringLiteral("functions"), QStringLiteral("dead-letters"),
                                                     QStringLiteral("scenarios"), QStringLiteral("runs")}},
        });
    }
    return Reply::problem(404, QStringLiteral("no admin resource at %1").arg(QString::fromUtf8(request.path)));
}

Http::HttpResponse AdminApi::exportConfig(const Http::HttpRequest &request) const
{
    if (request.method != "GET")
        return Reply::methodNotAllowed("GET");
    ApiRequest query;
    query.query = request.query;
    const QString format = query.queryItem(QStringLiteral("format"), QStringLiteral("json"));
    if (format != QLatin1String("json") && format != QLatin1String("apisix"))
        return Reply::problem(400, QStringLiteral("format is json or apisix, got '%1'").arg(format));
    ResourceService *service = m_engine->resources();
    if (!service)
        return Reply::problem(503, QStringLiteral("the engine is not running"));
    ConfigExport::Resources resources;
    for (const QString &kind : ResourceService::kinds())
        resources.insert(kind, service->list(kind));
    Http::HttpResponse r;
    if (format == QLatin1String("json")) {
        Simulation::SimulationService *simulations = m_engine->simulations();
        CollectionService *collections = m_engine->collectionService();
        r = Http::HttpResponse::json(200, ConfigExport::toJson(resources, service->version(),
                                                               simulations ? simulations->scenarios().list() : QJsonArray{},
                                                               collections ? collections->list() : QJsonArray{}));
    } else {
        // It is written into the YAML: host:port items (comma-separated, one per engine) only,
        // nothing that could add lines or keys. Empty: this machine's default.
        QString address = query.queryItem(QStringLiteral("engine_address"));
        if (address.isEmpty())
            address = QStringLiteral("127.0.0.1:9080");
        static const QRegularExpression kHostPort(
            QRegularExpression::anchoredPattern(QStringLiteral(R"((\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5}))")));
        for (const QString &item : address.split(QLatin1Char(','))) {
            const QRegularExpressionMatch m = kHostPort.match(item);
            const int port = m.hasMatch() ? m.captured(2).toInt() : 0;
            if (port < 1 || port > 65535)
                return Reply::problem(400, QStringLiteral("engine_address must be host:port items, comma-separated (port 1 to 65535), got '%1'")
                                               .arg(address.left(100)));
        }
        r.body = ConfigExport::toApisixYaml(resources, address);
        r.setHeader(QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/yaml"));
    }
    return r;
}

Http::HttpResponse AdminApi::importConfig(const Http::HttpRequest &request) const
{
    QString error;
    std::optional<QJsonObject> document = ConfigExport::readDocument(request.body, &error);
    if (!document)
        return Reply::problem(400, error);
    ResourceService *service = m_engine->resources();
    Simulation::SimulationService *simulations = m_engine->simulations();
    if (!service || !simulations)
        return Reply::problem(503, QStringLiteral("the engine is not running"));
    // Every section is checked before anything changes, and every error of every section is
    // reported at once.
    QStringList errors;
    // Scenarios are a section of their own, optional (absent: the stored ones stay): stored
    // after the gateway's resources.
    const QJsonValue scenarios = document->take(QStringLiteral("scenarios"));
    if (!scenarios.isUndefined()) {
        if (!scenarios.isArray())
            errors.append(QStringLiteral("/scenarios: must be an array"));
        else
            errors += simulations->scenarios().check(scenarios.toArray());
    }
    // Collections too (absent: the stored ones stay; given: each is declared as given, the
    // others stay, since deleting one with events needs an explicit archive). Their routes are
    // the document's.
    const QJsonValue collections = document->take(QStringLiteral("collections"));
    CollectionService *collectionService = m_engine->collectionService();
    if (!collections.isUndefined() && (!collections.isArray() || !collectionService)) {
        errors.append(QStringLiteral("/collections: must be an array"));
    } else if (!collections.isUndefined()) {
        QSet<QString> names;
        const QJsonArray items = collections.toArray();
        for (qsizetype i = 0; i < items.size(); ++i) {
            const QString pointer = QStringLiteral("/collections/%1").arg(i);
            const QString name = items.at(i).toObject().value(QStringLiteral("name")).toString();
            QStringList itemErrors;
            if (!items.at(i).isObject() || name.isEmpty())
                errors.append(pointer + QStringLiteral(": must be an object with a \"name\""));
            else if (names.contains(name))
                errors.append(pointer + QStringLiteral(": collection '%1' is given twice").arg(name));
            else if (!CollectionService::parse(name, items.at(i).toObject(), &itemErrors)) {
                for (const QString &e : std::as_const(itemErrors))
                    errors.append(pointer + (e.startsWith(u'/') ? e : QStringLiteral(": ") + e));
            }
            names.insert(name);
        }
    }
    if (!errors.isEmpty()) {
        errors += service->check(*document);
        return Reply::problem(400, QStringLiteral("the configuration is invalid and nothing was changed"), errors);
    }
    const ResourceService::Result result = service->replaceAll(*document);
    if (result.status >= 400)
        return Reply::problem(result.status, result.detail, result.errors);
    QJsonObject counts;
    for (const QString &kind : ResourceService::kinds())
        counts.insert(kind, int(document->value(kind).toArray().size()));
    if (scenarios.isArray()) {
        const Simulation::ScenarioStore::Result stored = simulations->scenarios().replaceAll(scenarios.toArray());
        if (stored.status >= 400)
            return Reply::problem(stored.status, stored.detail, stored.errors);
        counts.insert(QStringLiteral("scenarios"), int(scenarios.toArray().size()));
    }
    if (collections.isArray()) {
        for (const QJsonValue &v : collections.toArray()) {
            QJsonObject body = v.toObject();
            const QString name = body.value(QStringLiteral("name")).toString();
            body.insert(QStringLiteral("routes"), false);
            const CollectionService::Result stored = collectionService->put(name, body);
            if (stored.status >= 400)
                return Reply::problem(stored.status, stored.detail, stored.errors);
        }
        counts.insert(QStringLiteral("collections"), int(collections.toArray().size()));
    }
    return Reply::json(200, QJsonObject{{QStringLiteral("config_version"), service->version()}, {QStringLiteral("imported"), counts}});
}

} // namespace Gatehouse::Admin
