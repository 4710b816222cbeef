#pragma once

#include "plugin.h"

#include <QList>

namespace Gatehouse {

// Every plugin this build knows, with its schema and factory.
namespace PluginRegistry {
const QList<PluginDescriptor> &all();
const PluginDescriptor *find(const QString &name);
// Validates a {"plugin-name": config, ...} object: unknown names and schema violations, as
// "<pointer>: <message>" lines under `basePointer`. Does not create the plugins.
void validate(const QJsonObject &plugins, const QString &basePointer, QStringList *errors);
}

} // namespace Gatehouse
