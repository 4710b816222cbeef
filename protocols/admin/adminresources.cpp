// The admin API's resource handlers: gateway resources, plugins, collections.

#include "adminapi.h"
#include "api/apirequest.h"
#include "config/collectioncatalog.h"
#include "gateway/pluginregistry.h"
#include "gateway/resourceschemas.h"
#include "http/httprequest.h"
#include "readmodel/readstore.h"
#include "resources/collectionservice.h"
#include "resources/resourceservice.h"

#include <QDateTime>
#include <QJsonArray>

namespace Gatehouse::Admin {

namespace {
template <typename Result>
Http::HttpResponse fromResult(const Result &r)
{
    if (r.status == 204) {
        Http::HttpResponse resp;
        resp.status = 204;
        return resp;
    }
    if (r.status >= 400)
        return Reply::problem(r.status, r.detail, r.errors);
    return Reply::json(r.status, r.resource);
}

} // namespace

Http::HttpResponse AdminApi::resources(const Http::HttpRequest &request, const QString &kind, const QString &id) const
{
    ResourceService *service = m_engine->resources();
    const QByteArray &m = request.method;
    if (id.isEmpty()) {
        if (m == "GET" || m == "HEAD")
            return Reply::list(service->list(kind));
        if (m == "POST") {
            QJsonObject body;
            Http::HttpResponse error;
            if (!Reply::parseObject(request, &body, &error))
                return error;
            return fromResult(service->create(kind, body));
        }
        return Reply::methodNotAllowed("GET, POST");
    }
    if (m == "GET" || m == "HEAD") {
        const auto resource = service->get(kind, id);
        return resource ? Reply::json(200, *resource) : Reply::problem(404, QStringLiteral("no %1 '%2'").arg(kind, id));
    }
    if (m == "PUT" || m == "PATCH") {
        QJsonObject body;
        Http::HttpResponse error;
        if (!Reply::parseObject(request, &body, &error))
            return error;
        return fromResult(m == "PUT" ? service->put(kind, id, body) : service->patch(kind, id, body));
    }
    if (m == "DELETE")
        return fromResult(service->remove(kind, id));
    return Reply::methodNotAllowed("GET, PUT, PATCH, DELETE");
}

Http::HttpResponse AdminApi::plugins(const Http::HttpRequest &request, const QString &name) const
{
    if (request.method != "GET" && request.method != "HEAD")
        return Reply::methodNotAllowed("GET");
    auto describe = [](const PluginDescriptor &d) {
        QJsonObject o{
            {QStringLiteral("name"), d.name},
            {QStringLiteral("priority"), d.priority},
            {QStringLiteral("phase"), d.phase},
            {QStringLiteral("schema"), d.schema},
        };
        if (!d.consumerSchema.isEmpty())
            o.insert(QStringLiteral("consumer_schema"), d.consumerSchema);
        return o;
    };
    if (!name.isEmpty()) {
        const PluginDescriptor *d = PluginRegistry::find(name);
        return d ? Reply::json(200, describe(*d)) : Reply::problem(404, QStringLiteral("no plugin '%1'").arg(name));
    }
    QJsonArray items;
    for (const PluginDescriptor &d : PluginRegistry::all())
        items.append(describe(d));
    return Reply::list(items);
}

Http::HttpResponse AdminApi::schemas(const Http::HttpRequest &request, const QString &name) const
{
    if (request.method != "GET" && request.method != "HEAD")
        return Reply::methodNotAllowed("GET");
    ResourceService *service = m_engine->resources();
    if (!service)
        return Reply::problem(503, QStringLiteral("the engine is not running"));
    const ResourceSchemas &schemas = service->schemas();
    if (!name.isEmpty()) {
        const QJsonObject schema = schemas.document(name);
        return schema.isEmpty() ? Reply::problem(404, QStringLiteral("no schema '%1' (there are: %2)").arg(name, ResourceSchemas::names().join(QStringLiteral(", "))))
                                : Reply::json(200, schema);
    }
    QJsonArray items;
    for (const QString &n : ResourceSchemas::names())
        items.append(QJsonObject{{QStringLiteral("name"), n}, {QStringLiteral("schema"), schemas.document(n)}});
    return Reply::json(200, QJsonObject{{QStringLiteral("total"), items.size()},
                                        {QStringLiteral("items"), items},
                                        {QStringLiteral("limits"), schemas.limits().toJson()}});
}

Http::HttpResponse AdminApi::collections(const Http::HttpRequest &request, const QString &name) const
{
    const QByteArray &m = request.method;
    if (m != "GET" && m != "HEAD") {
        CollectionService *service = m_engine->collectionService();
        if (name.isEmpty())
            return Reply::methodNotAllowed("GET");
        if (!service)
            return Reply::problem(503, QStringLiteral("the engine is not running"));
        if (m == "PUT" || m == "PATCH") {
            QJsonObject body;
            Http::HttpResponse error;
            if (!Reply::parseObject(request, &body, &error))
                return error;
            return fromResult(m == "PUT" ? service->put(name, body) : service->patch(name, body));
        }
        if (m == "DELETE") {
            ApiRequest query;
            query.query = request.query;
            const QString archive = query.queryItem(QStringLiteral("archive"), QStringLiteral("false"));
            if (archive != QLatin1String("true") && archive != QLatin1String("false"))
                return Reply::problem(400, QStringLiteral("archive is true or false, got '%1'").arg(archive.left(64)));
            return fromResult(service->remove(name, archive == QLatin1String("true")));
        }
        return Reply::methodNotAllowed("GET, PUT, PATCH, DELETE");
    }
    const auto project = m_engine->collections()->snapshot();
    auto describe = [this](const Collection &c) {
        QJsonObject o = c.toJson();
        if (CollectionService *service = m_engine->collectionService()) {
            if (const auto stored = service->get(c.name)) {
                o.insert(QStringLiteral("create_time"), stored->value(QStringLiteral("create_time")));
                o.insert(QStringLiteral("update_time"), stored->value(QStringLiteral("update_time")));
            }
        }
        o.insert(QStringLiteral("indexed_fields"), QJsonArray::fromStringList(c.indexedFields));
        o.insert(QStringLiteral("schema_version"), c.schemaVersion);   // also while it is 1
        // Indexes this engine built or builds since it started (added at run time: see
        // IndexBuilder), with their state and progress.
        QJsonArray builds;
        for (const IndexBuilder::Build &b : m_engine->readStore()->indexBuilds(c.name)) {
            QJsonObject build{{QStringLiteral("field"), b.field},
                              {QStringLiteral("state"), IndexBuilder::Build::stateName(b.state)},
                              {QStringLiteral("progress"), b.progress < 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(b.progress)},
                              {QStringLiteral("queued_at"), QDateTime::fromMSecsSinceEpoch(b.queuedAtMs, Qt::UTC).toString(Qt::ISODateWithMs)}};
            if (b.finishedAtMs)
                build.insert(QStringLiteral("finished_at"), QDateTime::fromMSecsSinceEpoch(b.finishedAtMs, Qt::UTC).toString(Qt::ISODateWithMs));
            if (!b.error.isEmpty())
                build.insert(QStringLiteral("error"), b.error);
            builds.append(build);
        }
        o.insert(QStringLiteral("index_builds"), builds);
        o.insert(QStringLiteral("count"), m_engine->readStore()->count(c.name));
        o.insert(QStringLiteral("count_including_deleted"), m_engine->readStore()->count(c.name, true));
        return o;
    };
    // Collections that functions write (ctx.upsert) live in the read store without a
    // declaration: listed too, without a schema, so the console and scripts can find them.
    auto describeWritten = [this](const QString &collection) {
        return QJsonObject{
            {QStringLiteral("name"), collection},
            {QStringLiteral("written_by"), QStringLiteral("functions")},
            {QStringLiteral("count"), m_engine->readStore()->count(collection)},
            {QStringLiteral("count_including_deleted"), m_engine->readStore()->count(collection, true)},
        };
    };
    const QStringList stored = m_engine->readStore()->collections();
    if (!name.isEmpty()) {
        if (const Collection *c = project->collection(name))
            return Reply::json(200, describe(*c));
        if (stored.contains(name))
            return Reply::json(200, describeWritten(name));
        return Reply::problem(404, QStringLiteral("no collection '%1'").arg(name));
    }
    QJsonArray items;
    for (const Collection &c : project->collections())
        items.append(describe(c));
    for (const QString &collection : stored) {
        if (!project->collection(collection))
            items.append(describeWritten(collection));
    }
    return Reply::list(items);
}

} // namespace Gatehouse::Admin
