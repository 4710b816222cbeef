#pragma once

#include "schemaviolation.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <memory>

class QJsonValue;

namespace Gatehouse {

struct SchemaNode;

// A JSON Schema subset, compiled once (when a project or collection is loaded) and then
// used to check every command body and every gateway resource. Supported: type, required,
// properties, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf
// (numbers), minLength, maxLength (code points), pattern (unanchored search), prefixItems and
// items (2020-12: items checks the elements after the prefix), minItems, maxItems,
// uniqueItems, contains, minContains, maxContains, additionalProperties, patternProperties,
// propertyNames, minProperties, maxProperties, dependentRequired, allOf, anyOf, oneOf,
// if/then/else, not, and boolean schemas; plus ajv-errors' `errorMessage` (a string: every violation
// under that schema is reported as that one message at its location). Annotations (title,
// description, default, readOnly) and our own `index` keyword do not validate; unknown
// keywords are ignored. Copies share the immutable compiled tree; validate() and
// validatePatch() may be called from any number of threads at once.
class JsonSchema
{
public:
    JsonSchema();  // accepts anything

    // Appends problems to `errors` (may be null) as "<JSON Pointer into the schema>: <message>",
    // each pointer prefixed by `basePointer`. A schema that produced errors leaves the bad
    // keywords out; callers are expected to reject it.
    static JsonSchema compile(const QJsonObject &schema, QStringList *errors,
                              const QString &basePointer = QString());

    // Keywords that would validate under JSON Schema 2020-12 (or an earlier draft) but that
    // compile() does not implement ($ref, unevaluatedProperties, dependentSchemas, ...), each
    // as "<JSON Pointer>: <message>" under `basePointer`, found wherever a subschema may be.
    // compile() ignores them, so that a schema stored by an older engine still loads; a
    // schema written now is refused with these, rather than silently not enforced.
    static QStringList unsupportedKeywords(const QJsonObject &schema, const QString &basePointer = QString());

    // `schema` without these keywords wherever a subschema may be; `removed` (may be null)
    // gets the JSON Pointer of each one taken out.
    static QJsonObject withoutKeywords(const QJsonObject &schema, const QStringList &keywords, QStringList *removed = nullptr);
    // The keywords compile() enforces since this version; a schema stored before, when it was
    // ignoring them, may hold them in a form that does not compile.
    static QStringList keywordsAddedLater();

    // Every violation, in document order (missing required members first at each level).
    QList<SchemaViolation> validate(const QJsonValue &value) const;

    // For a JSON merge patch (RFC 7386) of an object that was valid: each present member is
    // checked against its property schema (nested object patches recursively); `null` on a
    // required property is "required property cannot be removed"; unknown members obey
    // additionalProperties and propertyNames (also when null); `required` is not enforced for
    // absent members, nor are the whole-object keywords (allOf, anyOf, oneOf, if, not,
    // dependentRequired, min/maxProperties) of a patched object: validate the merged result
    // where those matter.
    QList<SchemaViolation> validatePatch(const QJsonObject &patch) const;

    QStringList propertyNames() const;  // top-level declared properties, sorted
    // Declared "type" of a top-level property; for a type array, the first type other than
    // "null" (["string", "null"] gives "string"). Empty when undeclared.
    QString propertyType(const QString &name) const;
    QJsonObject toJson() const;  // the source schema

private:
    std::shared_ptr<const SchemaNode> m_root;
    QJsonObject m_source;
};

} // namespace Gatehouse
