// Reading scenarios: a full document into its structures, the defaults, k6 duration strings,
// every invalid case with its exact JSON Pointer and message, several errors at once, each
// limit at and beyond its bound, and the checks against the engine's collections.
#include "simulation/scenario.h"

#include "config/collectioncatalog.h"
#include "config/jsonmergepatch.h"

#include <QJsonArray>
#include <QJsonDocument>
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

// A valid scenario; each row patches it (RFC 7386: arrays are replaced whole).
const QByteArray kBase = R"({"duration": "30s", "workloads": [{"name": "w", "executor": "constant-vus",
    "operations": [{"op": "get", "collection": "products"}]}]})";

QJsonObject patched(const QByteArray &patch)
{
    return JsonMergePatch::apply(object(kBase), object(patch)).toObject();
}

// A patch whose only workload has these members besides its name.
QByteArray workload(const QByteArray &members)
{
    return R"({"workloads": [{"name": "w", )" + members + "}]}";
}

// A patch whose only workload (constant-vus) runs these operations.
QByteArray operations(const QByteArray &list)
{
    return workload(R"("executor": "constant-vus", "operations": )" + list);
}

QStringList errorsOf(const QJsonObject &json, const CollectionCatalog *catalog = nullptr)
{
    QStringList errors;
    const auto scenario = Scenario::fromJson(json, &errors, catalog);
    if (scenario.has_value() == !errors.isEmpty())
        qFatal("fromJson returned %s with %d errors", scenario ? "a scenario" : "nothing", int(errors.size()));
    return errors;
}

Scenario read(const QJsonObject &json, const CollectionCatalog *catalog = nullptr)
{
    QStringList errors;
    const auto scenario = Scenario::fromJson(json, &errors, catalog);
    if (!scenario)
        qFatal("expected a valid scenario: %s", qPrintable(errors.join(u"; ")));
    return *scenario;
}

// products (with a custom command) and orders (whose schema no generator can satisfy).
const QByteArray kProject = R"({"name": "shop", "collections": {
    "products": {"schema": {"type": "object", "required": ["name", "price"], "additionalProperties": false,
        "properties": {"id": {"type": "string"}, "name": {"type": "string", "minLength": 1},
                       "price": {"type": "number", "minimum": 0}, "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{3}$"}}},
        "commands": {"reprice": {"function": "reprice"}}},
    "orders": {"schema": {"type": "object", "required": ["code"],
        "properties": {"code": {"type": "string", "pattern": "^(?=a)b$"}}}}}})";

std::unique_ptr<CollectionCatalog> catalog()
{
    QStringList errors;
    ProjectConfig project = ProjectConfig::fromJson(kProject, &errors);
    if (!errors.isEmpty())
        qFatal("bad test project: %s", qPrintable(errors.join(u"; ")));
    auto c = std::make_unique<CollectionCatalog>();
    c->replace(std::move(project));
    return c;
}

// QCOMPARE names no item of lists of different sizes; this shows both in full.
#define COMPARE_ERRORS(actual, expected)                                                            \
    do {                                                                                            \
        const QStringList a_ = (actual);                                                            \
        const QStringList e_ = (expected);                                                          \
        QVERIFY2(a_ == e_, qPrintable(u"\n got:      "_s % a_.join(u"\n           "_s)           \
                                      % u"\n expected: "_s % e_.join(u"\n           "_s)));        \
    } while (false)

QByteArray repeated(const QByteArray &item, int count, const QByteArray &separator = ",")
{
    QByteArrayList items;
    for (int i = 0; i < count; ++i)
        items.append(QByteArray(item).replace("#", QByteArray::number(i)));
    return items.join(separator);
}

} // namespace

class tst_Scenario : public QObject
{
    Q_OBJECT

private slots:
    void readsAFullScenario();
    void defaults_data();
    void defaults();
    void durations_data();
    void durations();
    void invalid_data();
    void invalid();
    void everyErrorAtOnce();
    void limits_data();
    void limits();
    void collections_data();
    void collections();
    void withoutErrorListStillRefuses();
};

void tst_Scenario::readsAFullScenario()
{
    const QByteArray json = R"({
      "name": "flash-sale", "description": "a spike", "seed": 42, "duration": "1m",
      "workloads": [
        {"name": "buyers", "executor": "constant-arrival-rate", "rate": 200, "time_unit": "1s",
         "pre_allocated_vus": 50, "max_vus": 200, "duration": "20s", "start_time": "5s", "graceful_stop": "3s",
         "operations": [
           {"op": "create", "collection": "products", "weight": 5},
           {"op": "update", "collection": "products"},
           {"op": "delete", "collection": "products", "weight": 0.5},
           {"op": "command", "collection": "products", "command": "reprice", "data": {"price": 10}},
           {"op": "get", "collection": "products", "weight": 10, "headers": {"apikey": "k1"}},
           {"op": "list", "collection": "products", "query": {"price[gt]": "10", "sort": "-price", "limit": 20}, "follow_cursor": true, "max_pages": 3},
           {"op": "read_after_write", "collection": "products"},
           {"op": "request", "name": "guarded", "method": "POST", "path": "/guarded/{id}?n={seq}&r={random}", "body": {"x": 1}, "collection": "products"},
           {"op": "mqtt_command", "collection": "products", "schema": {"type": "object", "required": ["name", "price"], "properties": {"name": {"enum": ["a"]}, "price": {"const": 1}}}}
         ]},
        {"name": "browsers", "executor": "ramping-vus", "start_vus": 0,
         "stages": [{"target": 10, "duration": "10s"}, {"target": 0, "duration": 5}],
         "operations": [{"op": "get", "collection": "products"}]}
      ],
      "subscribers": [{"protocol": "websocket", "connections": 4, "collections": ["products"]},
                      {"protocol": "mqtt", "topic": "gatehouse/events/products/#"}, {"protocol": "sse"}],
      "thresholds": {"http_req_duration{op:create}": ["p(99)<50", "avg<20"], "consistency_lag{via:websocket}": ["p(99)<20"],
                     "errors": ["rate<0.01"], "mqtt_command_duration": ["max<1000"]},
      "faults": [
        {"kind": "function", "function": "notify", "error_rate": 0.1, "latency": "50ms", "at": "5s", "for": "10s"},
        {"kind": "projection", "projection": "products", "pause": true, "at": "5s", "for": "5s"},
        {"kind": "projection", "projection": "products", "ms_per_batch": 20},
        {"kind": "broker", "at": "10s", "for": "20s"},
        {"kind": "commit_delay", "delay": "5ms", "at": "0s", "for": "10s"},
        {"kind": "upstream", "upstream": "payments", "node": "127.0.0.1:9000", "toxic": "latency", "attributes": {"latency": 100, "jitter": 10}, "at": "2s", "for": "10s"}
      ]})";
    const auto projects = catalog();
    const Scenario s = read(object(json), projects.get());
    QCOMPARE(s.name, u"flash-sale"_s);
    QCOMPARE(s.description, u"a spike"_s);
    QCOMPARE(s.seed, quint64(42));
    QCOMPARE(s.durationMs, 60'000);
    QCOMPARE(s.target, QString());
    QCOMPARE(s.document, object(json));

    QCOMPARE(s.workloads.size(), 2);
    const Workload &buyers = s.workloads.at(0);
    QCOMPARE(buyers.name, u"buyers"_s);
    QCOMPARE(buyers.executor.kind, Executor::ConstantArrivalRate);
    QCOMPARE(buyers.executor.rate, 200.0);
    QCOMPARE(buyers.executor.timeUnitMs, 1000);
    QCOMPARE(buyers.executor.preAllocatedVus, 50);
    QCOMPARE(buyers.executor.maxVus, 200);
    QCOMPARE(buyers.executor.durationMs, 20'000);
    QCOMPARE(buyers.executor.startTimeMs, 5'000);
    QCOMPARE(buyers.executor.gracefulStopMs, 3'000);
    QCOMPARE(buyers.operations.size(), 9);
    const auto &ops = buyers.operations;
    QCOMPARE(ops[0].kind, Operation::Create);
    QCOMPARE(ops[0].name, u"create"_s);
    QCOMPARE(ops[0].weight, 5.0);
    QCOMPARE(ops[0].collection, u"products"_s);
    QCOMPARE(ops[2].weight, 0.5);
    QCOMPARE(ops[3].kind, Operation::Command);
    QCOMPARE(ops[3].command, u"reprice"_s);
    QCOMPARE(ops[3].data, QJsonValue(QJsonObject{{u"price"_s, 10}}));
    QCOMPARE(ops[4].headers, (QList<std::pair<QByteArray, QByteArray>>{{"apikey", "k1"}}));
    QCOMPARE(ops[5].kind, Operation::List);
    QCOMPARE(ops[5].query, (QMap<QString, QString>{{u"price[gt]"_s, u"10"_s}, {u"sort"_s, u"-price"_s}, {u"limit"_s, u"20"_s}}));
    QVERIFY(ops[5].followCursor);
    QCOMPARE(ops[5].maxPages, 3);
    QCOMPARE(ops[6].kind, Operation::ReadAfterWrite);
    QCOMPARE(ops[7].kind, Operation::Request);
    QCOMPARE(ops[7].name, u"guarded"_s);
    QCOMPARE(ops[7].method, QByteArray("POST"));
    QCOMPARE(ops[7].path, u"/guarded/{id}?n={seq}&r={random}"_s);
    QCOMPARE(ops[7].body, QJsonValue(QJsonObject{{u"x"_s, 1}}));
    QCOMPARE(ops[8].kind, Operation::MqttCommand);
    QCOMPARE(ops[8].schema.value(u"required"_s), QJsonValue(QJsonArray{u"name"_s, u"price"_s}));

    const Workload &browsers = s.workloads.at(1);
    QCOMPARE(browsers.executor.kind, Executor::RampingVus);
    QCOMPARE(browsers.executor.vus, 0);
    QCOMPARE(browsers.executor.maxVus, 10);
    QCOMPARE(browsers.executor.stages.size(), 2);
    QCOMPARE(browsers.executor.stages.at(1).durationMs, 5'000);
    QCOMPARE(browsers.executor.durationMs, 15'000);

    QCOMPARE(s.subscribers.size(), 3);
    QCOMPARE(s.subscribers[0].protocol, Subscriber::WebSocket);
    QCOMPARE(s.subscribers[0].connections, 4);
    QCOMPARE(s.subscribers[0].collections, QStringList{u"products"_s});
    QCOMPARE(s.subscribers[1].protocol, Subscriber::Mqtt);
    QCOMPARE(s.subscribers[1].topic, u"gatehouse/events/products/#"_s);
    QCOMPARE(s.subscribers[2].protocol, Subscriber::Sse);

    QCOMPARE(s.thresholds.size(), 5);
    QStringList expressions;
    for (const Threshold &t : s.thresholds)
        expressions.append(t.key % u' ' % t.expression);
    QCOMPARE(expressions, (QStringList{u"consistency_lag{via:websocket} p(99)<20"_s, u"errors rate<0.01"_s,
                                       u"http_req_duration{op:create} p(99)<50"_s, u"http_req_duration{op:create} avg<20"_s,
                                       u"mqtt_command_duration max<1000"_s}));
    QCOMPARE(s.thresholds[2].tags, (QMap<QString, QString>{{u"op"_s, u"create"_s}}));
    QCOMPARE(s.thresholds[2].percentile, 99.0);

    QCOMPARE(s.faults.size(), 6);
    QCOMPARE(s.faults[0].kind, Fault::Function);
    QCOMPARE(s.faults[0].function, u"notify"_s);
    QCOMPARE(s.faults[0].errorRate, 0.1);
    QCOMPARE(s.faults[0].latencyMs, 50);
    QCOMPARE(s.faults[0].atMs, 5'000);
    QCOMPARE(s.faults[0].forMs, 10'000);
    QVERIFY(s.faults[1].paused);
    QCOMPARE(s.faults[2].msPerBatch, 20);
    QCOMPARE(s.faults[2].forMs, 0);
    QCOMPARE(s.faults[3].kind, Fault::Broker);
    QCOMPARE(s.faults[4].latencyMs, 5);
    QCOMPARE(s.faults[5].upstream, u"payments"_s);
    QCOMPARE(s.faults[5].node, u"127.0.0.1:9000"_s);
    QCOMPARE(s.faults[5].toxic, u"latency"_s);
    QCOMPARE(s.faults[5].toxicAttributes, (QJsonObject{{u"latency"_s, 100}, {u"jitter"_s, 10}}));
}

void tst_Scenario::defaults_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QByteArray>("expected");   // Executor's members as JSON, compared one by one

    QTest::newRow("constant-arrival-rate 200/s: 20 VUs (100 ms each)")
        << workload(R"("executor": "constant-arrival-rate", "rate": 200, "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 20, "max": 20, "duration": 30000, "timeUnit": 1000, "gracefulStop": 2000, "start": 0})");
    QTest::newRow("5/s: at least one VU")
        << workload(R"("executor": "constant-arrival-rate", "rate": 5, "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 1, "max": 1})");
    QTest::newRow("100000/s: capped at 2000 VUs")
        << workload(R"("executor": "constant-arrival-rate", "rate": 100000, "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 2000, "max": 2000})");
    QTest::newRow("max_vus bounds the guess")
        << workload(R"("executor": "constant-arrival-rate", "rate": 200, "max_vus": 10, "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 10, "max": 10})");
    QTest::newRow("max_vus defaults to pre_allocated_vus")
        << workload(R"("executor": "constant-arrival-rate", "rate": 200, "pre_allocated_vus": 50, "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 50, "max": 50})");
    QTest::newRow("per minute")
        << workload(R"("executor": "constant-arrival-rate", "rate": 600, "time_unit": "1m", "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 1, "timeUnit": 60000, "rate": 600})");
    QTest::newRow("ramping-arrival-rate: the peak stage decides")
        << workload(R"("executor": "ramping-arrival-rate", "stages": [{"target": 100, "duration": "10s"}, {"target": 500, "duration": "10s"}], "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"pre": 50, "max": 50, "duration": 20000, "startRate": 0})");
    QTest::newRow("constant-vus: until the scenario ends")
        << workload(R"("executor": "constant-vus", "start_time": "5s", "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"vus": 1, "max": 1, "duration": 25000, "start": 5000})");
    QTest::newRow("ramping-vus: one VU to start, the peak as max")
        << workload(R"("executor": "ramping-vus", "stages": [{"target": 10, "duration": "5s"}, {"target": 0, "duration": "5s"}], "operations": [{"op": "get", "collection": "products"}])")
        << QByteArray(R"({"vus": 1, "max": 10, "duration": 10000})");
}

void tst_Scenario::defaults()
{
    QFETCH(QByteArray, patch);
    QFETCH(QByteArray, expected);
    const Scenario s = read(patched(patch));
    QCOMPARE(s.seed, quint64(1));
    const Executor &e = s.workloads.at(0).executor;
    const QJsonObject want = object(expected);
    const QMap<QString, double> actual{
        {u"pre"_s, e.preAllocatedVus}, {u"max"_s, e.maxVus}, {u"duration"_s, double(e.durationMs)},
        {u"timeUnit"_s, double(e.timeUnitMs)}, {u"gracefulStop"_s, double(e.gracefulStopMs)},
        {u"start"_s, double(e.startTimeMs)}, {u"vus"_s, e.vus}, {u"rate"_s, e.rate}, {u"startRate"_s, e.startRate}};
    for (auto it = want.constBegin(); it != want.constEnd(); ++it)
        QVERIFY2(actual.value(it.key()) == it.value().toDouble(),
                 qPrintable(u"%1: %2, expected %3"_s.arg(it.key()).arg(actual.value(it.key())).arg(it.value().toDouble())));
    // Operation defaults.
    const Operation &op = s.workloads.at(0).operations.at(0);
    QCOMPARE(op.name, u"get"_s);
    QCOMPARE(op.weight, 1.0);
}

void tst_Scenario::durations_data()
{
    QTest::addColumn<QJsonValue>("duration");
    QTest::addColumn<qint64>("ms");   // -1: refused
    QTest::newRow("30s") << QJsonValue(u"30s"_s) << qint64(30'000);
    QTest::newRow("1m30s") << QJsonValue(u"1m30s"_s) << qint64(90'000);
    QTest::newRow("500ms") << QJsonValue(u"500ms"_s) << qint64(500);
    QTest::newRow("1.5s") << QJsonValue(u"1.5s"_s) << qint64(1'500);
    QTest::newRow("2h") << QJsonValue(u"2h"_s) << qint64(7'200'000);
    QTest::newRow("1h30m15s250ms") << QJsonValue(u"1h30m15s250ms"_s) << qint64(5'415'250);
    QTest::newRow("1500us") << QJsonValue(u"1500us"_s) << qint64(2);
    QTest::newRow("seconds as a number") << QJsonValue(45) << qint64(45'000);
    QTest::newRow("fraction of a second") << QJsonValue(0.25) << qint64(250);
    QTest::newRow("24h is the most") << QJsonValue(u"24h"_s) << qint64(86'400'000);
    QTest::newRow("24h1ms") << QJsonValue(u"24h1ms"_s) << qint64(-1);
    QTest::newRow("no unit") << QJsonValue(u"30"_s) << qint64(-1);
    QTest::newRow("negative") << QJsonValue(-5) << qint64(-1);
    QTest::newRow("words") << QJsonValue(u"30 seconds"_s) << qint64(-1);
    QTest::newRow("empty") << QJsonValue(u""_s) << qint64(-1);
    QTest::newRow("boolean") << QJsonValue(true) << qint64(-1);
    QTest::newRow("days are not k6's") << QJsonValue(u"1d"_s) << qint64(-1);
}

void tst_Scenario::durations()
{
    QFETCH(QJsonValue, duration);
    QFETCH(qint64, ms);
    QJsonObject json = object(kBase);
    json.insert(u"duration"_s, duration);
    QStringList errors;
    const auto s = Scenario::fromJson(json, &errors);
    if (ms < 0) {
        QCOMPARE(errors, QStringList{u"/duration: must be a duration such as \"30s\", \"1m30s\" or \"500ms\", or a number of seconds, at most 24h"_s});
        return;
    }
    QVERIFY2(s, qPrintable(errors.join(u"; ")));
    QCOMPARE(s->durationMs, ms);
}

void tst_Scenario::invalid_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QStringList>("errors");
    const auto row = [](const char *name, const QByteArray &patch, const QString &error) {
        QTest::newRow(name) << patch << QStringList{error};
    };
    const QByteArray get = R"({"op": "get", "collection": "products"})";

    // The document
    row("unknown member", R"({"colour": "red"})", u"/colour: unknown member"_s);
    row("duration missing", R"({"duration": null})", u"/duration: is required"_s);
    row("duration 0s", R"({"duration": "0s"})", u"/duration: must be at least 1ms"_s);
    row("seed negative", R"({"seed": -1})", u"/seed: must be an integer from 0 to 9007199254740991"_s);
    row("seed fraction", R"({"seed": 1.5})", u"/seed: must be an integer from 0 to 9007199254740991"_s);
    row("seed as text", R"({"seed": "42"})", u"/seed: must be an integer from 0 to 9007199254740991"_s);
    row("name with spaces", R"({"name": "flash sale"})", u"/name: must be 1 to 64 letters, digits, '_', '.' or '-'"_s);
    row("description not text", R"({"description": 5})", u"/description: must be a string"_s);
    row("target ftp", R"({"target": "ftp://example.com"})", u"/target: must be a gateway's base URL such as \"http://127.0.0.1:9080\" (http or https, no path)"_s);
    row("target with a path", R"({"target": "https://127.0.0.1:9080/api"})", u"/target: must be a gateway's base URL such as \"http://127.0.0.1:9080\" (http or https, no path)"_s);
    row("workloads missing", R"({"workloads": null})", u"/workloads: is required"_s);
    row("workloads empty", R"({"workloads": []})", u"/workloads: must be an array of 1 to 16 items"_s);
    row("workload not an object", R"({"workloads": [7]})", u"/workloads/0: must be an object"_s);

    // Workloads and executors
    row("workload without name", R"({"workloads": [{"executor": "constant-vus", "operations": [)" + get + "]}]}", u"/workloads/0/name: is required"_s);
    row("unknown executor", workload(R"("executor": "per-vu-iterations", "operations": [)" + get + "]"),
        u"/workloads/0/executor: must be one of: constant-arrival-rate, ramping-arrival-rate, constant-vus, ramping-vus"_s);
    row("member of another executor", workload(R"("executor": "constant-vus", "rate": 5, "operations": [)" + get + "]"),
        u"/workloads/0/rate: is not used by the constant-vus executor"_s);
    row("unknown workload member", workload(R"("executor": "constant-vus", "think_time": 5, "operations": [)" + get + "]"),
        u"/workloads/0/think_time: unknown member"_s);
    row("two workloads of one name", R"({"workloads": [{"name": "w", "executor": "constant-vus", "operations": [)" + get
        + R"(]}, {"name": "w", "executor": "constant-vus", "operations": [)" + get + "]}]}",
        u"/workloads/1/name: another workload is named \"w\""_s);
    row("rate missing", workload(R"("executor": "constant-arrival-rate", "operations": [)" + get + "]"), u"/workloads/0/rate: is required"_s);
    row("rate 0", workload(R"("executor": "constant-arrival-rate", "rate": 0, "operations": [)" + get + "]"), u"/workloads/0/rate: must be a number above 0"_s);
    row("rate above the limit", workload(R"("executor": "constant-arrival-rate", "rate": 200000, "operations": [)" + get + "]"),
        u"/workloads/0/rate: asks for 200000 iterations per second; at most 100000 per second"_s);
    row("rate per minute above the limit", workload(R"("executor": "constant-arrival-rate", "rate": 7000000, "time_unit": "1m", "operations": [)" + get + "]"),
        u"/workloads/0/rate: asks for 116666.67 iterations per second; at most 100000 per second"_s);
    row("time_unit 0", workload(R"("executor": "constant-arrival-rate", "rate": 1, "time_unit": "0s", "operations": [)" + get + "]"),
        u"/workloads/0/time_unit: must be at least 1ms"_s);
    row("max_vus below pre_allocated_vus", workload(R"("executor": "constant-arrival-rate", "rate": 1, "pre_allocated_vus": 10, "max_vus": 5, "operations": [)" + get + "]"),
        u"/workloads/0/max_vus: must be at least pre_allocated_vus (10)"_s);
    row("ramping without stages", workload(R"("executor": "ramping-arrival-rate", "operations": [)" + get + "]"), u"/workloads/0/stages: is required"_s);
    row("stage without duration", workload(R"("executor": "ramping-arrival-rate", "stages": [{"target": 5}], "operations": [)" + get + "]"),
        u"/workloads/0/stages/0/duration: is required"_s);
    row("stage member unknown", workload(R"("executor": "ramping-arrival-rate", "stages": [{"target": 5, "duration": "1s", "rate": 1}], "operations": [)" + get + "]"),
        u"/workloads/0/stages/0/rate: unknown member"_s);
    row("stage not an object", workload(R"("executor": "ramping-vus", "stages": [5], "operations": [)" + get + "]"),
        u"/workloads/0/stages/0: must be an object {\"target\", \"duration\"}"_s);
    row("stages of no time", workload(R"("executor": "ramping-arrival-rate", "stages": [{"target": 5, "duration": "0s"}], "operations": [)" + get + "]"),
        u"/workloads/0/stages: last 0s in all"_s);
    row("stage rate above the limit", workload(R"("executor": "ramping-arrival-rate", "stages": [{"target": 100001, "duration": "5s"}], "operations": [)" + get + "]"),
        u"/workloads/0/stages/0/target: asks for 100001 iterations per second; at most 100000 per second"_s);
    row("VU target a fraction", workload(R"("executor": "ramping-vus", "stages": [{"target": 2.5, "duration": "5s"}], "operations": [)" + get + "]"),
        u"/workloads/0/stages/0/target: must be an integer from 0 to 2000"_s);
    row("never a VU", workload(R"("executor": "ramping-vus", "start_vus": 0, "stages": [{"target": 0, "duration": "5s"}], "operations": [)" + get + "]"),
        u"/workloads/0/stages: never has a VU: start_vus and every target are 0"_s);
    row("vus 0", workload(R"("executor": "constant-vus", "vus": 0, "operations": [)" + get + "]"), u"/workloads/0/vus: must be an integer from 1 to 2000"_s);
    row("starts after the end", workload(R"("executor": "constant-vus", "start_time": "30s", "operations": [)" + get + "]"),
        u"/workloads/0/start_time: must be before the end of the scenario (30s)"_s);
    row("ends after the end", workload(R"("executor": "constant-vus", "start_time": "10s", "duration": "25s", "operations": [)" + get + "]"),
        u"/workloads/0/duration: ends at 35s, after the scenario's duration (30s)"_s);
    row("stages end after the end", workload(R"("executor": "ramping-vus", "stages": [{"target": 5, "duration": "20s"}, {"target": 1, "duration": "20s"}], "operations": [)" + get + "]"),
        u"/workloads/0/stages: ends at 40s, after the scenario's duration (30s)"_s);
    row("graceful_stop too long", workload(R"("executor": "constant-vus", "graceful_stop": "10m", "operations": [)" + get + "]"),
        u"/workloads/0/graceful_stop: must be at most 5m"_s);
    row("no operations", workload(R"("executor": "constant-vus", "operations": [])"), u"/workloads/0/operations: must be an array of 1 to 32 items"_s);

    // Operations
    const QString op0 = u"/workloads/0/operations/0"_s;
    row("operation not an object", operations("[1]"), op0 % u": must be an object"_s);
    row("op missing", operations(R"([{"collection": "products"}])"), op0 % u"/op: is required"_s);
    row("op unknown", operations(R"([{"op": "upsert", "collection": "products"}])"),
        op0 % u"/op: must be one of: create, update, delete, command, get, list, read_after_write, request, mqtt_command"_s);
    row("collection missing", operations(R"([{"op": "get"}])"), op0 % u"/collection: is required"_s);
    row("member of another op", operations(R"([{"op": "get", "collection": "products", "query": {}}])"), op0 % u"/query: is not used by a \"get\" operation"_s);
    row("schema where none is generated", operations(R"([{"op": "get", "collection": "products", "schema": {"type": "text"}}])"),
        op0 % u"/schema: is not used by a \"get\" operation"_s);
    row("weight 0", operations(R"([{"op": "get", "collection": "products", "weight": 0}])"), op0 % u"/weight: must be a number above 0 and at most 1000000"_s);
    row("two creates without names", operations(R"([{"op": "create", "collection": "products"}, {"op": "create", "collection": "products"}])"),
        u"/workloads/0/operations/1: another operation of this workload is named \"create\"; give each its own \"name\""_s);
    row("two operations of one name", operations(R"([{"op": "get", "collection": "products", "name": "x"}, {"op": "delete", "collection": "products", "name": "x"}])"),
        u"/workloads/0/operations/1/name: another operation of this workload is named \"x\"; give each its own \"name\""_s);
    row("reserved header", operations(R"([{"op": "get", "collection": "products", "headers": {"Host": "x"}}])"), op0 % u"/headers/Host: is set by the load generator"_s);
    row("bad header name", operations(R"([{"op": "get", "collection": "products", "headers": {"bad header": "x"}}])"), op0 % u"/headers/bad header: is not a valid header name"_s);
    row("header value not text", operations(R"([{"op": "get", "collection": "products", "headers": {"apikey": 5}}])"),
        op0 % u"/headers/apikey: must be a string of at most 8192 characters without line breaks"_s);
    row("header value with a line break", operations(R"([{"op": "get", "collection": "products", "headers": {"apikey": "a\r\nX-Evil: 1"}}])"),
        op0 % u"/headers/apikey: must be a string of at most 8192 characters without line breaks"_s);
    row("collection name malformed", operations(R"([{"op": "get", "collection": "Products"}])"), op0 % u"/collection: must be a collection name ([a-z][a-z0-9_-]{0,62})"_s);
    row("command missing", operations(R"([{"op": "command", "collection": "products"}])"), op0 % u"/command: is required"_s);
    row("command built in", operations(R"([{"op": "command", "collection": "products", "command": "update"}])"),
        op0 % u"/command: must be the name of one of the collection's custom commands"_s);
    row("command data not an object", operations(R"([{"op": "command", "collection": "products", "command": "reprice", "data": [1]}])"),
        op0 % u"/data: must be an object (the command's body)"_s);
    row("command data and schema", operations(R"([{"op": "command", "collection": "products", "command": "reprice", "data": {}, "schema": {}}])"),
        op0 % u"/schema: cannot be combined with data: give either the body or a schema to generate it from"_s);
    row("max_pages without follow_cursor", operations(R"([{"op": "list", "collection": "products", "max_pages": 3}])"),
        op0 % u"/max_pages: needs \"follow_cursor\": true"_s);
    row("max_pages too many", operations(R"([{"op": "list", "collection": "products", "follow_cursor": true, "max_pages": 101}])"),
        op0 % u"/max_pages: must be an integer from 1 to 100"_s);
    row("query value an object", operations(R"([{"op": "list", "collection": "products", "query": {"price[gt]": {"v": 1}}}])"),
        op0 % u"/query/price[gt]: must be a parameter name with a string, number or boolean value"_s);
    row("follow_cursor not a boolean", operations(R"([{"op": "list", "collection": "products", "follow_cursor": "yes"}])"),
        op0 % u"/follow_cursor: must be true or false"_s);
    row("request without path", operations(R"([{"op": "request"}])"), op0 % u"/path: is required"_s);
    row("request method unknown", operations(R"([{"op": "request", "method": "FETCH", "path": "/x"}])"),
        op0 % u"/method: must be one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"_s);
    row("request path relative", operations(R"([{"op": "request", "path": "guarded"}])"), op0 % u"/path: must start with '/' and contain no spaces or '#'"_s);
    row("request placeholder unknown", operations(R"([{"op": "request", "path": "/x/{uuid}"}])"),
        op0 % u"/path: unknown placeholder {uuid} (known: {id}, {seq}, {random})"_s);
    row("request {id} without collection", operations(R"([{"op": "request", "path": "/x/{id}"}])"),
        op0 % u"/path: {id} needs \"collection\": the collection whose created ids it takes"_s);
    row("GET with a body", operations(R"([{"op": "request", "path": "/x", "body": {"a": 1}}])"), op0 % u"/body: a GET request carries no body"_s);
    row("schema does not compile", operations(R"([{"op": "create", "collection": "products", "schema": {"type": "text"}}])"),
        op0 % u"/schema/type: unknown type \"text\""_s);
    row("schema cannot be generated", operations(R"([{"op": "create", "collection": "products", "schema": {"type": "object", "required": ["c"], "properties": {"c": {"type": "string", "pattern": "^(?=x)y$"}}}}])"),
        op0 % u"/schema/properties/c/pattern: cannot generate for pattern ^(?=x)y$"_s);
    row("schema contradicts itself", operations(R"([{"op": "create", "collection": "products", "schema": {"type": "object", "required": ["x"], "additionalProperties": false}}])"),
        op0 % u"/schema: required property \"x\" is not allowed"_s);

    // Subscribers
    row("subscribers not an array", R"({"subscribers": {}})", u"/subscribers: must be an array of 0 to 16 items"_s);
    row("protocol unknown", R"({"subscribers": [{"protocol": "grpc"}]})", u"/subscribers/0/protocol: must be one of: websocket, sse, mqtt"_s);
    row("topic on a websocket", R"({"subscribers": [{"protocol": "websocket", "topic": "a"}]})", u"/subscribers/0/topic: is for mqtt subscribers only"_s);
    row("connections 0", R"({"subscribers": [{"protocol": "sse", "connections": 0}]})", u"/subscribers/0/connections: must be an integer from 1 to 1000"_s);
    row("bad MQTT filter", R"({"subscribers": [{"protocol": "mqtt", "topic": "a/#/b"}]})",
        u"/subscribers/0/topic: must be an MQTT topic filter such as \"gatehouse/events/#\""_s);
    row("topic and collections", R"({"subscribers": [{"protocol": "mqtt", "topic": "a/#", "collections": ["products"]}]})",
        u"/subscribers/0/topic: cannot be combined with collections: give one or the other"_s);
    row("subscriber collection malformed", R"({"subscribers": [{"protocol": "websocket", "collections": ["Products"]}]})",
        u"/subscribers/0/collections/0: must be a collection name"_s);

    // Thresholds
    row("thresholds not an object", R"({"thresholds": []})", u"/thresholds: must be an object"_s);
    row("unknown metric", R"({"thresholds": {"vus": ["max<10"]}})",
        u"/thresholds/vus: unknown metric \"vus\" (known: consistency_lag, dropped_iterations, errors, http_req_duration, http_reqs, iterations, mqtt_command_duration)"_s);
    row("bad expression", R"({"thresholds": {"http_req_duration{op:get}": ["p99 < 50"]}})",
        u"/thresholds/http_req_duration{op:get}/0: must be <statistic> <comparison> <number>, such as \"p(99)<50\" or \"rate<0.01\""_s);
    row("statistic of another type", R"({"thresholds": {"http_req_duration": ["p(99)<50", "rate<1"]}})",
        u"/thresholds/http_req_duration/1: \"rate\" does not apply to http_req_duration (it takes avg, min, med, max, p(N))"_s);
    row("expressions not an array", R"({"thresholds": {"errors": "rate<0.01"}})",
        u"/thresholds/errors: must be a non-empty array of expressions such as \"p(99)<50\""_s);
    row("k6's object form", R"({"thresholds": {"errors": [{"threshold": "rate<0.01", "abortOnFail": true}]}})",
        u"/thresholds/errors/0: must be a string such as \"p(99)<50\" (k6's object form is not supported)"_s);
    row("op tag names nothing", R"({"thresholds": {"http_req_duration{op:create}": ["p(99)<50"]}})",
        u"/thresholds/http_req_duration{op:create}: no operation named \"create\""_s);
    row("pointer escapes / and ~", R"({"thresholds": {"errors{op:a/b~c}": ["rate<0.1"]}})",
        u"/thresholds/errors{op:a~1b~0c}: no operation named \"a/b~c\""_s);
    row("op of another workload", R"({"thresholds": {"http_reqs{workload:w,op:list}": ["count>1"]}})",
        u"/thresholds/http_reqs{workload:w,op:list}: no operation named \"list\" in workload \"w\""_s);
    row("workload tag names nothing", R"({"thresholds": {"iterations{workload:x}": ["count>1"]}})",
        u"/thresholds/iterations{workload:x}: no workload named \"x\""_s);
    row("status not a status", R"({"thresholds": {"http_reqs{status:abc}": ["count>1"]}})",
        u"/thresholds/http_reqs{status:abc}: status must be an HTTP status code (100-599)"_s);
    row("lag via get without read_after_write", R"({"thresholds": {"consistency_lag{via:get}": ["p(99)<20"]}})",
        u"/thresholds/consistency_lag{via:get}: no read_after_write operation measures consistency_lag via get"_s);
    row("lag via websocket without subscriber", R"({"thresholds": {"consistency_lag{via:websocket}": ["p(99)<20"]}})",
        u"/thresholds/consistency_lag{via:websocket}: no websocket subscriber measures consistency_lag via websocket"_s);
    row("lag via a carrier pigeon", R"({"subscribers": [{"protocol": "sse"}], "thresholds": {"consistency_lag{via:pigeon}": ["p(99)<20"]}})",
        u"/thresholds/consistency_lag{via:pigeon}: via must be one of: get, websocket, sse, mqtt"_s);
    row("lag with no source", R"({"thresholds": {"consistency_lag": ["p(99)<20"]}})",
        u"/thresholds/consistency_lag: nothing in the scenario measures consistency_lag (a read_after_write operation or a subscriber)"_s);
    row("mqtt_command_duration without mqtt_command", R"({"thresholds": {"mqtt_command_duration": ["p(99)<20"]}})",
        u"/thresholds/mqtt_command_duration: no mqtt_command operation in the scenario measures mqtt_command_duration"_s);

    // Faults
    row("faults not an array", R"({"faults": {}})", u"/faults: must be an array of 0 to 32 items"_s);
    row("fault kind unknown", R"({"faults": [{"kind": "disk"}]})", u"/faults/0/kind: must be one of: function, projection, broker, commit_delay, upstream"_s);
    row("fault kind missing", R"({"faults": [{"at": "1s"}]})", u"/faults/0/kind: is required"_s);
    row("function not named", R"({"faults": [{"kind": "function", "error_rate": 0.1}]})", u"/faults/0/function: is required"_s);
    row("error_rate above 1", R"({"faults": [{"kind": "function", "function": "f", "error_rate": 1.5}]})", u"/faults/0/error_rate: must be a number from 0 to 1"_s);
    row("function fault of nothing", R"({"faults": [{"kind": "function", "function": "f"}]})", u"/faults/0: sets neither error_rate nor latency"_s);
    row("function latency too long", R"({"faults": [{"kind": "function", "function": "f", "latency": "2m"}]})", u"/faults/0/latency: must be at most 1m"_s);
    row("pause and ms_per_batch", R"({"faults": [{"kind": "projection", "projection": "products", "pause": true, "ms_per_batch": 5}]})",
        u"/faults/0/ms_per_batch: cannot be combined with \"pause\": a paused projection handles no batch"_s);
    row("projection fault of nothing", R"({"faults": [{"kind": "projection", "projection": "products"}]})", u"/faults/0: sets neither pause nor ms_per_batch"_s);
    row("pause false alone", R"({"faults": [{"kind": "projection", "projection": "products", "pause": false}]})", u"/faults/0/pause: must be true (or give ms_per_batch)"_s);
    row("commit_delay without delay", R"({"faults": [{"kind": "commit_delay"}]})", u"/faults/0/delay: is required"_s);
    row("commit_delay too long", R"({"faults": [{"kind": "commit_delay", "delay": "20s"}]})", u"/faults/0/delay: must be at most 10s"_s);
    row("broker with a function", R"({"faults": [{"kind": "broker", "function": "f"}]})", u"/faults/0/function: is not used by a \"broker\" fault"_s);
    row("toxic unknown", R"({"faults": [{"kind": "upstream", "upstream": "u", "toxic": "chaos"}]})",
        u"/faults/0/toxic: must be one of: latency, bandwidth, timeout, reset_peer, slow_close, down"_s);
    row("attribute of another toxic", R"({"faults": [{"kind": "upstream", "upstream": "u", "toxic": "latency", "attributes": {"latency": 100, "rate": 5}}]})",
        u"/faults/0/attributes/rate: is not an attribute of the latency toxic (it takes latency, jitter)"_s);
    row("down takes no attribute", R"({"faults": [{"kind": "upstream", "upstream": "u", "toxic": "down", "attributes": {"latency": 5}}]})",
        u"/faults/0/attributes/latency: is not an attribute of the down toxic (it has none)"_s);
    row("bandwidth without rate", R"({"faults": [{"kind": "upstream", "upstream": "u", "toxic": "bandwidth"}]})",
        u"/faults/0/attributes: is required: the bandwidth toxic needs \"rate\""_s);
    row("latency negative", R"({"faults": [{"kind": "upstream", "upstream": "u", "toxic": "latency", "attributes": {"latency": -1}}]})",
        u"/faults/0/attributes/latency: must be an integer from 0 to 60000"_s);
    row("node without port", R"({"faults": [{"kind": "upstream", "upstream": "u", "node": "localhost", "toxic": "down"}]})",
        u"/faults/0/node: must be host:port"_s);
    row("fault after the end", R"({"faults": [{"kind": "broker", "at": "40s"}]})", u"/faults/0/at: must be before the end of the scenario (30s)"_s);
    row("engine fault against another engine", R"({"target": "http://10.0.0.2:9080", "faults": [{"kind": "broker"}]})",
        u"/faults/0/kind: needs the scenario to run against this engine: remove \"target\" or this fault"_s);
}

void tst_Scenario::invalid()
{
    QFETCH(QByteArray, patch);
    QFETCH(QStringList, errors);
    COMPARE_ERRORS(errorsOf(patched(patch)), errors);
}

void tst_Scenario::everyErrorAtOnce()
{
    const QByteArray json = R"({
      "seed": -3, "duration": "soon", "extra": 1,
      "workloads": [
        {"name": "a", "executor": "constant-arrival-rate", "rate": 0, "vus": 3,
         "operations": [{"op": "get"}, {"op": "list", "collection": "products", "max_pages": 2}]},
        {"executor": "ramping-vus", "stages": [{"target": 1}], "operations": [{"op": "get", "collection": "products"}]}
      ],
      "subscribers": [{"protocol": "mqtt", "connections": 2000}],
      "thresholds": {"errors": ["avg<1"], "http_req_duration": ["p(99)<5"]},
      "faults": [{"kind": "function"}, {"kind": "upstream", "upstream": "u", "toxic": "latency", "attributes": {"jitter": 5}}]
    })";
    // In document order of the sections, each section's members in the reader's order.
    COMPARE_ERRORS(errorsOf(object(json)), (QStringList{
        u"/extra: unknown member"_s,
        u"/seed: must be an integer from 0 to 9007199254740991"_s,
        u"/duration: must be a duration such as \"30s\", \"1m30s\" or \"500ms\", or a number of seconds, at most 24h"_s,
        u"/workloads/0/vus: is not used by the constant-arrival-rate executor"_s,
        u"/workloads/0/rate: must be a number above 0"_s,
        u"/workloads/0/operations/0/collection: is required"_s,
        u"/workloads/0/operations/1/max_pages: needs \"follow_cursor\": true"_s,
        u"/workloads/1/name: is required"_s,
        u"/workloads/1/stages/0/duration: is required"_s,
        u"/subscribers/0/connections: must be an integer from 1 to 1000"_s,
        u"/thresholds/errors/0: \"avg\" does not apply to errors (it takes rate)"_s,
        u"/faults/0/function: is required"_s,
        u"/faults/0: sets neither error_rate nor latency"_s,
        u"/faults/1/attributes/latency: is required"_s,
    }));
}

void tst_Scenario::limits_data()
{
    QTest::addColumn<QByteArray>("atLimit");
    QTest::addColumn<QByteArray>("beyond");
    QTest::addColumn<QString>("error");
    const QByteArray get = R"({"op": "get", "collection": "products"})";
    const QByteArray w = R"({"name": "w#", "executor": "constant-vus", "operations": [)" + get + "]}";
    QTest::newRow("16 workloads") << "{\"workloads\": [" + repeated(w, 16) + "]}" << "{\"workloads\": [" + repeated(w, 17) + "]}"
                                  << u"/workloads: must be an array of 1 to 16 items"_s;
    const QByteArray op = R"({"op": "get", "collection": "products", "name": "g#"})";
    QTest::newRow("32 operations") << operations("[" + repeated(op, 32) + "]") << operations("[" + repeated(op, 33) + "]")
                                   << u"/workloads/0/operations: must be an array of 1 to 32 items"_s;
    QTest::newRow("2000 VUs") << workload(R"("executor": "constant-vus", "vus": 2000, "operations": [)" + get + "]")
                              << workload(R"("executor": "constant-vus", "vus": 2001, "operations": [)" + get + "]")
                              << u"/workloads/0/vus: must be an integer from 1 to 2000"_s;
    QTest::newRow("2000 max_vus") << workload(R"("executor": "constant-arrival-rate", "rate": 10, "max_vus": 2000, "operations": [)" + get + "]")
                                  << workload(R"("executor": "constant-arrival-rate", "rate": 10, "max_vus": 2001, "operations": [)" + get + "]")
                                  << u"/workloads/0/max_vus: must be an integer from 1 to 2000"_s;
    QTest::newRow("100000 per second") << workload(R"("executor": "constant-arrival-rate", "rate": 100, "time_unit": "1ms", "operations": [)" + get + "]")
                                       << workload(R"("executor": "constant-arrival-rate", "rate": 100.001, "time_unit": "1ms", "operations": [)" + get + "]")
                                       << u"/workloads/0/rate: asks for 100001 iterations per second; at most 100000 per second"_s;
    const QByteArray stage = R"({"target": 1, "duration": "100ms"})";
    QTest::newRow("64 stages") << workload(R"("executor": "ramping-vus", "stages": [)" + repeated(stage, 64) + R"(], "operations": [)" + get + "]")
                               << workload(R"("executor": "ramping-vus", "stages": [)" + repeated(stage, 65) + R"(], "operations": [)" + get + "]")
                               << u"/workloads/0/stages: must be an array of 1 to 64 items"_s;
    const QByteArray header = R"("x-h#": "v")";
    QTest::newRow("32 headers") << operations(R"([{"op": "get", "collection": "products", "headers": {)" + repeated(header, 32) + "}}]")
                                << operations(R"([{"op": "get", "collection": "products", "headers": {)" + repeated(header, 33) + "}}]")
                                << u"/workloads/0/operations/0/headers: must have at most 32 headers"_s;
    QTest::newRow("64 thresholds") << "{\"thresholds\": {\"http_reqs\": [" + repeated("\"count>#\"", 64) + "]}}"
                                   << "{\"thresholds\": {\"http_reqs\": [" + repeated("\"count>#\"", 60) + "], \"errors\": [" + repeated("\"rate<1\"", 5) + "]}}"
                                   << u"/thresholds: 65 threshold expressions; at most 64"_s;
    const QByteArray fault = R"({"kind": "broker", "at": "#00ms"})";
    QTest::newRow("32 faults") << "{\"faults\": [" + repeated(fault, 32) + "]}"
                               << "{\"faults\": [" + repeated(R"({"kind": "broker"})", 33) + "]}"
                               << u"/faults: must be an array of 0 to 32 items"_s;
    const QByteArray subscriber = R"({"protocol": "sse"})";
    QTest::newRow("16 subscribers") << "{\"subscribers\": [" + repeated(subscriber, 16) + "]}"
                                    << "{\"subscribers\": [" + repeated(subscriber, 17) + "]}"
                                    << u"/subscribers: must be an array of 0 to 16 items"_s;
    QTest::newRow("1000 connections") << QByteArray(R"({"subscribers": [{"protocol": "sse", "connections": 600}, {"protocol": "websocket", "connections": 400}]})")
                                      << QByteArray(R"({"subscribers": [{"protocol": "sse", "connections": 600}, {"protocol": "websocket", "connections": 401}]})")
                                      << u"/subscribers: 1001 connections in all; at most 1000"_s;
    QTest::newRow("24h") << QByteArray(R"({"duration": "24h"})") << QByteArray(R"({"duration": 86400.001})")
                         << u"/duration: must be a duration such as \"30s\", \"1m30s\" or \"500ms\", or a number of seconds, at most 24h"_s;
    QTest::newRow("100 pages") << operations(R"([{"op": "list", "collection": "products", "follow_cursor": true, "max_pages": 100}])")
                               << operations(R"([{"op": "list", "collection": "products", "follow_cursor": true, "max_pages": 101}])")
                               << u"/workloads/0/operations/0/max_pages: must be an integer from 1 to 100"_s;
}

void tst_Scenario::limits()
{
    QFETCH(QByteArray, atLimit);
    QFETCH(QByteArray, beyond);
    QFETCH(QString, error);
    COMPARE_ERRORS(errorsOf(patched(atLimit)), QStringList());
    COMPARE_ERRORS(errorsOf(patched(beyond)), QStringList{error});
}

void tst_Scenario::collections_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QStringList>("errors");
    const QString op0 = u"/workloads/0/operations/0"_s;
    QTest::newRow("valid against the catalog")
        << operations(R"([{"op": "create", "collection": "products"}, {"op": "command", "collection": "products", "command": "reprice"}, {"op": "get", "collection": "orders"}])")
        << QStringList();
    QTest::newRow("unknown collection") << operations(R"([{"op": "get", "collection": "users"}])")
                                        << QStringList{op0 % u"/collection: no collection \"users\" (known: orders, products)"_s};
    QTest::newRow("unknown command") << operations(R"([{"op": "command", "collection": "products", "command": "discount"}])")
                                     << QStringList{op0 % u"/command: collection \"products\" has no command \"discount\" (known: reprice)"_s};
    QTest::newRow("collection without commands") << operations(R"([{"op": "command", "collection": "orders", "command": "ship"}])")
                                                 << QStringList{op0 % u"/command: collection \"orders\" has no command \"ship\" (it has no custom commands)"_s};
    QTest::newRow("collection schema that cannot be generated")
        << operations(R"([{"op": "create", "collection": "orders"}, {"op": "read_after_write", "collection": "orders"}])")
        << QStringList{op0 % u"/collection: cannot generate documents for collection \"orders\": /properties/code/pattern: cannot generate for pattern ^(?=a)b$"_s,
                       u"/workloads/0/operations/1/collection: cannot generate documents for collection \"orders\": /properties/code/pattern: cannot generate for pattern ^(?=a)b$"_s};
    QTest::newRow("a schema of its own overrides the collection's")
        << operations(R"([{"op": "create", "collection": "orders", "schema": {"type": "object", "properties": {"code": {"const": "b"}}}}])")
        << QStringList();
    QTest::newRow("subscriber collection unknown") << QByteArray(R"({"subscribers": [{"protocol": "sse", "collections": ["users"]}]})")
                                                   << QStringList{u"/subscribers/0/collections/0: no collection \"users\""_s};
}

void tst_Scenario::collections()
{
    QFETCH(QByteArray, patch);
    QFETCH(QStringList, errors);
    const auto projects = catalog();
    COMPARE_ERRORS(errorsOf(patched(patch), projects.get()), errors);
}

void tst_Scenario::withoutErrorListStillRefuses()
{
    QVERIFY(!Scenario::fromJson(object(R"({"duration": "1s"})"), nullptr));
    QVERIFY(Scenario::fromJson(object(kBase), nullptr));
    const Scenario s = read(patched(R"({"target": "http://127.0.0.1:9080/"})"));
    QCOMPARE(s.target, u"http://127.0.0.1:9080"_s);
    const Scenario tls = read(patched(R"({"target": "https://gateway.example:9443"})"));
    QCOMPARE(tls.target, u"https://gateway.example:9443"_s);
}

QTEST_GUILESS_MAIN(tst_Scenario)
#include "tst_scenario.moc"
