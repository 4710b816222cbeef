#include "embeddedresources.h"

#include <QtGlobal>

// Q_INIT_RESOURCE declares qInitResources_resources() in the current namespace, so it must
// run at global scope to find the function rcc generated.
static void initGatehouseResourcesAtGlobalScope()
{
    Q_INIT_RESOURCE(resources);
}

namespace Gatehouse {

void initEmbeddedResources()
{
    static const bool initialised = [] {
        initGatehouseResourcesAtGlobalScope();
        return true;
    }();
    Q_UNUSED(initialised);
}

} // namespace Gatehouse
