// The admin API's projection handlers: status, pause/resume/rebuild, and the events an
// operator parked because a projection could not apply them.
//
//   GET  /admin/projections[/{name}]
//   POST /admin/projections/{name}/pause|resume|rebuild|skip
//   GET  /admin/projections/{name}/parked
//   DELETE /admin/projections/{name}/parked/{position}

#include "adminapi.h"
#include "http/httprequest.h"
#include "projections/projectionrunner.h"

#include <QJsonArray>

namespace Gatehouse::Admin {

namespace {
QJsonObject statsToJson(const ProjectionRunner &runner)
{
    const ProjectionRunner::Stats s = runner.stats();
    QJsonObject o{
        {QStringLiteral("name"), s.name},
        {QStringLiteral("status"), ProjectionRunner::statusName(s.status)},
        {QStringLiteral("position"), s.position},
        {QStringLiteral("head"), s.head},
        {QStringLiteral("lag_events"), s.lagEvents},
        {QStringLiteral("lag_ms"), s.lagMs},
        {QStringLiteral("events_per_second"), s.eventsPerSecond},
        {QStringLiteral("progress"), s.progress},
    };
    if (s.status == ProjectionRunner::Status::Faulted) {
        o.insert(QStringLiteral("error"), s.error);
        o.insert(QStringLiteral("fault_position"), s.faultPosition);
        o.insert(QStringLiteral("fault_event_id"), s.faultEventId);
    }
    if (s.status == ProjectionRunner::Status::Rebuilding)
        o.insert(QStringLiteral("rebuild_target"), s.rebuildTarget);
    if (const ParkedEvents *parked = runner.parkedEvents())
        o.insert(QStringLiteral("parked_events"), qint64(parked->positions(s.name)->size()));
    return o;
}

Http::HttpResponse parkedList(const ProjectionRunner &runner)
{
    QJsonArray items;
    if (const ParkedEvents *parked = runner.parkedEvents()) {
        for (const ParkedEvents::Entry &e : parked->list(runner.name()))
            items.append(e.toJson());
    }
    return Reply::list(items);
}

Http::HttpResponse releaseParked(ProjectionRunner &runner, const QString &positionText)
{
    bool ok = false;
    const qint64 position = positionText.toLongLong(&ok);
    if (!ok || position <= 0)
        return Reply::problem(400, QStringLiteral("a parked event is named by its position, got '%1'").arg(positionText));
    if (!runner.releaseParked(position))
        return Reply::problem(404, QStringLiteral("projection %1 has no parked event at position %2").arg(runner.name()).arg(position));
    Http::HttpResponse r;
    r.status = 204;
    return r;
}
} // namespace

Http::HttpResponse AdminApi::projections(const Http::HttpRequest &request, const QStringList &segments) const
{
    const QString name = segments.value(1);
    const QString action = segments.value(2);
    if (name.isEmpty()) {
        if (request.method != "GET" && request.method != "HEAD")
            return Reply::methodNotAllowed("GET");
        QJsonArray items;
        for (ProjectionRunner *r : m_engine->projections())
            items.append(statsToJson(*r));
        return Reply::list(items);
    }
    ProjectionRunner *runner = nullptr;
    for (ProjectionRunner *r : m_engine->projections()) {
        if (r->name() == name && !runner)
            runner = r;
    }
    if (!runner)
        return Reply::problem(404, QStringLiteral("no projection '%1'").arg(name));
    if (action.isEmpty()) {
        if (request.method != "GET" && request.method != "HEAD")
            return Reply::methodNotAllowed("GET");
        return Reply::json(200, statsToJson(*runner));
    }
    if (action == QLatin1String("parked")) {
        if (segments.size() == 4) {
            if (request.method != "DELETE")
                return Reply::methodNotAllowed("DELETE");
            return releaseParked(*runner, segments.value(3));
        }
        if (request.method != "GET" && request.method != "HEAD")
            return Reply::methodNotAllowed("GET");
        return parkedList(*runner);
    }
    if (segments.size() > 3)
        return Reply::problem(404, QStringLiteral("no admin resource at %1").arg(QString::fromUtf8(request.path)));
    if (request.method != "POST")
        return Reply::methodNotAllowed("POST");
    if (runner->isStandby() && (action == QLatin1String("skip") || action == QLatin1String("pause")
                                || action == QLatin1String("resume") || action == QLatin1String("rebuild"))) {
        return Reply::problem(409, QStringLiteral("projection '%1' is run by another engine on this database; send %2 to that "
                                                  "engine (this one only follows its checkpoint)").arg(runner->name(), action));
    }
    if (action == QLatin1String("skip")) {
        ParkedEvents::Entry parked;
        QString error;
        if (!runner->skipFault(&parked, &error))
            return Reply::problem(409, error);
        QJsonObject body = statsToJson(*runner);
        body.insert(QStringLiteral("accepted"), action);
        body.insert(QStringLiteral("parked"), parked.toJson());
        return Reply::json(202, body);
    }
    if (action == QLatin1String("pause"))
        runner->pause();
    else if (action == QLatin1String("resume"))
        runner->resume();
    else if (action == QLatin1String("rebuild"))
        runner->rebuild();
    else
        return Reply::problem(404, QStringLiteral("projections accept pause, resume, rebuild and skip, not '%1'").arg(action));
    // The action runs on the projection's thread; answer at once with where it stands.
    QJsonObject body = statsToJson(*runner);
    body.insert(QStringLiteral("accepted"), action);
    return Reply::json(202, body);
}

} // namespace Gatehouse::Admin
