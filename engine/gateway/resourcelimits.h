#pragma once

#include <QJsonObject>
#include <QString>

namespace Gatehouse {

// How big the gateway's configuration may grow. Every limit has a name (as served by
// GET /admin/schemas and listed in the README) and a default; the resource schemas are built
// from these numbers, so a limit and the schema that enforces it cannot disagree. Past a
// size limit a write answers 400 (the errors name the member and the limit); past a count
// limit creating one more resource answers 409, and a whole configuration with too many
// answers 400.
struct ResourceLimits
{
    int maxRoutes = 10000;         // max_routes: routes in the gateway
    int maxUpstreams = 1000;       // max_upstreams: named upstreams
    int maxConsumers = 10000;      // max_consumers
    int maxGlobalRules = 100;      // max_global_rules
    int maxIdLength = 64;          // max_id_length: ids and consumer usernames (A-Z a-z 0-9 . _ -)
    int maxUriLength = 4096;       // max_uri_length: a route's uri, a health check's http_path
    int maxNameLength = 100;       // max_name_length: "name" of a route or upstream
    int maxDescLength = 256;       // max_desc_length: "desc" of any resource
    int maxHosts = 32;             // max_hosts: entries in a route's hosts
    int maxHostLength = 253;       // max_host_length: one host name (DNS's limit)
    int maxVars = 32;              // max_vars: [variable, operator, value] terms in a route's vars
    int maxNodes = 256;            // max_nodes: nodes of one http upstream
    int maxLabels = 32;            // max_labels: labels on one resource
    int maxLabelLength = 256;      // max_label_length: one label value
    int maxHeaders = 32;           // max_headers: req_headers of an active health check
    int maxStatusCodes = 100;      // max_status_codes: one http_statuses list

    // {"max_routes": 10000, ...}
    QJsonObject toJson() const;
    // The value of a limit by its name; -1 for a name that is not a limit.
    int value(const QString &name) const;
};

} // namespace Gatehouse
