#include "generationnode.h"

#include "schemamerge.h"
#include "seededrandom.h"

#include "config/jsonpointer.h"

#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation {

namespace {

// Integers beyond 2^53 are not exact in JSON numbers (doubles).
constexpr double kMaxSafeInteger = 9007199254740991.0;
// The span used where a schema leaves a side of a number open: values a form would show.
constexpr double kDefaultSpan = 1000.0;

std::optional<double> numberOf(const QJsonObject &schema, QStringView keyword)
{
    const QJsonValue value = schema.value(keyword);
    if (!value.isDouble() || !std::isfinite(value.toDouble()))
        return std::nullopt;
    return value.toDouble();
}

qint64 countOf(const QJsonObject &schema, QStringView keyword, qint64 fallback)
{
    const QJsonValue value = schema.value(keyword);
    return value.isDouble() && value.toDouble() >= 0 ? qint64(std::min(value.toDouble(), 9.0e15)) : fallback;
}

// Lowest and highest values a number may take, and whether each end is excluded.
struct Bounds
{
    double low = 0;
    double high = 0;
    bool lowExcluded = false;
    bool highExcluded = false;
};

Bounds boundsOf(const QJsonObject &schema)
{
    Bounds b;
    const auto minimum = numberOf(schema, u"minimum");
    const auto exclusiveMinimum = numberOf(schema, u"exclusiveMinimum");
    const auto maximum = numberOf(schema, u"maximum");
    const auto exclusiveMaximum = numberOf(schema, u"exclusiveMaximum");
    const bool hasLow = minimum || exclusiveMinimum;
    const bool hasHigh = maximum || exclusiveMaximum;
    if (hasLow) {
        b.lowExcluded = exclusiveMinimum && (!minimum || *exclusiveMinimum >= *minimum);
        b.low = b.lowExcluded ? *exclusiveMinimum : *minimum;
    }
    if (hasHigh) {
        b.highExcluded = exclusiveMaximum && (!maximum || *exclusiveMaximum <= *maximum);
        b.high = b.highExcluded ? *exclusiveMaximum : *maximum;
    }
    if (!hasLow)
        b.low = hasHigh ? std::min(0.0, b.high - kDefaultSpan) : 0;
    if (!hasHigh)
        b.high = std::max(b.low, 0.0) + kDefaultSpan;
    b.low = std::max(b.low, -kMaxSafeInteger);
    b.high = std::min(b.high, kMaxSafeInteger);
    return b;
}

// The smallest positive integer that is a multiple of `m` (0.5 -> 1, 0.3 -> 3, 4 -> 4), 0 if none is small.
qint64 integerStepOf(double m)
{
    for (int n = 1; n <= 1000; ++n) {
        const double product = m * n;
        if (product > kMaxSafeInteger)
            return 0;
        if (std::abs(product - std::round(product)) < 1e-9 && std::round(product) >= 1)
            return qint64(std::round(product));
    }
    return 0;
}

} // namespace

const GenerationNode *GenerationNode::property(const QString &name) const
{
    for (const auto &[key, node] : properties) {
        if (key == name)
            return node.get();
    }
    return nullptr;
}

GenerationNodeBuilder::GenerationNodeBuilder(QStringList *problems)
    : m_problems(problems)
{
}

void GenerationNodeBuilder::problem(const QString &pointer, const QString &message)
{
    if (m_problems)
        m_problems->append((pointer.isEmpty() ? u"(root)"_s : pointer) % u": "_s % message);
}

GenerationNode::Pointer GenerationNodeBuilder::build(const QJsonValue &schema, const QString &pointer, int depth)
{
    if (schema.isBool() || !schema.isObject()) {
        auto node = std::make_shared<GenerationNode>();
        node->pointer = pointer;
        node->rejectAll = schema.isBool() && !schema.toBool();
        return node;
    }
    if (depth > kMaxDepth) {
        problem(pointer, u"schemas nested deeper than %1 levels are not generated"_s.arg(kMaxDepth));
        auto node = std::make_shared<GenerationNode>();
        node->pointer = pointer;
        return node;
    }
    const QJsonObject object = schema.toObject();
    std::vector<Conditional> conditionals;
    bool lossy = false;
    const QJsonObject flat = flatten(object, &conditionals, &lossy);
    if (!lossy && conditionals.empty())
        return plain(flat, pointer, depth);

    // Guides for every combination of branches: a `then` guide also carries its `if`, so what
    // it generates takes that branch; an `else` guide leaves it to the check.
    const size_t count = std::min<size_t>(conditionals.size(), kMaxConditionals);
    auto node = std::make_shared<GenerationNode>();
    node->pointer = pointer;
    node->check = JsonSchema::compile(object, nullptr);
    QStringList firstProblems;
    for (quint32 mask = 0; mask < (1u << count); ++mask) {
        QJsonObject guide = flat;
        for (size_t i = 0; i < count; ++i) {
            const Conditional &c = conditionals[i];
            const QJsonValue branch = (mask & (1u << i)) ? c.thenSchema : c.elseSchema;
            if ((mask & (1u << i)) && c.ifSchema.isObject())
                guide = SchemaMerge::merge(guide, flatten(c.ifSchema.toObject(), nullptr, &lossy));
            if (branch.isObject())
                guide = SchemaMerge::merge(guide, flatten(branch.toObject(), nullptr, &lossy));
        }
        QStringList variantProblems;
        GenerationNodeBuilder variantBuilder(&variantProblems);
        auto variant = variantBuilder.plain(guide, pointer, depth);
        if (variantProblems.isEmpty())
            node->variants.push_back(std::move(variant));
        else if (firstProblems.isEmpty())
            firstProblems = variantProblems;
    }
    if (node->variants.empty() && m_problems)
        m_problems->append(firstProblems);
    return node;
}

QJsonObject GenerationNodeBuilder::flatten(const QJsonObject &schema, std::vector<Conditional> *conditionals, bool *lossy)
{
    QJsonObject result = schema;
    for (const QString &applicator : {u"allOf"_s, u"if"_s, u"then"_s, u"else"_s, u"not"_s})
        result.remove(applicator);
    if (schema.contains(u"not"))
        *lossy = true;
    if (conditionals && schema.value(u"if").isObject()
        && (schema.contains(u"then") || schema.contains(u"else"))) {
        conditionals->push_back({schema.value(u"if"), schema.value(u"then"), schema.value(u"else")});
    } else if (schema.contains(u"if")) {
        *lossy = true;
    }
    const QJsonValue allOf = schema.value(u"allOf");
    if (allOf.isArray()) {
        *lossy = true;
        for (const QJsonValue &item : allOf.toArray()) {
            if (item.isBool() && !item.toBool())
                result.insert(u"type"_s, QJsonArray());   // nothing passes `false`
            else if (item.isObject())
                result = SchemaMerge::merge(result, flatten(item.toObject(), conditionals, lossy));
        }
    }
    return result;
}

std::shared_ptr<GenerationNode> GenerationNodeBuilder::plain(const QJsonObject &schema, const QString &pointer, int depth)
{
    auto node = std::make_shared<GenerationNode>();
    node->pointer = pointer;
    readTypes(*node, schema);
    const quint8 declared = node->types;
    if (node->types & (GenerationNode::NumberType | GenerationNode::IntegerType))
        readNumbers(*node, schema);
    if (node->types & GenerationNode::StringType)
        readStrings(*node, schema);
    if (node->types & GenerationNode::ArrayType)
        readArrays(*node, schema, depth);
    if (node->types & GenerationNode::ObjectType)
        readObjects(*node, schema, depth);
    if (declared && !node->types && !schema.contains(u"const") && !schema.contains(u"enum"))
        node->rejectAll = node->failed = true;
    readValues(*node, schema);
    return node;
}

void GenerationNodeBuilder::readTypes(GenerationNode &node, const QJsonObject &schema)
{
    static const std::pair<QStringView, quint8> names[] = {
        {u"null", GenerationNode::NullType}, {u"boolean", GenerationNode::BooleanType},
        {u"object", GenerationNode::ObjectType}, {u"array", GenerationNode::ArrayType},
        {u"number", GenerationNode::NumberType}, {u"integer", GenerationNode::IntegerType},
        {u"string", GenerationNode::StringType},
    };
    const QJsonValue type = schema.value(u"type");
    const QJsonArray list = type.isArray() ? type.toArray() : QJsonArray{type};
    for (const QJsonValue &name : list) {
        for (const auto &[typeName, flag] : names) {
            if (name.toString() == typeName)
                node.types |= flag;
        }
    }
    if (type.isArray() && list.isEmpty()) {
        problem(node.pointer, u"no value satisfies every allOf schema"_s);
        node.rejectAll = node.failed = true;
        return;
    }
    if (node.types || schema.contains(u"type"))
        return;
    // No "type": what the other keywords talk about.
    const auto has = [&schema](std::initializer_list<QStringView> keywords) {
        for (const QStringView keyword : keywords) {
            if (schema.contains(keyword))
                return true;
        }
        return false;
    };
    if (has({u"properties", u"required", u"additionalProperties", u"minProperties", u"maxProperties", u"propertyNames"}))
        node.types = GenerationNode::ObjectType;
    else if (has({u"items", u"prefixItems", u"minItems", u"maxItems", u"uniqueItems"}))
        node.types = GenerationNode::ArrayType;
    else if (has({u"minimum", u"maximum", u"exclusiveMinimum", u"exclusiveMaximum", u"multipleOf"}))
        node.types = GenerationNode::NumberType;
    else if (!has({u"const", u"enum"}))
        node.types = GenerationNode::StringType;
}

void GenerationNodeBuilder::readNumbers(GenerationNode &node, const QJsonObject &schema)
{
    const Bounds b = boundsOf(schema);
    const auto multipleOf = numberOf(schema, u"multipleOf");
    node.multipleOf = multipleOf && *multipleOf > 0 ? *multipleOf : 0;
    if (node.types & GenerationNode::NumberType) {
        node.numberLow = b.low;
        node.numberHigh = b.high;
        node.lowExcluded = b.lowExcluded;
        node.highExcluded = b.highExcluded;
        bool empty = b.low > b.high || (b.low == b.high && (b.lowExcluded || b.highExcluded));
        if (!empty && node.multipleOf > 0) {
            const double first = std::ceil(b.low / node.multipleOf);
            const double last = std::floor(b.high / node.multipleOf);
            empty = first > last || (first == last && ((b.lowExcluded && first * node.multipleOf <= b.low)
                                                       || (b.highExcluded && last * node.multipleOf >= b.high)));
        }
        if (empty) {
            node.types &= quint8(~GenerationNode::NumberType);
            problem(node.pointer, u"no number satisfies its minimum, maximum and multipleOf"_s);
        }
    }
    if (node.types & GenerationNode::IntegerType) {
        double low = b.lowExcluded ? std::floor(b.low) + 1 : std::ceil(b.low);
        double high = b.highExcluded ? std::ceil(b.high) - 1 : std::floor(b.high);
        qint64 step = 1;
        if (node.multipleOf > 0) {
            step = integerStepOf(node.multipleOf);
            if (step > 0) {
                low = std::ceil(low / double(step)) * double(step);
                high = std::floor(high / double(step)) * double(step);
            }
        }
        if (step <= 0 || low > high) {
            node.types &= quint8(~GenerationNode::IntegerType);
            problem(node.pointer, u"no integer satisfies its minimum, maximum and multipleOf"_s);
        } else {
            node.integerLow = qint64(low);
            node.integerHigh = qint64(high);
            node.integerStep = step;
        }
    }
}

void GenerationNodeBuilder::readStrings(GenerationNode &node, const QJsonObject &schema)
{
    node.minLength = countOf(schema, u"minLength", 0);
    node.maxLength = countOf(schema, u"maxLength", -1);
    node.format = schema.value(u"format").toString();
    if (node.maxLength >= 0 && node.minLength > node.maxLength) {
        node.types &= quint8(~GenerationNode::StringType);
        problem(node.pointer, u"minLength is above maxLength"_s);
        return;
    }
    if (!schema.value(u"pattern").isString())
        return;
    const QString source = schema.value(u"pattern").toString();
    const QString at = JsonPointer::append(node.pointer, u"pattern");
    PatternGenerator generator(source);
    if (!generator.isValid()) {
        node.types &= quint8(~GenerationNode::StringType);
        problem(at, u"invalid regular expression"_s);
        return;
    }
    // A few rounds of candidates now, so that a pattern generation cannot satisfy is reported
    // when the scenario is read rather than as failed requests during the run.
    SeededRandom probe(1);
    bool generated = false;
    for (int round = 0; round < 3 && !generated; ++round)
        generated = generator.generate(probe, node.minLength, node.maxLength).has_value();
    if (!generated) {
        node.types &= quint8(~GenerationNode::StringType);
        problem(at, u"cannot generate for pattern "_s % source
                        % (node.minLength > 0 || node.maxLength >= 0 ? u" within minLength/maxLength"_s : QString()));
        return;
    }
    node.pattern = generator;
}

void GenerationNodeBuilder::readArrays(GenerationNode &node, const QJsonObject &schema, int depth)
{
    node.minItems = countOf(schema, u"minItems", 0);
    node.maxItems = countOf(schema, u"maxItems", -1);
    node.uniqueItems = schema.value(u"uniqueItems").toBool();
    const QJsonArray prefix = schema.value(u"prefixItems").toArray();
    for (qsizetype i = 0; i < prefix.size(); ++i)
        node.prefixItems.push_back(build(prefix.at(i), JsonPointer::append(JsonPointer::append(node.pointer, u"prefixItems"), i), depth + 1));
    const QJsonValue items = schema.value(u"items");
    if (items.isBool() && !items.toBool())
        node.noMoreItems = true;
    else if (items.isObject())
        node.items = build(items, JsonPointer::append(node.pointer, u"items"), depth + 1);
    const qint64 most = node.noMoreItems
        ? (node.maxItems < 0 ? qint64(prefix.size()) : std::min<qint64>(node.maxItems, prefix.size()))
        : node.maxItems;
    if (most >= 0 && node.minItems > most) {
        node.types &= quint8(~GenerationNode::ArrayType);
        problem(node.pointer, u"minItems is above the number of items allowed"_s);
    }
}

void GenerationNodeBuilder::readObjects(GenerationNode &node, const QJsonObject &schema, int depth)
{
    for (const QJsonValue &name : schema.value(u"required").toArray()) {
        if (name.isString() && !node.required.contains(name.toString()))
            node.required.append(name.toString());
    }
    const QJsonObject properties = schema.value(u"properties").toObject();
    const QString propertiesAt = JsonPointer::append(node.pointer, u"properties");
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it)
        node.properties.emplace_back(it.key(), build(it.value(), JsonPointer::append(propertiesAt, it.key()), depth + 1));
    const QJsonValue additional = schema.value(u"additionalProperties");
    if (additional.isBool() && !additional.toBool())
        node.noAdditionalProperties = true;
    else if (additional.isObject())
        node.additionalProperties = build(additional, JsonPointer::append(node.pointer, u"additionalProperties"), depth + 1);
    if (schema.value(u"propertyNames").isObject())
        node.propertyNames = build(schema.value(u"propertyNames"), JsonPointer::append(node.pointer, u"propertyNames"), depth + 1);
    node.minProperties = countOf(schema, u"minProperties", 0);
    node.maxProperties = countOf(schema, u"maxProperties", -1);

    const auto fail = [&node, this](const QString &message) {
        node.types &= quint8(~GenerationNode::ObjectType);
        problem(node.pointer, message);
    };
    for (const QString &name : std::as_const(node.required)) {
        const GenerationNode *property = node.property(name);
        // A property that failed has said why; one that is `false` is this object's problem.
        if ((property && property->rejectAll && !property->failed) || (!property && node.noAdditionalProperties))
            return fail(u"required property \""_s % name % u"\" is not allowed"_s);
    }
    if (node.maxProperties >= 0 && (qint64(node.required.size()) > node.maxProperties || node.minProperties > node.maxProperties))
        return fail(u"more properties are required than maxProperties allows"_s);
    if (node.noAdditionalProperties && node.minProperties > qint64(node.properties.size()))
        return fail(u"minProperties is above the number of properties allowed"_s);
}

void GenerationNodeBuilder::readValues(GenerationNode &node, const QJsonObject &schema)
{
    if (!schema.contains(u"const") && !schema.contains(u"enum"))
        return;
    // Each value must also pass the rest of the schema: ask the engine's validator.
    QJsonObject rest = schema;
    rest.remove(u"const"_s);
    rest.remove(u"enum"_s);
    const JsonSchema others = JsonSchema::compile(rest, nullptr);
    if (schema.contains(u"const")) {
        const QJsonValue value = schema.value(u"const");
        const QJsonArray allowed = schema.value(u"enum").toArray();
        if (!others.validate(value).isEmpty() || (schema.contains(u"enum") && !allowed.contains(value))) {
            node.rejectAll = node.failed = true;
            problem(JsonPointer::append(node.pointer, u"const"), u"the value does not satisfy the rest of the schema"_s);
            return;
        }
        node.constValue = value;
        node.rejectAll = false;
        return;
    }
    for (const QJsonValue &value : schema.value(u"enum").toArray()) {
        if (others.validate(value).isEmpty())
            node.enumValues.append(value);
    }
    node.rejectAll = node.failed = node.enumValues.isEmpty();
    if (node.rejectAll)
        problem(JsonPointer::append(node.pointer, u"enum"), u"no value satisfies the rest of the schema"_s);
}

} // namespace Gatehouse::Simulation
