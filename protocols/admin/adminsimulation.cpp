// The admin API's simulation handlers: /admin/scenarios[/{name}[/run]] and
// /admin/runs[/{id}[/stop]].

#include "adminapi.h"
#include "http/httprequest.h"
#include "simulation/simulationservice.h"

#include <QJsonArray>

namespace Gatehouse::Admin {

namespace {

Http::HttpResponse noContent()
{
    Http::HttpResponse r;
    r.status = 204;
    return r;
}

Http::HttpResponse fromResult(const Simulation::ScenarioStore::Result &r)
{
    if (r.status == 204)
        return noContent();
    if (r.status < 400)
        return Reply::json(r.status, r.scenario);
    return Reply::problem(r.status, r.detail, r.errors);
}

} // namespace

Http::HttpResponse AdminApi::scenarios(const Http::HttpRequest &request, const QStringList &segments) const
{
    Simulation::SimulationService *service = m_engine->simulations();
    if (!service)
        return Reply::problem(503, QStringLiteral("the engine is not running"));
    Simulation::ScenarioStore &store = service->scenarios();
    const QString name = segments.value(1);
    const QString action = segments.value(2);
    const QByteArray &m = request.method;
    if (name.isEmpty()) {
        if (m != "GET" && m != "HEAD")
            return Reply::methodNotAllowed("GET");
        return Reply::list(store.list());
    }
    if (action == QLatin1String("run")) {
        if (m != "POST")
            return Reply::methodNotAllowed("POST");
        QJsonObject overrides;
        if (!request.body.trimmed().isEmpty()) {
            Http::HttpResponse error;
            if (!Reply::parseObject(request, &overrides, &error))
                return error;
        }
        const Simulation::SimulationService::StartResult r = service->startStored(name, overrides);
        if (r.status >= 400) {
            Http::HttpResponse problem = Reply::problem(r.status, r.detail, r.errors);
            if (r.status == 409 && !r.runId.isEmpty())
                problem.setHeader(QByteArrayLiteral("Location"), "/admin/runs/" + r.runId.toUtf8());
            return problem;
        }
        Http::HttpResponse created = Reply::json(201, r.run);
        created.setHeader(QByteArrayLiteral("Location"), "/admin/runs/" + r.runId.toUtf8());
        return created;
    }
    if (!action.isEmpty())
        return Reply::problem(404, QStringLiteral("scenarios have /run, not '%1'").arg(action));
    if (m == "GET" || m == "HEAD") {
        const std::optional<QJsonObject> s = store.get(name);
        return s ? Reply::json(200, *s) : Reply::problem(404, QStringLiteral("no scenario named %1").arg(name));
    }
    if (m == "PUT" || m == "PATCH") {
        QJsonObject body;
        Http::HttpResponse error;
        if (!Reply::parseObject(request, &body, &error))
            return error;
        return fromResult(m == "PUT" ? store.put(name, body) : store.patch(name, body));
    }
    if (m == "DELETE")
        return fromResult(store.remove(name));
    return Reply::methodNotAllowed("GET, PUT, PATCH, DELETE");
}

Http::HttpResponse AdminApi::runs(const Http::HttpRequest &request, const QStringList &segments) const
{
    Simulation::SimulationService *service = m_engine->simulations();
    if (!service)
        return Reply::problem(503, QStringLiteral("the engine is not running"));
    const QString id = segments.value(1);
    const QString action = segments.value(2);
    const QByteArray &m = request.method;
    if (id.isEmpty()) {
        if (m != "GET" && m != "HEAD")
            return Reply::methodNotAllowed("GET");
        return Reply::list(service->runs());
    }
    if (action == QLatin1String("stop")) {
        if (m != "POST")
            return Reply::methodNotAllowed("POST");
        switch (service->stop(id)) {
        case 202: {
            const std::optional<QJsonObject> live = service->run(id);
            return Reply::json(202, live.value_or(QJsonObject{{QStringLiteral("id"), id}}));
        }
        case 409: return Reply::problem(409, QStringLiteral("run %1 has already ended").arg(id));
        default: return Reply::problem(404, QStringLiteral("no run %1").arg(id));
        }
    }
    if (!action.isEmpty())
        return Reply::problem(404, QStringLiteral("runs have /stop, not '%1'").arg(action));
    if (m == "GET" || m == "HEAD") {
        const std::optional<QJsonObject> r = service->run(id);
        return r ? Reply::json(200, *r) : Reply::problem(404, QStringLiteral("no run %1").arg(id));
    }
    if (m == "DELETE") {
        switch (service->removeRun(id)) {
        case 204: return noContent();
        case 409: return Reply::problem(409, QStringLiteral("run %1 is still running; stop it first").arg(id));
        default: return Reply::problem(404, QStringLiteral("no run %1").arg(id));
        }
    }
    return Reply::methodNotAllowed("GET, DELETE");
}

} // namespace Gatehouse::Admin
