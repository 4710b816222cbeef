#pragma once

#include "gateway/plugin.h"

// The plugins compiled into Gatehouse. Each lives in its own source file and describes itself
// (name, APISIX priority, config schema, factory); PluginRegistry lists them.
namespace Gatehouse::BuiltinPlugins {
PluginDescriptor requestId();
PluginDescriptor keyAuth();
PluginDescriptor basicAuth();
PluginDescriptor jwtAuth();
PluginDescriptor limitCount();
PluginDescriptor limitReq();
PluginDescriptor limitConn();
PluginDescriptor apiBreaker();
PluginDescriptor cors();
PluginDescriptor proxyRewrite();
PluginDescriptor faultInjection();
}
