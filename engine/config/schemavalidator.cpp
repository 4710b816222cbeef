#include "schemavalidator.h"

#include "jsonpointer.h"
#include "schemanode.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QHash>
#include <QJsonObject>
#include <QLocale>
#include <QVarLengthArray>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse {

namespace {

QString formatNumber(double number)
{
    // Whole numbers as people write them (1000000, not 1e+06), as far as a double holds them exactly.
    if (std::abs(number) <= 9007199254740992.0 && number == std::trunc(number))
        return QString::number(qint64(number));
    return QString::number(number, 'g', QLocale::FloatingPointShortest);
}

// How a value appears inside a message: strings bare, everything else as compact JSON.
QString display(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Double:
        return formatNumber(value.toDouble());
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return u"null"_s;
}

bool isInteger(double number)
{
    return std::isfinite(number) && number == std::floor(number);
}

bool typeMatches(quint8 types, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return types & SchemaNode::NullType;
    case QJsonValue::Bool:
        return types & SchemaNode::BooleanType;
    case QJsonValue::Double:
        return (types & SchemaNode::NumberType)
            || ((types & SchemaNode::IntegerType) && isInteger(value.toDouble()));
    case QJsonValue::String:
        return types & SchemaNode::StringType;
    case QJsonValue::Array:
        return types & SchemaNode::ArrayType;
    case QJsonValue::Object:
        return types & SchemaNode::ObjectType;
    case QJsonValue::Undefined:
        break;
    }
    return false;
}

// JSON Schema counts characters, not UTF-16 code units: a surrogate pair is one.
qsizetype codePointCount(QStringView string)
{
    qsizetype count = string.size();
    for (qsizetype i = 0; i + 1 < string.size(); ++i) {
        if (string[i].isHighSurrogate() && string[i + 1].isLowSurrogate()) {
            --count;
            ++i;
        }
    }
    return count;
}

} // namespace

SchemaValidator::SchemaValidator(QList<SchemaViolation> *violations)
    : m_violations(violations)
    , m_budget(&m_ownBudget)
{
}

SchemaValidator::SchemaValidator(QList<SchemaViolation> *violations, RegexBudget *budget)
    : m_violations(violations)
    , m_budget(budget)
{
}

void SchemaValidator::validate(const SchemaNode &node, const QJsonValue &value)
{
    check(node, value, nullptr);
    reportSpentBudget();
}

void SchemaValidator::reportSpentBudget()
{
    // Whatever a pattern that could not be evaluated would have decided -- also under `not`,
    // where a failure would pass -- the value is refused: fail closed.
    if (m_budget->spent)
        report(nullptr, u"could not be checked against the schema's patterns within their matching budget"_s);
}

std::optional<bool> SchemaValidator::matches(const QRegularExpression &regex, const QString &subject)
{
    if (m_budget->spent)
        return std::nullopt;
    if (!m_budget->timer.isValid())
        m_budget->timer.start();
    const QRegularExpressionMatch match = regex.match(subject);
    // Not valid: PCRE2 gave up at its match limit (EcmaRegex::compile sets it), e.g. on
    // catastrophic backtracking. And the time all patterns of one value may take is bounded.
    if (!match.isValid() || m_budget->timer.elapsed() > kRegexBudgetMs) {
        m_budget->spent = true;
        return std::nullopt;
    }
    return match.hasMatch();
}

void SchemaValidator::validatePatch(const SchemaNode &node, const QJsonObject &patch)
{
    checkPatch(node, patch, nullptr);
    reportSpentBudget();
}

void SchemaValidator::check(const SchemaNode &node, const QJsonValue &value, const Path *path)
{
    if (node.errorMessage.isEmpty()) {
        checkKeywords(node, value, path);
        return;
    }
    // errorMessage stands for everything found below this schema, as one violation here.
    const qsizetype before = m_violations->size();
    checkKeywords(node, value, path);
    if (m_violations->size() > before) {
        m_violations->resize(before);
        report(path, node.errorMessage);
    }
}

bool SchemaValidator::passes(const SchemaNode &node, const QJsonValue &value, const Path *path)
{
    QList<SchemaViolation> scratch;
    SchemaValidator(&scratch, m_budget).check(node, value, path);
    return scratch.isEmpty();
}

void SchemaValidator::checkKeywords(const SchemaNode &node, const QJsonValue &value, const Path *path)
{
    if (node.rejectAll) {
        report(path, u"is not allowed"_s);
        return;
    }
    // A value of the wrong type would only collect follow-up noise from the other keywords.
    if (node.types && !typeMatches(node.types, value)) {
        report(path, node.typeMessage);
        return;
    }
    if (node.constValue && value != *node.constValue)
        report(path, u"must be "_s % display(*node.constValue));
    if (!node.enumValues.isEmpty() && !node.enumValues.contains(value)) {
        QStringList allowed;
        for (const QJsonValue &candidate : node.enumValues)
            allowed.append(display(candidate));
        report(path, u"must be one of: "_s % allowed.join(u", "));
    }

    switch (value.type()) {
    case QJsonValue::Double:
        checkNumber(node, value.toDouble(), path);
        break;
    case QJsonValue::String:
        if (node.minLength || node.maxLength || node.pattern)
            checkString(node, value.toString(), path);
        break;
    case QJsonValue::Array:
        checkArray(node, value.toArray(), path);
        break;
    case QJsonValue::Object:
        checkObject(node, value.toObject(), path);
        break;
    default:
        break;
    }
    checkApplicators(node, value, path);
}

void SchemaValidator::checkApplicators(const SchemaNode &node, const QJsonValue &value, const Path *path)
{
    for (const auto &schema : node.allOf)
        check(*schema, value, path);
    if (!node.anyOf.empty()
        && std::none_of(node.anyOf.cbegin(), node.anyOf.cend(), [&](const auto &schema) { return passes(*schema, value, path); }))
        report(path, u"must match a schema in anyOf"_s);
    if (!node.oneOf.empty()) {
        int matched = 0;
        for (const auto &schema : node.oneOf) {
            if (passes(*schema, value, path) && ++matched > 1)
                break;
        }
        if (matched != 1)
            report(path, matched == 0 ? u"must match exactly one schema in oneOf (matches none)"_s
                                      : u"must match exactly one schema in oneOf (matches more)"_s);
    }
    if (node.ifSchema) {
        const SchemaNode *branch = passes(*node.ifSchema, value, path) ? node.thenSchema.get() : node.elseSchema.get();
        if (branch)
            check(*branch, value, path);
    }
    if (node.notSchema && passes(*node.notSchema, value, path))
        report(path, u"is not allowed"_s);
}

void SchemaValidator::checkNumber(const SchemaNode &node, double number, const Path *path)
{
    if (node.minimum && !(number >= *node.minimum))
        report(path, u"must be >= "_s % formatNumber(*node.minimum));
    if (node.maximum && !(number <= *node.maximum))
        report(path, u"must be <= "_s % formatNumber(*node.maximum));
    if (node.exclusiveMinimum && !(number > *node.exclusiveMinimum))
        report(path, u"must be > "_s % formatNumber(*node.exclusiveMinimum));
    if (node.exclusiveMaximum && !(number < *node.exclusiveMaximum))
        report(path, u"must be < "_s % formatNumber(*node.exclusiveMaximum));
    if (node.multipleOf) {
        // The remainder, exact in binary, may miss 0 by the rounding of the decimal numbers
        // written (0.3 and 0.1 are not binary fractions): within a few units in the last place
        // of the larger one, 0.3 is a multiple of 0.1 as the schema's reader means it. Where
        // those units reach half the divisor the number cannot tell multiples apart any more,
        // and only an exact remainder of 0 passes.
        const double m = *node.multipleOf;
        const double remainder = std::fmod(std::abs(number), m);
        const double slack = 4 * (std::nextafter(std::max(std::abs(number), m), HUGE_VAL) - std::max(std::abs(number), m));
        const bool multiple = slack >= m / 2 ? remainder == 0 : std::min(remainder, m - remainder) <= slack;
        if (!multiple)
            report(path, u"must be a multiple of "_s % formatNumber(m));
    }
}

void SchemaValidator::checkString(const SchemaNode &node, const QString &string,
                                  const Path *path)
{
    if (node.minLength || node.maxLength) {
        const qsizetype length = codePointCount(string);
        if (node.minLength && length < *node.minLength)
            report(path, u"must have at least "_s % QString::number(*node.minLength)
                             % u" characters"_s);
        if (node.maxLength && length > *node.maxLength)
            report(path, u"must have at most "_s % QString::number(*node.maxLength)
                             % u" characters"_s);
    }
    if (node.pattern && matches(*node.pattern, string) == std::optional<bool>(false))
        report(path, u"must match "_s % node.patternSource);
}

void SchemaValidator::checkArray(const SchemaNode &node, const QJsonArray &array,
                                 const Path *path)
{
    if (node.minItems && array.size() < *node.minItems)
        report(path, u"must have at least "_s % QString::number(*node.minItems) % u" items"_s);
    if (node.maxItems && array.size() > *node.maxItems)
        report(path, u"must have at most "_s % QString::number(*node.maxItems) % u" items"_s);
    if (node.uniqueItems)
        checkUnique(array, path);
    if (node.contains) {
        qint64 matched = 0;
        for (const QJsonValue &item : array) {
            if (passes(*node.contains, item, path))
                ++matched;
        }
        if (matched < node.minContains)
            report(path, node.minContains == 1 ? u"must contain an item that matches `contains`"_s
                                               : u"must contain at least "_s % QString::number(node.minContains)
                                                     % u" items that match `contains`"_s);
        if (node.maxContains && matched > *node.maxContains)
            report(path, u"must contain at most "_s % QString::number(*node.maxContains) % u" items that match `contains`"_s);
    }
    const qsizetype positional = std::min<qsizetype>(array.size(), qsizetype(node.prefixItems.size()));
    for (qsizetype i = 0; i < positional; ++i) {
        const Path element{path, {}, i};
        check(*node.prefixItems[size_t(i)], array.at(i), &element);
    }
    if (!node.items)
        return;
    for (qsizetype i = positional; i < array.size(); ++i) {
        const Path element{path, {}, i};
        check(*node.items, array.at(i), &element);
    }
}

void SchemaValidator::checkUnique(const QJsonArray &array, const Path *path)
{
    // By canonical text, so a long array costs one pass, not a comparison of every pair
    // (objects keep their members sorted; numbers are compared by value).
    QHash<QByteArray, qsizetype> seen;
    seen.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue item = array.at(i);
        const QByteArray text = item.isDouble()
            ? QByteArray::number(item.toDouble(), 'g', 17)
            : QJsonDocument(QJsonArray{item}).toJson(QJsonDocument::Compact);
        const auto it = seen.constFind(text);
        if (it != seen.cend()) {
            const Path element{path, {}, i};
            report(&element, u"repeats item "_s % QString::number(*it));
        } else {
            seen.insert(text, i);
        }
    }
}

void SchemaValidator::checkObject(const SchemaNode &node, const QJsonObject &object,
                                  const Path *path)
{
    for (const QString &name : node.required) {
        if (!object.contains(name)) {
            const Path member{path, name, -1};
            report(&member, u"is required"_s);
        }
    }
    if (node.minProperties && object.size() < *node.minProperties)
        report(path, u"must have at least "_s % QString::number(*node.minProperties) % u" members"_s);
    if (node.maxProperties && object.size() > *node.maxProperties)
        report(path, u"must have at most "_s % QString::number(*node.maxProperties) % u" members"_s);
    for (auto it = node.dependentRequired.cbegin(); it != node.dependentRequired.cend(); ++it) {
        if (!object.contains(it.key()))
            continue;
        for (const QString &name : *it) {
            if (!object.contains(name)) {
                const Path member{path, name, -1};
                report(&member, u"is required when "_s % it.key() % u" is present"_s);
            }
        }
    }
    if (node.properties.isEmpty() && node.patternProperties.empty() && !node.additionalProperties && !node.propertyNames)
        return;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString name = it.key();
        const Path member{path, name, -1};
        if (node.propertyNames)
            check(*node.propertyNames, name, &member);
        const auto property = node.properties.constFind(name);
        if (property != node.properties.cend())
            check(**property, it.value(), &member);
        if (checkPatternProperties(node, name, it.value(), &member) || property != node.properties.cend())
            continue;
        if (node.additionalProperties)
            check(*node.additionalProperties, it.value(), &member);
    }
}

bool SchemaValidator::checkPatternProperties(const SchemaNode &node, const QString &name, const QJsonValue &value, const Path *member)
{
    bool matched = false;
    for (const SchemaNode::PatternProperty &p : node.patternProperties) {
        if (matches(p.regex, name).value_or(false)) {
            matched = true;
            check(*p.schema, value, member);
        }
    }
    return matched;
}

void SchemaValidator::checkPatch(const SchemaNode &node, const QJsonObject &patch,
                                 const Path *path)
{
    // A merge patch object turns any non-object target into an object.
    if (!node.acceptsObjects()) {
        report(path, node.rejectAll ? u"is not allowed"_s : node.typeMessage);
        return;
    }
    for (auto it = patch.constBegin(); it != patch.constEnd(); ++it) {
        const QString name = it.key();
        const QJsonValue value = it.value();
        const Path member{path, name, -1};
        if (node.propertyNames)
            check(*node.propertyNames, name, &member);
        // The member's schemas: its property's and those of every pattern that finds its name;
        // without any, additionalProperties.
        QVarLengthArray<const SchemaNode *, 2> schemas;
        const auto property = node.properties.constFind(name);
        if (property != node.properties.cend())
            schemas.append(property->get());
        for (const SchemaNode::PatternProperty &p : node.patternProperties) {
            if (matches(p.regex, name).value_or(false))
                schemas.append(p.schema.get());
        }
        if (schemas.isEmpty() && node.additionalProperties)
            schemas.append(node.additionalProperties.get());

        if (value.isNull()) {
            // null removes the member, which only a required or forbidden member objects to.
            if (node.required.contains(name))
                report(&member, u"required property cannot be removed"_s);
            else if (std::any_of(schemas.cbegin(), schemas.cend(), [](const SchemaNode *s) { return s->rejectAll; }))
                report(&member, u"is not allowed"_s);
            continue;
        }
        for (const SchemaNode *schema : std::as_const(schemas)) {
            if (value.isObject() && schema->acceptsObjects())
                checkPatch(*schema, value.toObject(), &member);
            else
                check(*schema, value, &member);
        }
    }
}

void SchemaValidator::report(const Path *path, const QString &message)
{
    QVarLengthArray<const Path *, 8> chain;
    for (const Path *p = path; p; p = p->parent)
        chain.append(p);
    QString pointer;
    for (auto it = chain.crbegin(); it != chain.crend(); ++it) {
        const Path *p = *it;
        pointer = p->index < 0 ? JsonPointer::append(pointer, p->member)
                               : JsonPointer::append(pointer, p->index);
    }
    m_violations->append({pointer, message});
}

} // namespace Gatehouse
