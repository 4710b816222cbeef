#include "resourceschemas.h"

#include "pluginregistry.h"
#include "resourceschematext.h"

#include "config/jsonschema.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Gatehouse {

struct ResourceSchemas::Entry
{
    QJsonObject document;
    JsonSchema compiled;
};

namespace {

QJsonObject rejected(const QString &message)
{
    return QJsonObject{{QStringLiteral("not"), QJsonObject()}, {QStringLiteral("errorMessage"), message}};
}

// {"plugin-name": config schema, ...}; anything else is an unknown plugin.
QJsonObject routePlugins()
{
    QJsonObject properties;
    QStringList names;
    for (const PluginDescriptor &d : PluginRegistry::all()) {
        properties.insert(d.name, d.schema);
        names.append(d.name);
    }
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("description"), QStringLiteral("plugin name -> its configuration (GET /admin/plugins describes each)")},
        {QStringLiteral("properties"), properties},
        {QStringLiteral("additionalProperties"),
         rejected(QStringLiteral("unknown plugin (known: ") + names.join(QStringLiteral(", ")) + QLatin1Char(')'))},
    };
}

// A consumer's credentials: only the auth plugins have a consumer side.
QJsonObject consumerPlugins()
{
    QJsonObject properties;
    QStringList names;
    for (const PluginDescriptor &d : PluginRegistry::all()) {
        if (d.consumerSchema.isEmpty())
            continue;
        properties.insert(d.name, d.consumerSchema);
        names.append(d.name);
    }
    return QJsonObject{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("description"), QStringLiteral("credential plugin name -> this consumer's credentials")},
        {QStringLiteral("properties"), properties},
        {QStringLiteral("additionalProperties"),
         rejected(QStringLiteral("not a credential plugin (") + names.join(QStringLiteral(", ")) + QLatin1Char(')'))},
    };
}

// Expands the templates of resourceschematext.h: "limit:<name>" becomes that limit's number
// and "use:<fragment>" that fragment, recursively.
class Expander
{
public:
    Expander(const ResourceLimits &limits, QHash<QString, QJsonValue> fragments)
        : m_limits(limits), m_fragments(std::move(fragments)) {}

    QJsonValue expand(const QJsonValue &v) const
    {
        if (v.isString()) {
            const QString s = v.toString();
            // The templates are part of the program: a name that does not resolve is a bug here.
            if (s.startsWith(QLatin1String("limit:"))) {
                const int value = m_limits.value(s.mid(6));
                if (value < 0)
                    qFatal("ResourceSchemas: no limit %s", qPrintable(s));
                return value;
            }
            if (s.startsWith(QLatin1String("use:"))) {
                if (!m_fragments.contains(s.mid(4)))
                    qFatal("ResourceSchemas: no fragment %s", qPrintable(s));
                return expand(m_fragments.value(s.mid(4)));
            }
            return v;
        }
        if (v.isArray()) {
            QJsonArray out;
            for (const QJsonValue &item : v.toArray())
                out.append(expand(item));
            return out;
        }
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            QJsonObject out;
            for (auto it = o.begin(); it != o.end(); ++it)
                out.insert(it.key(), expand(it.value()));
            return out;
        }
        return v;
    }

private:
    const ResourceLimits &m_limits;
    QHash<QString, QJsonValue> m_fragments;
};

// The same resource as an item of a configuration document: there its id is required.
QJsonObject withRequired(QJsonObject schema, const QString &member)
{
    QJsonArray required = schema.value(QStringLiteral("required")).toArray();
    if (!required.contains(member))
        required.prepend(member);
    schema.insert(QStringLiteral("required"), required);
    return schema;
}

QString idKey(const QString &kind)
{
    return kind == QLatin1String("consumers") ? QStringLiteral("username") : QStringLiteral("id");
}
} // namespace

ResourceSchemas::ResourceSchemas(const ResourceLimits &limits)
    : m_limits(limits)
{
    QHash<QString, QJsonValue> fragments = ResourceSchemaText::fragments();
    fragments.insert(QStringLiteral("route_plugins"), routePlugins());
    fragments.insert(QStringLiteral("consumer_plugins"), consumerPlugins());
    // Ids also travel in URLs; the message names the rule rather than a regular expression.
    fragments.insert(QStringLiteral("id_message"),
                     QStringLiteral("must be 1-%1 of A-Z a-z 0-9 . _ -, and not \".\" or \"..\"").arg(limits.maxIdLength));
    const Expander expander(m_limits, fragments);

    QHash<QString, QJsonObject> documents;
    for (const QString &kind : {QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                                QStringLiteral("global_rules")})
        documents.insert(kind, expander.expand(ResourceSchemaText::resource(kind)).toObject());
    QJsonObject config = expander.expand(ResourceSchemaText::resource(QStringLiteral("config"))).toObject();
    QJsonObject sections = config.value(QStringLiteral("properties")).toObject();
    for (const QString &kind : {QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                                QStringLiteral("global_rules")}) {
        QJsonObject section = sections.value(kind).toObject();
        QJsonObject item = withRequired(documents.value(kind), idKey(kind));
        section.insert(QStringLiteral("items"), item);
        sections.insert(kind, section);
    }
    config.insert(QStringLiteral("properties"), sections);
    documents.insert(QStringLiteral("config"), config);

    for (auto it = documents.cbegin(); it != documents.cend(); ++it) {
        auto entry = std::make_shared<Entry>();
        entry->document = it.value();
        QStringList errors;
        entry->compiled = JsonSchema::compile(it.value(), &errors);
        // The schemas are part of the program: one that does not compile is a bug to fix here.
        if (!errors.isEmpty())
            qFatal("ResourceSchemas: the %s schema does not compile: %s", qPrintable(it.key()), qPrintable(errors.join(QLatin1Char('\n'))));
        m_schemas.insert(it.key(), std::move(entry));
    }
}

ResourceSchemas::~ResourceSchemas() = default;

std::shared_ptr<const ResourceSchemas> ResourceSchemas::defaults()
{
    static const std::shared_ptr<const ResourceSchemas> schemas = std::make_shared<const ResourceSchemas>();
    return schemas;
}

const QStringList &ResourceSchemas::names()
{
    static const QStringList n{QStringLiteral("routes"), QStringLiteral("upstreams"), QStringLiteral("consumers"),
                               QStringLiteral("global_rules"), QStringLiteral("config")};
    return n;
}

QJsonObject ResourceSchemas::document(const QString &name) const
{
    const auto it = m_schemas.constFind(name);
    return it == m_schemas.cend() ? QJsonObject() : (*it)->document;
}

QStringList ResourceSchemas::validate(const QString &name, const QJsonValue &value, const QString &basePointer) const
{
    const auto it = m_schemas.constFind(name);
    if (it == m_schemas.cend())
        return {basePointer + QStringLiteral(": no schema for '%1'").arg(name)};
    QStringList errors;
    for (const SchemaViolation &v : (*it)->compiled.validate(value))
        errors.append(basePointer + v.path + QStringLiteral(": ") + v.message);
    return errors;
}

} // namespace Gatehouse
