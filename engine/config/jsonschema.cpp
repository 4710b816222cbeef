#include "jsonschema.h"

#include "jsonpointer.h"
#include "schemacompiler.h"
#include "schemanode.h"
#include "schemavalidator.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace Gatehouse {

JsonSchema::JsonSchema()
    : m_root(std::make_shared<SchemaNode>())
{
}

JsonSchema JsonSchema::compile(const QJsonObject &schema, QStringList *errors,
                               const QString &basePointer)
{
    JsonSchema compiled;
    compiled.m_root = SchemaCompiler(errors).compile(schema, basePointer);
    compiled.m_source = schema;
    return compiled;
}

namespace {
void findUnsupported(const QJsonValue &schema, const QString &pointer, int depth, QStringList *out)
{
    static const QStringList unsupported{u"$ref"_s, u"$dynamicRef"_s, u"$recursiveRef"_s, u"unevaluatedProperties"_s,
                                         u"unevaluatedItems"_s, u"dependentSchemas"_s, u"dependencies"_s, u"additionalItems"_s};
    static const QStringList oneSchema{u"items"_s, u"additionalProperties"_s, u"propertyNames"_s, u"contains"_s,
                                       u"not"_s, u"if"_s, u"then"_s, u"else"_s};
    static const QStringList schemaLists{u"prefixItems"_s, u"allOf"_s, u"anyOf"_s, u"oneOf"_s};
    static const QStringList schemaMaps{u"properties"_s, u"patternProperties"_s, u"$defs"_s, u"definitions"_s};
    if (!schema.isObject() || depth > 64)   // deeper than that the compiler's own limits answer
        return;
    const QJsonObject object = schema.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString at = JsonPointer::append(pointer, it.key());
        if (unsupported.contains(it.key()))
            out->append(at + u": the keyword is not supported; describe the value without it"_s);
        else if (oneSchema.contains(it.key()))
            findUnsupported(it.value(), at, depth + 1, out);
        else if (schemaLists.contains(it.key())) {
            const QJsonArray list = it.value().toArray();
            for (qsizetype i = 0; i < list.size(); ++i)
                findUnsupported(list.at(i), JsonPointer::append(at, i), depth + 1, out);
        } else if (schemaMaps.contains(it.key())) {
            const QJsonObject map = it.value().toObject();
            for (auto m = map.constBegin(); m != map.constEnd(); ++m)
                findUnsupported(m.value(), JsonPointer::append(at, m.key()), depth + 1, out);
        }
    }
}
} // namespace

QStringList JsonSchema::unsupportedKeywords(const QJsonObject &schema, const QString &basePointer)
{
    QStringList out;
    findUnsupported(schema, basePointer, 0, &out);
    return out;
}

QList<SchemaViolation> JsonSchema::validate(const QJsonValue &value) const
{
    QList<SchemaViolation> violations;
    SchemaValidator(&violations).validate(*m_root, value);
    return violations;
}

QList<SchemaViolation> JsonSchema::validatePatch(const QJsonObject &patch) const
{
    QList<SchemaViolation> violations;
    SchemaValidator(&violations).validatePatch(*m_root, patch);
    return violations;
}

QStringList JsonSchema::propertyNames() const
{
    return m_source.value(u"properties").toObject().keys();
}

QString JsonSchema::propertyType(const QString &name) const
{
    const QJsonValue type =
        m_source.value(u"properties").toObject().value(name).toObject().value(u"type");
    if (type.isString())
        return type.toString();
    for (const QJsonValue &candidate : type.toArray()) {
        if (candidate.toString() != u"null")
            return candidate.toString();
    }
    return type.toArray().isEmpty() ? QString() : u"null"_s;
}

QJsonObject JsonSchema::toJson() const
{
    return m_source;
}

} // namespace Gatehouse
