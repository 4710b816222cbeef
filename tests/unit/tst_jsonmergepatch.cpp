// JSON Merge Patch (RFC 7386), the body of every update command: the RFC's own examples
// (section 3 and appendix A) and a few edge cases of our own.
#include "config/jsonmergepatch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace Gatehouse;

namespace {

// Any JSON text, scalars and null included.
QJsonValue parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson("[" + json + "]", &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad test JSON: %s", json.constData());
    return document.array().at(0);
}

QByteArray serialize(const QJsonValue &value)
{
    if (value.isUndefined())
        return "undefined";
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

} // namespace

class tst_JsonMergePatch : public QObject
{
    Q_OBJECT

private slots:
    void apply_data();
    void apply();
    void missingTargetIsAnEmptyObject();
    void targetIsNotModified();
};

void tst_JsonMergePatch::apply_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QByteArray>("expected");

    // RFC 7386, section 3.
    QTest::newRow("rfc section 3")
        << QByteArray(R"({"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
                          "tags":["example","sample"],"content":"This will be unchanged"})")
        << QByteArray(R"({"title":"Hello!","phoneNumber":"+01-123-456-7890",
                          "author":{"familyName":null},"tags":["example"]})")
        << QByteArray(R"({"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
                          "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})");

    // RFC 7386, appendix A, in order.
    QTest::newRow("A1 replace member") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"a":"c"})")
                                       << QByteArray(R"({"a":"c"})");
    QTest::newRow("A2 add member") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"b":"c"})")
                                   << QByteArray(R"({"a":"b","b":"c"})");
    QTest::newRow("A3 remove member") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"a":null})")
                                      << QByteArray("{}");
    QTest::newRow("A4 remove one of two") << QByteArray(R"({"a":"b","b":"c"})")
                                          << QByteArray(R"({"a":null})")
                                          << QByteArray(R"({"b":"c"})");
    QTest::newRow("A5 array by string") << QByteArray(R"({"a":["b"]})")
                                        << QByteArray(R"({"a":"c"})")
                                        << QByteArray(R"({"a":"c"})");
    QTest::newRow("A6 string by array") << QByteArray(R"({"a":"c"})")
                                        << QByteArray(R"({"a":["b"]})")
                                        << QByteArray(R"({"a":["b"]})");
    QTest::newRow("A7 nested merge") << QByteArray(R"({"a":{"b":"c"}})")
                                     << QByteArray(R"({"a":{"b":"d","c":null}})")
                                     << QByteArray(R"({"a":{"b":"d"}})");
    QTest::newRow("A8 array replaced") << QByteArray(R"({"a":[{"b":"c"}]})")
                                       << QByteArray(R"({"a":[1]})")
                                       << QByteArray(R"({"a":[1]})");
    QTest::newRow("A9 arrays") << QByteArray(R"(["a","b"])") << QByteArray(R"(["c","d"])")
                               << QByteArray(R"(["c","d"])");
    QTest::newRow("A10 object by array") << QByteArray(R"({"a":"b"})") << QByteArray(R"(["c"])")
                                         << QByteArray(R"(["c"])");
    QTest::newRow("A11 null patch") << QByteArray(R"({"a":"foo"})") << QByteArray("null")
                                    << QByteArray("null");
    QTest::newRow("A12 string patch") << QByteArray(R"({"a":"foo"})") << QByteArray(R"("bar")")
                                      << QByteArray(R"("bar")");
    QTest::newRow("A13 null in target kept") << QByteArray(R"({"e":null})")
                                             << QByteArray(R"({"a":1})")
                                             << QByteArray(R"({"e":null,"a":1})");
    QTest::newRow("A14 array target") << QByteArray("[1,2]")
                                      << QByteArray(R"({"a":"b","c":null})")
                                      << QByteArray(R"({"a":"b"})");
    QTest::newRow("A15 nested nulls dropped") << QByteArray("{}")
                                              << QByteArray(R"({"a":{"bb":{"ccc":null}}})")
                                              << QByteArray(R"({"a":{"bb":{}}})");

    // Ours.
    QTest::newRow("empty patch") << QByteArray(R"({"a":1,"b":[2]})") << QByteArray("{}")
                                 << QByteArray(R"({"a":1,"b":[2]})");
    QTest::newRow("remove missing member") << QByteArray(R"({"a":1})")
                                           << QByteArray(R"({"z":null})")
                                           << QByteArray(R"({"a":1})");
    QTest::newRow("scalar target") << QByteArray("42") << QByteArray(R"({"a":{"b":null,"c":1}})")
                                   << QByteArray(R"({"a":{"c":1}})");
    QTest::newRow("number replaces object") << QByteArray(R"({"a":{"b":1}})")
                                            << QByteArray(R"({"a":0})")
                                            << QByteArray(R"({"a":0})");
    QTest::newRow("object replaces number") << QByteArray(R"({"a":0})")
                                            << QByteArray(R"({"a":{"b":1,"c":null}})")
                                            << QByteArray(R"({"a":{"b":1}})");
    QTest::newRow("deep merge keeps siblings")
        << QByteArray(R"({"a":{"b":{"c":1,"d":2},"e":3},"f":4})")
        << QByteArray(R"({"a":{"b":{"c":null,"x":true}}})")
        << QByteArray(R"({"a":{"b":{"d":2,"x":true},"e":3},"f":4})");
    QTest::newRow("array is not merged element-wise") << QByteArray(R"({"a":[1,2,3]})")
                                                      << QByteArray(R"({"a":[null]})")
                                                      << QByteArray(R"({"a":[null]})");
    QTest::newRow("false and zero are values") << QByteArray(R"({"a":true,"b":1})")
                                               << QByteArray(R"({"a":false,"b":0})")
                                               << QByteArray(R"({"a":false,"b":0})");
    QTest::newRow("product update") << QByteArray(R"({"name":"Widget","price":9.5,"sku":"ABC-123"})")
                                    << QByteArray(R"({"price":7.25,"sku":null,"stock":3})")
                                    << QByteArray(R"({"name":"Widget","price":7.25,"stock":3})");
}

void tst_JsonMergePatch::apply()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, patch);
    QFETCH(QByteArray, expected);

    const QJsonValue result = JsonMergePatch::apply(parse(target), parse(patch));
    QCOMPARE(serialize(result), serialize(parse(expected)));
    // Applying the same patch again changes nothing (RFC 7386 patches are idempotent).
    QCOMPARE(serialize(JsonMergePatch::apply(result, parse(patch))), serialize(result));
}

void tst_JsonMergePatch::missingTargetIsAnEmptyObject()
{
    const QJsonValue result = JsonMergePatch::apply(QJsonValue(QJsonValue::Undefined),
                                                    parse(R"({"a":1,"b":null})"));
    QCOMPARE(serialize(result), QByteArray(R"({"a":1})"));
}

void tst_JsonMergePatch::targetIsNotModified()
{
    const QJsonObject target = parse(R"({"a":{"b":1}})").toObject();
    const QJsonObject copy = target;
    JsonMergePatch::apply(target, parse(R"({"a":{"b":null}})"));
    QCOMPARE(target, copy);
}

QTEST_GUILESS_MAIN(tst_JsonMergePatch)
#include "tst_jsonmergepatch.moc"
