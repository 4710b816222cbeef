#pragma once

#include "resourcelimits.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <memory>

class QJsonValue;

namespace Gatehouse {

class JsonSchema;

// One complete JSON Schema document per admin resource kind (routes, upstreams, consumers,
// global_rules) and one for a whole configuration (PUT /admin/config, `gatehouse import`),
// built from the plugin registry and the ResourceLimits and checked by the engine's own
// JsonSchema. Every field has a type; enums, ranges and patterns are spelt out; nested
// objects are closed; unknown members are rejected, and APISIX fields Gatehouse does not
// implement are rejected with a message that says so. What a schema cannot say (a regular
// expression that must compile, a plugin's own cross-field rules, references between
// resources) is checked by GatewayConfig. Immutable after construction and shared between
// threads; GET /admin/schemas serves the documents.
class ResourceSchemas final
{
public:
    explicit ResourceSchemas(const ResourceLimits &limits = {});
    ~ResourceSchemas();
    ResourceSchemas(const ResourceSchemas &) = delete;
    ResourceSchemas &operator=(const ResourceSchemas &) = delete;

    // Built once, with the default limits.
    static std::shared_ptr<const ResourceSchemas> defaults();

    const ResourceLimits &limits() const { return m_limits; }
    // "routes", "upstreams", "consumers", "global_rules", "config".
    static const QStringList &names();
    // The schema document; empty for an unknown name.
    QJsonObject document(const QString &name) const;
    // Every violation as "<JSON Pointer>: <message>", each pointer prefixed by basePointer.
    // A resource given to its kind's schema may leave its id out (it comes from the URL);
    // items of a configuration document must carry one.
    QStringList validate(const QString &name, const QJsonValue &value, const QString &basePointer = {}) const;

private:
    struct Entry;
    ResourceLimits m_limits;
    QHash<QString, std::shared_ptr<const Entry>> m_schemas;
};

} // namespace Gatehouse
