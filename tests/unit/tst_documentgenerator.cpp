// Documents generated from JSON Schemas for a simulation's creates and updates: thousands of
// them, over many seeds, checked with the engine's own validator -- for the default project's
// products and for schemas exercising each keyword -- reproducible by seed, and schemas that
// cannot be generated reported up front.
#include "simulation/documentgenerator.h"
#include "simulation/patterngenerator.h"
#include "simulation/seededrandom.h"

#include "config/projectconfig.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QUuid>
#include <QtTest>

using namespace Gatehouse;
using namespace Gatehouse::Simulation;
using namespace Qt::StringLiterals;

namespace {

QJsonObject object(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qFatal("bad test JSON: %s", json.constData());
    return document.object();
}

QString text(const QJsonValue &value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
}

QString describe(const QList<SchemaViolation> &violations, const QJsonValue &value)
{
    QStringList lines;
    for (const SchemaViolation &v : violations)
        lines.append(v.path % u": "_s % v.message);
    return lines.join(u"; ") % u" in "_s % text(value);
}

} // namespace

class tst_DocumentGenerator : public QObject
{
    Q_OBJECT

private slots:
    void defaultProductsValidate();
    void keywords_data();
    void keywords();
    void patterns_data();
    void patterns();
    void formats_data();
    void formats();
    void reproducibleBySeed();
    void problems_data();
    void problems();
    void checkFindsDocumentsThatDoNotValidate();
    void checkKnowsTheEngineAddsAnId();
    void noSchemaGivesEmptyDocuments();
};

void tst_DocumentGenerator::defaultProductsValidate()
{
    // The collection the engine ships with, through the engine's own validator: creates as the
    // engine checks them (after it adds the id) and updates as merge patches.
    const ProjectConfig project = ProjectConfig::embeddedDefault();
    const Collection *products = project.collection(u"products"_s);
    QVERIFY(products);
    const DocumentGenerator generator(products->schema.toJson());
    QCOMPARE(generator.problems(), QStringList());
    QCOMPARE(generator.check(), QStringList());

    QSet<QString> skus;
    int withStock = 0;
    int withTags = 0;
    for (quint64 seed = 0; seed < 10'000; ++seed) {
        SeededRandom random(seed);
        const QJsonObject created = generator.generate(random);
        QVERIFY(!created.contains(u"id"));
        QJsonObject stored = created;
        stored.insert(u"id"_s, u"0190f5d2-3c4a-7b8e-9f01-000000000001"_s);
        const auto violations = products->schema.validate(stored);
        QVERIFY2(violations.isEmpty(), qPrintable(describe(violations, stored)));
        const QJsonObject update = generator.generateUpdate(random);
        const auto patchViolations = products->schema.validatePatch(update);
        QVERIFY2(patchViolations.isEmpty(), qPrintable(describe(patchViolations, update)));
        QVERIFY(!update.contains(u"id"));
        QVERIFY(created.contains(u"name") && created.contains(u"price"));
        if (created.contains(u"sku"))
            skus.insert(created.value(u"sku").toString());
        withStock += created.contains(u"stock") ? 1 : 0;
        withTags += created.contains(u"tags") ? 1 : 0;
    }
    // Optional members come and go; pattern values vary.
    QVERIFY(withStock > 3'000 && withStock < 7'000);
    QVERIFY(withTags > 3'000 && withTags < 7'000);
    QVERIFY(skus.size() > 4'000);
}

void tst_DocumentGenerator::keywords_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<int>("minDistinct");   // how many different documents 2,000 seeds must give at least

    QTest::newRow("string lengths") << QByteArray(R"({"type":"object","required":["s"],"properties":{"s":{"type":"string","minLength":3,"maxLength":5}}})") << 500;
    QTest::newRow("long minLength") << QByteArray(R"({"type":"object","required":["s"],"properties":{"s":{"type":"string","minLength":100}}})") << 500;
    QTest::newRow("maxLength 0") << QByteArray(R"({"type":"object","required":["s"],"properties":{"s":{"type":"string","maxLength":0}}})") << 1;
    QTest::newRow("enum") << QByteArray(R"({"type":"object","required":["c"],"properties":{"c":{"enum":["red","green",3,null,{"a":1}]}}})") << 5;
    QTest::newRow("enum filtered by type") << QByteArray(R"({"type":"object","required":["c"],"properties":{"c":{"type":"string","enum":["red",1,"blue"]}}})") << 2;
    QTest::newRow("const nested") << QByteArray(R"({"type":"object","required":["o"],"properties":{"o":{"type":"object","required":["v"],"properties":{"v":{"const":[1,"x"]}}}}})") << 1;
    QTest::newRow("integer range") << QByteArray(R"({"type":"object","required":["i"],"properties":{"i":{"type":"integer","minimum":-5,"maximum":5}}})") << 11;
    QTest::newRow("integer exclusive") << QByteArray(R"({"type":"object","required":["i"],"properties":{"i":{"type":"integer","exclusiveMinimum":1.5,"exclusiveMaximum":4}}})") << 2;
    QTest::newRow("integer multipleOf") << QByteArray(R"({"type":"object","required":["i"],"properties":{"i":{"type":"integer","minimum":1,"maximum":100,"multipleOf":7}}})") << 14;
    QTest::newRow("integer multipleOf 0.5") << QByteArray(R"({"type":"object","required":["i"],"properties":{"i":{"type":"integer","minimum":-3,"maximum":3,"multipleOf":0.5}}})") << 7;
    QTest::newRow("integer only maximum") << QByteArray(R"({"type":"object","required":["i"],"properties":{"i":{"type":"integer","maximum":-1000000}}})") << 500;
    QTest::newRow("number exclusive 0..1") << QByteArray(R"({"type":"object","required":["n"],"properties":{"n":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}}})") << 90;
    QTest::newRow("number tiny range") << QByteArray(R"({"type":"object","required":["n"],"properties":{"n":{"type":"number","exclusiveMinimum":0.001,"maximum":0.002}}})") << 100;
    QTest::newRow("number multipleOf 0.25") << QByteArray(R"({"type":"object","required":["n"],"properties":{"n":{"type":"number","minimum":0,"maximum":10,"multipleOf":0.25}}})") << 41;
    QTest::newRow("boolean and null") << QByteArray(R"({"type":"object","required":["b","z"],"properties":{"b":{"type":"boolean"},"z":{"type":"null"}}})") << 2;
    QTest::newRow("type list") << QByteArray(R"({"type":"object","required":["t"],"properties":{"t":{"type":["integer","string","null"],"maximum":3,"maxLength":2}}})") << 50;
    QTest::newRow("no type: inferred") << QByteArray(R"({"required":["a","n","s"],"properties":{"a":{"items":{"minimum":1}},"n":{"maximum":0},"s":{"minLength":2}}})") << 500;
    QTest::newRow("array items") << QByteArray(R"({"type":"object","required":["a"],"properties":{"a":{"type":"array","minItems":2,"maxItems":4,"items":{"type":"integer","minimum":0,"maximum":9}}}})") << 500;
    QTest::newRow("unique items") << QByteArray(R"({"type":"object","required":["a"],"properties":{"a":{"type":"array","minItems":4,"uniqueItems":true,"items":{"enum":["a","b","c","d","e"]}}}})") << 100;
    QTest::newRow("prefixItems, no more") << QByteArray(R"({"type":"object","required":["p"],"properties":{"p":{"type":"array","prefixItems":[{"type":"string","maxLength":3},{"type":"boolean"}],"items":false,"minItems":1}}})") << 50;
    QTest::newRow("nested objects") << QByteArray(R"({"type":"object","required":["dims"],"additionalProperties":false,"properties":{"dims":{"type":"object","required":["w","h"],"additionalProperties":false,"properties":{"w":{"type":"number","minimum":1},"h":{"type":"number","minimum":1},"unit":{"enum":["cm","in"]}}}}})") << 1000;
    QTest::newRow("additionalProperties schema + minProperties") << QByteArray(R"({"type":"object","minProperties":3,"additionalProperties":{"type":"integer"},"properties":{"a":{"type":"string"}}})") << 1000;
    QTest::newRow("propertyNames") << QByteArray(R"({"type":"object","minProperties":2,"maxProperties":3,"propertyNames":{"pattern":"^[a-z]{2,4}$"}})") << 1000;
    QTest::newRow("maxProperties caps optional") << QByteArray(R"({"type":"object","maxProperties":1,"properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}})") << 100;
    QTest::newRow("false property never generated") << QByteArray(R"({"type":"object","properties":{"legacy":false,"name":{"type":"string"}}})") << 100;
    QTest::newRow("allOf merged") << QByteArray(R"({"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"number","minimum":10}}},{"required":["b"],"properties":{"a":{"type":"integer","maximum":12},"b":{"type":"string","maxLength":3}}}]})") << 100;
    QTest::newRow("allOf two patterns") << QByteArray(R"({"type":"object","required":["s"],"properties":{"s":{"allOf":[{"pattern":"^[a-c]+$"},{"pattern":"b"}],"maxLength":6}}})") << 50;
    QTest::newRow("if/then/else") << QByteArray(R"({"type":"object","required":["kind"],"properties":{"kind":{"enum":["book","pen"]},"isbn":{"type":"string"},"ink":{"enum":["blue","black"]}},"if":{"properties":{"kind":{"const":"book"}}},"then":{"required":["isbn"]},"else":{"required":["ink"]}})") << 100;
    QTest::newRow("if/then in allOf") << QByteArray(R"({"type":"object","required":["a"],"properties":{"a":{"type":"integer","minimum":0,"maximum":3}},"allOf":[{"if":{"properties":{"a":{"const":1}}},"then":{"required":["one"],"properties":{"one":{"const":true}}}},{"if":{"properties":{"a":{"const":2}}},"then":{"required":["two"],"properties":{"two":{"const":2}}}}]})") << 4;
    QTest::newRow("not") << QByteArray(R"({"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0,"maximum":5,"not":{"enum":[2,3]}}}})") << 4;
    QTest::newRow("errorMessage and annotations ignored") << QByteArray(R"({"type":"object","title":"T","required":["a"],"properties":{"a":{"type":"string","description":"d","default":"x","errorMessage":"bad a","index":true}}})") << 500;
    QTest::newRow("root array") << QByteArray(R"({"type":"array","minItems":1,"items":{"type":"object","required":["x"],"properties":{"x":{"type":"integer"}}}})") << 500;
}

void tst_DocumentGenerator::keywords()
{
    QFETCH(QByteArray, schema);
    QFETCH(int, minDistinct);
    const QJsonObject source = object(schema);
    QStringList compileErrors;
    const JsonSchema validator = JsonSchema::compile(source, &compileErrors);
    QCOMPARE(compileErrors, QStringList());
    const DocumentGenerator generator(source);
    QCOMPARE(generator.problems(), QStringList());
    QSet<QString> distinct;
    for (quint64 seed = 1; seed <= 2'000; ++seed) {
        SeededRandom random(seed);
        const QJsonValue value = generator.generateValue(random);
        const auto violations = validator.validate(value);
        QVERIFY2(violations.isEmpty(), qPrintable(describe(violations, value)));
        distinct.insert(text(value));
        if (value.isObject()) {
            const QJsonObject update = generator.generateUpdate(random);
            const auto patchViolations = validator.validatePatch(update);
            QVERIFY2(patchViolations.isEmpty(), qPrintable(describe(patchViolations, update)));
            for (auto it = update.constBegin(); it != update.constEnd(); ++it)
                QVERIFY2(!it.value().isNull(), "a null member in a merge patch removes it");
        }
    }
    QVERIFY2(distinct.size() >= minDistinct, qPrintable(u"only %1 distinct documents"_s.arg(distinct.size())));
    if (source.value(u"properties"_s).toObject().value(u"legacy"_s).isBool()) {
        for (quint64 seed = 0; seed < 200; ++seed) {
            SeededRandom random(seed);
            QVERIFY(!generator.generateValue(random).toObject().contains(u"legacy"));
        }
    }
}

void tst_DocumentGenerator::patterns_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<int>("minLength");
    QTest::addColumn<int>("maxLength");
    QTest::addColumn<bool>("exact");

    QTest::newRow("sku") << u"^[A-Z]{3}-[0-9]{3}$"_s << 0 << -1 << true;
    QTest::newRow("date-like") << u"^\\d{4}-\\d{2}-\\d{2}$"_s << 0 << -1 << true;
    QTest::newRow("alternation, groups") << u"^(foo|bar)+[_-]?\\w*$"_s << 0 << -1 << true;
    QTest::newRow("slug with lengths") << u"^[a-z0-9_-]{3,16}$"_s << 5 << 8 << true;
    QTest::newRow("unanchored") << u"[a-f0-9]{8}"_s << 0 << -1 << true;
    QTest::newRow("unanchored, padded to minLength") << u"ab"_s << 10 << 12 << true;
    QTest::newRow("E.164 phone") << u"^\\+?[1-9]\\d{1,14}$"_s << 0 << -1 << true;
    QTest::newRow("email-ish") << u"^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"_s << 0 << -1 << true;
    QTest::newRow("24h time") << u"^(?:[01]\\d|2[0-3]):[0-5]\\d$"_s << 0 << -1 << true;
    QTest::newRow("back-references") << u"^(a|b)(c|d)\\2\\1$"_s << 0 << -1 << true;
    QTest::newRow("named group") << u"^(?<x>[ab]{2})-\\k<x>$"_s << 0 << -1 << true;
    QTest::newRow("hex and control escapes") << u"^\\x41B[\\t ]?\\.$"_s << 0 << -1 << true;
    QTest::newRow("negated class") << u"^[^a-z]{2}$"_s << 0 << -1 << true;
    QTest::newRow("dot") << u"^.{5}$"_s << 0 << -1 << true;
    QTest::newRow("open repeat with maxLength") << u"^a{2,}b*$"_s << 0 << 6 << true;
    QTest::newRow("plus with long minLength") << u"^[a-z]+$"_s << 20 << 30 << true;
    QTest::newRow("lazy and optional group") << u"^x(?:yz)??w+?$"_s << 0 << -1 << true;
    QTest::newRow("literal brace") << u"^a{b}$"_s << 0 << -1 << true;
    QTest::newRow("non-ASCII literal") << u"^é[ü-ÿ]{2}$"_s << 0 << -1 << true;
    QTest::newRow("lookahead (approximated)") << u"^(?=.*\\d)(?=.*[A-Z])[A-Za-z\\d]{8,12}$"_s << 0 << -1 << false;
    QTest::newRow("word boundary (approximated)") << u"\\bgo\\b"_s << 0 << -1 << false;
    QTest::newRow("unicode property (approximated)") << u"^\\p{L}{3}$"_s << 0 << -1 << false;
}

void tst_DocumentGenerator::patterns()
{
    QFETCH(QString, pattern);
    QFETCH(int, minLength);
    QFETCH(int, maxLength);
    QFETCH(bool, exact);
    const PatternGenerator generator(pattern);
    QVERIFY(generator.isValid());
    QCOMPARE(generator.isExact(), exact);
    // Through the schema too: the engine's validator decides.
    QJsonObject property{{u"type"_s, u"string"_s}, {u"pattern"_s, pattern}};
    if (minLength > 0)
        property.insert(u"minLength"_s, minLength);
    if (maxLength >= 0)
        property.insert(u"maxLength"_s, maxLength);
    const QJsonObject schema{{u"type"_s, u"object"_s}, {u"required"_s, QJsonArray{u"v"_s}},
                             {u"properties"_s, QJsonObject{{u"v"_s, property}}}};
    const JsonSchema validator = JsonSchema::compile(schema, nullptr);
    const DocumentGenerator documents(schema);
    QCOMPARE(documents.problems(), QStringList());
    QSet<QString> distinct;
    for (quint64 seed = 0; seed < 1'000; ++seed) {
        SeededRandom random(seed);
        const auto value = generator.generate(random, minLength, maxLength);
        QVERIFY2(value, qPrintable(u"seed %1: no value"_s.arg(seed)));
        QVERIFY2(generator.matches(*value), qPrintable(*value));
        distinct.insert(*value);
        SeededRandom again(seed);
        const QJsonValue document = documents.generateValue(again);
        const auto violations = validator.validate(document);
        QVERIFY2(violations.isEmpty(), qPrintable(describe(violations, document)));
    }
    QVERIFY(distinct.size() > 1 || !pattern.contains(u'['));
}

void tst_DocumentGenerator::formats_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("shape");   // what a value must match, beside the format's own parser below
    QTest::newRow("date-time") << u"date-time"_s << u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"_s;
    QTest::newRow("date") << u"date"_s << u"^\\d{4}-\\d\\d-\\d\\d$"_s;
    QTest::newRow("time") << u"time"_s << u"^\\d\\d:\\d\\d:\\d\\dZ$"_s;
    QTest::newRow("email") << u"email"_s << u"^[a-z]+\\.[a-z]+\\d+@example\\.com$"_s;
    QTest::newRow("uuid") << u"uuid"_s << u"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"_s;
    QTest::newRow("uri") << u"uri"_s << u"^https://[a-z]+\\.example\\.com/[a-z]+/\\d+$"_s;
    QTest::newRow("hostname") << u"hostname"_s << u"^[a-z]+-\\d+\\.example\\.com$"_s;
    QTest::newRow("ipv4") << u"ipv4"_s << u"^(\\d{1,3}\\.){3}\\d{1,3}$"_s;
    QTest::newRow("ipv6") << u"ipv6"_s << u"^2001:db8(:[0-9a-f]{1,4}){6}$"_s;
}

void tst_DocumentGenerator::formats()
{
    QFETCH(QString, format);
    QFETCH(QString, shape);
    const QRegularExpression expected(shape);
    const DocumentGenerator generator(QJsonObject{{u"type"_s, u"string"_s}, {u"format"_s, format}});
    for (quint64 seed = 0; seed < 500; ++seed) {
        SeededRandom random(seed);
        const QString value = generator.generateValue(random).toString();
        QVERIFY2(expected.match(value).hasMatch(), qPrintable(value));
        if (format == u"date-time")
            QVERIFY(QDateTime::fromString(value, Qt::ISODateWithMs).isValid());
        if (format == u"date")
            QVERIFY(QDate::fromString(value, Qt::ISODate).isValid());
        if (format == u"uuid")
            QVERIFY(!QUuid::fromString(value).isNull());
        if (format == u"ipv4") {
            for (const QString &part : value.split(u'.'))
                QVERIFY(part.toInt() <= 255);
        }
    }
}

void tst_DocumentGenerator::reproducibleBySeed()
{
    const DocumentGenerator generator(ProjectConfig::embeddedDefault().collection(u"products"_s)->schema.toJson());
    const auto series = [&generator](quint64 seed) {
        SeededRandom random(seed);
        QList<QJsonObject> documents;
        for (int i = 0; i < 50; ++i)
            documents.append(i % 2 ? generator.generateUpdate(random) : generator.generate(random));
        return documents;
    };
    QCOMPARE(series(42), series(42));
    QVERIFY(series(42) != series(43));
    // A fork depends on the key and the stream only, not on what was drawn before it.
    SeededRandom used(42);
    for (int i = 0; i < 1000; ++i)
        used.next();
    SeededRandom fresh(42);
    SeededRandom a = used.fork(7);
    SeededRandom b = fresh.fork(7);
    QCOMPARE(generator.generate(a), generator.generate(b));
    SeededRandom c = fresh.fork(8);
    SeededRandom d = fresh.fork(7);
    QVERIFY(generator.generate(c) != generator.generate(d));
    // A copy of the generator shares its tree and gives the same documents.
    const DocumentGenerator copy = generator;
    SeededRandom e(5);
    SeededRandom f(5);
    QCOMPARE(copy.generate(e), generator.generate(f));
}

void tst_DocumentGenerator::problems_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QStringList>("problems");

    QTest::newRow("integer range empty") << QByteArray(R"({"properties":{"n":{"type":"integer","minimum":1.2,"maximum":1.8}}})")
        << QStringList{u"/properties/n: no integer satisfies its minimum, maximum and multipleOf"_s};
    QTest::newRow("number exclusive empty") << QByteArray(R"({"properties":{"n":{"type":"number","exclusiveMinimum":1,"maximum":1}}})")
        << QStringList{u"/properties/n: no number satisfies its minimum, maximum and multipleOf"_s};
    QTest::newRow("no multiple in range") << QByteArray(R"({"properties":{"n":{"type":"integer","minimum":1,"maximum":6,"multipleOf":7}}})")
        << QStringList{u"/properties/n: no integer satisfies its minimum, maximum and multipleOf"_s};
    QTest::newRow("lengths crossed") << QByteArray(R"({"properties":{"s":{"type":"string","minLength":5,"maxLength":2}}})")
        << QStringList{u"/properties/s: minLength is above maxLength"_s};
    QTest::newRow("enum none valid") << QByteArray(R"({"properties":{"e":{"type":"integer","enum":["a","b"]}}})")
        << QStringList{u"/properties/e/enum: no value satisfies the rest of the schema"_s};
    QTest::newRow("const invalid") << QByteArray(R"({"properties":{"c":{"type":"string","const":5}}})")
        << QStringList{u"/properties/c/const: the value does not satisfy the rest of the schema"_s};
    QTest::newRow("required false") << QByteArray(R"({"type":"object","required":["x"],"properties":{"x":false}})")
        << QStringList{u"(root): required property \"x\" is not allowed"_s};
    QTest::newRow("required not allowed") << QByteArray(R"({"type":"object","required":["x"],"additionalProperties":false})")
        << QStringList{u"(root): required property \"x\" is not allowed"_s};
    QTest::newRow("too many required") << QByteArray(R"({"type":"object","required":["a","b"],"maxProperties":1})")
        << QStringList{u"(root): more properties are required than maxProperties allows"_s};
    QTest::newRow("pattern outside the subset") << QByteArray(R"({"properties":{"s":{"type":"string","pattern":"^(?=a)b$"}}})")
        << QStringList{u"/properties/s/pattern: cannot generate for pattern ^(?=a)b$"_s};
    QTest::newRow("pattern against lengths") << QByteArray(R"({"properties":{"s":{"type":"string","pattern":"^[a-z]{3}$","minLength":5}}})")
        << QStringList{u"/properties/s/pattern: cannot generate for pattern ^[a-z]{3}$ within minLength/maxLength"_s};
    QTest::newRow("allOf types disjoint") << QByteArray(R"({"properties":{"x":{"allOf":[{"type":"string"},{"type":"integer"}]}}})")
        << QStringList{u"/properties/x: no value satisfies every allOf schema"_s};
    QTest::newRow("too few items allowed") << QByteArray(R"({"properties":{"a":{"type":"array","prefixItems":[true],"items":false,"minItems":2}}})")
        << QStringList{u"/properties/a: minItems is above the number of items allowed"_s};
    QTest::newRow("schema does not compile") << QByteArray(R"({"properties":{"s":{"type":"text"}}})")
        << QStringList{u"/properties/s/type: unknown type \"text\""_s};
}

void tst_DocumentGenerator::problems()
{
    QFETCH(QByteArray, schema);
    QFETCH(QStringList, problems);
    const DocumentGenerator generator(object(schema));
    QCOMPARE(generator.problems(), problems);
    QVERIFY(generator.check().mid(0, problems.size()) == problems);
}

void tst_DocumentGenerator::checkFindsDocumentsThatDoNotValidate()
{
    // Three unique items from two values: each piece alone is fine, together never.
    const DocumentGenerator generator(object(R"({"type":"object","required":["a"],"properties":{"a":{"type":"array","minItems":3,"uniqueItems":true,"items":{"enum":[1,2]}}}})"));
    QCOMPARE(generator.problems(), QStringList());
    const QStringList found = generator.check();
    QVERIFY(!found.isEmpty());
    QVERIFY2(found.first().startsWith(u"generated documents do not validate: /a/"_s), qPrintable(found.join(u"\n")));
    QVERIFY2(found.first().contains(u"repeats item"_s), qPrintable(found.first()));
}

void tst_DocumentGenerator::checkKnowsTheEngineAddsAnId()
{
    // A create gets its id from the engine before validation: a schema without room for one
    // would refuse every create, and check() says so before a run sends them.
    const DocumentGenerator closed(object(R"({"type":"object","additionalProperties":false,"properties":{"a":{"type":"string"}}})"));
    QCOMPARE(closed.problems(), QStringList());
    QCOMPARE(closed.check(), QStringList{u"generated documents do not validate: /id: is not allowed"_s});
    const DocumentGenerator open(object(R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string"},"a":{"type":"string"}}})"));
    QCOMPARE(open.check(), QStringList());
    SeededRandom random(1);
    QVERIFY(!open.generate(random).contains(u"id"));
    QVERIFY(open.generateValue(random).toObject().contains(u"id"));
}

void tst_DocumentGenerator::noSchemaGivesEmptyDocuments()
{
    const DocumentGenerator generator;
    SeededRandom random(1);
    QCOMPARE(generator.generate(random), QJsonObject());
    QCOMPARE(generator.check(), QStringList());
}

QTEST_GUILESS_MAIN(tst_DocumentGenerator)
#include "tst_documentgenerator.moc"
