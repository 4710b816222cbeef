#pragma once

namespace Gatehouse {

// Registers resources/resources.qrc (":/gatehouse/..."). The engine is a static library, so
// the linker may drop the resource's static initialiser; calling this first makes the
// embedded files available. Idempotent and thread-safe.
void initEmbeddedResources();

} // namespace Gatehouse
