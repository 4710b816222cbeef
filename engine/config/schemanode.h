#pragma once

#include <QHash>
#include <QJsonArray>
#include <QJsonValue>
#include <QMap>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace Gatehouse {

// One compiled (sub)schema: the keywords of a JSON Schema object turned into ready-to-test
// values, so validation never looks at schema JSON again. Built by SchemaCompiler, never
// changed afterwards; that is what lets many threads share one tree without locks.
// Internal to engine/config; use JsonSchema.
struct SchemaNode
{
    enum TypeFlag : quint8 {
        NullType = 0x01,
        BooleanType = 0x02,
        ObjectType = 0x04,
        ArrayType = 0x08,
        NumberType = 0x10,
        IntegerType = 0x20,
        StringType = 0x40,
    };

    quint8 types = 0;        // 0: no "type" keyword, any type passes
    QString typeMessage;     // precomputed "must be a string or null"
    bool rejectAll = false;  // the boolean schema `false` (e.g. additionalProperties: false)

    std::optional<QJsonValue> constValue;
    QJsonArray enumValues;   // empty: no "enum" keyword (an empty enum is a compile error)

    std::optional<double> minimum;
    std::optional<double> maximum;
    std::optional<double> exclusiveMinimum;
    std::optional<double> exclusiveMaximum;
    std::optional<double> multipleOf;   // > 0

    std::optional<qint64> minLength;   // Unicode code points
    std::optional<qint64> maxLength;
    std::optional<QRegularExpression> pattern;  // translated by EcmaRegex
    QString patternSource;                      // as written, for messages

    std::optional<qint64> minItems;
    std::optional<qint64> maxItems;
    bool uniqueItems = false;
    std::vector<std::shared_ptr<const SchemaNode>> prefixItems;  // positional; `items` checks the rest
    std::shared_ptr<const SchemaNode> items;  // null: elements are not checked
    std::shared_ptr<const SchemaNode> contains;   // null: no "contains"
    qint64 minContains = 1;                       // with contains only
    std::optional<qint64> maxContains;

    QStringList required;
    QHash<QString, std::shared_ptr<const SchemaNode>> properties;
    // "patternProperties": a member whose name the regex finds (unanchored, as `pattern`)
    // satisfies its schema, and is not an additional one.
    struct PatternProperty
    {
        QRegularExpression regex;
        std::shared_ptr<const SchemaNode> schema;
    };
    std::vector<PatternProperty> patternProperties;
    std::shared_ptr<const SchemaNode> additionalProperties;  // null: extra members allowed
    std::shared_ptr<const SchemaNode> propertyNames;         // checks each member name (a string)
    std::optional<qint64> minProperties;
    std::optional<qint64> maxProperties;
    QMap<QString, QStringList> dependentRequired;   // member -> members required with it (in name order, for the errors)

    // Applicators: the value must also satisfy every allOf schema, at least one anyOf schema,
    // exactly one oneOf schema, `then` when it satisfies `if` (else `else`), and must not
    // satisfy `not`.
    std::vector<std::shared_ptr<const SchemaNode>> allOf;
    std::vector<std::shared_ptr<const SchemaNode>> anyOf;
    std::vector<std::shared_ptr<const SchemaNode>> oneOf;
    std::shared_ptr<const SchemaNode> ifSchema;
    std::shared_ptr<const SchemaNode> thenSchema;
    std::shared_ptr<const SchemaNode> elseSchema;
    std::shared_ptr<const SchemaNode> notSchema;

    // ajv-errors' string form: every violation found under this schema becomes this one
    // message at this schema's location ("unknown plugin (known: ...)").
    QString errorMessage;

    bool acceptsObjects() const { return !rejectAll && (types == 0 || (types & ObjectType)); }
};

} // namespace Gatehouse
