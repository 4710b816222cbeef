#pragma once

#include <QJsonObject>

namespace Gatehouse::Simulation {

// Two JSON Schemas that must both hold, written as one, for generating values (allOf, and an
// if/then branch on top of its schema): types intersected (an integer is a number), bounds
// and lengths tightened, enum intersected, required and properties united, subschemas of
// items, properties, additionalProperties and propertyNames merged in turn, allOf lists
// joined. Where JSON Schema cannot be merged (two patterns, two multipleOf, two conditionals)
// the first one is kept: whoever generates from the result must still check the value
// against the original schemas. Applicators other than allOf are taken from `into` alone.
namespace SchemaMerge {

QJsonObject merge(QJsonObject into, const QJsonObject &other);

} // namespace SchemaMerge
} // namespace Gatehouse::Simulation
