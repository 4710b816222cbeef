#include "apidescription.h"

#include "apidescription_p.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cstring>

namespace Gatehouse::ApiDescription {

namespace {
using namespace Qt::StringLiterals;

QJsonObject ref(const QString &component)
{
    return {{u"$ref"_s, QString(u"#/components/schemas/"_s + component)}};
}

QJsonObject jsonContent(const QJsonValue &schema, const QString &mediaType = u"application/json"_s)
{
    return {{mediaType, QJsonObject{{u"schema"_s, schema}}}};
}

QJsonObject problemResponse(const QString &description)
{
    return {{u"description"_s, description}, {u"content"_s, jsonContent(ref(u"Problem"_s), u"application/problem+json"_s)}};
}

// A route's path in OpenAPI's form: ":id" -> "{id}", a trailing "*" -> "{path}" (which there
// stands for the rest of the path, slashes included). `params` gets the names in order.
QString openApiPath(const QString &uri, QStringList *params)
{
    QStringList segments = uri.split(u'/');
    for (QString &s : segments) {
        if (s.startsWith(u':')) {
            params->append(s.mid(1));
            s = u'{' + s.mid(1) + u'}';
        } else if (s.endsWith(u'*')) {
            params->append(u"path"_s);
            s = s.chopped(1) + u"{path}"_s;
        }
    }
    return segments.join(u'/');
}

QJsonObject pathParameter(const QString &name, const QString &description = {})
{
    QJsonObject p{{u"name"_s, name}, {u"in"_s, u"path"_s}, {u"required"_s, true}, {u"schema"_s, QJsonObject{{u"type"_s, u"string"_s}}}};
    if (!description.isEmpty())
        p.insert(u"description"_s, description);
    return p;
}

QJsonObject queryParameter(const QString &name, const QJsonObject &schema, const QString &description)
{
    return {{u"name"_s, name}, {u"in"_s, u"query"_s}, {u"schema"_s, schema}, {u"description"_s, description}};
}

QJsonObject headerParameter(const QString &name, const QJsonObject &schema, const QString &description)
{
    return {{u"name"_s, name}, {u"in"_s, u"header"_s}, {u"schema"_s, schema}, {u"description"_s, description}};
}

const QJsonObject kInteger = Detail::schemaOfType("integer");
const QJsonObject kString = Detail::schemaOfType("string");

// Security schemes of the auth plugins in `plugins`, added to `schemes` (named after the
// plugin and, when not the default, its header or parameter); the requirement list of them.
QJsonArray securityOf(const QJsonObject &plugins, QJsonObject *schemes)
{
    QJsonArray requirements;
    auto require = [&](const QString &name, const QJsonObject &scheme) {
        schemes->insert(name, scheme);
        requirements.append(QJsonObject{{name, QJsonArray()}});
    };
    if (plugins.contains(u"key-auth"_s)) {
        const QJsonObject c = plugins.value(u"key-auth"_s).toObject();
        const QString header = c.value(u"header"_s).toString(u"apikey"_s);
        const QString query = c.value(u"query"_s).toString(u"apikey"_s);
        require(header == u"apikey"_s ? u"keyAuth"_s : u"keyAuth-"_s + header,
                {{u"type"_s, u"apiKey"_s}, {u"in"_s, u"header"_s}, {u"name"_s, header},
                 {u"description"_s, u"key-auth: a consumer's key; also accepted as the query parameter `%1`."_s.arg(query)}});
    }
    if (plugins.contains(u"basic-auth"_s))
        require(u"basicAuth"_s, {{u"type"_s, u"http"_s}, {u"scheme"_s, u"basic"_s}, {u"description"_s, u"basic-auth: a consumer's username and password."_s}});
    if (plugins.contains(u"jwt-auth"_s))
        require(u"jwtAuth"_s, {{u"type"_s, u"http"_s}, {u"scheme"_s, u"bearer"_s}, {u"bearerFormat"_s, u"JWT"_s},
                               {u"description"_s, u"jwt-auth: a token signed with a consumer's secret (also accepted as the `jwt` query parameter or cookie)."_s}});
    return requirements;
}

bool limits(const QJsonObject &plugins)
{
    return plugins.contains(u"limit-count"_s) || plugins.contains(u"limit-req"_s) || plugins.contains(u"limit-conn"_s);
}

// Responses every operation may give, by what the route's plugins do.
void addCommonResponses(QJsonObject *responses, const QJsonObject &plugins, bool secured)
{
    if (secured) {
        responses->insert(u"401"_s, problemResponse(u"No valid credentials."_s));
        responses->insert(u"403"_s, problemResponse(u"The consumer may not use this route."_s));
    }
    if (limits(plugins))
        responses->insert(u"429"_s, QJsonObject{{u"description"_s, u"Over the route's limit; X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset and Retry-After say when to come back."_s},
                                                {u"content"_s, jsonContent(ref(u"Problem"_s), u"application/problem+json"_s)}});
    if (plugins.contains(u"api-breaker"_s))
        responses->insert(u"502"_s, problemResponse(u"The circuit breaker is open."_s));
    responses->insert(u"503"_s, problemResponse(u"The engine cannot serve it right now (storage unavailable, the route cannot be applied)."_s));
}

QJsonObject acceptedResponse()
{
    return {{u"description"_s, u"Accepted: the events are durably in the log."_s},
            {u"headers"_s, QJsonObject{{u"Location"_s, QJsonObject{{u"schema"_s, kString}, {u"description"_s, u"/api/{collection}/{id}"_s}}},
                                       {u"X-Event-Position"_s, QJsonObject{{u"schema"_s, kInteger}, {u"description"_s, u"Position of the last event appended."_s}}}}},
            {u"content"_s, jsonContent(ref(u"Accepted"_s))}};
}

QJsonArray commandHeaders()
{
    return {headerParameter(u"If-Match"_s, kString, u"The stream version expected, as the ETag \"3\" (412 when it is another); a list matches any of its versions, * any existing entity."_s),
            headerParameter(u"Idempotency-Key"_s, kString, u"A repeat with the same key and body answers as the first time and appends nothing."_s),
            headerParameter(u"X-Correlation-Id"_s, kString, u"Recorded in the events' correlationid."_s)};
}

QJsonArray queryHeaders()
{
    return {headerParameter(u"X-Min-Position"_s, kInteger, u"Wait until the read model has applied this position (504 after the wait limit)."_s)};
}

// One collection command's operation. `name`: create, update, delete or a custom command.
QJsonObject commandOperation(const Collection &c, const QString &name)
{
    QJsonObject op{{u"tags"_s, QJsonArray{c.name}}};
    QJsonObject responses{{u"202"_s, acceptedResponse()},
                          {u"400"_s, problemResponse(u"The body does not satisfy the collection's schema (every violation listed in `errors`)."_s)},
                          {u"412"_s, problemResponse(u"If-Match did not hold: another version, or no entity (for *, and on a create)."_s)},
                          {u"413"_s, problemResponse(u"The body is over the limit."_s)},
                          {u"422"_s, problemResponse(u"The Idempotency-Key was used with another body."_s)}};
    if (name == u"create"_s) {
        op.insert(u"summary"_s, u"Create a %1 document (id optional: generated when absent)"_s.arg(c.name));
        op.insert(u"requestBody"_s, QJsonObject{{u"required"_s, true}, {u"content"_s, jsonContent(ref(c.name))}});
        responses.insert(u"409"_s, problemResponse(u"The entity exists already."_s));
    } else if (name == u"update"_s) {
        op.insert(u"summary"_s, u"Change a %1 document (JSON merge patch, RFC 7386)"_s.arg(c.name));
        op.insert(u"requestBody"_s, QJsonObject{{u"required"_s, true}, {u"content"_s, jsonContent(ref(c.name + u".Patch"_s))}});
        responses.insert(u"404"_s, problemResponse(u"No such entity, or it is deleted."_s));
    } else if (name == u"delete"_s) {
        op.insert(u"summary"_s, u"Delete a %1 document (logically: the log keeps its history)"_s.arg(c.name));
        responses.insert(u"404"_s, problemResponse(u"No such entity, or it is deleted."_s));
    } else {
        op.insert(u"summary"_s, u"The %1 command `%2`"_s.arg(c.name, name));
        op.insert(u"requestBody"_s, QJsonObject{{u"content"_s, jsonContent(QJsonObject{{u"type"_s, u"object"_s}})}});
        responses.insert(u"404"_s, problemResponse(u"No such entity or command."_s));
        responses.insert(u"409"_s, problemResponse(u"Other commands changed the entity on each of three tries."_s));
    }
    op.insert(u"parameters"_s, commandHeaders());
    op.insert(u"responses"_s, responses);
    return op;
}

QJsonObject queryOperation(const Collection &c, bool one)
{
    QJsonObject op{{u"tags"_s, QJsonArray{c.name}}};
    QJsonObject responses{{u"504"_s, problemResponse(u"X-Min-Position was not reached in time, or the query ran too long."_s)}};
    QJsonObject readPosition{{u"X-Read-Position"_s, QJsonObject{{u"schema"_s, kInteger}, {u"description"_s, u"The log position the answer reflects."_s}}}};
    QJsonArray parameters = queryHeaders();
    if (one) {
        op.insert(u"summary"_s, u"One %1 document with its _meta"_s.arg(c.name));
        QJsonObject headers = readPosition;
        headers.insert(u"ETag"_s, QJsonObject{{u"schema"_s, kString}, {u"description"_s, u"The document's version, quoted."_s}});
        responses.insert(u"200"_s, QJsonObject{{u"description"_s, u"The document."_s}, {u"headers"_s, headers},
                                               {u"content"_s, jsonContent(ref(c.name + u".Document"_s))}});
        responses.insert(u"404"_s, problemResponse(u"No such document, or it is deleted."_s));
    } else {
        op.insert(u"summary"_s, u"A page of %1 documents"_s.arg(c.name));
        op.insert(u"description"_s, u"Filters: `field=value` and `field[op]=value` with op one of eq, ne, gt, gte, lt, lte "
                                    "(on `id` and the schema's properties)."_s);
        parameters.append(queryParameter(u"limit"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"minimum"_s, 1}}, u"Documents per page."_s));
        parameters.append(queryParameter(u"cursor"_s, kString, u"next_cursor of the previous page."_s));
        parameters.append(queryParameter(u"sort"_s, kString, u"Fields, comma-separated; a leading - sorts descending."_s));
        parameters.append(queryParameter(u"include_deleted"_s, QJsonObject{{u"type"_s, u"boolean"_s}}, u"Also the logically deleted documents."_s));
        parameters.append(queryParameter(u"min_position"_s, kInteger, u"As X-Min-Position."_s));
        responses.insert(u"200"_s, QJsonObject{{u"description"_s, u"A page."_s}, {u"headers"_s, readPosition},
                                               {u"content"_s, jsonContent(ref(c.name + u".Page"_s))}});
        responses.insert(u"400"_s, problemResponse(u"An unknown field, operator or parameter."_s));
    }
    op.insert(u"parameters"_s, parameters);
    op.insert(u"responses"_s, responses);
    return op;
}

QJsonObject eventsOperation(bool stream)
{
    QJsonArray parameters{queryParameter(u"from"_s, QJsonObject{{u"type"_s, u"integer"_s}, {u"minimum"_s, 1}}, u"The first position."_s),
                          queryParameter(u"type"_s, kString, u"A glob on the event type (products.*)."_s)};
    if (stream) {
        parameters.append(headerParameter(u"Last-Event-ID"_s, kInteger, u"Resume after this position."_s));
        return {{u"tags"_s, QJsonArray{u"events"_s}},
                {u"summary"_s, u"The log as Server-Sent Events: catch-up, then live"_s},
                {u"parameters"_s, parameters},
                {u"responses"_s, QJsonObject{{u"200"_s, QJsonObject{{u"description"_s, u"An event stream; each event's id is its position, its data a CloudEvent."_s},
                                                                    {u"content"_s, QJsonObject{{u"text/event-stream"_s, QJsonObject{{u"schema"_s, kString}}}}}}},
                                             {u"400"_s, problemResponse(u"A bad parameter."_s)}}}};
    }
    for (const char *name : {"limit", "before", "q", "subject", "since", "until"}) {
        static const QHash<QString, QString> what{{u"limit"_s, u"Most events answered."_s},
                                                  {u"before"_s, u"Newest first, below this position."_s},
                                                  {u"q"_s, u"Text in the type, subject or data (case-insensitive)."_s},
                                                  {u"subject"_s, u"A glob on the subject (case-insensitive)."_s},
                                                  {u"since"_s, u"RFC 3339 time or milliseconds since the epoch."_s},
                                                  {u"until"_s, u"RFC 3339 time or milliseconds since the epoch."_s}};
        const QString n = QString::fromLatin1(name);
        parameters.append(queryParameter(n, n == u"limit"_s || n == u"before"_s ? kInteger : kString, what.value(n)));
    }
    return {{u"tags"_s, QJsonArray{u"events"_s}},
            {u"summary"_s, u"Events of the log, in position order"_s},
            {u"parameters"_s, parameters},
            {u"responses"_s, QJsonObject{{u"200"_s, QJsonObject{{u"description"_s, u"A batch of CloudEvents."_s},
                                                                {u"content"_s, jsonContent(QJsonObject{{u"type"_s, u"array"_s}, {u"items"_s, ref(u"CloudEvent"_s)}},
                                                                                           u"application/cloudevents-batch+json"_s)}}},
                                         {u"400"_s, problemResponse(u"A bad parameter."_s)}}}};
}

QJsonObject components(const QList<Collection> &collections)
{
    QJsonObject schemas;
    schemas.insert(u"Problem"_s, QJsonObject{
        {u"type"_s, u"object"_s}, {u"description"_s, u"RFC 9457 problem details."_s},
        {u"required"_s, QJsonArray{u"type"_s, u"title"_s, u"status"_s}},
        {u"properties"_s, QJsonObject{{u"type"_s, kString}, {u"title"_s, kString}, {u"status"_s, kInteger}, {u"detail"_s, kString},
                                      {u"errors"_s, QJsonObject{{u"type"_s, u"array"_s}, {u"items"_s, QJsonObject{{u"type"_s, u"object"_s},
                                          {u"properties"_s, QJsonObject{{u"path"_s, kString}, {u"message"_s, kString}}}}}}}}}});
    schemas.insert(u"Accepted"_s, QJsonObject{
        {u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"id"_s, u"stream"_s, u"version"_s, u"position"_s, u"events"_s}},
        {u"properties"_s, QJsonObject{{u"id"_s, kString}, {u"stream"_s, kString}, {u"version"_s, kInteger}, {u"position"_s, kInteger},
                                      {u"events"_s, QJsonObject{{u"type"_s, u"array"_s}, {u"items"_s, kString}}}}}});
    schemas.insert(u"CloudEvent"_s, QJsonObject{
        {u"type"_s, u"object"_s}, {u"description"_s, u"CloudEvents 1.0 (JSON) with Gatehouse's extensions."_s},
        {u"required"_s, QJsonArray{u"specversion"_s, u"id"_s, u"source"_s, u"type"_s}},
        {u"properties"_s, QJsonObject{{u"specversion"_s, QJsonObject{{u"const"_s, u"1.0"_s}}}, {u"id"_s, kString}, {u"source"_s, kString},
                                      {u"type"_s, kString}, {u"subject"_s, kString}, {u"time"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"format"_s, u"date-time"_s}}},
                                      {u"dataschema"_s, kString}, {u"datacontenttype"_s, kString}, {u"data"_s, QJsonObject()},
                                      {u"position"_s, kInteger}, {u"stream"_s, kString}, {u"streamversion"_s, kInteger},
                                      {u"correlationid"_s, kString}, {u"causationid"_s, kString}}}});
    schemas.insert(u"Meta"_s, QJsonObject{
        {u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"version"_s, u"position"_s, u"updated_at"_s}},
        {u"properties"_s, QJsonObject{{u"version"_s, kInteger}, {u"position"_s, kInteger},
                                      {u"updated_at"_s, QJsonObject{{u"type"_s, u"string"_s}, {u"format"_s, u"date-time"_s}}},
                                      {u"deleted"_s, QJsonObject{{u"type"_s, u"boolean"_s}}}}}});
    for (const Collection &c : collections) {
        const QJsonObject schema = portableSchema(c.schema.toJson()).toObject();
        schemas.insert(c.name, schema);
        // The stored document: the schema's members, its id and _meta.
        QJsonObject document = schema;
        QJsonObject properties = document.value(u"properties"_s).toObject();
        if (!properties.contains(u"id"_s))
            properties.insert(u"id"_s, kString);
        properties.insert(u"_meta"_s, ref(u"Meta"_s));
        document.insert(u"properties"_s, properties);
        QJsonArray required = document.value(u"required"_s).toArray();
        for (const char *name : {"id", "_meta"}) {
            if (!required.contains(QString::fromLatin1(name)))
                required.append(QString::fromLatin1(name));
        }
        document.insert(u"required"_s, required);
        schemas.insert(c.name + u".Document"_s, document);
        // A merge patch: any member, each may be null (removes it), none required.
        QJsonObject patch = schema;
        patch.remove(u"required"_s);
        QJsonObject patchProperties;
        const QJsonObject original = schema.value(u"properties"_s).toObject();
        for (auto it = original.begin(); it != original.end(); ++it)
            patchProperties.insert(it.key(), QJsonObject{{u"anyOf"_s, QJsonArray{it.value(), QJsonObject{{u"type"_s, u"null"_s}}}}});
        patch.insert(u"properties"_s, patchProperties);
        schemas.insert(c.name + u".Patch"_s, patch);
        schemas.insert(c.name + u".Page"_s, QJsonObject{
            {u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"items"_s, u"next_cursor"_s}},
            {u"properties"_s, QJsonObject{{u"items"_s, QJsonObject{{u"type"_s, u"array"_s}, {u"items"_s, ref(c.name + u".Document"_s)}}},
                                          {u"next_cursor"_s, QJsonObject{{u"type"_s, QJsonArray{u"string"_s, u"null"_s}}}}}}});
    }
    return {{u"schemas"_s, schemas}};
}

QString operationId(const QString &routeId, const QString &method, const QString &suffix, QSet<QString> *used)
{
    static const QRegularExpression unsafe(u"[^A-Za-z0-9_.-]"_s);
    QString id = QString(routeId + u'.' + method + (suffix.isEmpty() ? QString() : QString(u'.' + suffix))).replace(unsafe, u"_"_s);
    const QString base = id;
    for (int n = 2; used->contains(id); ++n)
        id = base + u'.' + QString::number(n);
    used->insert(id);
    return id;
}
} // namespace

QJsonValue portableSchema(const QJsonValue &schema)
{
    if (!schema.isObject())
        return schema.isArray() ? QJsonValue(QJsonArray(schema.toArray())) : schema;
    QJsonObject out = schema.toObject();
    if (out.value(u"index"_s).isBool())
        out.remove(u"index"_s);
    for (const char *single : {"items", "additionalProperties", "not", "contains", "if", "then", "else", "propertyNames",
                               "unevaluatedProperties", "unevaluatedItems", "contentSchema"}) {
        const QString key = QString::fromLatin1(single);
        if (out.contains(key) && out.value(key).isObject())
            out.insert(key, portableSchema(out.value(key)));
    }
    for (const char *list : {"allOf", "anyOf", "oneOf", "prefixItems", "items"}) {
        const QString key = QString::fromLatin1(list);
        if (!out.value(key).isArray())
            continue;
        QJsonArray items;
        for (const QJsonValue &v : out.value(key).toArray())
            items.append(portableSchema(v));
        out.insert(key, items);
    }
    for (const char *map : {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}) {
        const QString key = QString::fromLatin1(map);
        if (!out.value(key).isObject())
            continue;
        QJsonObject members = out.value(key).toObject();
        for (auto it = members.begin(); it != members.end(); ++it)
            it.value() = portableSchema(it.value());
        out.insert(key, members);
    }
    return out;
}

QJsonObject openApi(const QList<Route> &routes, const QJsonArray &globalRules, const QList<Collection> &collections,
                    const Context &context)
{
    QHash<QString, const Collection *> byName;
    for (const Collection &c : collections)
        byName.insert(c.name, &c);
    QJsonObject schemes;
    QJsonObject globalPlugins;
    for (const QJsonValue &rule : globalRules) {
        const QJsonObject plugins = rule.toObject().value(u"plugins"_s).toObject();
        for (auto it = plugins.begin(); it != plugins.end(); ++it)
            globalPlugins.insert(it.key(), it.value());
    }
    QJsonObject paths;
    QSet<QString> operationIds;
    QSet<QString> tags;

    // Routes of equal path precedence: the one matched first (highest priority) is described.
    QList<const Route *> ordered;
    for (const Route &r : routes) {
        if (r.enabled && r.problems.isEmpty())
            ordered.append(&r);
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const Route *a, const Route *b) { return a->priority > b->priority; });

    auto addOperation = [&](const QString &path, const QStringList &params, const QString &method, QJsonObject op, const Route &route) {
        QJsonObject item = paths.value(path).toObject();
        if (item.contains(method))
            return;   // an earlier route answers it
        QJsonObject plugins = globalPlugins;
        for (auto it = route.plugins.begin(); it != route.plugins.end(); ++it)
            plugins.insert(it.key(), it.value());
        const QJsonArray security = securityOf(plugins, &schemes);
        op.insert(u"security"_s, security);   // empty: open to anyone, said explicitly
        QJsonObject responses = op.value(u"responses"_s).toObject();
        addCommonResponses(&responses, plugins, !security.isEmpty());
        op.insert(u"responses"_s, responses);
        QJsonArray parameters;
        for (const QString &p : params)
            parameters.append(pathParameter(p, p == u"path"_s && route.uri.endsWith(u'*') ? u"The rest of the path."_s : QString()));
        for (const QJsonValue &p : op.value(u"parameters"_s).toArray())
            parameters.append(p);
        if (!parameters.isEmpty())
            op.insert(u"parameters"_s, parameters);
        QString described = route.description;
        if (!route.hosts.isEmpty())
            described += (described.isEmpty() ? QString() : u"\n\n"_s) + u"Only for the hosts "_s + route.hosts.join(u", "_s) + u'.';
        if (!route.vars.isEmpty())
            described += (described.isEmpty() ? QString() : u"\n\n"_s) + u"Only when the route's conditions (vars) hold."_s;
        if (!described.isEmpty())
            op.insert(u"description"_s, QString(op.value(u"description"_s).toString() + (op.contains(u"description"_s) ? u"\n\n"_s : QString()) + described));
        op.insert(u"operationId"_s, operationId(route.id, method, op.value(u"x-gatehouse-command"_s).toString(), &operationIds));
        op.insert(u"x-gatehouse-route"_s, route.id);
        for (const QJsonValue &t : op.value(u"tags"_s).toArray())
            tags.insert(t.toString());
        item.insert(method, op);
        paths.insert(path, item);
    };

    for (const Route *route : std::as_const(ordered)) {
        QStringList params;
        const QString path = openApiPath(route->uri, &params);
        QStringList methods;
        for (const QString &m : route->methods)
            methods.append(m.toLower());
        if (methods.isEmpty())
            methods = {u"get"_s, u"post"_s, u"put"_s, u"patch"_s, u"delete"_s};
        methods.removeAll(u"connect"_s);
        methods.removeAll(u"trace"_s);
        const QString type = route->upstream.type;
        const Collection *collection = byName.value(route->upstream.collection);
        for (const QString &method : std::as_const(methods)) {
            if (type == u"command"_s && collection && method == u"post"_s) {
                if (params.contains(u"command"_s)) {
                    // The generic command route: each command it serves, spelt out.
                    QStringList fixed = params;
                    fixed.removeAll(u"command"_s);
                    const QString base = path.left(path.lastIndexOf(u"/{command}"_s));
                    QStringList names{u"delete"_s};
                    names += collection->commands.keys();
                    for (const QString &name : std::as_const(names)) {
                        QJsonObject op = commandOperation(*collection, name);
                        op.insert(u"x-gatehouse-command"_s, name);
                        addOperation(base + u'/' + name, fixed, method, op, *route);
                    }
                } else {
                    QJsonObject op = commandOperation(*collection, params.contains(u"id"_s) ? u"update"_s : u"create"_s);
                    addOperation(path, params, method, op, *route);
                }
            } else if (type == u"query"_s && collection && (method == u"get"_s || method == u"head"_s)) {
                addOperation(path, params, method, queryOperation(*collection, params.contains(u"id"_s)), *route);
            } else if (type == u"events"_s && method == u"get"_s) {
                addOperation(path, params, method, eventsOperation(false), *route);
            } else if (type == u"sse"_s && method == u"get"_s) {
                addOperation(path, params, method, eventsOperation(true), *route);
            } else if (type == u"websocket"_s && method == u"get"_s) {
                addOperation(path, params, method,
                             {{u"tags"_s, QJsonArray{u"events"_s}},
                              {u"summary"_s, u"WebSocket: subscriptions to the log and commands (see /asyncapi.json)"_s},
                              {u"responses"_s, QJsonObject{{u"101"_s, QJsonObject{{u"description"_s, u"Switching to the WebSocket protocol."_s}}},
                                                           {u"400"_s, problemResponse(u"Not a WebSocket handshake."_s)}}}},
                             *route);
            } else if (type == u"function"_s) {
                const QString function = route->upstream.config.value(u"function"_s).toString();
                addOperation(path, params, method,
                             {{u"tags"_s, QJsonArray{u"functions"_s}},
                              {u"summary"_s, u"The function %1"_s.arg(function)},
                              {u"responses"_s, QJsonObject{{u"default"_s, QJsonObject{{u"description"_s, u"What the function answers."_s}}},
                                                           {u"504"_s, problemResponse(u"The function did not answer in time."_s)}}}},
                             *route);
            } else if (type == u"http"_s) {
                addOperation(path, params, method,
                             {{u"tags"_s, QJsonArray{u"proxied"_s}},
                              {u"summary"_s, u"Proxied to the upstream's nodes"_s},
                              {u"responses"_s, QJsonObject{{u"default"_s, QJsonObject{{u"description"_s, u"What the upstream answers."_s}}},
                                                           {u"502"_s, problemResponse(u"No node of the upstream answered."_s)},
                                                           {u"504"_s, problemResponse(u"The upstream did not answer in time."_s)}}}},
                             *route);
            }
        }
    }
    for (const char *own : {"/openapi.json", "/asyncapi.json"}) {
        const bool open = std::strcmp(own, "/openapi.json") == 0;
        QJsonObject item{{u"get"_s, QJsonObject{{u"tags"_s, QJsonArray{u"descriptions"_s}}, {u"operationId"_s, open ? u"openapi"_s : u"asyncapi"_s},
                                                 {u"security"_s, QJsonArray()},
                                                 {u"summary"_s, open ? u"This description (OpenAPI 3.1)"_s : u"The MQTT and WebSocket description (AsyncAPI 3.0)"_s},
                                                 {u"responses"_s, QJsonObject{{u"200"_s, QJsonObject{{u"description"_s, u"The description."_s},
                                                                                                    {u"content"_s, jsonContent(QJsonObject{{u"type"_s, u"object"_s}})}}}}}}}};
        paths.insert(QString::fromLatin1(own), item);
    }
    tags.insert(u"descriptions"_s);

    QJsonArray tagList;
    QStringList sortedTags = tags.values();
    sortedTags.sort();
    for (const QString &t : std::as_const(sortedTags)) {
        const Collection *c = byName.value(t);
        tagList.append(QJsonObject{{u"name"_s, t}, {u"description"_s, c ? u"The %1 collection: commands and queries."_s.arg(t)
                                                                         : t == u"events"_s ? u"The event log."_s
                                                                         : t == u"functions"_s ? u"Routes served by functions."_s
                                                                         : t == u"proxied"_s ? u"Routes proxied to external upstreams."_s
                                                                                             : u"What the engine serves about itself."_s}});
    }
    QJsonObject componentObject = components(collections);
    if (!schemes.isEmpty())
        componentObject.insert(u"securitySchemes"_s, schemes);
    QJsonObject servers{{u"url"_s, context.gatewayUrl.isEmpty() ? u"/"_s : context.gatewayUrl}};
    return {{u"openapi"_s, u"3.1.0"_s},
            {u"info"_s, QJsonObject{{u"title"_s, u"Gatehouse API"_s},
                                    {u"version"_s, u"%1+config.%2"_s.arg(context.engineVersion).arg(context.configVersion)},
                                    {u"description"_s, u"What this engine serves right now, made from its live configuration (configuration version %1). "
                                                       "Errors are RFC 9457 problem documents."_s.arg(context.configVersion)},
                                    {u"license"_s, QJsonObject{{u"name"_s, u"Proprietary"_s}, {u"identifier"_s, u"LicenseRef-proprietary"_s}}}}},
            {u"servers"_s, QJsonArray{servers}},
            {u"tags"_s, tagList},
            {u"paths"_s, paths},
            {u"components"_s, componentObject}};
}

} // namespace Gatehouse::ApiDescription
