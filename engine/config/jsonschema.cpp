#include "jsonschema.h"

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
