#pragma once

#include <QString>

namespace Gatehouse {

// One reason a JSON value does not satisfy a JsonSchema. `path` is a JSON Pointer
// (RFC 6901) into the validated value: "/price", "/tags/2", "" for the value itself.
// Commands report every violation of a request body in their 400 answer.
struct SchemaViolation
{
    QString path;
    QString message;

    friend bool operator==(const SchemaViolation &, const SchemaViolation &) = default;
};

} // namespace Gatehouse
