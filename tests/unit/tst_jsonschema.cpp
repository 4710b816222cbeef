// The JSON Schema subset that guards every command: each keyword, nesting, several
// violations at once, merge-patch validation, and schemas rejected at compile time.
#include "config/jsonschema.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// Any JSON text, scalars included (QJsonDocument only parses arrays and objects).
QJsonValue parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson("[" + json + "]", &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", json.constData());
    return document.array().at(0);
}

QStringList describe(const QList<SchemaViolation> &violations)
{
    QStringList lines;
    for (const SchemaViolation &v : violations)
        lines.append((v.path.isEmpty() ? u"(root)"_s : v.path) % u": "_s % v.message);
    return lines;
}

JsonSchema compileOrFail(const QByteArray &schema)
{
    QStringList errors;
    const JsonSchema compiled = JsonSchema::compile(parse(schema).toObject(), &errors);
    if (!errors.isEmpty())
        qFatal("test schema does not compile: %s", qPrintable(errors.join(u"; ")));
    return compiled;
}

const QByteArray productSchema = R"({
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "index": true},
        "price": {"type": "number", "minimum": 0, "index": true},
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{3}$", "index": true},
        "stock": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
        "dims": {"type": "object", "required": ["w", "h"], "additionalProperties": false,
                 "properties": {"w": {"type": "number"}, "h": {"type": "number"}}},
        "description": {"type": "string"}
    },
    "required": ["name", "price"],
    "additionalProperties": false
})";

} // namespace

class tst_JsonSchema : public QObject
{
    Q_OBJECT

private slots:
    void validate_data();
    void validate();
    void validatePatch_data();
    void validatePatch();
    void patchOfMembersNamedByPatterns();
    void patternsThatGiveUpFailClosed_data();
    void patternsThatGiveUpFailClosed();
    void compileErrors_data();
    void compileErrors();
    void compileErrorsUseBasePointer();
    void defaultSchemaAcceptsAnything();
    void introspection();
    void concurrentValidation();
};

void tst_JsonSchema::validate_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QStringList>("expected");

    const QStringList ok;
    auto row = [](const char *name, const QByteArray &schema, const QByteArray &value,
                  const QStringList &expected) {
        QTest::newRow(name) << schema << value << expected;
    };

    // type
    row("string ok", R"({"type":"string"})", R"("a")", ok);
    row("string vs number", R"({"type":"string"})", "5", {u"(root): must be a string"_s});
    row("number vs string", R"({"type":"number"})", R"("5")", {u"(root): must be a number"_s});
    row("number takes integer", R"({"type":"number"})", "7", ok);
    row("integer 3", R"({"type":"integer"})", "3", ok);
    row("integer 3.0", R"({"type":"integer"})", "3.0", ok);
    row("integer -0", R"({"type":"integer"})", "-0", ok);
    row("integer 3.5", R"({"type":"integer"})", "3.5", {u"(root): must be an integer"_s});
    row("integer 1e300", R"({"type":"integer"})", "1e300", ok);
    row("boolean vs 0", R"({"type":"boolean"})", "0", {u"(root): must be a boolean"_s});
    row("boolean ok", R"({"type":"boolean"})", "false", ok);
    row("null ok", R"({"type":"null"})", "null", ok);
    row("null vs string", R"({"type":"null"})", R"("")", {u"(root): must be null"_s});
    row("object vs array", R"({"type":"object"})", "[]", {u"(root): must be an object"_s});
    row("array vs object", R"({"type":"array"})", "{}", {u"(root): must be an array"_s});
    row("union with null", R"({"type":["string","null"]})", "null", ok);
    row("union mismatch", R"({"type":["string","null"]})", "1",
        {u"(root): must be a string or null"_s});
    row("union of three", R"({"type":["boolean","string","number"]})", "{}",
        {u"(root): must be a string, a number or a boolean"_s});
    row("number covers integer", R"({"type":["integer","number"]})", "[]",
        {u"(root): must be a number"_s});
    row("type mismatch hides other keywords", R"({"type":"string","minLength":5,"enum":["x"]})",
        "3", {u"(root): must be a string"_s});

    // required, properties, additionalProperties
    row("required missing", R"({"required":["a","b"]})", R"({"b":1})", {u"/a: is required"_s});
    row("required all missing", R"({"required":["a","b"]})", "{}",
        {u"/a: is required"_s, u"/b: is required"_s});
    row("required null counts as present", R"({"required":["a"]})", R"({"a":null})", ok);
    row("required escapes pointer", R"({"required":["a/b","c~d"]})", "{}",
        {u"/a~1b: is required"_s, u"/c~0d: is required"_s});
    row("required ignores non-objects", R"({"required":["a"]})", "[]", ok);
    row("property type", R"({"properties":{"a":{"type":"string"}}})", R"({"a":1,"b":2})",
        {u"/a: must be a string"_s});
    row("nested object", R"({"properties":{"d":{"properties":{"w":{"type":"number"}}}}})",
        R"({"d":{"w":"wide"}})", {u"/d/w: must be a number"_s});
    row("nested required", R"({"properties":{"d":{"required":["w"]}}})", R"({"d":{}})",
        {u"/d/w: is required"_s});
    row("additional false", R"({"properties":{"a":{}},"additionalProperties":false})",
        R"({"a":1,"b":2,"c":3})", {u"/b: is not allowed"_s, u"/c: is not allowed"_s});
    row("additional true", R"({"properties":{"a":{}},"additionalProperties":true})",
        R"({"a":1,"b":2})", ok);
    row("additional schema", R"({"properties":{"a":{}},"additionalProperties":{"type":"number"}})",
        R"({"a":"x","b":2,"c":"y"})", {u"/c: must be a number"_s});
    row("additional escapes pointer", R"({"additionalProperties":false})", R"({"a~b/c":1})",
        {u"/a~0b~1c: is not allowed"_s});
    row("false property schema", R"({"properties":{"x":false}})", R"({"x":1})",
        {u"/x: is not allowed"_s});
    row("true property schema", R"({"properties":{"x":true}})", R"({"x":1})", ok);

    // enum and const
    row("enum ok", R"({"enum":["a","b"]})", R"("b")", ok);
    row("enum miss", R"({"enum":["a","b"]})", R"("c")", {u"(root): must be one of: a, b"_s});
    row("enum mixed", R"({"enum":[1,2.5,null,true]})", "3",
        {u"(root): must be one of: 1, 2.5, null, true"_s});
    row("enum 1 equals 1.0", R"({"enum":[1]})", "1.0", ok);
    row("enum object", R"({"enum":[{"a":1}]})", R"({"a":1})", ok);
    row("enum object miss", R"({"enum":[{"a":1}]})", R"({"a":2})",
        {u"(root): must be one of: {\"a\":1}"_s});
    row("const ok", R"({"const":"x"})", R"("x")", ok);
    row("const miss", R"({"const":"x"})", R"("y")", {u"(root): must be x"_s});
    row("const array", R"({"const":[1,2]})", "[2,1]", {u"(root): must be [1,2]"_s});

    // numbers
    row("minimum ok at bound", R"({"minimum":0})", "0", ok);
    row("minimum", R"({"minimum":0})", "-1", {u"(root): must be >= 0"_s});
    row("minimum fraction", R"({"minimum":0.1})", "0.05", {u"(root): must be >= 0.1"_s});
    row("maximum", R"({"maximum":10})", "10.5", {u"(root): must be <= 10"_s});
    row("maximum ok at bound", R"({"maximum":10})", "10", ok);
    row("exclusiveMinimum", R"({"exclusiveMinimum":0})", "0", {u"(root): must be > 0"_s});
    row("exclusiveMinimum ok", R"({"exclusiveMinimum":0})", "0.001", ok);
    row("exclusiveMaximum", R"({"exclusiveMaximum":1.5})", "1.5", {u"(root): must be < 1.5"_s});
    row("range both broken", R"({"minimum":5,"exclusiveMaximum":3})", "4",
        {u"(root): must be >= 5"_s, u"(root): must be < 3"_s});
    row("numeric keywords skip strings", R"({"minimum":0,"maximum":1})", R"("abc")", ok);

    // strings
    row("minLength", R"({"minLength":1})", R"("")", {u"(root): must have at least 1 characters"_s});
    row("maxLength", R"({"maxLength":3})", R"("abcd")",
        {u"(root): must have at most 3 characters"_s});
    row("maxLength ok", R"({"maxLength":3})", R"("abc")", ok);
    row("length counts code points", R"({"maxLength":2})", "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"",
        ok);
    row("length counts code points (over)", R"({"maxLength":1})",
        "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"", {u"(root): must have at most 1 characters"_s});
    row("length of one emoji", R"({"minLength":2})", "\"\xF0\x9F\x98\x80\"",
        {u"(root): must have at least 2 characters"_s});
    row("length of accented text", R"({"maxLength":4})", "\"caf\xC3\xA9\"", ok);
    row("length keywords skip numbers", R"({"minLength":3})", "1", ok);
    row("pattern ok", R"({"pattern":"^[A-Z]{3}-[0-9]{3}$"})", R"("ABC-123")", ok);
    row("pattern miss", R"({"pattern":"^[A-Z]{3}-[0-9]{3}$"})", R"("abc-123")",
        {u"(root): must match ^[A-Z]{3}-[0-9]{3}$"_s});
    row("pattern $ is end of input", R"({"pattern":"^[A-Z]{3}-[0-9]{3}$"})", R"("ABC-123\n")",
        {u"(root): must match ^[A-Z]{3}-[0-9]{3}$"_s});
    row("pattern $ in a class", R"({"pattern":"^[$]+$"})", R"("$$")", ok);
    row("pattern escaped $", R"({"pattern":"^\\$[0-9]+$"})", R"("$12")", ok);
    row("pattern is a search", R"({"pattern":"[0-9]"})", R"("abc1def")", ok);
    row("pattern search miss", R"({"pattern":"[0-9]"})", R"("abcdef")",
        {u"(root): must match [0-9]"_s});
    row("pattern skips numbers", R"({"pattern":"^a$"})", "1", ok);
    row("several string keywords", R"({"type":"string","minLength":5,"pattern":"^[0-9]+$"})",
        R"("ab")", {u"(root): must have at least 5 characters"_s, u"(root): must match ^[0-9]+$"_s});

    // arrays
    row("items", R"({"items":{"type":"string"}})", R"(["a",1,"b",true])",
        {u"/1: must be a string"_s, u"/3: must be a string"_s});
    row("items ok", R"({"items":{"type":"string"}})", R"(["a","b"])", ok);
    row("minItems", R"({"minItems":2})", "[1]", {u"(root): must have at least 2 items"_s});
    row("maxItems", R"({"maxItems":1})", "[1,2]", {u"(root): must have at most 1 items"_s});
    row("array keywords skip objects", R"({"minItems":2,"items":false})", "{}", ok);
    row("items false", R"({"items":false})", "[1]", {u"/0: is not allowed"_s});
    row("array of objects",
        R"({"type":"array","items":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}})",
        R"([{"id":"a"},{},{"id":3}])", {u"/1/id: is required"_s, u"/2/id: must be a string"_s});
    row("matrix", R"({"items":{"items":{"type":"integer"}}})", "[[1,2],[3,4.5]]",
        {u"/1/1: must be an integer"_s});

    row("uniqueItems", R"({"uniqueItems":true})", R"(["a","b","a",1,1.0,{"x":1},{"x":1}])",
        {u"/2: repeats item 0"_s, u"/4: repeats item 3"_s, u"/6: repeats item 5"_s});
    row("uniqueItems ok", R"({"uniqueItems":true})", R"(["a","b",1,"1",[1],{"x":2}])", ok);
    row("prefixItems", R"({"prefixItems":[{"type":"string"},{"enum":["==","in"]}],"items":{"type":"number"}})",
        R"([1,"~",2,"x"])", {u"/0: must be a string"_s, u"/1: must be one of: ==, in"_s, u"/3: must be a number"_s});
    row("prefixItems shorter array", R"({"prefixItems":[{"type":"string"},{"type":"string"}]})", R"(["a"])", ok);

    // objects as a whole
    row("minProperties", R"({"minProperties":1})", "{}", {u"(root): must have at least 1 members"_s});
    row("maxProperties", R"({"maxProperties":1})", R"({"a":1,"b":2})", {u"(root): must have at most 1 members"_s});
    row("propertyNames", R"({"propertyNames":{"pattern":"^[a-z]+:[0-9]+$"}})", R"({"a:1":1,"b":2})",
        {u"/b: must match ^[a-z]+:[0-9]+$"_s});

    // numbers, objects and arrays: the rest of 2020-12's validation vocabulary
    row("multipleOf integer", R"({"multipleOf":5})", "15", ok);
    row("multipleOf integer off", R"({"multipleOf":5})", "16", {u"(root): must be a multiple of 5"_s});
    row("multipleOf decimal", R"({"multipleOf":0.01})", "19.99", ok);
    row("multipleOf 0.1 of 0.3", R"({"multipleOf":0.1})", "0.3", ok);
    row("multipleOf decimal off", R"({"multipleOf":0.01})", "19.995", {u"(root): must be a multiple of 0.01"_s});
    row("multipleOf huge quotient", R"({"multipleOf":1e-300})", "1e300", {u"(root): must be a multiple of 1e-300"_s});
    row("multipleOf odd past 2^30", R"({"multipleOf":2})", "1000000001", {u"(root): must be a multiple of 2"_s});
    row("multipleOf odd past 2^33", R"({"multipleOf":2})", "12345678901", {u"(root): must be a multiple of 2"_s});
    row("multipleOf tiny fraction", R"({"multipleOf":1})", "1e-10", {u"(root): must be a multiple of 1"_s});
    row("multipleOf half past 2^32", R"({"multipleOf":1})", "5000000000.5", {u"(root): must be a multiple of 1"_s});
    row("multipleOf larger than the number", R"({"multipleOf":1e10})", "4.9", {u"(root): must be a multiple of 10000000000"_s});
    row("multipleOf just short", R"({"multipleOf":1000})", "999.9999999", {u"(root): must be a multiple of 1000"_s});
    row("multipleOf fine decimals", R"({"multipleOf":1e-9})", "0.1234567891", {u"(root): must be a multiple of 1e-09"_s});
    row("multipleOf large even", R"({"multipleOf":2})", "9007199254740992", ok);
    row("multipleOf negative decimal", R"({"multipleOf":0.01})", "-4.35", ok);
    row("multipleOf 0.05 of 123.45", R"({"multipleOf":0.05})", "123.45", ok);
    row("multipleOf 1.1 of 3.3", R"({"multipleOf":1.1})", "3.3", ok);
    row("multipleOf float division overflows", R"({"type":"integer","multipleOf":0.123456789})", "1e308",
        {u"(root): must be a multiple of 0.123456789"_s});
    row("patternProperties", R"({"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false})",
        R"({"x-a":"s","x-b":2,"y":1})", {u"/x-b: must be a string"_s, u"/y: is not allowed"_s});
    row("patternProperties and properties both apply", R"({"properties":{"x-n":{"maximum":3}},"patternProperties":{"^x-":{"type":"integer"}}})",
        R"({"x-n":4.5})", {u"/x-n: must be <= 3"_s, u"/x-n: must be an integer"_s});
    row("dependentRequired", R"({"dependentRequired":{"card":["expiry","cvc"]}})", R"({"card":"4111","cvc":"1"})",
        {u"/expiry: is required when card is present"_s});
    row("dependentRequired absent trigger", R"({"dependentRequired":{"card":["expiry"]}})", R"({"cash":1})", ok);
    row("dependentRequired, several, in name order", R"({"dependentRequired":{"zeta":["z1"],"card":["expiry"],"mid":["m2","m1"],"alpha":["a1"]}})",
        R"({"zeta":1,"card":1,"mid":1,"alpha":1})",
        {u"/a1: is required when alpha is present"_s, u"/expiry: is required when card is present"_s,
         u"/m2: is required when mid is present"_s, u"/m1: is required when mid is present"_s, u"/z1: is required when zeta is present"_s});
    row("contains", R"({"contains":{"const":"admin"}})", R"(["user","admin"])", ok);
    row("contains none", R"({"contains":{"const":"admin"}})", R"(["user"])",
        {u"(root): must contain an item that matches `contains`"_s});
    row("min and maxContains", R"({"contains":{"type":"integer"},"minContains":2,"maxContains":3})", R"([1,"a"])",
        {u"(root): must contain at least 2 items that match `contains`"_s});
    row("maxContains", R"({"contains":{"type":"integer"},"maxContains":1})", R"([1,2])",
        {u"(root): must contain at most 1 items that match `contains`"_s});

    // applicators
    row("allOf", R"({"allOf":[{"minimum":1},{"maximum":3}]})", "5", {u"(root): must be <= 3"_s});
    row("if then", R"({"if":{"properties":{"t":{"const":"q"}},"required":["t"]},"then":{"required":["c"]},"else":{"properties":{"c":false}}})",
        R"({"t":"q"})", {u"/c: is required"_s});
    row("if else", R"({"if":{"properties":{"t":{"const":"q"}},"required":["t"]},"then":{"required":["c"]},"else":{"properties":{"c":false}}})",
        R"({"t":"e","c":"x"})", {u"/c: is not allowed"_s});
    row("if without else", R"({"if":{"type":"string"},"then":{"minLength":2}})", "5", ok);
    row("not", R"({"not":{"type":"string"}})", R"("s")", {u"(root): is not allowed"_s});
    row("not passes", R"({"not":{"type":"string"}})", "1", ok);
    row("anyOf one matches", R"({"anyOf":[{"type":"string"},{"minimum":5}]})", "7", ok);
    row("anyOf none matches", R"({"anyOf":[{"type":"string"},{"minimum":5}]})", "3",
        {u"(root): must match a schema in anyOf"_s});
    row("oneOf exactly one", R"({"oneOf":[{"type":"integer"},{"type":"string"}]})", R"("x")", ok);
    row("oneOf none", R"({"oneOf":[{"type":"integer"},{"type":"string"}]})", "1.5",
        {u"(root): must match exactly one schema in oneOf (matches none)"_s});
    row("oneOf two", R"({"oneOf":[{"type":"number"},{"minimum":0}]})", "4",
        {u"(root): must match exactly one schema in oneOf (matches more)"_s});
    row("oneOf discriminated", R"({"oneOf":[{"properties":{"k":{"const":"a"},"a":{"type":"string"}},"required":["k","a"]},)"
                               R"({"properties":{"k":{"const":"b"},"b":{"type":"number"}},"required":["k","b"]}]})",
        R"({"k":"b","b":"not a number"})", {u"(root): must match exactly one schema in oneOf (matches none)"_s});
    row("errorMessage replaces everything below", R"({"properties":{"x":{"type":"object","required":["a","b"],"errorMessage":"needs a and b"}}})",
        R"({"x":{}})", {u"/x: needs a and b"_s});
    row("errorMessage on not", R"({"additionalProperties":{"not":{},"errorMessage":"unknown member"}})",
        R"({"q":1})", {u"/q: unknown member"_s});
    row("errorMessage silent when valid", R"({"type":"string","errorMessage":"text please"})", R"("t")", ok);

    // everything at once
    row("product, many violations", productSchema,
        R"({"name":"","price":-1,"sku":"bad","stock":1.5,"tags":["a",2],"extra":true,
            "dims":{"w":"x"}})",
        {u"/dims/h: is required"_s, u"/dims/w: must be a number"_s, u"/extra: is not allowed"_s,
         u"/name: must have at least 1 characters"_s, u"/price: must be >= 0"_s,
         u"/sku: must match ^[A-Z]{3}-[0-9]{3}$"_s, u"/stock: must be an integer"_s,
         u"/tags/1: must be a string"_s});
    row("product, missing required", productSchema, "{}",
        {u"/name: is required"_s, u"/price: is required"_s});
    row("product, valid", productSchema,
        R"({"id":"p1","name":"Widget","price":9.5,"sku":"ABC-123","stock":2,"tags":[],
            "dims":{"w":1,"h":2}})", ok);
    row("annotations and unknown keywords",
        R"({"title":"T","description":"d","default":5,"index":true,"format":"email","x-y":1})",
        R"("anything")", ok);
    row("empty schema", "{}", R"({"a":[1,{"b":null}]})", ok);
}

void tst_JsonSchema::validate()
{
    QFETCH(QByteArray, schema);
    QFETCH(QByteArray, value);
    QFETCH(QStringList, expected);

    const JsonSchema compiled = compileOrFail(schema);
    QCOMPARE(describe(compiled.validate(parse(value))), expected);
}

void tst_JsonSchema::validatePatch_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QStringList>("expected");

    const QStringList ok;
    QTest::newRow("empty") << QByteArray("{}") << ok;
    QTest::newRow("partial") << QByteArray(R"({"price":10})") << ok;
    QTest::newRow("several members") << QByteArray(R"({"price":10,"sku":"XYZ-999","tags":["a"]})")
                                     << ok;
    QTest::newRow("null on required") << QByteArray(R"({"name":null})")
                                      << QStringList{u"/name: required property cannot be removed"_s};
    QTest::newRow("null on optional") << QByteArray(R"({"sku":null,"dims":null})") << ok;
    QTest::newRow("unknown member") << QByteArray(R"({"colour":"red"})")
                                    << QStringList{u"/colour: is not allowed"_s};
    QTest::newRow("unknown member removed") << QByteArray(R"({"colour":null})")
                                            << QStringList{u"/colour: is not allowed"_s};
    QTest::newRow("bad values") << QByteArray(R"({"price":-5,"stock":"x","name":""})")
                                << QStringList{u"/name: must have at least 1 characters"_s,
                                               u"/price: must be >= 0"_s,
                                               u"/stock: must be an integer"_s};
    QTest::newRow("array replaced whole") << QByteArray(R"({"tags":["a",1]})")
                                          << QStringList{u"/tags/1: must be a string"_s};
    QTest::newRow("nested partial") << QByteArray(R"({"dims":{"w":2}})") << ok;
    QTest::newRow("nested bad value") << QByteArray(R"({"dims":{"w":"x"}})")
                                      << QStringList{u"/dims/w: must be a number"_s};
    QTest::newRow("nested required removed")
        << QByteArray(R"({"dims":{"h":null}})")
        << QStringList{u"/dims/h: required property cannot be removed"_s};
    QTest::newRow("nested unknown") << QByteArray(R"({"dims":{"d":1}})")
                                    << QStringList{u"/dims/d: is not allowed"_s};
    QTest::newRow("object for a string") << QByteArray(R"({"name":{"first":"W"}})")
                                         << QStringList{u"/name: must be a string"_s};
    QTest::newRow("everything wrong")
        << QByteArray(R"({"name":null,"price":"free","extra":1,"dims":{"w":null}})")
        << QStringList{u"/dims/w: required property cannot be removed"_s,
                       u"/extra: is not allowed"_s,
                       u"/name: required property cannot be removed"_s,
                       u"/price: must be a number"_s};
}

void tst_JsonSchema::validatePatch()
{
    QFETCH(QByteArray, patch);
    QFETCH(QStringList, expected);

    const JsonSchema schema = compileOrFail(productSchema);
    QCOMPARE(describe(schema.validatePatch(parse(patch).toObject())), expected);
}

void tst_JsonSchema::patchOfMembersNamedByPatterns()
{
    // A member a pattern names is patched as a property's is: member by member, a null removes.
    const JsonSchema schema = compileOrFail(R"({"type":"object","additionalProperties":false,
        "properties":{"m_fixed":{"type":"object","properties":{"x":{"type":"string"}},"required":["x"]}},
        "patternProperties":{"^m_":{"type":"object","properties":{"x":{"type":"string"},"y":{"type":"integer"}},"required":["x"]},
                             "^no_":false}})");
    auto patch = [&](const char *text) { return describe(schema.validatePatch(parse(text).toObject())); };
    QCOMPARE(patch(R"({"m_1":{"y":2}})"), QStringList());
    QCOMPARE(patch(R"({"m_1":{"y":null}})"), QStringList());
    QCOMPARE(patch(R"({"m_1":{"z":5}})"), QStringList());
    QCOMPARE(patch(R"({"m_1":{"x":null}})"), QStringList{u"/m_1/x: required property cannot be removed"_s});
    QCOMPARE(patch(R"({"m_1":{"y":"two"}})"), QStringList{u"/m_1/y: must be an integer"_s});
    QCOMPARE(patch(R"({"m_1":5})"), QStringList{u"/m_1: must be an object"_s});
    QCOMPARE(patch(R"({"m_1":null})"), QStringList());
    // The property's schema and the pattern's both apply.
    QCOMPARE(patch(R"({"m_fixed":{"x":1}})"), (QStringList{u"/m_fixed/x: must be a string"_s, u"/m_fixed/x: must be a string"_s}));
    QCOMPARE(patch(R"({"no_1":1})"), QStringList{u"/no_1: is not allowed"_s});
    QCOMPARE(patch(R"({"no_1":null})"), QStringList{u"/no_1: is not allowed"_s});
    QCOMPARE(patch(R"({"other":null})"), QStringList{u"/other: is not allowed"_s});
}

void tst_JsonSchema::patternsThatGiveUpFailClosed_data()
{
    // Catastrophic backtracking: PCRE2 gives up at the match limit. Whatever the pattern would
    // have said, the value is refused -- also where a failed match would let it pass.
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QByteArray>("value");
    const QByteArray evil = "\"" + QByteArray(40, 'a') + "b\"";
    QTest::newRow("pattern") << QByteArray(R"json({"pattern":"^(a+)+$"})json") << evil;
    QTest::newRow("not pattern") << QByteArray(R"json({"not":{"pattern":"^(a+)+$"}})json") << evil;
    QTest::newRow("if pattern") << QByteArray(R"json({"if":{"pattern":"^(a+)+$"},"then":true,"else":true})json") << evil;
    QTest::newRow("oneOf") << QByteArray(R"json({"oneOf":[{"pattern":"^(a+)+$"},{"type":"string"}]})json") << evil;
    QTest::newRow("patternProperties name") << QByteArray(R"json({"patternProperties":{"^(?:(a+)+$|.*x$)":{"type":"integer"}}})json")
                                            << "{\"" + QByteArray(40, 'a') + "bx\":\"not an integer\"}";
    QTest::newRow("additional beside a pattern") << QByteArray(R"json({"patternProperties":{"^(a+)+$":true},"additionalProperties":true})json")
                                                 << "{\"" + QByteArray(40, 'a') + "b\":1}";
    QByteArray many = "[";
    for (int i = 0; i < 2000; ++i)
        many += (i ? "," : "") + evil;
    QTest::newRow("many strings") << QByteArray(R"json({"items":{"pattern":"^(a+)+$"}})json") << many + "]";
}

void tst_JsonSchema::patternsThatGiveUpFailClosed()
{
    QFETCH(QByteArray, schema);
    QFETCH(QByteArray, value);
    const JsonSchema compiled = compileOrFail(schema);
    const QStringList violations = describe(compiled.validate(parse(value)));
    QVERIFY2(violations.contains(u"(root): could not be checked against the schema's patterns within their matching budget"_s),
             qPrintable(violations.join(u"; ")));
    if (parse(value).isObject()) {
        const QStringList patched = describe(compiled.validatePatch(parse(value).toObject()));
        QVERIFY2(patched.contains(u"(root): could not be checked against the schema's patterns within their matching budget"_s),
                 qPrintable(patched.join(u"; ")));
    }
    // A value the patterns answer quickly is checked as always.
    QVERIFY(!describe(compiled.validate(parse("\"aaaa\""))).contains(
        u"(root): could not be checked against the schema's patterns within their matching budget"_s));
}

void tst_JsonSchema::compileErrors_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QStringList>("expected");  // each error must start with its entry

    QTest::newRow("product") << productSchema << QStringList();
    QTest::newRow("unknown keywords") << QByteArray(R"({"format":"email","$schema":"x","x":{}})")
                                      << QStringList();
    QTest::newRow("bad type name") << QByteArray(R"({"type":"text"})")
                                   << QStringList{u"/type: unknown type \"text\""_s};
    QTest::newRow("bad type in array") << QByteArray(R"({"type":["string",5]})")
                                       << QStringList{u"/type/1: must be a type name"_s};
    QTest::newRow("empty type array")
        << QByteArray(R"({"type":[]})")
        << QStringList{u"/type: must be a type name or a non-empty array of type names"_s};
    QTest::newRow("minimum as string") << QByteArray(R"({"minimum":"0"})")
                                       << QStringList{u"/minimum: must be a number"_s};
    QTest::newRow("draft-4 exclusiveMaximum") << QByteArray(R"({"exclusiveMaximum":true})")
                                              << QStringList{u"/exclusiveMaximum: must be a number"_s};
    QTest::newRow("negative minLength")
        << QByteArray(R"({"minLength":-1})")
        << QStringList{u"/minLength: must be a non-negative integer"_s};
    QTest::newRow("fractional maxItems")
        << QByteArray(R"({"maxItems":1.5})")
        << QStringList{u"/maxItems: must be a non-negative integer"_s};
    QTest::newRow("multipleOf zero") << QByteArray(R"({"multipleOf":0})")
                                     << QStringList{u"/multipleOf: must be a number greater than 0"_s};
    QTest::newRow("oneOf empty") << QByteArray(R"({"oneOf":[]})")
                                 << QStringList{u"/oneOf: must be a non-empty array of schemas"_s};
    QTest::newRow("anyOf bad member") << QByteArray(R"({"anyOf":[{"type":"text"}]})")
                                      << QStringList{u"/anyOf/0/type: unknown type \"text\""_s};
    QTest::newRow("bad patternProperties regex") << QByteArray(R"({"patternProperties":{"[a-":{}}})")
                                                 << QStringList{u"/patternProperties/[a-: invalid regular expression"_s};
    QTest::newRow("dependentRequired not names") << QByteArray(R"({"dependentRequired":{"a":"b","c":[1]}})")
                                                 << QStringList{u"/dependentRequired/a: must be an array of property names"_s,
                                                                u"/dependentRequired/c/0: must be a string"_s};
    QTest::newRow("dependentRequired repeats") << QByteArray(R"({"dependentRequired":{"a":["b","b"]}})")
                                               << QStringList{u"/dependentRequired/a/1: repeats a name"_s};
    QTest::newRow("bad regex") << QByteArray(R"({"pattern":"[a-"})")
                               << QStringList{u"/pattern: invalid regular expression: "_s};
    QTest::newRow("pattern not a string") << QByteArray(R"({"pattern":5})")
                                          << QStringList{u"/pattern: must be a string"_s};
    QTest::newRow("nested bad type")
        << QByteArray(R"({"properties":{"a":{"type":"nope"}}})")
        << QStringList{u"/properties/a/type: unknown type \"nope\""_s};
    QTest::newRow("property not a schema")
        << QByteArray(R"({"properties":{"a":5}})")
        << QStringList{u"/properties/a: a schema must be an object or a boolean"_s};
    QTest::newRow("properties not an object") << QByteArray(R"({"properties":[]})")
                                              << QStringList{u"/properties: must be an object"_s};
    QTest::newRow("pointer escaping")
        << QByteArray(R"({"properties":{"a/b~":{"minimum":"x"}}})")
        << QStringList{u"/properties/a~1b~0/minimum: must be a number"_s};
    QTest::newRow("required not an array")
        << QByteArray(R"({"required":"a"})")
        << QStringList{u"/required: must be an array of property names"_s};
    QTest::newRow("required element") << QByteArray(R"({"required":["a",1]})")
                                      << QStringList{u"/required/1: must be a string"_s};
    QTest::newRow("empty enum") << QByteArray(R"({"enum":[]})")
                                << QStringList{u"/enum: must be a non-empty array"_s};
    QTest::newRow("tuple items")
        << QByteArray(R"({"items":[{}]})")
        << QStringList{u"/items: the array form of items is not supported"_s};
    QTest::newRow("bad regex in items")
        << QByteArray(R"({"items":{"pattern":"("}})")
        << QStringList{u"/items/pattern: invalid regular expression: "_s};
    QTest::newRow("additionalProperties string")
        << QByteArray(R"({"additionalProperties":"no"})")
        << QStringList{u"/additionalProperties: a schema must be an object or a boolean"_s};
    QTest::newRow("allOf not an array") << QByteArray(R"({"allOf":{}})")
        << QStringList{u"/allOf: must be a non-empty array of schemas"_s};
    QTest::newRow("bad schema inside allOf") << QByteArray(R"({"allOf":[{"type":"text"}]})")
        << QStringList{u"/allOf/0/type: unknown type \"text\""_s};
    QTest::newRow("not not a schema") << QByteArray(R"({"not":1})")
        << QStringList{u"/not: a schema must be an object or a boolean"_s};
    QTest::newRow("empty errorMessage") << QByteArray(R"({"errorMessage":""})")
        << QStringList{u"/errorMessage: must be a non-empty string"_s};
    QTest::newRow("uniqueItems not a boolean") << QByteArray(R"({"uniqueItems":1})")
        << QStringList{u"/uniqueItems: must be a boolean"_s};
    QTest::newRow("negative maxProperties") << QByteArray(R"({"maxProperties":-1})")
        << QStringList{u"/maxProperties: must be a non-negative integer"_s};
    QTest::newRow("index not a boolean") << QByteArray(R"({"index":"yes"})")
                                         << QStringList{u"/index: must be a boolean"_s};
    QTest::newRow("several at once")
        << QByteArray(R"({"type":"x","minimum":"a","properties":{"b":{"maxLength":"3"}}})")
        << QStringList{u"/minimum: must be a number"_s,
                       u"/properties/b/maxLength: must be a non-negative integer"_s,
                       u"/type: unknown type \"x\""_s};
}

void tst_JsonSchema::compileErrors()
{
    QFETCH(QByteArray, schema);
    QFETCH(QStringList, expected);

    QStringList errors;
    JsonSchema::compile(parse(schema).toObject(), &errors);
    QCOMPARE(errors.size(), expected.size());
    for (qsizetype i = 0; i < errors.size(); ++i) {
        if (!errors.at(i).startsWith(expected.at(i)))
            QFAIL(qPrintable(u"error "_s % QString::number(i) % u" is \""_s % errors.at(i)
                             % u"\", expected it to start with \""_s % expected.at(i) % u'"'));
    }
}

void tst_JsonSchema::compileErrorsUseBasePointer()
{
    QStringList errors{u"earlier error"_s};
    JsonSchema::compile(parse(R"({"properties":{"p":{"minimum":"0"}}})").toObject(), &errors,
                        u"/collections/products/schema"_s);
    QCOMPARE(errors, (QStringList{u"earlier error"_s,
                                  u"/collections/products/schema/properties/p/minimum: must be a number"_s}));
    // A null error list is allowed.
    JsonSchema::compile(parse(R"({"type":1})").toObject(), nullptr);
}

void tst_JsonSchema::defaultSchemaAcceptsAnything()
{
    const JsonSchema schema;
    for (const QByteArray &value : {QByteArray("null"), QByteArray("1"), QByteArray(R"({"a":[]})")})
        QVERIFY(schema.validate(parse(value)).isEmpty());
    QVERIFY(schema.validatePatch(parse(R"({"a":null})").toObject()).isEmpty());
    QVERIFY(schema.propertyNames().isEmpty());
}

void tst_JsonSchema::introspection()
{
    const QJsonObject source = parse(R"({"properties":{"a":{"type":"string"},
        "b":{"type":["null","integer"]},"c":{}},"required":["a"]})").toObject();
    const JsonSchema schema = JsonSchema::compile(source, nullptr);
    QCOMPARE(schema.propertyNames(), (QStringList{u"a"_s, u"b"_s, u"c"_s}));
    QCOMPARE(schema.propertyType(u"a"_s), u"string"_s);
    QCOMPARE(schema.propertyType(u"b"_s), u"integer"_s);
    QCOMPARE(schema.propertyType(u"c"_s), QString());
    QCOMPARE(schema.propertyType(u"missing"_s), QString());
    QCOMPARE(schema.toJson(), source);

    // Copies share the compiled tree and behave the same.
    const JsonSchema copy = schema;
    QCOMPARE(describe(copy.validate(parse(R"({"a":1})"))), QStringList{u"/a: must be a string"_s});
}

void tst_JsonSchema::concurrentValidation()
{
    const JsonSchema schema = compileOrFail(productSchema);
    const QJsonValue good = parse(R"({"name":"Widget","price":9.5,"sku":"ABC-123","tags":["x"]})");
    const QJsonValue bad = parse(R"({"name":"","price":-1,"sku":"abc-123"})");
    const QStringList badExpected{u"/name: must have at least 1 characters"_s,
                                  u"/price: must be >= 0"_s,
                                  u"/sku: must match ^[A-Z]{3}-[0-9]{3}$"_s};

    std::atomic<int> mismatches = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                if (!schema.validate(good).isEmpty()
                    || describe(schema.validate(bad)) != badExpected) {
                    ++mismatches;
                }
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    QCOMPARE(mismatches.load(), 0);
}

QTEST_GUILESS_MAIN(tst_JsonSchema)
#include "tst_jsonschema.moc"
