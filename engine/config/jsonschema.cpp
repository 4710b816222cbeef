#include "jsonschema.h"

#include "jsonpointer.h"
#include "schemacompiler.h"
#include "schemanode.h"
#include "schemavalidator.h"

#include <QJsonArray>

#include <functional>

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
// Every (sub)schema object of `schema`, where JSON Schema puts one, outermost first: `visit`
// may change it (the changed one is what is walked on and put back).
QJsonValue walkSchemas(const QJsonValue &schema, const QString &pointer, int depth,
                       const std::function<void(QJsonObject &, const QString &)> &visit)
{
    static const QStringList oneSchema{u"items"_s, u"additionalProperties"_s, u"propertyNames"_s, u"contains"_s,
                                       u"not"_s, u"if"_s, u"then"_s, u"else"_s};
    static const QStringList schemaLists{u"prefixItems"_s, u"allOf"_s, u"anyOf"_s, u"oneOf"_s};
    static const QStringList schemaMaps{u"properties"_s, u"patternProperties"_s, u"$defs"_s, u"definitions"_s};
    if (!schema.isObject() || depth > 64)   // deeper than that the compiler's own limits answer
        return schema;
    QJsonObject object = schema.toObject();
    visit(object, pointer);
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString at = JsonPointer::append(pointer, it.key());
        if (oneSchema.contains(it.key())) {
            it.value() = walkSchemas(it.value(), at, depth + 1, visit);
        } else if (schemaLists.contains(it.key()) && it.value().isArray()) {
            QJsonArray list = it.value().toArray();
            for (qsizetype i = 0; i < list.size(); ++i)
                list[i] = walkSchemas(list.at(i), JsonPointer::append(at, i), depth + 1, visit);
            it.value() = list;
        } else if (schemaMaps.contains(it.key()) && it.value().isObject()) {
            QJsonObject map = it.value().toObject();
            for (auto m = map.begin(); m != map.end(); ++m)
                m.value() = walkSchemas(m.value(), JsonPointer::append(at, m.key()), depth + 1, visit);
            it.value() = map;
        }
    }
    return object;
}
} // namespace

QStringList JsonSchema::unsupportedKeywords(const QJsonObject &schema, const QString &basePointer)
{
    static const QStringList unsupported{u"$ref"_s, u"$dynamicRef"_s, u"$recursiveRef"_s, u"unevaluatedProperties"_s,
                                         u"unevaluatedItems"_s, u"dependentSchemas"_s, u"dependencies"_s, u"additionalItems"_s};
    QStringList out;
    walkSchemas(schema, basePointer, 0, [&out](QJsonObject &object, const QString &pointer) {
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (unsupported.contains(it.key()))
                out.append(JsonPointer::append(pointer, it.key()) + u": the keyword is not supported; describe the value without it"_s);
        }
    });
    return out;
}

QStringList JsonSchema::keywordsAddedLater()
{
    return {u"multipleOf"_s, u"anyOf"_s, u"oneOf"_s, u"contains"_s, u"minContains"_s, u"maxContains"_s,
            u"patternProperties"_s, u"dependentRequired"_s};
}

QJsonObject JsonSchema::withoutKeywords(const QJsonObject &schema, const QStringList &keywords, QStringList *removed)
{
    return walkSchemas(schema, QString(), 0, [&](QJsonObject &object, const QString &pointer) {
        for (const QString &keyword : keywords) {
            if (object.contains(keyword)) {
                object.remove(keyword);
                if (removed)
                    removed->append(JsonPointer::append(pointer, keyword));
            }
        }
    }).toObject();
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
