#include "pluginregistry.h"

#include "plugins/builtinplugins.h"

#include <QHash>

namespace Gatehouse::PluginRegistry {

namespace {
struct Registry
{
    QList<PluginDescriptor> all;
    QHash<QString, qsizetype> byName;
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
            BuiltinPlugins::faultInjection(),
        };
        for (qsizetype i = 0; i < reg.all.size(); ++i)
            reg.byName.insert(reg.all.at(i).name, i);
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

} // namespace Gatehouse::PluginRegistry
