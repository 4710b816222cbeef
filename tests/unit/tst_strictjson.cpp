// StrictJson: the one parser of JSON coming from outside. Every row that must fail here is
// something Qt's own parser accepts (or reads differently from SQLite's json_extract), which
// is how a hostile command could reach the store and poison a projection.
#include "config/rawjson.h"
#include "config/strictjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace Gatehouse;

class tst_StrictJson : public QObject
{
    Q_OBJECT

private slots:
    void accepts_data();
    void accepts();
    void rejects_data();
    void rejects();
    void valueMatchesQt();
    void depthLimit();
    void duplicateNamesInLargeObject();
    void hugeFlatInputIsLinear();
    void depthOfValue();
    void canonical();
    void rawArrayMember_data();
    void rawArrayMember();
};

void tst_StrictJson::accepts_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("object") << QByteArray(R"({"name":"a","price":1.5})");
    QTest::newRow("whitespace") << QByteArray(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n");
    QTest::newRow("zero") << QByteArray("0");
    QTest::newRow("negative zero") << QByteArray("-0");
    QTest::newRow("fraction") << QByteArray("0.5");
    QTest::newRow("exponent") << QByteArray("1e5");
    QTest::newRow("signed exponent") << QByteArray("-1.25E-7");
    QTest::newRow("small exponent") << QByteArray("2.5e-300");
    QTest::newRow("string escapes") << QByteArray(R"(["\"\\\/\b\f\n\r\t\u0041\u00e9"])");
    QTest::newRow("surrogate pair") << QByteArray(R"("\ud83d\ude00")");
    QTest::newRow("utf-8 2,3,4 bytes") << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    QTest::newRow("literals") << QByteArray("[true,false,null]");
    QTest::newRow("empty containers") << QByteArray(R"({"a":{},"b":[]})");
    QTest::newRow("same name in sibling objects") << QByteArray(R"([{"a":1},{"a":2}])");
    QTest::newRow("names differing by escape") << QByteArray(R"({"a":1,"\u0062":2})");
    QTest::newRow("U+FEFF escaped, or raw inside a string") << QByteArray("[\"\\ufeffx\",\"a\xef\xbb\xbf\"]");
}

void tst_StrictJson::accepts()
{
    QFETCH(QByteArray, text);
    StrictJson::Error error;
    const std::optional<QJsonValue> value = StrictJson::parse(text, &error);
    QVERIFY2(value.has_value(), qPrintable(error.toString()));
    // What is accepted, Qt's parser reads as the same value.
    QCOMPARE(*value, QJsonDocument::fromJson('[' + text + ']').array().first());
}

void tst_StrictJson::rejects_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << QByteArray() << "unexpected end";
    QTest::newRow("only whitespace") << QByteArray("  ") << "unexpected end";
    QTest::newRow("trailing dot") << QByteArray(R"({"name":"a","price":1.})") << "decimal point";
    QTest::newRow("leading dot") << QByteArray(R"({"price":.5})") << "a value was expected";
    QTest::newRow("dot before exponent") << QByteArray(R"({"price":1.e5})") << "decimal point";
    QTest::newRow("leading plus") << QByteArray("+1") << "a value was expected";
    QTest::newRow("leading zero") << QByteArray("012") << "leading zeros";
    QTest::newRow("bare exponent") << QByteArray("1e") << "exponent";
    QTest::newRow("infinite") << QByteArray("1e400") << "out of range";
    QTest::newRow("huge negative") << QByteArray("-1e999") << "out of range";
    QTest::newRow("underflow") << QByteArray("1e-400") << "out of range";
    QTest::newRow("NaN") << QByteArray("NaN") << "a value was expected";
    QTest::newRow("raw tab in string") << QByteArray("{\"name\":\"a\tb\"}") << "control character";
    QTest::newRow("raw newline in string") << QByteArray("{\"name\":\"a\nb\"}") << "control character";
    QTest::newRow("raw NUL in string") << QByteArray("{\"name\":\"a\0b\"}", 14) << "control character";
    QTest::newRow("BOM") << QByteArray("\xef\xbb\xbf{\"name\":\"a\"}") << "byte order mark";
    QTest::newRow("duplicate name") << QByteArray(R"({"id":"d1","price":-5,"price":7})") << "duplicate";
    QTest::newRow("duplicate after unescaping") << QByteArray(R"({"price":-5,"pr\u0069ce":7})") << "duplicate";
    QTest::newRow("nested duplicate") << QByteArray(R"({"a":{"b":1,"b":1}})") << "duplicate";
    QTest::newRow("lone high surrogate") << QByteArray(R"("\ud800")") << "surrogate";
    QTest::newRow("lone low surrogate") << QByteArray(R"("\udc00x")") << "surrogate";
    QTest::newRow("high then non-low") << QByteArray(R"("\ud800\u0041")") << "surrogate";
    QTest::newRow("bad escape") << QByteArray(R"("\x41")") << "invalid escape";
    QTest::newRow("short unicode escape") << QByteArray(R"("\u12")") << "hexadecimal";
    QTest::newRow("invalid UTF-8 byte") << QByteArray("\"\xff\"") << "UTF-8";
    QTest::newRow("overlong UTF-8") << QByteArray("\"\xc0\xaf\"") << "UTF-8";
    QTest::newRow("overlong 3-byte") << QByteArray("\"\xe0\x80\xaf\"") << "UTF-8";
    QTest::newRow("UTF-8 surrogate") << QByteArray("\"\xed\xa0\x80\"") << "UTF-8";
    QTest::newRow("beyond U+10FFFF") << QByteArray("\"\xf4\x90\x80\x80\"") << "UTF-8";
    QTest::newRow("truncated UTF-8") << QByteArray("\"\xe2\x82") << "UTF-8";
    QTest::newRow("trailing comma in object") << QByteArray(R"({"a":1,})") << "member name";
    QTest::newRow("trailing comma in array") << QByteArray("[1,]") << "a value was expected";
    QTest::newRow("single quotes") << QByteArray("{'a':1}") << "member name";
    QTest::newRow("unquoted name") << QByteArray("{a:1}") << "member name";
    QTest::newRow("comment") << QByteArray("{\"a\":1 /* c */}") << "'}' was expected";
    QTest::newRow("two values") << QByteArray("{} {}") << "after the JSON value";
    QTest::newRow("trailing garbage") << QByteArray("[1]x") << "after the JSON value";
    QTest::newRow("unterminated string") << QByteArray(R"({"a":"b)") << "unterminated";
    QTest::newRow("unterminated object") << QByteArray(R"({"a":1)") << "'}' was expected";
    QTest::newRow("bad literal") << QByteArray("[tru]") << "literal";
    QTest::newRow("vertical tab as space") << QByteArray("\v{}") << "a value was expected";
    QTest::newRow("non-breaking space") << QByteArray("\xc2\xa0{}") << "a value was expected";
    // Found by fuzz_json_document: Qt's parser drops a raw U+FEFF that starts a string, so this
    // was {"price":7,"price":-5} to Qt -- the duplicate check and the schema saw another name.
    QTest::newRow("raw U+FEFF starting a name") << QByteArray("{\"\xef\xbb\xbfprice\":-5,\"price\":7}") << "byte order mark";
    QTest::newRow("raw U+FEFF starting a value") << QByteArray("[\"\xef\xbb\xbfx\"]") << "byte order mark";
    QTest::newRow("fuzzer input") << QByteArray("{\"\xef\xbb\xbfid\":\"p-2\",\"name\":\"Desk\",\"price\":120}") << "byte order mark";
}

void tst_StrictJson::rejects()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, message);
    StrictJson::Error error;
    QVERIFY(!StrictJson::parse(text, &error).has_value());
    QVERIFY2(error.message.contains(message, Qt::CaseInsensitive), qPrintable(error.toString()));
    QVERIFY(error.offset >= 0 && error.offset <= text.size());
}

void tst_StrictJson::valueMatchesQt()
{
    const QByteArray text = R"({"id":"x","n":12,"f":-1.5e3,"s":"\u00e9\n","a":[1,{"b":null}],"t":true})";
    const std::optional<QJsonValue> value = StrictJson::parse(text);
    QVERIFY(value && value->isObject());
    QCOMPARE(value->toObject(), QJsonDocument::fromJson(text).object());
    QCOMPARE(StrictJson::parse("\"x\"")->toString(), QStringLiteral("x"));
    QCOMPARE(StrictJson::parse(" 42 ")->toInteger(), 42);
    QVERIFY(StrictJson::parse("null")->isNull());
    QVERIFY(!StrictJson::parseObject("[1]").has_value());
    QVERIFY(StrictJson::parseObject("{}").has_value());
}

void tst_StrictJson::depthLimit()
{
    auto nested = [](int depth) -> QByteArray {
        return QByteArray(depth, '[') + QByteArray(depth, ']');
    };
    QVERIFY(StrictJson::parse(nested(StrictJson::kMaxDepth)).has_value());
    StrictJson::Error error;
    QVERIFY(!StrictJson::parse(nested(StrictJson::kMaxDepth + 1), &error).has_value());
    QVERIFY2(error.message.contains(QLatin1String("deeper than 64")), qPrintable(error.message));
    QCOMPARE(error.offset, StrictJson::kMaxDepth);
    // Far past any stack: refused at the limit, not by running out of stack.
    QVERIFY(!StrictJson::parse(nested(1'000'000)).has_value());
    QByteArray objects;
    for (int i = 0; i < 100'000; ++i)
        objects += "{\"a\":";
    QVERIFY(!StrictJson::parse(QByteArray(objects + "1" + QByteArray(100'000, '}'))).has_value());
    QVERIFY(StrictJson::parse(nested(10), nullptr, 10).has_value());
    QVERIFY(!StrictJson::parse(nested(11), nullptr, 10).has_value());
}

void tst_StrictJson::duplicateNamesInLargeObject()
{
    // Past the short list the names go into a hash set; a duplicate far apart is still found.
    QByteArray text = "{";
    for (int i = 0; i < 1000; ++i)
        text += "\"k" + QByteArray::number(i) + "\":" + QByteArray::number(i) + ',';
    QVERIFY(StrictJson::parse(QByteArray(text + "\"last\":0}")).has_value());
    StrictJson::Error error;
    QVERIFY(!StrictJson::parse(QByteArray(text + "\"k3\":0}"), &error).has_value());
    QVERIFY(error.message.contains(QLatin1String("duplicate")));
}

void tst_StrictJson::hugeFlatInputIsLinear()
{
    // 200,000 distinct members and a 1,000,000-element array: a quadratic name check would
    // not finish within the test's timeout.
    QByteArray text = "{";
    for (int i = 0; i < 200'000; ++i)
        text += (i ? ",\"" : "\"") + QByteArray::number(i) + "\":1";
    text += '}';
    QVERIFY(StrictJson::check(text));
    const QByteArray array = "[" + QByteArray("0,").repeated(1'000'000) + "0]";
    QVERIFY(StrictJson::check(array));
}

void tst_StrictJson::depthOfValue()
{
    QCOMPARE(StrictJson::depth(QJsonValue(1)), 0);
    QCOMPARE(StrictJson::depth(QJsonObject()), 1);
    QCOMPARE(StrictJson::depth(QJsonObject{{QStringLiteral("a"), QJsonArray{QJsonObject{}}}}), 3);
    QJsonValue deep = QJsonObject();
    for (int i = 0; i < 200; ++i)
        deep = QJsonArray{deep};
    QCOMPARE(StrictJson::depth(deep, 10), 10);
    QCOMPARE(StrictJson::depth(deep, 1000), 201);
}

void tst_StrictJson::canonical()
{
    const QJsonObject o = *StrictJson::parseObject(R"({ "b" : 1.50, "a" : "x" })");
    QCOMPARE(StrictJson::canonical(o), QByteArray(R"({"a":"x","b":1.5})"));
    QCOMPARE(StrictJson::canonical(QJsonValue(QStringLiteral("\t"))), QByteArray(R"("\t")"));
    QCOMPARE(StrictJson::canonical(QJsonValue(2)), QByteArray("2"));

    // A string (or name) beginning with U+FEFF, sent escaped: stored escaped, so it reads back
    // the same (Qt writes it raw, and its own parser would drop it there).
    const QJsonObject bom = *StrictJson::parseObject(R"({"\ufeffk":"\ufeffv","q":"a\"\ufeffb","in":"x\ufeff"})");
    const QByteArray stored = StrictJson::canonical(bom);
    const auto back = StrictJson::parseObject(stored);
    QVERIFY2(back.has_value(), stored.constData());
    QCOMPARE(*back, bom);
    QCOMPARE(QJsonDocument::fromJson(stored).object(), bom);
    QCOMPARE(StrictJson::canonical(QJsonValue(QStringLiteral("\uFEFFx"))), QByteArray(R"("\ufeffx")"));
}

void tst_StrictJson::rawArrayMember_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QList<QByteArray>>("elements");
    using L = QList<QByteArray>;
    QTest::newRow("as the engine writes it") << QByteArray(R"({"type":"events","events":[{"a":1}],"metadata":[{"z":1,"a":2},null]})")
                                             << L{R"({"z":1,"a":2})", "null"};
    QTest::newRow("whitespace around everything") << QByteArray(" {\n \"metadata\" :\t[ {\"b\" : [1, 2]} ,\r\n {} ] } ")
                                                  << L{R"({"b" : [1, 2]})", "{}"};
    QTest::newRow("brackets and quotes inside strings") << QByteArray(R"({"x":"]}\"","metadata":[{"s":"a\"],{b"},"\\"]})")
                                                        << L{R"({"s":"a\"],{b"})", R"("\\")"};
    QTest::newRow("scalars") << QByteArray(R"({"metadata":[1,-2.5e3,true,false,null,"x"]})") << L{"1", "-2.5e3", "true", "false", "null", R"("x")"};
    QTest::newRow("empty") << QByteArray(R"({"metadata":[]})") << L{};
    QTest::newRow("nested member of the same name is not it") << QByteArray(R"({"a":{"metadata":[1]},"b":[{"metadata":[2]}]})") << L{};
    QTest::newRow("after a nested one") << QByteArray(R"({"a":{"metadata":[1]},"metadata":[3]})") << L{"3"};
    QTest::newRow("name written with escapes") << QByteArray(R"({"meta\u0064ata":[7],"metadata\"":[8]})") << L{"7"};
    QTest::newRow("not an array") << QByteArray(R"({"metadata":{"0":1}})") << L{};
    QTest::newRow("missing") << QByteArray(R"({"events":[1]})") << L{};
    QTest::newRow("not an object") << QByteArray(R"([{"metadata":[1]}])") << L{};
    QTest::newRow("cut short") << QByteArray(R"({"metadata":[{"a":"x)") << L{R"({"a":"x)"};
    QTest::newRow("unterminated key") << QByteArray(R"({"meta)") << L{};
    QTest::newRow("nothing") << QByteArray() << L{};
}

void tst_StrictJson::rawArrayMember()
{
    QFETCH(QByteArray, json);
    QFETCH(QList<QByteArray>, elements);
    QList<QByteArray> got;
    for (const QByteArrayView e : RawJson::arrayMember(json, "metadata"))
        got.append(e.toByteArray());
    QCOMPARE(got, elements);
}

QTEST_APPLESS_MAIN(tst_StrictJson)
#include "tst_strictjson.moc"
