#include "resourceschematext.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Gatehouse::ResourceSchemaText {

namespace {

QJsonValue json(const char *text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray("[") + text + ']', &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("ResourceSchemaText: %s at %d", qPrintable(error.errorString()), int(error.offset));
    return doc.array().first();
}

// Members every resource may carry that the engine sets itself; accepted and ignored on
// writes, so what a GET returned can be PUT back.
const char *const kReadOnly = R"json({
    "create_time": {"type": "integer", "minimum": 0, "readOnly": true, "description": "set by the engine"},
    "update_time": {"type": "integer", "minimum": 0, "readOnly": true, "description": "set by the engine"},
    "problems": {"type": "array", "items": {"type": "string"}, "readOnly": true,
                 "description": "why the engine does not apply this resource (a route is not served, a consumer cannot log in)"}
})json";

const char *const kFragments = R"json({
    "id": {"type": "string", "minLength": 1, "maxLength": "limit:max_id_length", "pattern": "^(?!\\.{1,2}$)[A-Za-z0-9._-]+$",
           "errorMessage": "use:id_message"},
    "name": {"type": "string", "maxLength": "limit:max_name_length"},
    "desc": {"type": "string", "maxLength": "limit:max_desc_length"},
    "labels": {"type": "object", "maxProperties": "limit:max_labels",
               "propertyNames": {"minLength": 1, "maxLength": 64, "pattern": "^(?!gatehouse_)[^\\s]+$",
                                 "errorMessage": "a label name is 1-64 characters without spaces; gatehouse_ is reserved for exported files"},
               "additionalProperties": {"type": "string", "maxLength": "limit:max_label_length"}},
    "seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400, "description": "seconds"},
    "seconds_or_zero": {"type": "number", "minimum": 0, "maximum": 86400, "description": "seconds; 0 turns it off"},
    "counter": {"type": "integer", "minimum": 0, "maximum": 254},
    "statuses": {"type": "array", "minItems": 1, "maxItems": "limit:max_status_codes",
                 "items": {"type": "integer", "minimum": 200, "maximum": 599}},
    "host_name": {"type": "string", "minLength": 1, "maxLength": "limit:max_host_length", "pattern": "^[0-9A-Za-z._:\\[\\]-]+$",
                  "errorMessage": "must be a host name or address"},
    "route_host": {"type": "string", "minLength": 1, "maxLength": "limit:max_host_length", "pattern": "^(\\*\\.)?[0-9A-Za-z._:\\[\\]-]+$",
                   "errorMessage": "must be a host name, optionally starting with *. (any subdomain)"},
    "var_term": {
        "type": "array", "minItems": 3, "maxItems": 4,
        "description": "[variable, operator, value] or [variable, \"!\", operator, value]",
        "prefixItems": [{"type": "string", "pattern": "^((arg|http|cookie)_[A-Za-z0-9_.-]+|uri|host|request_method|remote_addr)$",
                         "errorMessage": "must be a variable: arg_<name>, http_<header>, cookie_<name>, uri, host, request_method or remote_addr"}],
        "if": {"minItems": 4},
        "then": {"prefixItems": [true, {"const": "!", "errorMessage": "must be \"!\" in a four-item term (negation)"},
                                 {"enum": ["==", "~=", ">", "<", "~~", "~*", "in", "has"]}]},
        "else": {"prefixItems": [true, {"enum": ["==", "~=", ">", "<", "~~", "~*", "in", "has"]}]}
    },
    "health_active": {
        "type": "object",
        "properties": {
            "type": {"enum": ["http", "https", "tcp"]},
            "timeout": "use:seconds",
            "http_path": {"type": "string", "maxLength": "limit:max_uri_length", "pattern": "^/[^\\s]*$",
                          "errorMessage": "must start with / and hold no spaces"},
            "host": "use:host_name",
            "req_headers": {"type": "array", "maxItems": "limit:max_headers",
                            "items": {"type": "string", "maxLength": 4096, "pattern": "^[A-Za-z0-9!#$%&'*+.^_|~-]+:[^\\r\\n\\x00]*$",
                                      "errorMessage": "must be \"Name: value\" on one line"}},
            "healthy": {"type": "object",
                        "properties": {"interval": "use:seconds_or_zero", "http_statuses": "use:statuses", "successes": "use:counter"},
                        "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.active.healthy"}},
            "unhealthy": {"type": "object",
                          "properties": {"interval": "use:seconds_or_zero", "http_statuses": "use:statuses", "http_failures": "use:counter",
                                         "tcp_failures": "use:counter", "timeouts": "use:counter"},
                          "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.active.unhealthy"}},
            "concurrency": {"not": {}, "errorMessage": "is not supported: probes run one at a time per node"},
            "port": {"not": {}, "errorMessage": "is not supported: probes go to the node's own port"},
            "https_verify_certificate": {"not": {}, "errorMessage": "is not supported: set tls.verify on the upstream"}
        },
        "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.active"}
    },
    "health_passive": {
        "type": "object",
        "properties": {
            "type": {"enum": ["http", "https"], "description": "passive checks judge answers by status; tcp is not supported"},
            "healthy": {"type": "object", "properties": {"http_statuses": "use:statuses", "successes": "use:counter"},
                        "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.passive.healthy"}},
            "unhealthy": {"type": "object",
                          "properties": {"http_statuses": "use:statuses", "http_failures": "use:counter", "tcp_failures": "use:counter",
                                         "timeouts": "use:counter",
                                         "interval": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400,
                                                      "description": "Gatehouse: seconds an unhealthy node rests before a real request may probe it"}},
                          "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.passive.unhealthy"}}
        },
        "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks.passive"}
    },
    "upstream_properties": {
        "type": {"enum": ["command", "query", "events", "function", "http", "websocket", "sse"],
                 "errorMessage": "must be one of: command, query, events, function, http, websocket, sse (an APISIX balancer type such as roundrobin is written http: weighted round robin over the nodes)"},
        "collection": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,62}$", "errorMessage": "must be a collection name",
                       "description": "command and query upstreams: the collection"},
        "function": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", "errorMessage": "must be a function name",
                     "description": "function upstreams: the function's name"},
        "name": "use:name",
        "desc": "use:desc",
        "labels": "use:labels",
        "nodes": {
            "type": ["object", "array"],
            "description": "{\"host:port\": weight} or [{\"host\", \"port\", \"weight\"}]",
            "minProperties": 1, "maxProperties": "limit:max_nodes",
            "propertyNames": {"maxLength": 261, "pattern": "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Za-z._-]+)(:[0-9]{1,5})?$",
                              "errorMessage": "must be host:port (an IPv6 address in brackets)"},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 65535, "description": "weight"},
            "minItems": 1, "maxItems": "limit:max_nodes",
            "items": {"type": "object",
                      "properties": {"host": {"type": "string", "minLength": 1, "maxLength": "limit:max_host_length",
                                              "pattern": "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[0-9A-Za-z._-]+)$",
                                              "errorMessage": "must be a host name or address"},
                                     "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                     "weight": {"type": "integer", "minimum": 0, "maximum": 65535},
                                     "priority": {"not": {}, "errorMessage": "is not supported: every node has the same priority"},
                                     "metadata": {"not": {}, "errorMessage": "is not supported"}},
                      "required": ["host"],
                      "additionalProperties": {"not": {}, "errorMessage": "is not a field of a node"}}
        },
        "scheme": {"enum": ["http", "https"]},
        "tls": {"type": "object",
                "properties": {"verify": {"type": "boolean"},
                               "client_cert": {"not": {}, "errorMessage": "is not supported: no client certificates to upstreams"},
                               "client_key": {"not": {}, "errorMessage": "is not supported: no client certificates to upstreams"},
                               "client_cert_id": {"not": {}, "errorMessage": "is not supported: no client certificates to upstreams"}},
                "additionalProperties": {"not": {}, "errorMessage": "is not a field of tls"}},
        "timeout": {"type": "object",
                    "properties": {"connect": "use:seconds", "send": "use:seconds", "read": "use:seconds"},
                    "additionalProperties": {"not": {}, "errorMessage": "is not a field of timeout (connect, send, read)"}},
        "retries": {"type": "integer", "minimum": 0, "maximum": 100},
        "retry_timeout": "use:seconds_or_zero",
        "pass_host": {"enum": ["pass", "node", "rewrite"]},
        "upstream_host": "use:host_name",
        "keepalive_pool": {"type": "object",
                           "properties": {"size": {"type": "integer", "minimum": 0, "maximum": 1000000},
                                          "idle_timeout": "use:seconds_or_zero",
                                          "requests": {"type": "integer", "minimum": 1, "maximum": 1000000}},
                           "additionalProperties": {"not": {}, "errorMessage": "is not a field of keepalive_pool"}},
        "checks": {"type": "object", "properties": {"active": "use:health_active", "passive": "use:health_passive"},
                   "additionalProperties": {"not": {}, "errorMessage": "is not a field of checks (active, passive)"}},
        "hash_on": {"not": {}, "errorMessage": "is not supported: http upstreams balance by weighted round robin"},
        "key": {"not": {}, "errorMessage": "is not supported: http upstreams balance by weighted round robin"},
        "service_name": {"not": {}, "errorMessage": "is not supported: list the nodes (no service discovery)"},
        "discovery_type": {"not": {}, "errorMessage": "is not supported: list the nodes (no service discovery)"},
        "discovery_args": {"not": {}, "errorMessage": "is not supported: list the nodes (no service discovery)"}
    },
    "upstream_rules": [
        {"if": {"required": ["type"], "properties": {"type": {"enum": ["command", "query"]}}},
         "then": {"required": ["collection"]},
         "else": {"properties": {"collection": {"not": {}, "errorMessage": "only command and query upstreams name a collection"}}}},
        {"if": {"required": ["type"], "properties": {"type": {"const": "function"}}},
         "then": {"required": ["function"]},
         "else": {"properties": {"function": {"not": {}, "errorMessage": "only function upstreams name a function"}}}},
        {"if": {"required": ["type"], "properties": {"type": {"const": "http"}}},
         "then": {"required": ["nodes"]},
         "else": {"propertyNames": {"not": {"enum": ["nodes", "scheme", "tls", "timeout", "retries", "retry_timeout", "pass_host",
                                                     "upstream_host", "keepalive_pool", "checks"]},
                                    "errorMessage": "only http upstreams have it"}}},
        {"if": {"required": ["pass_host"], "properties": {"pass_host": {"const": "rewrite"}}},
         "then": {"required": ["upstream_host"]}}
    ]
})json";

const char *const kRoute = R"json({
    "title": "route",
    "description": "Where matching requests go and which plugins they pass first (APISIX's route). Give upstream or upstream_id.",
    "type": "object",
    "properties": {
        "id": "use:id",
        "name": "use:name",
        "desc": "use:desc",
        "labels": "use:labels",
        "uri": {"type": "string", "minLength": 1, "maxLength": "limit:max_uri_length",
                "description": "\"/api/products/:id\"; a trailing * matches the rest of the path",
                "allOf": [{"pattern": "^/", "errorMessage": "must start with /"},
                          {"pattern": "^[^*]*\\*?$", "errorMessage": "* is only allowed at the end"}]},
        "methods": {"type": "array", "uniqueItems": true, "description": "none: every method",
                    "items": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]}},
        "priority": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647, "default": 0,
                     "description": "higher wins among routes of the same path"},
        "status": {"enum": [0, 1], "default": 1, "description": "1 serves the route, 0 disables it"},
        "host": "use:route_host",
        "hosts": {"type": "array", "maxItems": "limit:max_hosts", "items": "use:route_host"},
        "vars": {"type": "array", "maxItems": "limit:max_vars", "items": "use:var_term",
                 "description": "conditions that must all hold; nested AND/OR expressions are not supported"},
        "enable_websocket": {"type": "boolean", "default": false},
        "plugins": "use:route_plugins",
        "upstream": {"type": "object", "properties": "use:upstream_properties", "required": ["type"],
                     "additionalProperties": {"not": {}, "errorMessage": "is not a field of an upstream"},
                     "allOf": "use:upstream_rules"},
        "upstream_id": "use:id",
        "uris": {"not": {}, "errorMessage": "is not supported: give one uri per route"},
        "remote_addr": {"not": {}, "errorMessage": "is not supported: match the client address with vars, e.g. [\"remote_addr\", \"==\", \"10.0.0.1\"]"},
        "remote_addrs": {"not": {}, "errorMessage": "is not supported: match the client address with vars, e.g. [\"remote_addr\", \"in\", [...]]"},
        "filter_func": {"not": {}, "errorMessage": "is not supported: Gatehouse runs no Lua; use vars"},
        "script": {"not": {}, "errorMessage": "is not supported: Gatehouse runs no Lua"},
        "script_id": {"not": {}, "errorMessage": "is not supported: Gatehouse runs no Lua"},
        "service_id": {"not": {}, "errorMessage": "is not supported: there are no services; put the upstream and plugins on the route"},
        "plugin_config_id": {"not": {}, "errorMessage": "is not supported: put the plugins on the route"},
        "timeout": {"not": {}, "errorMessage": "is not supported on a route: set timeout on an http upstream"},
        "create_time": "use:read_only_create_time",
        "update_time": "use:read_only_update_time",
        "problems": "use:read_only_problems"
    },
    "required": ["uri"],
    "additionalProperties": {"not": {}, "errorMessage": "is not a field of a route"},
    "allOf": [
        {"if": {"required": ["upstream"]},
         "then": {"properties": {"upstream_id": {"not": {}, "errorMessage": "give either upstream or upstream_id, not both"}}}},
        {"if": {"required": ["upstream_id"]}, "else": {"required": ["upstream"]}}
    ]
})json";

const char *const kUpstream = R"json({
    "title": "upstream",
    "description": "A named upstream that routes use by upstream_id. type http proxies to external nodes; the others are served by this engine.",
    "type": "object",
    "properties": {"id": "use:id", "create_time": "use:read_only_create_time", "update_time": "use:read_only_update_time",
                   "problems": "use:read_only_problems"},
    "required": ["type"],
    "additionalProperties": {"not": {}, "errorMessage": "is not a field of an upstream"},
    "allOf": "use:upstream_rules"
})json";

const char *const kConsumer = R"json({
    "title": "consumer",
    "description": "Someone who authenticates with the credentials in plugins (key-auth, basic-auth, jwt-auth).",
    "type": "object",
    "properties": {
        "username": "use:id",
        "desc": "use:desc",
        "labels": "use:labels",
        "plugins": "use:consumer_plugins",
        "group_id": {"not": {}, "errorMessage": "is not supported: there are no consumer groups"},
        "create_time": "use:read_only_create_time",
        "update_time": "use:read_only_update_time",
        "problems": "use:read_only_problems"
    },
    "required": ["username"],
    "additionalProperties": {"not": {}, "errorMessage": "is not a field of a consumer"}
})json";

const char *const kGlobalRule = R"json({
    "title": "global_rule",
    "description": "Plugins that run for every request, before the route's own (APISIX's global rule).",
    "type": "object",
    "properties": {
        "id": "use:id",
        "desc": "use:desc",
        "plugins": "use:route_plugins",
        "create_time": "use:read_only_create_time",
        "update_time": "use:read_only_update_time",
        "problems": "use:read_only_problems"
    },
    "required": ["plugins"],
    "additionalProperties": {"not": {}, "errorMessage": "is not a field of a global rule"}
})json";

const char *const kConfig = R"json({
    "title": "configuration",
    "description": "A whole gateway configuration (PUT /admin/config, gatehouse import, the export). Every section must be given; [] empties it.",
    "type": "object",
    "properties": {
        "gatehouse_config": {"const": 1, "description": "the format's version"},
        "config_version": {"type": "integer", "minimum": 0, "description": "written by the export; not used on import"},
        "routes": {"type": "array", "maxItems": "limit:max_routes"},
        "upstreams": {"type": "array", "maxItems": "limit:max_upstreams"},
        "consumers": {"type": "array", "maxItems": "limit:max_consumers"},
        "global_rules": {"type": "array", "maxItems": "limit:max_global_rules"},
        "scenarios": {"type": "array", "maxItems": 256, "description": "simulation scenarios, each with its name; optional: absent keeps the stored ones (checked by the simulation service)"}
    },
    "required": ["routes", "upstreams", "consumers", "global_rules"],
    "additionalProperties": {"not": {}, "errorMessage": "is not a section of a configuration (routes, upstreams, consumers, global_rules, scenarios)"}
})json";

} // namespace

QHash<QString, QJsonValue> fragments()
{
    QHash<QString, QJsonValue> out;
    const QJsonObject all = json(kFragments).toObject();
    for (auto it = all.begin(); it != all.end(); ++it)
        out.insert(it.key(), it.value());
    const QJsonObject readOnly = json(kReadOnly).toObject();
    for (auto it = readOnly.begin(); it != readOnly.end(); ++it)
        out.insert(QStringLiteral("read_only_") + it.key(), it.value());
    return out;
}

QJsonObject resource(const QString &kind)
{
    if (kind == QLatin1String("routes"))
        return json(kRoute).toObject();
    if (kind == QLatin1String("consumers"))
        return json(kConsumer).toObject();
    if (kind == QLatin1String("global_rules"))
        return json(kGlobalRule).toObject();
    if (kind == QLatin1String("config"))
        return json(kConfig).toObject();
    // A named upstream: the inline upstream's fields plus an id and the engine's members.
    QJsonObject upstream = json(kUpstream).toObject();
    QJsonObject properties = json(kFragments).toObject().value(QStringLiteral("upstream_properties")).toObject();
    const QJsonObject own = upstream.value(QStringLiteral("properties")).toObject();
    for (auto it = own.begin(); it != own.end(); ++it)
        properties.insert(it.key(), it.value());
    upstream.insert(QStringLiteral("properties"), properties);
    return upstream;
}

} // namespace Gatehouse::ResourceSchemaText
