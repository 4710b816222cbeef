#include "schemacompiler.h"

#include "ecmaregex.h"
#include "jsonpointer.h"
#include "schemanode.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse {

namespace {

struct TypeName
{
    QStringView name;
    quint8 flag;
    QStringView phrase;  // as used in "must be ..."
};

// Listed in the order the type message names them.
constexpr TypeName typeNames[] = {
    {u"object", SchemaNode::ObjectType, u"an object"},
    {u"array", SchemaNode::ArrayType, u"an array"},
    {u"string", SchemaNode::StringType, u"a string"},
    {u"number", SchemaNode::NumberType, u"a number"},
    {u"integer", SchemaNode::IntegerType, u"an integer"},
    {u"boolean", SchemaNode::BooleanType, u"a boolean"},
    {u"null", SchemaNode::NullType, u"null"},
};

quint8 typeFlag(QStringView name)
{
    for (const TypeName &t : typeNames) {
        if (t.name == name)
            return t.flag;
    }
    return 0;
}

QString typeMessage(quint8 types)
{
    // "number" already admits every integer, so do not name both.
    if (types & SchemaNode::NumberType)
        types &= ~SchemaNode::IntegerType;
    QStringList phrases;
    for (const TypeName &t : typeNames) {
        if (types & t.flag)
            phrases.append(t.phrase.toString());
    }
    QString message = u"must be "_s;
    for (qsizetype i = 0; i < phrases.size(); ++i) {
        if (i > 0)
            message += (i == phrases.size() - 1) ? u" or "_s : u", "_s;
        message += phrases.at(i);
    }
    return message;
}

} // namespace

SchemaCompiler::SchemaCompiler(QStringList *errors)
    : m_errors(errors)
{
}

std::shared_ptr<const SchemaNode> SchemaCompiler::compile(const QJsonValue &schema,
                                                          const QString &pointer)
{
    auto node = std::make_shared<SchemaNode>();
    if (schema.isBool()) {
        node->rejectAll = !schema.toBool();
        return node;
    }
    if (!schema.isObject()) {
        error(pointer, u"a schema must be an object or a boolean"_s);
        return node;
    }
    const QJsonObject object = schema.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        compileKeyword(*node, it.key(), it.value(), JsonPointer::append(pointer, it.key()));
    return node;
}

void SchemaCompiler::compileKeyword(SchemaNode &node, const QString &keyword,
                                    const QJsonValue &value, const QString &pointer)
{
    if (keyword == u"type") {
        compileType(node, value, pointer);
    } else if (keyword == u"required") {
        compileRequired(node, value, pointer);
    } else if (keyword == u"properties") {
        compileProperties(node, value, pointer);
    } else if (keyword == u"additionalProperties") {
        // `true` and `{}` accept anything: keep the pointer null so validation skips it.
        if (!(value.isBool() && value.toBool()))
            node.additionalProperties = compile(value, pointer);
    } else if (keyword == u"items") {
        if (value.isArray())
            error(pointer, u"the array form of items is not supported"_s);
        else
            node.items = compile(value, pointer);
    } else if (keyword == u"enum") {
        if (!value.isArray() || value.toArray().isEmpty())
            error(pointer, u"must be a non-empty array"_s);
        else
            node.enumValues = value.toArray();
    } else if (keyword == u"const") {
        node.constValue = value;
    } else if (keyword == u"minimum") {
        node.minimum = number(value, pointer);
    } else if (keyword == u"maximum") {
        node.maximum = number(value, pointer);
    } else if (keyword == u"exclusiveMinimum") {
        node.exclusiveMinimum = number(value, pointer);
    } else if (keyword == u"exclusiveMaximum") {
        node.exclusiveMaximum = number(value, pointer);
    } else if (keyword == u"multipleOf") {
        node.multipleOf = number(value, pointer);
        if (node.multipleOf && !(*node.multipleOf > 0)) {
            error(pointer, u"must be a number greater than 0"_s);
            node.multipleOf.reset();
        }
    } else if (keyword == u"minLength") {
        node.minLength = count(value, pointer);
    } else if (keyword == u"maxLength") {
        node.maxLength = count(value, pointer);
    } else if (keyword == u"minItems") {
        node.minItems = count(value, pointer);
    } else if (keyword == u"maxItems") {
        node.maxItems = count(value, pointer);
    } else if (keyword == u"pattern") {
        compilePattern(node, value, pointer);
    } else if (keyword == u"uniqueItems") {
        if (!value.isBool())
            error(pointer, u"must be a boolean"_s);
        node.uniqueItems = value.toBool();
    } else if (keyword == u"contains") {
        node.contains = compile(value, pointer);
    } else if (keyword == u"minContains") {
        node.minContains = count(value, pointer).value_or(1);
    } else if (keyword == u"maxContains") {
        node.maxContains = count(value, pointer);
    } else if (keyword == u"patternProperties") {
        compilePatternProperties(node, value, pointer);
    } else if (keyword == u"dependentRequired") {
        compileDependentRequired(node, value, pointer);
    } else if (keyword == u"prefixItems") {
        node.prefixItems = compileList(value, pointer);
    } else if (keyword == u"propertyNames") {
        node.propertyNames = compile(value, pointer);
    } else if (keyword == u"minProperties") {
        node.minProperties = count(value, pointer);
    } else if (keyword == u"maxProperties") {
        node.maxProperties = count(value, pointer);
    } else if (keyword == u"allOf") {
        node.allOf = compileList(value, pointer);
    } else if (keyword == u"anyOf") {
        node.anyOf = compileList(value, pointer);
    } else if (keyword == u"oneOf") {
        node.oneOf = compileList(value, pointer);
    } else if (keyword == u"if") {
        node.ifSchema = compile(value, pointer);
    } else if (keyword == u"then") {
        node.thenSchema = compile(value, pointer);
    } else if (keyword == u"else") {
        node.elseSchema = compile(value, pointer);
    } else if (keyword == u"not") {
        node.notSchema = compile(value, pointer);
    } else if (keyword == u"errorMessage") {
        if (!value.isString() || value.toString().isEmpty())
            error(pointer, u"must be a non-empty string"_s);
        else
            node.errorMessage = value.toString();
    } else if (keyword == u"index") {
        if (!value.isBool())
            error(pointer, u"must be a boolean"_s);
    }
    // Annotations (title, description, default, readOnly, ...) and unknown keywords do not validate.
}

void SchemaCompiler::compileType(SchemaNode &node, const QJsonValue &value,
                                 const QString &pointer)
{
    quint8 types = 0;
    if (value.isString()) {
        types = typeFlag(value.toString());
        if (!types)
            error(pointer, u"unknown type \""_s % value.toString() % u'"');
    } else if (value.isArray() && !value.toArray().isEmpty()) {
        const QJsonArray names = value.toArray();
        for (qsizetype i = 0; i < names.size(); ++i) {
            const quint8 flag = typeFlag(names.at(i).toString());
            if (!flag)
                error(JsonPointer::append(pointer, i), u"must be a type name"_s);
            types |= flag;
        }
    } else {
        error(pointer, u"must be a type name or a non-empty array of type names"_s);
    }
    if (types) {
        node.types = types;
        node.typeMessage = typeMessage(types);
    }
}

void SchemaCompiler::compileRequired(SchemaNode &node, const QJsonValue &value,
                                     const QString &pointer)
{
    if (!value.isArray()) {
        error(pointer, u"must be an array of property names"_s);
        return;
    }
    const QJsonArray names = value.toArray();
    for (qsizetype i = 0; i < names.size(); ++i) {
        if (!names.at(i).isString())
            error(JsonPointer::append(pointer, i), u"must be a string"_s);
        else if (!node.required.contains(names.at(i).toString()))
            node.required.append(names.at(i).toString());
    }
}

void SchemaCompiler::compileProperties(SchemaNode &node, const QJsonValue &value,
                                       const QString &pointer)
{
    if (!value.isObject()) {
        error(pointer, u"must be an object"_s);
        return;
    }
    const QJsonObject properties = value.toObject();
    node.properties.reserve(properties.size());
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it)
        node.properties.insert(it.key(),
                               compile(it.value(), JsonPointer::append(pointer, it.key())));
}

void SchemaCompiler::compilePatternProperties(SchemaNode &node, const QJsonValue &value, const QString &pointer)
{
    if (!value.isObject()) {
        error(pointer, u"must be an object"_s);
        return;
    }
    const QJsonObject patterns = value.toObject();
    for (auto it = patterns.constBegin(); it != patterns.constEnd(); ++it) {
        const QString at = JsonPointer::append(pointer, it.key());
        const QRegularExpression regex = EcmaRegex::compile(it.key());
        if (!regex.isValid()) {
            error(at, u"invalid regular expression: "_s % regex.errorString());
            continue;
        }
        node.patternProperties.push_back({regex, compile(it.value(), at)});
    }
}

void SchemaCompiler::compileDependentRequired(SchemaNode &node, const QJsonValue &value, const QString &pointer)
{
    if (!value.isObject()) {
        error(pointer, u"must be an object"_s);
        return;
    }
    const QJsonObject dependencies = value.toObject();
    for (auto it = dependencies.constBegin(); it != dependencies.constEnd(); ++it) {
        const QString at = JsonPointer::append(pointer, it.key());
        if (!it.value().isArray()) {
            error(at, u"must be an array of property names"_s);
            continue;
        }
        QStringList names;
        const QJsonArray list = it.value().toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (!list.at(i).isString())
                error(JsonPointer::append(at, i), u"must be a string"_s);
            else if (names.contains(list.at(i).toString()))
                error(JsonPointer::append(at, i), u"repeats a name (the names must be unique)"_s);
            else
                names.append(list.at(i).toString());
        }
        if (!names.isEmpty())
            node.dependentRequired.insert(it.key(), names);
    }
}

void SchemaCompiler::compilePattern(SchemaNode &node, const QJsonValue &value,
                                    const QString &pointer)
{
    if (!value.isString()) {
        error(pointer, u"must be a string"_s);
        return;
    }
    const QRegularExpression regex = EcmaRegex::compile(value.toString());
    if (!regex.isValid()) {
        error(pointer, u"invalid regular expression: "_s % regex.errorString());
        return;
    }
    node.pattern = regex;
    node.patternSource = value.toString();
}

std::vector<std::shared_ptr<const SchemaNode>> SchemaCompiler::compileList(const QJsonValue &value,
                                                                           const QString &pointer)
{
    std::vector<std::shared_ptr<const SchemaNode>> nodes;
    if (!value.isArray() || value.toArray().isEmpty()) {
        error(pointer, u"must be a non-empty array of schemas"_s);
        return nodes;
    }
    const QJsonArray schemas = value.toArray();
    nodes.reserve(schemas.size());
    for (qsizetype i = 0; i < schemas.size(); ++i)
        nodes.push_back(compile(schemas.at(i), JsonPointer::append(pointer, i)));
    return nodes;
}

std::optional<double> SchemaCompiler::number(const QJsonValue &value, const QString &pointer)
{
    if (!value.isDouble()) {
        error(pointer, u"must be a number"_s);
        return std::nullopt;
    }
    return value.toDouble();
}

std::optional<qint64> SchemaCompiler::count(const QJsonValue &value, const QString &pointer)
{
    const double d = value.toDouble(-1);
    if (!value.isDouble() || d < 0 || d != std::floor(d) || d > 9.0e15) {
        error(pointer, u"must be a non-negative integer"_s);
        return std::nullopt;
    }
    return static_cast<qint64>(d);
}

void SchemaCompiler::error(const QString &pointer, const QString &message)
{
    if (m_errors)
        m_errors->append(pointer.isEmpty() ? message : pointer % u": "_s % message);
}

} // namespace Gatehouse
