#include "documentgenerator.h"

#include "generationnode.h"
#include "seededrandom.h"
#include "textgenerator.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation {

struct DocumentGenerator::Private
{
    JsonSchema schema;
    GenerationNode::Pointer root;
    QStringList problems;
};

namespace {

// What validate() puts where the engine would put the id it assigns (a version 7 UUID).
const QString kSampleId = u"0190f5d2-3c4a-7b8e-9f01-23456789abcd"_s;

// Arrays get their minimum and up to this many more items.
constexpr qint64 kExtraItems = 3;

// One document's worth of generation. In patch mode (update bodies, a JSON merge patch)
// object members never get null, which would remove them; array items are values, not patches.
class ValueWriter
{
public:
    explicit ValueWriter(SeededRandom &random) : m_random(random) {}

    QJsonValue value(const GenerationNode &node, bool patch);

private:
    QJsonValue typed(const GenerationNode &node, quint8 type, bool patch);
    QJsonValue number(const GenerationNode &node);
    QJsonValue string(const GenerationNode &node);
    QJsonArray array(const GenerationNode &node);
    QJsonObject object(const GenerationNode &node, bool patch);
    // A member's value; undefined when patch mode would have to send null.
    QJsonValue member(const GenerationNode *node, bool patch);
    QString extraName(const GenerationNode &node, const QJsonObject &taken);

    SeededRandom &m_random;
};

QJsonValue ValueWriter::value(const GenerationNode &node, bool patch)
{
    if (!node.variants.empty()) {
        QJsonValue candidate;
        for (int attempt = 0; attempt < DocumentGenerator::kAttempts; ++attempt) {
            const auto &variant = node.variants[size_t(m_random.below(node.variants.size()))];
            candidate = value(*variant, patch);
            if (!node.check || node.check->validate(candidate).isEmpty())
                return candidate;
        }
        return candidate;   // the scenario reader's check() has reported this schema
    }
    if (node.rejectAll)
        return QJsonValue(QJsonValue::Null);
    if (node.constValue)
        return *node.constValue;
    if (!node.enumValues.isEmpty()) {
        QJsonArray choices;
        for (const QJsonValue &v : node.enumValues) {
            if (!(patch && v.isNull()))
                choices.append(v);
        }
        if (choices.isEmpty())
            choices = node.enumValues;
        return choices.at(qsizetype(m_random.below(quint64(choices.size()))));
    }
    if (node.types == 0)
        return TextGenerator::words(m_random);
    // null only now and then where something else is allowed, never in a patch.
    quint8 types = node.types;
    if ((types & ~GenerationNode::NullType) && (patch || m_random.chance(0.9)))
        types &= quint8(~GenerationNode::NullType);
    QList<quint8> choices;
    for (quint8 flag = 1; flag != 0 && flag <= GenerationNode::StringType; flag = quint8(flag << 1)) {
        if (types & flag)
            choices.append(flag);
    }
    return typed(node, choices.at(qsizetype(m_random.below(quint64(choices.size())))), patch);
}

QJsonValue ValueWriter::typed(const GenerationNode &node, quint8 type, bool patch)
{
    switch (type) {
    case GenerationNode::NullType: return QJsonValue(QJsonValue::Null);
    case GenerationNode::BooleanType: return m_random.chance(0.5);
    case GenerationNode::ObjectType: return object(node, patch);
    case GenerationNode::ArrayType: return array(node);
    case GenerationNode::StringType: return string(node);
    case GenerationNode::IntegerType: {
        const qint64 steps = (node.integerHigh - node.integerLow) / node.integerStep;
        return double(node.integerLow + m_random.between(0, steps) * node.integerStep);
    }
    default: return number(node);
    }
}

QJsonValue ValueWriter::number(const GenerationNode &node)
{
    const double low = node.numberLow;
    const double high = node.numberHigh;
    const auto fits = [&](double x) {
        return (node.lowExcluded ? x > low : x >= low) && (node.highExcluded ? x < high : x <= high);
    };
    if (node.multipleOf > 0) {
        const double m = node.multipleOf;
        auto first = qint64(std::ceil(low / m));
        auto last = qint64(std::floor(high / m));
        while (first <= last && !fits(double(first) * m))
            ++first;
        while (last >= first && !fits(double(last) * m))
            --last;
        return double(m_random.between(first, last)) * m;
    }
    // Prices and measures: two decimals read naturally; fall back when rounding leaves the range.
    const double raw = m_random.uniform(low, high);
    const double rounded = std::round(raw * 100) / 100;
    if (fits(rounded))
        return rounded;
    return fits(raw) ? raw : low + (high - low) / 2;
}

QJsonValue ValueWriter::string(const GenerationNode &node)
{
    if (node.pattern) {
        if (const auto text = node.pattern->generate(m_random, node.minLength, node.maxLength))
            return *text;
    }
    if (!node.format.isEmpty()) {
        const auto text = TextGenerator::format(node.format, m_random);
        if (text && text->size() >= node.minLength && (node.maxLength < 0 || text->size() <= node.maxLength))
            return *text;
    }
    return TextGenerator::words(m_random, node.minLength, node.maxLength);
}

QJsonArray ValueWriter::array(const GenerationNode &node)
{
    qint64 most = node.maxItems < 0 ? node.minItems + kExtraItems : node.maxItems;
    if (node.noMoreItems)
        most = std::min<qint64>(most, qint64(node.prefixItems.size()));
    const qint64 count = m_random.between(node.minItems, std::min(most, node.minItems + kExtraItems));
    QJsonArray items;
    for (qint64 i = 0; i < count; ++i) {
        const GenerationNode *item = size_t(i) < node.prefixItems.size() ? node.prefixItems[size_t(i)].get()
                                                                           : node.items.get();
        QJsonValue v = item ? value(*item, false) : QJsonValue(TextGenerator::words(m_random));
        for (int attempt = 1; node.uniqueItems && items.contains(v) && attempt < DocumentGenerator::kAttempts; ++attempt)
            v = item ? value(*item, false) : QJsonValue(TextGenerator::words(m_random));
        if (node.uniqueItems && items.contains(v) && i >= node.minItems)
            break;   // no new value came up: stop at a valid length
        items.append(v);
    }
    return items;
}

QJsonValue ValueWriter::member(const GenerationNode *node, bool patch)
{
    if (!node)
        return TextGenerator::words(m_random);
    for (int attempt = 0; attempt < 4; ++attempt) {
        const QJsonValue v = value(*node, patch);
        if (!(patch && v.isNull()))
            return v;
    }
    return QJsonValue(QJsonValue::Undefined);
}

QString ValueWriter::extraName(const GenerationNode &node, const QJsonObject &taken)
{
    for (int attempt = 0; attempt < DocumentGenerator::kAttempts; ++attempt) {
        const QString name = node.propertyNames ? value(*node.propertyNames, false).toString()
                                                : u"extra_"_s % m_random.hex(4);
        if (!name.isEmpty() && !taken.contains(name) && !node.property(name))
            return name;
    }
    return {};
}

QJsonObject ValueWriter::object(const GenerationNode &node, bool patch)
{
    QJsonObject result;
    const auto add = [&](const QString &name, const GenerationNode *schema) {
        const QJsonValue v = member(schema, patch);
        if (!v.isUndefined())
            result.insert(name, v);
    };
    for (const QString &name : node.required) {
        const GenerationNode *schema = node.property(name);
        add(name, schema ? schema : node.additionalProperties.get());
    }
    qint64 room = node.maxProperties < 0 ? std::numeric_limits<qint64>::max() : node.maxProperties - result.size();
    std::vector<const std::pair<QString, GenerationNode::Pointer> *> skipped;
    for (const auto &property : node.properties) {
        if (node.required.contains(property.first) || property.second->rejectAll)
            continue;
        if (room > 0 && m_random.chance(0.5)) {
            add(property.first, property.second.get());
            --room;
        } else {
            skipped.push_back(&property);
        }
    }
    // minProperties: the declared properties left out first, then made-up ones where allowed.
    for (size_t i = 0; i < skipped.size() && result.size() < node.minProperties; ++i)
        add(skipped[i]->first, skipped[i]->second.get());
    while (result.size() < node.minProperties && !node.noAdditionalProperties) {
        const QString name = extraName(node, result);
        if (name.isEmpty())
            break;
        add(name, node.additionalProperties.get());
    }
    return result;
}

} // namespace

DocumentGenerator::DocumentGenerator()
    : DocumentGenerator(QJsonObject{{u"type"_s, u"object"_s}})
{
}

DocumentGenerator::DocumentGenerator(const QJsonObject &schema)
{
    auto p = std::make_shared<Private>();
    p->schema = JsonSchema::compile(schema, &p->problems);
    p->root = GenerationNodeBuilder(&p->problems).build(schema, QString());
    d = std::move(p);
}

DocumentGenerator::~DocumentGenerator() = default;
DocumentGenerator::DocumentGenerator(const DocumentGenerator &) = default;
DocumentGenerator &DocumentGenerator::operator=(const DocumentGenerator &) = default;

QStringList DocumentGenerator::problems() const
{
    return d->problems;
}

const JsonSchema &DocumentGenerator::schema() const
{
    return d->schema;
}

QJsonValue DocumentGenerator::generateValue(SeededRandom &random) const
{
    return ValueWriter(random).value(*d->root, false);
}

QJsonObject DocumentGenerator::generate(SeededRandom &random) const
{
    QJsonObject document = ValueWriter(random).value(*d->root, false).toObject();
    document.remove(u"id"_s);
    return document;
}

QJsonObject DocumentGenerator::generateUpdate(SeededRandom &random) const
{
    QJsonObject document = ValueWriter(random).value(*d->root, true).toObject();
    document.remove(u"id"_s);
    return document;
}

QList<SchemaViolation> DocumentGenerator::validate(const QJsonObject &document) const
{
    QJsonObject withId = document;
    if (!withId.contains(u"id"))
        withId.insert(u"id"_s, kSampleId);
    return d->schema.validate(withId);
}

QList<SchemaViolation> DocumentGenerator::validateUpdate(const QJsonObject &document) const
{
    return d->schema.validatePatch(document);
}

QStringList DocumentGenerator::check(int samples, quint64 seed) const
{
    // Samples of a schema with known problems would only repeat them in other words.
    if (!d->problems.isEmpty())
        return d->problems;
    QStringList violations;
    const SeededRandom base(seed);
    for (int i = 0; i < samples && violations.size() < 5; ++i) {
        SeededRandom createRandom = base.fork(2 * quint64(i));
        SeededRandom updateRandom = base.fork(2 * quint64(i) + 1);
        for (const SchemaViolation &v : validate(generate(createRandom)) + validateUpdate(generateUpdate(updateRandom))) {
            const QString line = u"generated documents do not validate: "_s % (v.path.isEmpty() ? u"(root)"_s : v.path)
                % u": "_s % v.message;
            if (!violations.contains(line) && violations.size() < 5)
                violations.append(line);
        }
    }
    return violations;
}

} // namespace Gatehouse::Simulation
