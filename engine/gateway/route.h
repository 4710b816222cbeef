#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Gatehouse {

// Where a matched request goes. `type` is one of command, query, events, function, http.
struct RouteUpstream
{
    QString type;
    QString collection;     // command / query
    QJsonObject config;     // the whole upstream object as given (function name, nodes, ...)
};

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

    bool allowsMethod(QByteArrayView method) const;
    bool allowsHost(const QString &host) const;   // host lower case, without port
    QJsonObject toJson() const;
    static Route fromJson(const QJsonObject &json, QStringList *errors);
};

} // namespace Gatehouse
