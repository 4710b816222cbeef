#pragma once

// What the OpenAPI and AsyncAPI halves of ApiDescription share (apidescription.cpp,
// asyncapidescription.cpp).

#include <QJsonObject>
#include <QString>

namespace Gatehouse::ApiDescription::Detail {

inline QJsonObject schemaOfType(const char *type)
{
    return {{QStringLiteral("type"), QString::fromLatin1(type)}};
}

} // namespace Gatehouse::ApiDescription::Detail
