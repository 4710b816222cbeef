#include "collection.h"

#include "ecmaregex.h"
#include "jsonpointer.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Gatehouse {

namespace {

// Command names become URL segments and MQTT topic levels; the built-in verbs are taken.
bool isValidCommandName(const QString &name)
{
    static const QRegularExpression valid(
        QRegularExpression::anchoredPattern(u"[a-z][A-Za-z0-9_-]{0,62}"_s));
    return valid.match(name).hasMatch();
}

bool isBuiltInCommand(const QString &name)
{
    return name == u"create" || name == u"update" || name == u"delete";
}

// A custom command runs a JS decide function: a deployed one by name, or inline code.
bool isValidCommandSpec(const QJsonValue &spec)
{
    const QJsonObject o = spec.toObject();
    const bool byName = o.value(u"function").isString() && !o.value(u"function").toString().isEmpty();
    const bool inline_ = o.value(u"decide").isString() && !o.value(u"decide").toString().trimmed().isEmpty();
    return spec.isObject() && o.size() == 1 && (byName || inline_);
}

bool isIndexableType(const QString &type)
{
    return type == u"string" || type == u"number" || type == u"integer" || type == u"boolean";
}

void addError(QStringList *errors, const QString &pointer, const QString &message)
{
    if (errors)
        errors->append(pointer.isEmpty() ? message : pointer % u": "_s % message);
}

} // namespace

QJsonObject Collection::toJson() const
{
    QJsonObject json{{u"name"_s, name}, {u"schema"_s, schema.toJson()}, {u"commands"_s, commands}};
    if (!idPattern.isEmpty() && idPattern != defaultIdPattern())
        json.insert(u"id_pattern"_s, idPattern);
    if (!declaredIndexes.isEmpty())
        json.insert(u"indexes"_s, QJsonArray::fromStringList(declaredIndexes));
    if (snapshotEvery != kDefaultSnapshotEvery)
        json.insert(u"snapshot_every"_s, snapshotEvery);
    if (schemaVersion != 1)
        json.insert(u"schema_version"_s, schemaVersion);
    if (!upcasters.isEmpty())
        json.insert(u"upcasters"_s, upcastersJson());
    return json;
}

Collection Collection::fromJson(const QString &name, const QJsonObject &json,
                                QStringList *errors, const QString &basePointer)
{
    Collection collection;
    collection.name = name;
    collection.idPattern = defaultIdPattern();
    if (!isValidName(name)) {
        addError(errors, basePointer,
                 u"invalid collection name \""_s % name % u"\" (expected [a-z][a-z0-9_-]{0,62})"_s);
    }

    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        const QString key = it.key();
        const QString pointer = JsonPointer::append(basePointer, key);
        if (key == u"name") {
            if (it.value().toString() != name)
                addError(errors, pointer, u"must match the collection's key \""_s % name % u'"');
        } else if (key == u"schema") {
            if (!it.value().isObject())
                addError(errors, pointer, u"must be an object"_s);
        } else if (key == u"id_pattern") {
            const QRegularExpression regex = EcmaRegex::compile(it.value().toString());
            if (!it.value().isString() || it.value().toString().isEmpty())
                addError(errors, pointer, u"must be a non-empty string"_s);
            else if (!regex.isValid())
                addError(errors, pointer, u"invalid regular expression: "_s % regex.errorString());
            else
                collection.idPattern = it.value().toString();
        } else if (key == u"commands") {
            if (!it.value().isObject()) {
                addError(errors, pointer, u"must be an object"_s);
                continue;
            }
            collection.commands = it.value().toObject();
            for (const QString &command : collection.commands.keys()) {
                const QString commandPointer = JsonPointer::append(pointer, command);
                if (!isValidCommandName(command))
                    addError(errors, commandPointer, u"invalid command name"_s);
                else if (isBuiltInCommand(command))
                    addError(errors, commandPointer, u"is a built-in command"_s);
                else if (!isValidCommandSpec(collection.commands.value(command)))
                    addError(errors, commandPointer,
                             u"must be {\"function\": \"<deployed function>\"} or {\"decide\": \"function (state, command) {...}\"}"_s);
            }
        } else if (key == u"indexes") {
            const QJsonArray fields = it.value().toArray();
            if (!it.value().isArray() || fields.size() > kMaxIndexes) {
                addError(errors, pointer, u"must be an array of at most %1 field names"_s.arg(kMaxIndexes));
                continue;
            }
            for (qsizetype i = 0; i < fields.size(); ++i) {
                const QString field = fields.at(i).toString();
                if (!fields.at(i).isString() || field.isEmpty())
                    addError(errors, JsonPointer::append(pointer, QString::number(i)), u"must be a field name"_s);
                else if (!collection.declaredIndexes.contains(field))
                    collection.declaredIndexes.append(field);
            }
        } else if (key == u"schema_version") {
            const double n = it.value().toDouble(-1);
            if (!it.value().isDouble() || n < 1 || n > kMaxSchemaVersion || n != double(qint64(n)))
                addError(errors, pointer, u"must be an integer from 1 to %1"_s.arg(kMaxSchemaVersion));
            else
                collection.schemaVersion = int(n);
        } else if (key == u"upcasters") {
            if (!it.value().isObject()) {
                addError(errors, pointer, u"must be an object: {\"<version>\": <step to the next version>}"_s);
                continue;
            }
            const QJsonObject steps = it.value().toObject();
            for (auto step = steps.constBegin(); step != steps.constEnd(); ++step) {
                const QString stepPointer = JsonPointer::append(pointer, step.key());
                bool ok = false;
                const int from = step.key().toInt(&ok);
                if (!ok || from < 1 || from > kMaxSchemaVersion || step.key() != QString::number(from)) {
                    addError(errors, stepPointer, u"must be the version the step starts from (1, 2, ...)"_s);
                    continue;
                }
                if (std::optional<UpcastStep> parsed = UpcastStep::fromJson(step.value(), errors, stepPointer)) {
                    if (!parsed->isEmpty())
                        collection.upcasters.insert(from, std::move(*parsed));
                }
            }
        } else if (key == u"snapshot_every") {
            // An integer in range: 100 and 100.0 are the same JSON number; 1e400 or 2.5 are not counts.
            const double n = it.value().toDouble(-1);
            if (!it.value().isDouble() || n < 0 || n > kMaxSnapshotEvery || n != double(qint64(n)))
                addError(errors, pointer, u"must be an integer from 0 (no snapshots) to %1"_s.arg(kMaxSnapshotEvery));
            else
                collection.snapshotEvery = int(n);
        } else {
            addError(errors, pointer, u"unknown collection member"_s);
        }
    }

    // Without a schema a collection takes any object.
    const QJsonObject schema = json.value(u"schema").isObject()
        ? json.value(u"schema").toObject()
        : QJsonObject{{u"type"_s, u"object"_s}};
    const QString schemaPointer = JsonPointer::append(basePointer, u"schema");
    collection.schema = JsonSchema::compile(schema, errors, schemaPointer);

    const QJsonValue rootType = schema.value(u"type");
    const bool describesObjects = rootType.isUndefined() || rootType.toString() == u"object"
        || rootType.toArray().contains(u"object"_s);
    if (!describesObjects) {
        addError(errors, JsonPointer::append(schemaPointer, u"type"),
                 u"a collection schema must describe objects"_s);
    }

    const QJsonObject properties = schema.value(u"properties").toObject();
    for (auto it = properties.constBegin(); it != properties.constEnd(); ++it) {
        if (it.value().toObject().value(u"index").toBool()) {
            const QString type = collection.schema.propertyType(it.key());
            if (isIndexableType(type)) {
                collection.indexedFields.append(it.key());
            } else {
                const QString propertyPointer = JsonPointer::append(
                    JsonPointer::append(schemaPointer, u"properties"), it.key());
                addError(errors, JsonPointer::append(propertyPointer, u"index"),
                         u"only string, number, integer or boolean properties can be indexed"_s);
            }
        }
    }
    for (qsizetype i = 0; i < collection.declaredIndexes.size(); ++i) {
        const QString &field = collection.declaredIndexes.at(i);
        const QString pointer = JsonPointer::append(JsonPointer::append(basePointer, u"indexes"), QString::number(i));
        if (!properties.contains(field))
            addError(errors, pointer, u"\""_s % field.left(64) % u"\" is not a property of the schema"_s);
        else if (!isIndexableType(collection.schema.propertyType(field)))
            addError(errors, pointer, u"only string, number, integer or boolean properties can be indexed"_s);
        else if (!collection.indexedFields.contains(field))
            collection.indexedFields.append(field);
    }
    for (auto it = collection.upcasters.cbegin(); it != collection.upcasters.cend(); ++it) {
        if (it.key() >= collection.schemaVersion) {
            addError(errors, JsonPointer::append(JsonPointer::append(basePointer, u"upcasters"), QString::number(it.key())),
                     u"there is no version %1 yet (the schema is at version %2)"_s.arg(it.key() + 1).arg(collection.schemaVersion));
        }
    }
    if (!collection.upcasters.isEmpty()) {
        const QByteArray text = QJsonDocument(collection.upcastersJson()).toJson(QJsonDocument::Compact);
        collection.upcastTag = QString::fromLatin1(QCryptographicHash::hash(text, QCryptographicHash::Sha256).toHex().left(16));
    }
    collection.dataschemaUri = SchemaEvolution::dataschema(name, collection.schemaVersion);
    return collection;
}

QJsonObject Collection::upcastersJson() const
{
    QJsonObject steps;
    for (auto it = upcasters.cbegin(); it != upcasters.cend(); ++it)
        steps.insert(QString::number(it.key()), it.value().toJson());
    return steps;
}

void Collection::upcast(int eventVersion, bool wholeDocument, QJsonObject &data) const
{
    for (auto it = upcasters.lowerBound(std::max(eventVersion, 1)); it != upcasters.cend() && it.key() < schemaVersion; ++it)
        it.value().apply(data, wholeDocument);
}

bool Collection::isValidName(const QString &name)
{
    static const QRegularExpression valid(
        QRegularExpression::anchoredPattern(u"[a-z][a-z0-9_-]{0,62}"_s));
    return valid.match(name).hasMatch();
}

QRegularExpression Collection::idRegularExpression() const
{
    return EcmaRegex::compile(idPattern.isEmpty() ? defaultIdPattern() : idPattern);
}

QString Collection::defaultIdPattern()
{
    return u"^[A-Za-z0-9._~-]{1,128}$"_s;
}

} // namespace Gatehouse
