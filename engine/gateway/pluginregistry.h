#pragma once

#include "plugin.h"

#include <QList>

namespace Gatehouse {

// Every plugin this build knows, with its schema and factory. The schemas are checked as
// part of the resources that hold them (ResourceSchemas).
namespace PluginRegistry {
const QList<PluginDescriptor> &all();
const PluginDescriptor *find(const QString &name);
}

} // namespace Gatehouse
