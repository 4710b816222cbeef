#include "schemamerge.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QStringList>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation::SchemaMerge {

namespace {

constexpr QStringView kTypeNames[] = {u"null", u"boolean", u"object", u"array", u"number", u"integer", u"string"};

// The set of type names a schema admits; all of them when it has no "type".
QStringList typesOf(const QJsonObject &schema)
{
    const QJsonValue type = schema.value(u"type");
    QStringList names;
    if (type.isString())
        names.append(type.toString());
    else if (type.isArray()) {
        for (const QJsonValue &name : type.toArray())
            names.append(name.toString());
    } else {
        for (const QStringView name : kTypeNames)
            names.append(name.toString());
    }
    return names;
}

QJsonValue intersectTypes(const QJsonObject &a, const QJsonObject &b)
{
    const QStringList left = typesOf(a);
    const QStringList right = typesOf(b);
    QStringList common;
    for (const QStringView name : kTypeNames) {
        const QString n = name.toString();
        const bool inLeft = left.contains(n) || (n == u"integer" && left.contains(u"number"_s));
        const bool inRight = right.contains(n) || (n == u"integer" && right.contains(u"number"_s));
        if (inLeft && inRight)
            common.append(n);
    }
    // "number" already admits integers; naming both changes nothing but reads oddly.
    if (common.contains(u"number"_s))
        common.removeAll(u"integer"_s);
    return common.size() == 1 ? QJsonValue(common.first()) : QJsonValue(QJsonArray::fromStringList(common));
}

// A subschema (boolean or object) that must satisfy both.
QJsonValue mergeSubschemas(const QJsonValue &a, const QJsonValue &b)
{
    if (a.isBool() && !a.toBool())
        return a;
    if (b.isBool() && !b.toBool())
        return b;
    if (!a.isObject())
        return b;
    if (!b.isObject())
        return a;
    return merge(a.toObject(), b.toObject());
}

} // namespace

QJsonObject merge(QJsonObject into, const QJsonObject &other)
{
    for (auto it = other.constBegin(); it != other.constEnd(); ++it) {
        const QString key = it.key();
        const QJsonValue theirs = it.value();
        if (!into.contains(key)) {
            if (key != u"type")
                into.insert(key, theirs);
            continue;
        }
        const QJsonValue ours = into.value(key);
        if (key == u"minimum" || key == u"exclusiveMinimum" || key == u"minLength" || key == u"minItems"
            || key == u"minProperties") {
            into.insert(key, std::max(ours.toDouble(), theirs.toDouble()));
        } else if (key == u"maximum" || key == u"exclusiveMaximum" || key == u"maxLength" || key == u"maxItems"
                   || key == u"maxProperties") {
            into.insert(key, std::min(ours.toDouble(), theirs.toDouble()));
        } else if (key == u"uniqueItems") {
            into.insert(key, ours.toBool() || theirs.toBool());
        } else if (key == u"required") {
            QJsonArray names = ours.toArray();
            for (const QJsonValue &name : theirs.toArray()) {
                if (!names.contains(name))
                    names.append(name);
            }
            into.insert(key, names);
        } else if (key == u"enum") {
            QJsonArray common;
            for (const QJsonValue &value : ours.toArray()) {
                if (theirs.toArray().contains(value))
                    common.append(value);
            }
            into.insert(key, common);
        } else if (key == u"const" && ours != theirs) {
            into.insert(u"enum"_s, QJsonArray());   // two different constants: nothing passes
        } else if (key == u"properties") {
            QJsonObject properties = ours.toObject();
            const QJsonObject added = theirs.toObject();
            for (auto p = added.constBegin(); p != added.constEnd(); ++p)
                properties.insert(p.key(), properties.contains(p.key()) ? mergeSubschemas(properties.value(p.key()), p.value()) : p.value());
            into.insert(key, properties);
        } else if (key == u"items" || key == u"additionalProperties" || key == u"propertyNames") {
            into.insert(key, mergeSubschemas(ours, theirs));
        } else if (key == u"allOf") {
            QJsonArray all = ours.toArray();
            for (const QJsonValue &schema : theirs.toArray())
                all.append(schema);
            into.insert(key, all);
        }
        // Anything else (pattern, format, multipleOf, prefixItems, if, not, ...): ours stands.
    }
    if (into.contains(u"type") || other.contains(u"type"))
        into.insert(u"type"_s, intersectTypes(into, other));
    return into;
}

} // namespace Gatehouse::Simulation::SchemaMerge
