#include "pluginregistry.h"

#include "config/jsonschema.h"
#include "plugins/builtinplugins.h"

#include <QHash>

namespace Gatehouse::PluginRegistry {

namespace {
struct Registry
{
    QList<PluginDescriptor> all;
    QHash<QString, qsizetype> byName;
    QHash<QString, JsonSchema> schemas;
};

const Registry &registry()
{
    static const Registry r = [] {
        Registry reg;
        reg.all = {
            BuiltinPlugins::requestId(),
            BuiltinPlugins::keyAuth(),
            BuiltinPlugins::basicAuth(),
            BuiltinPlugins::jwtAuth(),
            BuiltinPlugins::limitCount(),
            BuiltinPlugins::limitReq(),
            BuiltinPlugins::limitConn(),
            BuiltinPlugins::apiBreaker(),
            BuiltinPlugins::cors(),
            BuiltinPlugins::proxyRewrite(),
        };
        for (qsizetype i = 0; i < reg.all.size(); ++i) {
            reg.byName.insert(reg.all.at(i).name, i);
            QStringList errors;
            reg.schemas.insert(reg.all.at(i).name, JsonSchema::compile(reg.all.at(i).schema, &errors));
            Q_ASSERT_X(errors.isEmpty(), "PluginRegistry", qPrintable(errors.join(QLatin1Char('\n'))));
        }
        return reg;
    }();
    return r;
}
} // namespace

const QList<PluginDescriptor> &all()
{
    return registry().all;
}

const PluginDescriptor *find(const QString &name)
{
    const Registry &r = registry();
    const auto it = r.byName.constFind(name);
    return it == r.byName.cend() ? nullptr : &r.all.at(*it);
}

void validate(const QJsonObject &plugins, const QString &basePointer, QStringList *errors)
{
    const Registry &r = registry();
    for (auto it = plugins.begin(); it != plugins.end(); ++it) {
        const QString pointer = basePointer + QLatin1Char('/') + it.key();
        if (!r.byName.contains(it.key())) {
            QStringList names;
            for (const PluginDescriptor &d : r.all)
                names.append(d.name);
            errors->append(pointer + QStringLiteral(": unknown plugin (known: ") + names.join(QStringLiteral(", ")) + QLatin1Char(')'));
            continue;
        }
        if (!it.value().isObject()) {
            errors->append(pointer + QStringLiteral(": the configuration must be an object"));
            continue;
        }
        for (const SchemaViolation &v : r.schemas.value(it.key()).validate(it.value()))
            errors->append(pointer + v.path + QStringLiteral(": ") + v.message);
    }
}

} // namespace Gatehouse::PluginRegistry
