#include "route.h"

#include "routevars.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace Gatehouse {

namespace {
const QStringList kUpstreamTypes{QStringLiteral("command"), QStringLiteral("query"), QStringLiteral("events"),
                                 QStringLiteral("function"), QStringLiteral("http"),
                                 QStringLiteral("websocket"), QStringLiteral("sse")};
const QStringList kMethods{QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("PATCH"),
                           QStringLiteral("DELETE"), QStringLiteral("HEAD"), QStringLiteral("OPTIONS")};
} // namespace

bool Route::allowsMethod(QByteArrayView method) const
{
    if (methods.isEmpty())
        return true;
    for (const QString &m : methods) {
        if (QByteArrayView(m.toLatin1()) == method)
            return true;
        // HEAD is answered by GET routes (without the body).
        if (method == "HEAD" && m == QLatin1String("GET"))
            return true;
    }
    return false;
}

bool Route::allowsHost(const QString &host) const
{
    if (hosts.isEmpty())
        return true;
    for (const QString &h : hosts) {
        if (h.startsWith(QLatin1String("*.")) ? host.endsWith(QStringView(h).mid(1)) && host.size() > h.size() - 1
                                              : host.compare(h, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QJsonObject Route::toJson() const
{
    QJsonObject up = upstream.config;
    up.insert(QStringLiteral("type"), upstream.type);
    if (!upstream.collection.isEmpty())
        up.insert(QStringLiteral("collection"), upstream.collection);
    QJsonObject o{
        {QStringLiteral("id"), id},
        {QStringLiteral("uri"), uri},
        {QStringLiteral("methods"), QJsonArray::fromStringList(methods)},
        {QStringLiteral("priority"), priority},
        {QStringLiteral("status"), enabled ? 1 : 0},
        {QStringLiteral("plugins"), plugins},
        {QStringLiteral("upstream"), up},
    };
    if (!name.isEmpty())
        o.insert(QStringLiteral("name"), name);
    if (!hosts.isEmpty())
        o.insert(QStringLiteral("hosts"), QJsonArray::fromStringList(hosts));
    if (!vars.isEmpty())
        o.insert(QStringLiteral("vars"), vars);
    if (enableWebsocket)
        o.insert(QStringLiteral("enable_websocket"), true);
    if (!description.isEmpty())
        o.insert(QStringLiteral("desc"), description);
    return o;
}

Route Route::fromJson(const QJsonObject &json, QStringList *errors)
{
    Route r;
    auto fail = [errors](const QString &e) { if (errors) errors->append(e); };
    r.id = json.value(QStringLiteral("id")).toString();
    r.name = json.value(QStringLiteral("name")).toString();
    r.description = json.value(QStringLiteral("desc")).toString();

    r.uri = json.value(QStringLiteral("uri")).toString();
    if (!r.uri.startsWith(QLatin1Char('/')))
        fail(QStringLiteral("/uri: must start with /"));
    if (const auto star = r.uri.indexOf(QLatin1Char('*')); star >= 0 && star != r.uri.size() - 1) {
        fail(QStringLiteral("/uri: * is only allowed at the end"));
        r.uri.truncate(star + 1);
    }

    const QJsonValue methods = json.value(QStringLiteral("methods"));
    if (!methods.isUndefined() && !methods.isArray())
        fail(QStringLiteral("/methods: must be an array of method names"));
    bool everyMethod = !methods.isArray();
    for (const QJsonValue &m : methods.toArray()) {
        if (!kMethods.contains(m.toString())) {
            fail(QStringLiteral("/methods: unknown method %1").arg(m.toString()));
            everyMethod = true;
        } else {
            r.methods.append(m.toString());
        }
    }
    if (everyMethod)
        r.methods.clear();

    const QJsonValue priority = json.value(QStringLiteral("priority"));
    const double p = priority.toDouble();
    if (priority.isUndefined()) {
        r.priority = 0;
    } else if (priority.isDouble() && p == std::floor(p) && p >= std::numeric_limits<int>::min() && p <= std::numeric_limits<int>::max()) {
        r.priority = int(p);
    } else {
        fail(QStringLiteral("/priority: must be an integer"));
        r.priority = std::numeric_limits<int>::max();
    }
    const QJsonValue status = json.value(QStringLiteral("status"));
    r.enabled = !(status.isDouble() && status.toDouble() == 0);
    if (!status.isUndefined() && !(status.isDouble() && (status.toDouble() == 0 || status.toDouble() == 1)))
        fail(QStringLiteral("/status: must be 0 or 1"));

    const QJsonValue hosts = json.value(QStringLiteral("hosts"));
    bool anyHost = !hosts.isUndefined() && !hosts.isArray();
    for (const QJsonValue &h : hosts.toArray()) {
        anyHost = anyHost || !h.isString();
        r.hosts.append(h.toString().toLower());
    }
    if (json.contains(QStringLiteral("host"))) {   // APISIX's single-host form
        anyHost = anyHost || !json.value(QStringLiteral("host")).isString();
        r.hosts.append(json.value(QStringLiteral("host")).toString().toLower());
    }
    if (anyHost) {
        fail(QStringLiteral("/hosts: must be an array of host names"));
        r.hosts.clear();
    }

    const QJsonValue vars = json.value(QStringLiteral("vars"));
    if (!vars.isUndefined() && !vars.isArray())
        fail(QStringLiteral("/vars: must be an array of [variable, operator, value]"));
    QStringList varErrors;
    RouteVars::compile(vars.toArray(), &varErrors);
    if (varErrors.isEmpty())
        r.vars = vars.toArray();
    else if (errors)
        errors->append(varErrors);

    r.enableWebsocket = json.value(QStringLiteral("enable_websocket")).toBool(false);
    r.plugins = json.value(QStringLiteral("plugins")).toObject();
    const QJsonObject up = json.value(QStringLiteral("upstream")).toObject();
    r.upstream.type = up.value(QStringLiteral("type")).toString();
    r.upstream.collection = up.value(QStringLiteral("collection")).toString();
    r.upstream.config = up;
    if (!json.contains(QStringLiteral("upstream_id")) && !kUpstreamTypes.contains(r.upstream.type))
        fail(QStringLiteral("/upstream/type: must be one of %1").arg(kUpstreamTypes.join(QStringLiteral(", "))));
    return r;
}

} // namespace Gatehouse
