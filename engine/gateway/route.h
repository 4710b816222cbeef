#pragma once

#include "api/routeupstream.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// An APISIX-shaped route: {"id","name","uri","methods","priority","hosts","status","plugins","upstream"}.
struct Route
{
    QString id;
    QString name;
    QString uri;            // "/api/products/:id", a trailing "*" matches the rest of the path
    QStringList methods;    // empty: every method
    int priority = 0;       // higher wins among routes of equal path precedence
    bool enabled = true;    // "status": 1 / 0
    QStringList hosts;          // "api.example.com", "*.example.com"; empty: any host
    QJsonArray vars;            // APISIX vars, see RouteVars
    bool enableWebsocket = false;
    QString description;
    QJsonObject plugins;
    RouteUpstream upstream;
    // Why the route cannot be applied ("<pointer>: <message>"); a route with problems is
    // matched but answered 503, never served (GatewayConfig fills this in).
    QStringList problems;

    bool allowsMethod(QByteArrayView method) const;
    bool allowsHost(const QString &host) const;   // host lower case, without port
    QJsonObject toJson() const;
    // Reads every member it can and lists what it cannot use in `errors` ("<pointer>:
    // <message>"; a schema says more, see ResourceSchemas). A member of the wrong shape gets
    // its widest meaning -- every method, any host, no vars, the highest priority, the path
    // up to a misplaced * -- so a broken route still covers every request it was meant to.
    static Route fromJson(const QJsonObject &json, QStringList *errors);
};

} // namespace Gatehouse
