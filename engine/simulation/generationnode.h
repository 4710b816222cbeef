#pragma once

#include "patterngenerator.h"

#include "config/jsonschema.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace Gatehouse::Simulation {

// One (sub)schema turned into what generating a value for it needs: the allowed types, the
// ranges already narrowed (integer bounds rounded inwards, allOf merged), enum values that
// pass the rest of the schema, a ready pattern generator. Keywords that cannot be turned into
// direct generation (if/then/else, not, what allOf merges lossily) make `variants`: plain
// guides to generate from, each candidate kept only when `check` -- the engine's own
// validator on the original subschema -- accepts it. Built once by GenerationNodeBuilder,
// never changed afterwards; shared by every thread that generates. Internal to DocumentGenerator.
struct GenerationNode
{
    enum Type : quint8 {
        NullType = 0x01, BooleanType = 0x02, ObjectType = 0x04, ArrayType = 0x08,
        NumberType = 0x10, IntegerType = 0x20, StringType = 0x40,
    };
    using Pointer = std::shared_ptr<const GenerationNode>;

    QString pointer;          // where the subschema is, for problems
    bool rejectAll = false;   // the schema `false`, or one with nothing left to generate: no value
    bool failed = false;      // rejectAll because of a problem already reported
    quint8 types = 0;         // 0: no type constraint (a word is generated)

    std::optional<QJsonValue> constValue;
    QJsonArray enumValues;    // filtered: each one satisfies the rest of the subschema

    // integer: [integerLow, integerHigh] in steps of integerStep (from multipleOf)
    qint64 integerLow = 0;
    qint64 integerHigh = 1000;
    qint64 integerStep = 1;
    // number: between numberLow and numberHigh, each end excluded when flagged
    double numberLow = 0;
    double numberHigh = 1000;
    bool lowExcluded = false;
    bool highExcluded = false;
    double multipleOf = 0;    // 0: none

    qint64 minLength = 0;
    qint64 maxLength = -1;    // -1: no limit
    std::optional<PatternGenerator> pattern;
    QString format;

    qint64 minItems = 0;
    qint64 maxItems = -1;
    bool uniqueItems = false;
    std::vector<Pointer> prefixItems;
    Pointer items;            // null: any value
    bool noMoreItems = false; // items: false

    QStringList required;
    std::vector<std::pair<QString, Pointer>> properties;
    Pointer additionalProperties;   // null: any value
    bool noAdditionalProperties = false;
    Pointer propertyNames;
    qint64 minProperties = 0;
    qint64 maxProperties = -1;

    std::vector<Pointer> variants;
    std::optional<JsonSchema> check;

    const GenerationNode *property(const QString &name) const;
};

// Compiles schema JSON into GenerationNodes. What can never be generated (a range with no
// value in it, an enum none of whose values is valid, a pattern no candidate matched, a
// required property whose schema is `false`) is appended to `problems` as
// "<JSON Pointer into the schema>: <why>". Lives on the caller's thread.
class GenerationNodeBuilder
{
public:
    static constexpr int kMaxDepth = 32;
    static constexpr int kMaxConditionals = 4;   // if/then/else per node combined into variants

    explicit GenerationNodeBuilder(QStringList *problems);
    GenerationNode::Pointer build(const QJsonValue &schema, const QString &pointer, int depth = 0);

private:
    struct Conditional
    {
        QJsonValue ifSchema;
        QJsonValue thenSchema;
        QJsonValue elseSchema;
    };

    QJsonObject flatten(const QJsonObject &schema, std::vector<Conditional> *conditionals, bool *lossy);
    std::shared_ptr<GenerationNode> plain(const QJsonObject &schema, const QString &pointer, int depth);
    void readTypes(GenerationNode &node, const QJsonObject &schema);
    void readNumbers(GenerationNode &node, const QJsonObject &schema);
    void readStrings(GenerationNode &node, const QJsonObject &schema);
    void readArrays(GenerationNode &node, const QJsonObject &schema, int depth);
    void readObjects(GenerationNode &node, const QJsonObject &schema, int depth);
    void readValues(GenerationNode &node, const QJsonObject &schema);
    void problem(const QString &pointer, const QString &message);

    QStringList *m_problems;
};

} // namespace Gatehouse::Simulation
