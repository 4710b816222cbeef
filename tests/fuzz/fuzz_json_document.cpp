// A JSON text from outside (a command body, a document patch, a collection's schema) through
// the engine's JSON handling: the strict parser (engine/config/strictjson.*), JSON Schema
// compilation and validation (jsonschema.*), and JSON Merge Patch (jsonmergepatch.*).
// Checked besides memory safety and bounded recursion:
//  - what the strict parser accepts Qt's parser reads the same, within the depth limit, and the
//    engine's canonical serialisation of it reads back (strictly) as the same value -- the
//    store keeps that serialisation, so the read side must always be able to parse it;
//  - merge patch is idempotent (RFC 7386), applyTo() agrees with apply(), and a patch that
//    validates against a flat schema keeps a valid document valid;
//  - the text compiled as a schema validates the fixed documents and itself without crashing,
//    and a schema without errors agrees with `not`, `anyOf` and `oneOf` wrapped around it;
//  - the text read as a collection declaration (PUT /admin/collections/{name}) either fails
//    with errors that each carry a pointer or a message, or reads back the same from what it
//    writes (schema, indexes and indexed fields).

#include "fuzzsupport.h"

#include "config/collection.h"
#include "config/jsonmergepatch.h"
#include "config/jsonschema.h"

#include "config/rawjson.h"
#include "config/strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <cstdint>
#include <optional>

using namespace Gatehouse;

namespace {

// Top-level members only have "required", so a valid patch of a valid document stays valid.
const char *const kProductSchema = R"json({
  "type": "object",
  "required": ["id", "name", "price"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 80},
    "price": {"type": "number", "minimum": 0, "exclusiveMaximum": 1000000},
    "qty": {"type": "integer", "minimum": -5, "maximum": 500},
    "active": {"type": "boolean"},
    "kind": {"enum": ["book", "game", null, 3]},
    "version": {"const": 1},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 5},
    "note": {"type": ["string", "null"]},
    "dimensions": {"type": "object", "properties": {"w": {"type": "number"}, "h": {"type": "number"},
                   "unit": {"type": "string", "enum": ["mm", "cm"]}}, "additionalProperties": false}
  }
})json";

const char *const kProduct = R"json({"id": "p-1", "name": "Lamp", "price": 19.5, "qty": 3, "active": true,
  "tags": ["home"], "dimensions": {"w": 10, "h": 30, "unit": "cm"}})json";

const JsonSchema &productSchema()
{
    static const JsonSchema schema = [] {
        QStringList errors;
        JsonSchema s = JsonSchema::compile(QJsonDocument::fromJson(kProductSchema).object(), &errors);
        if (!errors.isEmpty())
            Fuzz::fail(__FILE__, __LINE__, "compile", errors.join(QLatin1Char('\n')));
        return s;
    }();
    return schema;
}

const QJsonObject &product()
{
    static const QJsonObject doc = QJsonDocument::fromJson(kProduct).object();
    return doc;
}

std::optional<QJsonValue> parse(const QByteArray &text)
{
    StrictJson::Error error;
    auto value = StrictJson::parse(text, &error);
    FUZZ_CHECK(StrictJson::check(text) == value.has_value(), QStringLiteral("check() and parse() disagree"));
    if (!value) {
        FUZZ_CHECK(!error.message.isEmpty() && error.offset >= 0 && error.offset <= text.size(),
                   QStringLiteral("refused without a message or offset: %1").arg(error.toString()));
        return std::nullopt;
    }
    FUZZ_CHECK(StrictJson::depth(*value) <= StrictJson::kMaxDepth, QStringLiteral("accepted past the depth limit"));
    // Every text the strict parser accepts, Qt's parser accepts as the same value.
    const QJsonDocument lenient = QJsonDocument::fromJson("[" + text + "]");
    FUZZ_CHECK(lenient.isArray() && lenient.array().size() == 1 && lenient.array().first() == *value,
               QStringLiteral("strict and Qt's parser disagree on %1").arg(Fuzz::printable(text)));
    // The canonical form is what the store keeps and the read side parses again.
    const QByteArray stored = StrictJson::canonical(*value);
    const auto again = StrictJson::parse(stored, &error);
    FUZZ_CHECK(again.has_value(), QStringLiteral("canonical form refused (%1): %2").arg(error.toString(), Fuzz::printable(stored)));
    FUZZ_CHECK(*again == *value, QStringLiteral("canonical form reads back differently: %1").arg(Fuzz::printable(stored)));
    FUZZ_CHECK(StrictJson::canonical(*again) == stored, QStringLiteral("canonical form is not stable: %1").arg(Fuzz::printable(stored)));
    return value;
}

void checkMergePatch(const QJsonValue &patch)
{
    const QJsonValue once = JsonMergePatch::apply(product(), patch);
    const QJsonValue twice = JsonMergePatch::apply(once, patch);
    FUZZ_CHECK(once == twice, QStringLiteral("merge patch is not idempotent"));
    if (patch.isObject()) {
        QJsonObject inPlace = product();
        JsonMergePatch::applyTo(inPlace, patch.toObject());
        FUZZ_CHECK(QJsonValue(inPlace) == once, QStringLiteral("applyTo() and apply() differ"));
        FUZZ_CHECK(patch.toObject().contains(QStringLiteral("id"))
                       || inPlace.value(QStringLiteral("id")) == product().value(QStringLiteral("id")),
                   QStringLiteral("a patch without id changed the id"));
        if (productSchema().validatePatch(patch.toObject()).isEmpty()) {
            const auto violations = productSchema().validate(once);
            FUZZ_CHECK(violations.isEmpty(), QStringLiteral("a valid patch made the document invalid: %1 %2")
                                                  .arg(violations.value(0).path, violations.value(0).message));
        }
    }
    // The other way round: the input as the document, the fixed product as the patch.
    (void)JsonMergePatch::apply(patch, product());
}

void checkAsSchema(const QJsonObject &schemaJson, const QJsonValue &self)
{
    QStringList errors;
    const JsonSchema schema = JsonSchema::compile(schemaJson, &errors, QStringLiteral("/schema"));
    for (const QString &e : errors)
        FUZZ_CHECK(e.startsWith(QLatin1String("/schema")), QStringLiteral("error without the base pointer: %1").arg(e));
    (void)schema.validate(product());
    (void)schema.validate(self);
    (void)schema.validatePatch(product());
    (void)JsonSchema::unsupportedKeywords(schemaJson, QStringLiteral("/schema"));
    if (errors.isEmpty() && StrictJson::depth(schemaJson) < StrictJson::kMaxDepth - 2) {
        // The applicators agree with the schema they wrap: `not` inverts its verdict, anyOf
        // and oneOf of it alone keep it -- unless a pattern gave up, which refuses both.
        const auto gaveUp = [](const QList<SchemaViolation> &violations) {
            return std::any_of(violations.cbegin(), violations.cend(),
                               [](const SchemaViolation &v) { return v.message.contains(QLatin1String("matching budget")); });
        };
        const QList<SchemaViolation> own = schema.validate(self);
        const bool passes = own.isEmpty();
        for (const char *wrap : {"not", "anyOf", "oneOf"}) {
            if (gaveUp(own))
                break;
            const QJsonValue inner = QLatin1String(wrap) == QLatin1String("not") ? QJsonValue(schemaJson) : QJsonValue(QJsonArray{schemaJson});
            QStringList wrapErrors;
            const JsonSchema wrapped = JsonSchema::compile(QJsonObject{{QLatin1String(wrap), inner}}, &wrapErrors);
            FUZZ_CHECK(wrapErrors.isEmpty(), wrapErrors.join(u"; "));
            const QList<SchemaViolation> theirs = wrapped.validate(self);
            if (gaveUp(theirs))
                break;   // the time budget may run out in one run and not in the other
            const bool wrappedPasses = theirs.isEmpty();
            FUZZ_CHECK(wrappedPasses == (QLatin1String(wrap) == QLatin1String("not") ? !passes : passes),
                       QStringLiteral("%1 of the schema disagrees with it").arg(QLatin1String(wrap)));
        }
    }
    for (const QString &name : schema.propertyNames())
        (void)schema.propertyType(name);
    (void)schema.toJson();
}

void checkAsCollection(const QJsonObject &body)
{
    QStringList errors;
    const Collection c = Collection::fromJson(QStringLiteral("fuzzed"), body, &errors);
    for (const QString &e : errors)
        FUZZ_CHECK(!e.isEmpty(), QStringLiteral("an empty error"));
    if (!errors.isEmpty())
        return;
    QJsonObject written = c.toJson();
    written.remove(QStringLiteral("name"));
    QStringList again;
    const Collection back = Collection::fromJson(QStringLiteral("fuzzed"), written, &again);
    FUZZ_CHECK(again.isEmpty(), QStringLiteral("what a collection writes does not read back: %1").arg(again.value(0)));
    FUZZ_CHECK(back.indexedFields == c.indexedFields && back.declaredIndexes == c.declaredIndexes
                   && back.toJson() == c.toJson(),
               QStringLiteral("a collection reads back differently"));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    Fuzz::quietLogs();
    productSchema();
    return 0;
}

// RawJson::arrayMember() on any text stays inside it; on an object the strict parser accepted, each
// plainly named array member comes back element by element, each reading as that element.
static void checkRawArrayMembers(const QByteArray &text, const std::optional<QJsonValue> &value)
{
    for (const QByteArrayView e : RawJson::arrayMember(text, "m"))
        FUZZ_CHECK(e.data() >= text.constData() && e.data() + e.size() <= text.constData() + text.size(), QStringLiteral("a slice outside the text"));
    if (!value || !value->isObject())
        return;
    const QJsonObject object = value->toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_]+$"));
        if (!it.value().isArray() || !plain.match(it.key()).hasMatch())
            continue;
        const QJsonArray array = it.value().toArray();
        const QList<QByteArrayView> raw = RawJson::arrayMember(text, it.key().toLatin1());
        FUZZ_CHECK(raw.size() == array.size(), QStringLiteral("member %1: %2 raw elements for %3").arg(it.key()).arg(raw.size()).arg(array.size()));
        for (qsizetype i = 0; i < raw.size() && i < array.size(); ++i) {
            const std::optional<QJsonValue> element = StrictJson::parse(raw.at(i));
            FUZZ_CHECK(element && *element == array.at(i), QStringLiteral("member %1: element %2 reads differently").arg(it.key()).arg(i));
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    const std::optional<QJsonValue> value = parse(text);
    checkRawArrayMembers(text, value);
    if (!value)
        return 0;
    const auto violations = productSchema().validate(*value);
    for (const SchemaViolation &v : violations)
        FUZZ_CHECK(!v.message.isEmpty() && (v.path.isEmpty() || v.path.startsWith(QLatin1Char('/'))),
                   QStringLiteral("violation '%1' at '%2'").arg(v.message, v.path));
    if (value->isObject())
        (void)productSchema().validatePatch(value->toObject());
    checkMergePatch(*value);
    if (value->isObject()) {
        checkAsSchema(value->toObject(), *value);
        checkAsCollection(value->toObject());
    }
    return 0;
}
