// Schema versions of a collection: upcaster steps read strictly and applied in their order,
// breaking changes found with the rule that names them and the fix that covers them, steps
// chained from an event's version to the current one, and the version an event records
// (dataschema) read back from its metadata and passed on in its CloudEvent.

#include "config/collection.h"
#include "config/schemaevolution.h"
#include "store/cloudevent.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {
QJsonObject object(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", json.constData());
    return doc.object();
}

UpcastStep step(const QByteArray &json)
{
    QStringList errors;
    std::optional<UpcastStep> s = UpcastStep::fromJson(object(json), &errors, u"/s"_s);
    if (!s)
        qFatal("bad test step: %s", qPrintable(errors.join(u"; ")));
    return *s;
}

QStringList rules(const QList<SchemaEvolution::Break> &breaks)
{
    QStringList out;
    for (const auto &b : breaks)
        out.append(b.rule + u':' + b.field);
    return out;
}
} // namespace

class tst_SchemaEvolution : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stepsAreReadStrictly_data();
    void stepsAreReadStrictly();
    void stepAppliesInOrder();
    void castConverts_data();
    void castConverts();
    void breakingChanges_data();
    void breakingChanges();
    void schemaDefaultsJoinTheStep();
    void collectionChainsSteps();
    void collectionVersionsAreRead_data();
    void collectionVersionsAreRead();
    void eventsCarryTheirVersion();
};

void tst_SchemaEvolution::stepsAreReadStrictly_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");   // empty: accepted
    QTest::newRow("all members") << QByteArray(R"({"rename":{"a":"b"},"values":{"s":{"x":"y"}},"cast":{"n":"integer"},"remove":["r"],"default":{"d":1}})") << QString();
    QTest::newRow("empty") << QByteArray("{}") << QString();
    QTest::newRow("not an object") << QByteArray("[]") << u"/s: must be an object"_s;
    QTest::newRow("unknown member") << QByteArray(R"({"js":"x"})") << u"/s/js: unknown upcaster member"_s;
    QTest::newRow("rename to a number") << QByteArray(R"({"rename":{"a":1}})") << u"/s/rename/a: must be the member's new name"_s;
    QTest::newRow("rename to itself") << QByteArray(R"({"rename":{"a":"a"}})") << u"/s/rename/a: renames the member to itself"_s;
    QTest::newRow("two into one") << QByteArray(R"({"rename":{"a":"c","b":"c"}})") << u"/s/rename/b: two members renamed to \"c\""_s;
    QTest::newRow("rename id") << QByteArray(R"({"rename":{"id":"key"}})") << u"/s/rename/id: \"id\" is the entity's id"_s;
    QTest::newRow("remove id") << QByteArray(R"({"remove":["id"]})") << u"/s/remove/0: \"id\" is the entity's id"_s;
    QTest::newRow("remove not names") << QByteArray(R"({"remove":"a"})") << u"/s/remove: must be an array"_s;
    QTest::newRow("remove a number") << QByteArray(R"({"remove":[1]})") << u"/s/remove/0: must be a member name"_s;
    QTest::newRow("cast to object") << QByteArray(R"({"cast":{"a":"object"}})") << u"/s/cast/a: must be \"string\""_s;
    QTest::newRow("values not a map") << QByteArray(R"({"values":{"a":"b"}})") << u"/s/values/a: must map old string values"_s;
    QTest::newRow("default not an object") << QByteArray(R"({"default":[1]})") << u"/s/default: must be an object"_s;
    QByteArray many = R"({"remove":[)";
    for (int i = 0; i < 257; ++i)
        many += (i ? ",\"f" : "\"f") + QByteArray::number(i) + '"';
    QTest::newRow("too many") << QByteArray(many + "]}") << u"/s: names at most 256 members"_s;
}

void tst_SchemaEvolution::stepsAreReadStrictly()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QStringList errors;
    const QJsonValue value = json.startsWith('[') ? QJsonValue(QJsonDocument::fromJson(json).array()) : QJsonValue(object(json));
    const std::optional<UpcastStep> s = UpcastStep::fromJson(value, &errors, u"/s"_s);
    if (error.isEmpty()) {
        QVERIFY2(s && errors.isEmpty(), qPrintable(errors.join(u"; ")));
        // Written back, read back the same.
        QCOMPARE(s->toJson(), object(json));
        return;
    }
    QVERIFY(!s);
    QVERIFY2(!errors.isEmpty() && errors.first().startsWith(error), qPrintable(errors.join(u"; ")));
}

void tst_SchemaEvolution::stepAppliesInOrder()
{
    const UpcastStep s = step(R"({"rename":{"a":"b","b":"a","old":"status"},"values":{"status":{"gone":"archived"}},
                                  "cast":{"n":"integer"},"remove":["x"],"default":{"c":"EUR","a":0}})");
    // A whole document: renamed (a swap too), mapped after the rename, cast, removed, defaulted.
    QJsonObject doc = object(R"({"id":"1","a":1,"b":2,"old":"gone","n":2.6,"x":true})");
    s.apply(doc, true);
    QCOMPARE(doc, object(R"({"id":"1","a":2,"b":1,"status":"archived","n":3,"c":"EUR"})"));
    // A merge patch: the same, but what it omits stays omitted (no defaults); null renames too.
    QJsonObject patch = object(R"({"old":null,"x":1})");
    s.apply(patch, false);
    QCOMPARE(patch, object(R"({"status":null})"));
    // A value the map does not name stays.
    QJsonObject other = object(R"({"status":"open"})");
    s.apply(other, true);
    QCOMPARE(other.value(u"status"_s), QJsonValue(u"open"_s));
}

void tst_SchemaEvolution::castConverts_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QByteArray>("from");
    QTest::addColumn<QByteArray>("to");
    QTest::newRow("int to string") << u"string"_s << QByteArray("42") << QByteArray(R"("42")");
    QTest::newRow("fraction to string") << u"string"_s << QByteArray("2.5") << QByteArray(R"("2.5")");
    QTest::newRow("bool to string") << u"string"_s << QByteArray("true") << QByteArray(R"("true")");
    QTest::newRow("object stays") << u"string"_s << QByteArray(R"({"n":1})") << QByteArray(R"({"n":1})");
    QTest::newRow("string to number") << u"number"_s << QByteArray(R"(" 2.5 ")") << QByteArray("2.5");
    QTest::newRow("not a number stays") << u"number"_s << QByteArray(R"("abc")") << QByteArray(R"("abc")");
    QTest::newRow("infinity stays") << u"number"_s << QByteArray(R"("inf")") << QByteArray(R"("inf")");
    QTest::newRow("bool to number") << u"number"_s << QByteArray("false") << QByteArray("0");
    QTest::newRow("rounded") << u"integer"_s << QByteArray("2.5") << QByteArray("3");
    QTest::newRow("string to integer") << u"integer"_s << QByteArray(R"("7.2")") << QByteArray("7");
    QTest::newRow("string to bool") << u"boolean"_s << QByteArray(R"("false")") << QByteArray("false");
    QTest::newRow("number to bool") << u"boolean"_s << QByteArray("3") << QByteArray("true");
    QTest::newRow("other string stays") << u"boolean"_s << QByteArray(R"("yes")") << QByteArray(R"("yes")");
    QTest::newRow("null stays") << u"integer"_s << QByteArray("null") << QByteArray("null");
}

void tst_SchemaEvolution::castConverts()
{
    QFETCH(QString, type);
    QFETCH(QByteArray, from);
    QFETCH(QByteArray, to);
    const UpcastStep s = step("{\"cast\":{\"v\":\"" + type.toUtf8() + "\"}}");
    QJsonObject doc = object("{\"v\":" + from + '}');
    s.apply(doc, true);
    QCOMPARE(doc, object("{\"v\":" + to + '}'));
}

void tst_SchemaEvolution::breakingChanges_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QByteArray>("after");
    QTest::addColumn<QByteArray>("step");   // empty: none
    QTest::addColumn<QStringList>("expected");
    const QByteArray base = R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"},
        "price":{"type":"number"},"status":{"type":"string","enum":["open","closed","gone"]},"note":{}}})";
    const auto with = [&](const QByteArray &from, const QByteArray &to) {
        QByteArray out = base;
        return out.replace(from, to);
    };
    QTest::newRow("unchanged") << base << base << QByteArray() << QStringList();
    QTest::newRow("optional member added")
        << base << with(R"("note":{})", R"("note":{},"tag":{"type":"string"})") << QByteArray() << QStringList();
    QTest::newRow("type widened")
        << base << with(R"("price":{"type":"number"})", R"("price":{"type":["number","string"]})") << QByteArray() << QStringList();
    QTest::newRow("integer to number is wider")
        << with(R"("price":{"type":"number"})", R"("price":{"type":"integer"})") << base << QByteArray() << QStringList();
    QTest::newRow("required without default")
        << base << with(R"("required":["name"])", R"("required":["name","price"])") << QByteArray()
        << QStringList{u"required-without-default:price"_s};
    QTest::newRow("required with a schema default")
        << base << with(R"("required":["name"],"properties":{)", R"("required":["name","cur"],"properties":{"cur":{"type":"string","default":"EUR"},)")
        << QByteArray() << QStringList();
    QTest::newRow("required, covered by the step's default")
        << base << with(R"("required":["name"])", R"("required":["name","price"])") << QByteArray(R"({"default":{"price":0}})")
        << QStringList();
    QTest::newRow("required, covered by a rename")
        << base << with(R"("required":["name"])", R"("required":["title"])") << QByteArray(R"({"rename":{"name":"title"}})")
        << QStringList();
    QTest::newRow("narrowed number to integer")
        << base << with(R"("price":{"type":"number"})", R"("price":{"type":"integer"})") << QByteArray()
        << QStringList{u"narrowed-type:price"_s};
    QTest::newRow("narrowed, covered by a cast")
        << base << with(R"("price":{"type":"number"})", R"("price":{"type":"integer"})") << QByteArray(R"({"cast":{"price":"integer"}})")
        << QStringList();
    QTest::newRow("narrowed, covered by a removal")
        << base << with(R"("price":{"type":"number"})", R"("price":{"type":"string"})") << QByteArray(R"({"remove":["price"]})")
        << QStringList();
    QTest::newRow("any to a type")
        << base << with(R"("note":{})", R"("note":{"type":"string"})") << QByteArray() << QStringList{u"narrowed-type:note"_s};
    QTest::newRow("enum value removed")
        << base << with(R"(["open","closed","gone"])", R"(["open","closed"])") << QByteArray()
        << QStringList{u"removed-enum-value:status"_s};
    QTest::newRow("enum value removed, mapped")
        << base << with(R"(["open","closed","gone"])", R"(["open","closed"])") << QByteArray(R"({"values":{"status":{"gone":"closed"}}})")
        << QStringList();
    QTest::newRow("enum value removed, mapped to another removed one")
        << base << with(R"(["open","closed","gone"])", R"(["open"])") << QByteArray(R"({"values":{"status":{"gone":"closed"}}})")
        << QStringList{u"removed-enum-value:status"_s};
    QTest::newRow("enum added")
        << base << with(R"("name":{"type":"string"})", R"("name":{"type":"string","enum":["a"]})") << QByteArray()
        << QStringList{u"added-enum:name"_s};
    QTest::newRow("several at once")
        << base << with(R"("required":["name"])", R"("required":["name","x"])").replace(R"("price":{"type":"number"})", R"("price":{"type":"boolean"})")
        << QByteArray() << QStringList{u"required-without-default:x"_s, u"narrowed-type:price"_s};
}

void tst_SchemaEvolution::breakingChanges()
{
    QFETCH(QByteArray, before);
    QFETCH(QByteArray, after);
    QFETCH(QByteArray, step);
    QFETCH(QStringList, expected);
    std::optional<UpcastStep> s;
    if (!step.isEmpty())
        s = ::step(step);
    const QList<SchemaEvolution::Break> breaks = SchemaEvolution::breakingChanges(object(before), object(after), s ? &*s : nullptr, 4);
    QCOMPARE(rules(breaks), expected);
    for (const SchemaEvolution::Break &b : breaks) {
        // Each says where, which rule, and what to add -- naming the step from version 4.
        const QString text = b.toString();
        QVERIFY2(text.startsWith(u"/schema/properties/"_s + b.field + u": "_s + b.rule), qPrintable(text));
        QVERIFY2(text.contains(u"\"upcasters\": {\"4\""_s), qPrintable(text));
    }
}

void tst_SchemaEvolution::schemaDefaultsJoinTheStep()
{
    const QJsonObject before = object(R"({"type":"object","required":["a"],"properties":{"a":{}}})");
    const QJsonObject after = object(R"({"type":"object","required":["a","cur","n"],
        "properties":{"a":{"default":1},"cur":{"default":"EUR"},"n":{"type":"integer"}}})");
    UpcastStep s = step(R"({"default":{"n":5}})");
    SchemaEvolution::addSchemaDefaults(before, after, s);
    // The newly required "cur" gets its schema default; "n" keeps the step's; "a" was required.
    QCOMPARE(s.defaults, object(R"({"cur":"EUR","n":5})"));
    QVERIFY(SchemaEvolution::breakingChanges(before, after, &s, 1).isEmpty());
}

void tst_SchemaEvolution::collectionChainsSteps()
{
    QStringList errors;
    const Collection c = Collection::fromJson(u"items"_s, object(R"({"schema_version":4,"upcasters":{
        "1":{"rename":{"a":"b"}}, "3":{"cast":{"b":"string"},"default":{"v3":true}}}})"), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; ")));
    QCOMPARE(c.dataschemaUri, u"/schemas/items/4"_s);
    QVERIFY(c.upcastsFrom(0) && c.upcastsFrom(1) && c.upcastsFrom(3));
    QVERIFY(!c.upcastsFrom(4) && !c.upcastsFrom(9));
    QJsonObject fromOne = object(R"({"a":1})");
    c.upcast(1, true, fromOne);
    QCOMPARE(fromOne, object(R"({"b":"1","v3":true})"));
    // Version 2 starts after the rename: its "a" is not the old one.
    QJsonObject fromTwo = object(R"({"a":1,"b":2})");
    c.upcast(2, true, fromTwo);
    QCOMPARE(fromTwo, object(R"({"a":1,"b":"2","v3":true})"));
    // No record of a version: written before versions, i.e. version 1.
    QJsonObject none = object(R"({"a":1})");
    c.upcast(0, false, none);
    QCOMPARE(none, object(R"({"b":"1"})"));
    // Without upcasters nothing runs and snapshots keep the plain key.
    const Collection plain = Collection::fromJson(u"items"_s, object(R"({"schema_version":7})"), &errors);
    QVERIFY(!plain.upcastsFrom(1));
    QCOMPARE(plain.snapshotKey(), u"items"_s);
    QVERIFY(c.snapshotKey().startsWith(u"items@"_s));
    // Written back and read back: the same steps, the same key.
    const Collection again = Collection::fromJson(u"items"_s, [&] {
        QJsonObject o = c.toJson();
        o.remove(u"name"_s);
        return o;
    }(), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.join(u"; ")));
    QCOMPARE(again.schemaVersion, 4);
    QCOMPARE(again.snapshotKey(), c.snapshotKey());
}

void tst_SchemaEvolution::collectionVersionsAreRead_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("version 0") << QByteArray(R"({"schema_version":0})") << u"/c/schema_version: must be an integer from 1"_s;
    QTest::newRow("fraction") << QByteArray(R"({"schema_version":1.5})") << u"/c/schema_version: must be an integer from 1"_s;
    QTest::newRow("string") << QByteArray(R"({"schema_version":"2"})") << u"/c/schema_version: must be an integer from 1"_s;
    QTest::newRow("step past the version") << QByteArray(R"({"schema_version":2,"upcasters":{"2":{"remove":["a"]}}})")
                                            << u"/c/upcasters/2: there is no version 3 yet"_s;
    QTest::newRow("step key not a version") << QByteArray(R"({"schema_version":3,"upcasters":{"01":{}}})")
                                             << u"/c/upcasters/01: must be the version"_s;
    QTest::newRow("step not an object") << QByteArray(R"({"schema_version":3,"upcasters":{"1":[]}})") << u"/c/upcasters/1: must be an object"_s;
    QTest::newRow("upcasters not an object") << QByteArray(R"({"upcasters":[]})") << u"/c/upcasters: must be an object"_s;
}

void tst_SchemaEvolution::collectionVersionsAreRead()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QStringList errors;
    Collection::fromJson(u"items"_s, object(json), &errors, u"/c"_s);
    QVERIFY2(!errors.isEmpty() && errors.first().startsWith(error), qPrintable(errors.join(u"; ")));
}

void tst_SchemaEvolution::eventsCarryTheirVersion()
{
    const auto versionOf = [](const char *metadata) { return CloudEvent::schemaVersionOf(QByteArray(metadata)); };
    QCOMPARE(versionOf("{\"commandid\":\"x\",\"dataschema\":\"/schemas/products/12\"}"), 12);
    QCOMPARE(versionOf("{\"commandid\":\"x\"}"), 0);
    QCOMPARE(versionOf("{\"dataschema\":\"/schemas/products/x\"}"), 0);
    QCOMPARE(versionOf("{\"dataschema\":\"/schemas/products/-3\"}"), 0);
    // Inside another member's string the name is escaped: not the event's version.
    QCOMPARE(versionOf("{\"user\":\"\\\"dataschema\\\":\\\"/schemas/p/9\\\"\"}"), 0);
    QCOMPARE(CloudEvent::schemaVersionOf("not json"), 0);

    RecordedEvent e;
    e.position = 3;
    e.stream = u"products-1"_s;
    e.id = u"00000000-0000-4000-8000-000000000000"_s;
    e.type = u"products.created"_s;
    e.data = R"({"id":"1"})";
    e.metadata = R"({"correlationid":"c","dataschema":"/schemas/products/2"})";
    QCOMPARE(CloudEvent::toJson(e).value(u"dataschema"_s).toString(), u"/schemas/products/2"_s);
    const QJsonObject fast = QJsonDocument::fromJson(CloudEvent::toJsonBytes(e)).object();
    QCOMPARE(fast, CloudEvent::toJson(e));
    e.metadata = "{}";
    QVERIFY(!QJsonDocument::fromJson(CloudEvent::toJsonBytes(e)).object().contains(u"dataschema"_s));
}

QTEST_GUILESS_MAIN(tst_SchemaEvolution)
#include "tst_schemaevolution.moc"
