// The CloudEvent a function's handle() is given for an event of the log: built by the script
// engine from the event's fields (ScriptHost::invokeEvents, in the engine's thread or in a
// worker process), it must be the same value as the one converted from CloudEvent::toJson
// (dead letters, dry runs): the same members in the same order, the same property attributes,
// data_base64 for data that is not strict JSON, a "__proto__" member of data kept as data, and
// arrays for batches. An instance interrupted while it made events keeps making them right.
#include "functions/functiondefinition.h"
#include "functions/scriptcontext.h"
#include "functions/scripthost.h"
#include "store/cloudevent.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>

#include <limits>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

// What handle() saw, as text: its JSON, and what JSON does not show (key order of every
// object, property attributes, prototypes, which values are arrays).
const char kDescribe[] = R"JS(
function describe(v) {
    if (Array.isArray(v))
        return '[' + v.map(describe).join(',') + ']';
    if (v === null || typeof v !== 'object')
        return typeof v + ':' + JSON.stringify(v);
    var proto = Object.getPrototypeOf(v) === Object.prototype ? 'O' : 'other';
    return proto + '{' + Object.getOwnPropertyNames(v).map(function (k) {
        var d = Object.getOwnPropertyDescriptor(v, k);
        return JSON.stringify(k) + (d.writable ? 'w' : '') + (d.enumerable ? 'e' : '') + (d.configurable ? 'c' : '')
            + '=' + describe(d.value);
    }).join(',') + '}';
}
function handle(e, ctx) { return describe(e); }
)JS";

RecordedEvent recorded(qint64 position, const QByteArray &data, const QByteArray &metadata, qint64 timeMs = 1764236357475)
{
    RecordedEvent e;
    e.position = position;
    e.stream = u"products-p"_s + QString::number(position);
    e.version = position % 3;
    e.id = u"018f0000-0000-7000-8000-%1"_s.arg(position, 12, 10, QLatin1Char('0'));
    e.type = u"products.created"_s;
    e.data = data;
    e.metadata = metadata;
    e.timeMs = timeMs;
    return e;
}

} // namespace

class tst_ScriptEvent : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void sameAsTheJsonEvent_data();
    void sameAsTheJsonEvent();
    void batches();
    void manyTypes();
    void largePositions();
    void interruptedWhileMaking();
    void collectionNames();

private:
    QString viaJson(const QJsonValue &input)
    {
        const ScriptHost::Outcome out = m_host.invoke(input, m_access);
        return out.ok ? out.result.toString() : u"error: "_s + out.error;
    }
    QString viaEvents(const RecordedEvents &events, bool batched)
    {
        const ScriptHost::Outcome out = m_host.invokeEvents(events, batched, m_access);
        return out.ok ? out.result.toString() : u"error: "_s + out.error;
    }

    ScriptHost m_host;
    DocumentAccess m_access;
};

void tst_ScriptEvent::initTestCase()
{
    FunctionDefinition def;
    def.name = u"describe"_s;
    def.code = QString::fromUtf8(kDescribe);
    def.version = 1;
    QString error;
    int line = 0;
    QVERIFY2(m_host.load(def, &error, &line), qPrintable(error));
}

void tst_ScriptEvent::sameAsTheJsonEvent_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("metadata");
    QTest::addColumn<qint64>("timeMs");
    const QByteArray all = R"({"correlationid":"c-1","causationid":"k-2","dataschema":"/schemas/products/3","user":"u"})";
    QTest::newRow("no metadata") << QByteArray(R"({"name":"a","price":3.5,"tags":["x",1,null,true]})") << QByteArray() << qint64(1764236357475);
    QTest::newRow("correlation") << QByteArray(R"({"name":"a"})") << QByteArray(R"({"correlationid":"c-1","commandid":"x"})")
                                 << qint64(0);
    QTest::newRow("every optional member") << QByteArray(R"({"name":"a"})") << all << qint64(86399999);
    QTest::newRow("causation only") << QByteArray("[1,2]") << QByteArray(R"({"causationid":"k"})") << qint64(1);
    QTest::newRow("schema only") << QByteArray("\"text\"") << QByteArray(R"({"dataschema":"/schemas/p/1"})") << qint64(2);
    QTest::newRow("empty and non-string members") << QByteArray("42")
                                                  << QByteArray(R"({"correlationid":"","causationid":7,"dataschema":null})")
                                                  << qint64(3);
    QTest::newRow("metadata not JSON") << QByteArray("null") << QByteArray("{not json") << qint64(4);
    QTest::newRow("escaped metadata") << QByteArray("{}") << QByteArray(R"({"correlationid":"a\"b\u00e9"})") << qint64(5);
    QTest::newRow("data not strict JSON") << QByteArray("{\"a\":1,\"a\":2}") << all << qint64(6);
    QTest::newRow("data not JSON at all") << QByteArray("\xff\x00 bytes", 8) << QByteArray() << qint64(7);
    QTest::newRow("empty data") << QByteArray() << QByteArray() << qint64(8);
    QTest::newRow("__proto__ in data") << QByteArray(R"({"__proto__":{"polluted":true},"nested":[{"__proto__":1}]})")
                                       << QByteArray() << qint64(9);
    QTest::newRow("unicode") << QByteArray("{\"name\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"deep\":{\"a\":{\"b\":[]}}}") << QByteArray()
                             << qint64(-1);
    QTest::newRow("last ms of year 9999") << QByteArray("{}") << QByteArray() << qint64(253402300799999);
    QTest::newRow("year 10000") << QByteArray("{}") << QByteArray() << qint64(253402300800000);
    QTest::newRow("first ms of year 1") << QByteArray("{}") << QByteArray() << qint64(-62135596800000);
    QTest::newRow("before year 1") << QByteArray("{}") << QByteArray() << qint64(-62135596800001);
    QTest::newRow("lowest time") << QByteArray("{}") << QByteArray() << std::numeric_limits<qint64>::min();
    QTest::newRow("highest time") << QByteArray("{}") << QByteArray() << std::numeric_limits<qint64>::max();
}

void tst_ScriptEvent::sameAsTheJsonEvent()
{
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, metadata);
    QFETCH(qint64, timeMs);
    const RecordedEvent e = recorded(17, data, metadata, timeMs);
    const QString expected = viaJson(CloudEvent::toJson(e));
    QVERIFY2(expected.startsWith(u"O{"_s), qPrintable(expected));
    QCOMPARE(viaEvents({e}, false), expected);
}

void tst_ScriptEvent::batches()
{
    const RecordedEvents events{recorded(1, R"({"n":1})", R"({"correlationid":"c"})"), recorded(2, "not json", {}),
                                recorded(3, R"({"n":3})", R"({"dataschema":"/schemas/products/2"})")};
    QJsonArray list;
    for (const RecordedEvent &e : events)
        list.append(CloudEvent::toJson(e));
    const QString expected = viaJson(list);
    QVERIFY2(expected.startsWith(u"[O{"_s), qPrintable(expected));
    QCOMPARE(viaEvents(events, true), expected);
    // A batch of one is still an array; without batching the one event is the input.
    QCOMPARE(viaEvents({events.first()}, true), viaJson(QJsonArray{CloudEvent::toJson(events.first())}));
    QCOMPARE(viaEvents({events.first()}, false), viaJson(CloudEvent::toJson(events.first())));
}

void tst_ScriptEvent::manyTypes()
{
    // More types than the host keeps strings for: each event still gets its own type and source.
    for (int i = 0; i < 600; ++i) {
        RecordedEvent e = recorded(i + 1, "{}", {});
        e.type = u"c%1.v%2"_s.arg(i % 300).arg(i % 7);
        e.stream = u"c%1-x"_s.arg(i % 300);
        const QString expected = viaJson(CloudEvent::toJson(e));
        const QString actual = viaEvents({e}, false);
        if (actual != expected)
            QFAIL(qPrintable(u"event %1: %2 != %3"_s.arg(i).arg(actual, expected)));
    }
}

void tst_ScriptEvent::largePositions()
{
    for (const qint64 position : {qint64(9007199254740993), std::numeric_limits<qint64>::max()}) {
        RecordedEvent e = recorded(position, "{}", {});
        e.version = position - 1;
        QCOMPARE(viaEvents({e}, false), viaJson(CloudEvent::toJson(e)));
    }
}

void tst_ScriptEvent::interruptedWhileMaking()
{
    // A batch of large events of new types, with a timeout of 1 ms: the watchdog interrupts the
    // instance while it makes them (unless this machine makes them all within one tick). The
    // instance stays in use after a timeout; every type must still be a string afterwards.
    FunctionDefinition def;
    def.name = u"types"_s;
    def.code = u"function handle(e) { return typeof e.type + ' ' + typeof e.source + ' ' + e.type; }"_s;
    def.version = 1;
    def.timeoutMs = 1;
    ScriptHost host;
    QString error;
    int line = 0;
    bool loaded = false;
    for (int attempt = 0; attempt < 10 && !loaded; ++attempt)
        loaded = host.load(def, &error, &line);   // loading is bounded by the same 1 ms
    QVERIFY2(loaded, qPrintable(error));
    QByteArray data = "[";
    for (int i = 0; i < 4000; ++i)
        data += QByteArray::number(i) + ',';
    data += "0]";
    RecordedEvents events;
    for (int i = 0; i < 1000; ++i) {
        RecordedEvent e = recorded(i + 1, data, {});
        e.type = u"t%1.created"_s.arg(i);
        e.stream = u"t%1-x"_s.arg(i);
        events.append(e);
    }
    const ScriptHost::Outcome batch = host.invokeEvents(events, true, m_access);
    QVERIFY(!batch.ok || !batch.timedOut);
    if (!batch.timedOut)
        qInfo("the batch was made within the timeout; nothing was interrupted");
    for (const RecordedEvent &e : std::as_const(events)) {
        RecordedEvent small = e;
        small.data = "{}";
        const ScriptHost::Outcome out = host.invokeEvents({small}, false, m_access);
        if (!out.ok)
            continue;   // this call timed out too (a slow moment); its type is checked by the next
        QCOMPARE(out.result.toString(), u"string string "_s + e.type);
    }
}

void tst_ScriptEvent::collectionNames()
{
    // ^[a-z][a-z0-9_]{0,62}$, and nothing after the end (a regular expression's $ also
    // matched before a final newline).
    QVERIFY(ScriptContext::isValidCollection(u"products"_s));
    QVERIFY(ScriptContext::isValidCollection(u"a"_s));
    QVERIFY(ScriptContext::isValidCollection(u"a_1"_s + QString(60, u'z')));
    QVERIFY(!ScriptContext::isValidCollection(u"a_1"_s + QString(61, u'z')));
    for (const QString &bad : {u""_s, u"products\n"_s, u"_x"_s, u"1x"_s, u"Products"_s, u"pro-ducts"_s, u"pro ducts"_s,
                               u"pr\u00f6ducts"_s, QString(u"pro\0ducts"_s)})
        QVERIFY2(!ScriptContext::isValidCollection(bad), qPrintable(bad));
}

QTEST_GUILESS_MAIN(tst_ScriptEvent)
#include "tst_scriptevent.moc"
