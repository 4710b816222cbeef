// The admin API's function handlers: /admin/functions[/{name}[/versions|/rollback|/test]] and
// /admin/dead-letters[/{id}[/replay]].

#include "adminapi.h"
#include "functions/functionservice.h"
#include "http/httprequest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

namespace Gatehouse::Admin {

namespace {
Http::HttpResponse fromResult(const FunctionService::Result &r)
{
    if (r.status == 204) {
        Http::HttpResponse resp;
        resp.status = 204;
        return resp;
    }
    if (r.status < 400)
        return Reply::json(r.status, r.body);
    Http::HttpResponse problem = Reply::problem(r.status, r.detail, r.errors);
    if (!r.body.isEmpty()) {
        // Extension members (the line and message of a script error) next to the problem's own.
        QJsonObject merged = QJsonDocument::fromJson(problem.body).object();
        for (auto it = r.body.begin(); it != r.body.end(); ++it)
            merged.insert(it.key(), it.value());
        problem.body = QJsonDocument(merged).toJson(QJsonDocument::Compact);
    }
    return problem;
}
} // namespace

Http::HttpResponse AdminApi::functions(const Http::HttpRequest &request, const QStringList &segments) const
{
    FunctionService *service = m_engine->functions();
    const QString name = segments.value(1);
    const QString action = segments.value(2);
    const QByteArray &m = request.method;
    if (name.isEmpty()) {
        if (m != "GET" && m != "HEAD")
            return Reply::methodNotAllowed("GET");
        return Reply::list(service->list());
    }
    if (action == QLatin1String("versions")) {
        if (m != "GET" && m != "HEAD")
            return Reply::methodNotAllowed("GET");
        return fromResult(service->versions(name));
    }
    if (action == QLatin1String("rollback")) {
        if (m != "POST")
            return Reply::methodNotAllowed("POST");
        QJsonObject body;
        Http::HttpResponse error;
        if (!Reply::parseObject(request, &body, &error))
            return error;
        if (!body.value(QLatin1String("version")).isDouble() || body.value(QLatin1String("version")).toDouble() < 1)
            return Reply::problem(400, QStringLiteral("the body must be {\"version\": N} with N >= 1"));
        return fromResult(service->rollback(name, qint64(body.value(QLatin1String("version")).toDouble())));
    }
    if (action == QLatin1String("test")) {
        if (m != "POST")
            return Reply::methodNotAllowed("POST");
        QJsonObject body;
        Http::HttpResponse error;
        if (!Reply::parseObject(request, &body, &error))
            return error;
        return fromResult(service->testRun(name, body));
    }
    if (!action.isEmpty())
        return Reply::problem(404, QStringLiteral("functions have /versions, /rollback and /test, not '%1'").arg(action));
    if (m == "GET" || m == "HEAD") {
        const auto f = service->get(name);
        return f ? Reply::json(200, *f) : Reply::problem(404, QStringLiteral("no function '%1'").arg(name));
    }
    if (m == "PUT") {
        QJsonObject body;
        Http::HttpResponse error;
        if (!Reply::parseObject(request, &body, &error))
            return error;
        return fromResult(service->deploy(name, body));
    }
    if (m == "DELETE")
        return fromResult(service->remove(name));
    return Reply::methodNotAllowed("GET, PUT, DELETE");
}

Http::HttpResponse AdminApi::deadLetters(const Http::HttpRequest &request, const QStringList &segments) const
{
    FunctionService *service = m_engine->functions();
    const QString id = segments.value(1);
    const QString action = segments.value(2);
    const QByteArray &m = request.method;
    if (id.isEmpty()) {
        if (m != "GET" && m != "HEAD")
            return Reply::methodNotAllowed("GET");
        QString function;   // ?function=NAME narrows the list
        for (const QByteArray &pair : request.query.split('&')) {
            if (pair.startsWith("function="))
                function = QUrl::fromPercentEncoding(pair.mid(9));
        }
        QJsonArray items;
        for (const QJsonValue &v : service->deadLetters()) {
            if (function.isEmpty() || v.toObject().value(QLatin1String("function")).toString() == function)
                items.append(v);
        }
        return Reply::list(items);
    }
    if (action == QLatin1String("replay")) {
        if (m != "POST")
            return Reply::methodNotAllowed("POST");
        return fromResult(service->replayDeadLetter(id));
    }
    if (!action.isEmpty())
        return Reply::problem(404, QStringLiteral("dead letters have /replay, not '%1'").arg(action));
    if (m == "GET" || m == "HEAD") {
        const auto letter = service->deadLetter(id);
        return letter ? Reply::json(200, *letter) : Reply::problem(404, QStringLiteral("no dead letter '%1'").arg(id));
    }
    if (m == "DELETE")
        return fromResult(service->removeDeadLetter(id));
    return Reply::methodNotAllowed("GET, DELETE");
}

} // namespace Gatehouse::Admin
