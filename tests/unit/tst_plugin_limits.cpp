// limit-count, limit-req and limit-conn: the counting itself with a made-up clock (fixed and
// sliding windows, the leaky bucket), then request sequences through a real Gateway with the
// status codes and X-RateLimit-* / Retry-After headers a client sees. Windows are long enough
// that a slow machine cannot roll them over mid-sequence.
#include "gateway/plugins/leakybucket.h"
#include "gateway/plugins/windowcounter.h"
#include "tst_plugin_bench.h"

#include <QElapsedTimer>

using namespace Gatehouse;
using namespace PluginBench;
using namespace Qt::StringLiterals;

namespace {
// "10.0.0.1" or "10.0.0.1|alice": remote address and optional X-User header.
ApiRequest fromClient(const QString &client, const QByteArray &target = "/r")
{
    const QStringList parts = client.split(u'|');
    Headers headers;
    if (parts.size() > 1)
        headers.append({"x-user", parts.at(1).toUtf8()});
    return request("GET", target, headers, parts.at(0));
}

QList<int> statusesOf(const QList<ApiResponse> &answers)
{
    QList<int> out;
    for (const ApiResponse &r : answers)
        out.append(r.status);
    return out;
}
} // namespace

class tst_PluginLimits : public QObject
{
    Q_OBJECT

private slots:
    void windowCounter_data();
    void windowCounter();
    void leakyBucket();
    void limitCount_data();
    void limitCount();
    void limitCountByConsumer();
    void limitCountGroupAndReloads();
    void limitReqNodelay_data();
    void limitReqNodelay();
    void limitReqDelays();
    void handOverFollowsTheDelay();
    void limitConn();
};

void tst_PluginLimits::windowCounter_data()
{
    QTest::addColumn<bool>("sliding");
    QTest::addColumn<qint64>("limit");
    // Each step: time (ms), allowed, remaining, reset (ms), retry after (ms, when refused).
    QTest::addColumn<QList<QList<qint64>>>("steps");

    QTest::newRow("fixed") << false << qint64(3) << QList<QList<qint64>>{
        {0, 1, 2, 10000, 0}, {1000, 1, 1, 9000, 0}, {2000, 1, 0, 8000, 0}, {3000, 0, 0, 7000, 7000},
        {10000, 1, 2, 10000, 0},    // the next window starts afresh
        {25000, 1, 2, 5000, 0}};    // windows follow back to back from the first request
    QTest::newRow("sliding") << true << qint64(4) << QList<QList<qint64>>{
        {0, 1, 3, 10000, 0}, {0, 1, 2, 10000, 0}, {0, 1, 1, 10000, 0}, {0, 1, 0, 10000, 0},
        {5000, 0, 0, 5000, 7500},   // full; 2.5 s into the next window the old four weigh 3
        {12500, 1, 0, 7500, 0},     // 4 * 0.75 + 1 = 4
        {12500, 0, 0, 7500, 2500},  // 4 * 0.75 + 2 > 4; at 15 s: 4 * 0.5 + 2 = 4
        {15000, 1, 0, 5000, 0},
        {40000, 1, 3, 10000, 0}};   // two windows later nothing is carried over
}

void tst_PluginLimits::windowCounter()
{
    QFETCH(bool, sliding);
    QFETCH(qint64, limit);
    QFETCH(QList<QList<qint64>>, steps);
    WindowCounter counter;
    const qint64 base = 1'000'000;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QList<qint64> &s = steps.at(i);
        const auto r = counter.take(u"k"_s, base + s[0], limit, 10000, sliding ? WindowCounter::Mode::Sliding : WindowCounter::Mode::Fixed);
        const QByteArray where = "step " + QByteArray::number(i);
        QVERIFY2(r.allowed == bool(s[1]), where.constData());
        QVERIFY2(r.remaining == s[2], QByteArray(where + ": remaining " + QByteArray::number(r.remaining)).constData());
        QVERIFY2(r.resetMs == s[3], QByteArray(where + ": reset " + QByteArray::number(r.resetMs)).constData());
        if (!r.allowed)
            QVERIFY2(r.retryAfterMs == s[4], QByteArray(where + ": retry after " + QByteArray::number(r.retryAfterMs)).constData());
    }
    // Keys count separately.
    QVERIFY(counter.take(u"other"_s, base + steps.last()[0], limit, 10000, WindowCounter::Mode::Fixed).allowed);
}

void tst_PluginLimits::leakyBucket()
{
    LeakyBucket bucket;
    const qint64 t = 5'000'000;
    // rate 1/s, burst 2: three pass at once (waiting 0, 1 and 2 s), the fourth is refused.
    auto r = bucket.take(u"k"_s, t, 1, 2);
    QVERIFY(r.allowed);
    QCOMPARE(r.delayMs, 0);
    r = bucket.take(u"k"_s, t, 1, 2);
    QVERIFY(r.allowed);
    QCOMPARE(r.delayMs, 1000);
    r = bucket.take(u"k"_s, t, 1, 2);
    QCOMPARE(r.delayMs, 2000);
    r = bucket.take(u"k"_s, t, 1, 2);
    QVERIFY(!r.allowed);
    QCOMPARE(r.retryAfterMs, 1000);
    r = bucket.take(u"k"_s, t + 1000, 1, 2);   // one has leaked out
    QVERIFY(r.allowed);
    QCOMPARE(r.delayMs, 2000);
    r = bucket.take(u"other"_s, t + 1000, 1, 2);
    QCOMPARE(r.delayMs, 0);
    r = bucket.take(u"k"_s, t + 60000, 1, 2);   // drained
    QCOMPARE(r.delayMs, 0);
}

void tst_PluginLimits::limitCount_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("clients");
    QTest::addColumn<QList<int>>("statuses");
    QTest::addColumn<QList<int>>("remaining");   // X-RateLimit-Remaining per answer; empty: no quota headers

    const QString a = u"10.0.0.1"_s, b = u"10.0.0.2"_s;
    QTest::newRow("by remote_addr") << QByteArray(R"json({"count": 3, "time_window": 600})json")
                                    << QStringList{a, a, a, a, a} << QList<int>{200, 200, 200, 429, 429} << QList<int>{2, 1, 0, 0, 0};
    QTest::newRow("each client its own") << QByteArray(R"json({"count": 1, "time_window": 600})json")
                                         << QStringList{a, b, a} << QList<int>{200, 200, 429} << QList<int>{0, 0, 0};
    QTest::newRow("by header, else by address") << QByteArray(R"json({"count": 1, "time_window": 600, "key": "http_x_user"})json")
        << QStringList{a + u"|ann"_s, a + u"|bob"_s, b + u"|ann"_s, a, a} << QList<int>{200, 200, 429, 200, 429} << QList<int>{0, 0, 0, 0, 0};
    QTest::newRow("constant key") << QByteArray(R"json({"count": 2, "time_window": 600, "key_type": "constant", "key": "all"})json")
                                  << QStringList{a, b, u"10.0.0.3"_s} << QList<int>{200, 200, 429} << QList<int>{1, 0, 0};
    QTest::newRow("combination") << QByteArray(R"json({"count": 1, "time_window": 600, "key_type": "var_combination", "key": "$remote_addr $http_x_user"})json")
        << QStringList{a + u"|ann"_s, a + u"|bob"_s, b + u"|ann"_s, a + u"|ann"_s} << QList<int>{200, 200, 200, 429} << QList<int>{0, 0, 0, 0};
    QTest::newRow("sliding") << QByteArray(R"json({"count": 2, "time_window": 600, "window_type": "sliding"})json")
                             << QStringList{a, a, a} << QList<int>{200, 200, 429} << QList<int>{1, 0, 0};
    QTest::newRow("window alias") << QByteArray(R"json({"count": 2, "time_window": 600, "window": "sliding"})json")
                                  << QStringList{a, a, a} << QList<int>{200, 200, 429} << QList<int>{1, 0, 0};
    QTest::newRow("own code and message") << QByteArray(R"json({"count": 1, "time_window": 600, "rejected_code": 503, "rejected_msg": "come back later"})json")
                                          << QStringList{a, a} << QList<int>{200, 503} << QList<int>{0, 0};
    // An engine alone (no database shared with others) counts a cluster limit itself.
    QTest::newRow("cluster policy, engine alone") << QByteArray(R"json({"count": 2, "time_window": 600, "policy": "cluster"})json")
                                                  << QStringList{a, a, a} << QList<int>{200, 200, 429} << QList<int>{1, 0, 0};
    QTest::newRow("quota headers off") << QByteArray(R"json({"count": 1, "time_window": 600, "show_limit_quota_header": false})json")
                                       << QStringList{a, a} << QList<int>{200, 429} << QList<int>{};
}

void tst_PluginLimits::limitCount()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, clients);
    QFETCH(QList<int>, statuses);
    QFETCH(QList<int>, remaining);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", "{\"limit-count\":" + config + "}") + "]"), QStringList());
    const qint64 count = parseJson(config).toObject().value(u"count"_s).toInteger();
    QList<ApiResponse> answers;
    for (const QString &client : std::as_const(clients))
        answers.append(bench.send(fromClient(client)));
    QCOMPARE(statusesOf(answers), statuses);
    QCOMPARE(bench.received.size(), statuses.count(200));
    for (qsizetype i = 0; i < answers.size(); ++i) {
        const ApiResponse &r = answers.at(i);
        if (remaining.isEmpty()) {
            QVERIFY(!r.header("x-ratelimit-limit").size() && !r.header("x-ratelimit-remaining").size());
        } else {
            QCOMPARE(r.header("x-ratelimit-limit").toLongLong(), count);
            QCOMPARE(r.header("x-ratelimit-remaining").toInt(), remaining.at(i));
            const int reset = r.header("x-ratelimit-reset").toInt();
            QVERIFY2(reset >= 1 && reset <= 600, r.header("x-ratelimit-reset").constData());
        }
        if (r.status == 200) {
            QVERIFY(!r.header("retry-after").size());
            continue;
        }
        // A sliding window may have to wait for the next window to weigh less.
        const int retry = r.header("retry-after").toInt();
        QVERIFY2(retry >= 1 && retry <= 1200, r.header("retry-after").constData());
        QCOMPARE(r.header("content-type"), QByteArray("application/problem+json"));
        const QJsonObject problem = bodyJson(r);
        QCOMPARE(problem.value(u"status"_s).toInt(), r.status);
        QCOMPARE(problem.value(u"type"_s).toString(), u"urn:gatehouse:problem:rate-limited"_s);
        const QString message = parseJson(config).toObject().value(u"rejected_msg"_s).toString();
        if (!message.isEmpty())
            QCOMPARE(problem.value(u"detail"_s).toString(), message);
    }
}

void tst_PluginLimits::limitCountByConsumer()
{
    Bench bench;
    const QByteArray consumers = R"json([
        {"username": "alice", "plugins": {"key-auth": {"key": "alice-key"}}},
        {"username": "bob", "plugins": {"key-auth": {"key": "bob-key"}}}])json";
    const QByteArray plugins = R"json({"key-auth": {}, "limit-count": {"count": 2, "time_window": 600, "key": "consumer_name"}})json";
    QCOMPARE(bench.apply("[" + route("r", "/r", plugins) + "]", consumers), QStringList());
    QList<int> statuses;
    QList<int> remaining;
    for (const char *key : {"alice-key", "alice-key", "alice-key", "bob-key", "bob-key", "bob-key"}) {
        // Every request from another address: the consumer is what counts.
        const ApiResponse r = bench.send(request("GET", "/r", {{"apikey", key}}, u"10.1.0.%1"_s.arg(statuses.size())));
        statuses.append(r.status);
        remaining.append(r.header("x-ratelimit-remaining").toInt());
    }
    QCOMPARE(statuses, (QList<int>{200, 200, 429, 200, 200, 429}));
    QCOMPARE(remaining, (QList<int>{1, 0, 0, 1, 0, 0}));
    // key-auth runs first (2500 > 1002): a bad key never reaches the counter.
    QCOMPARE(bench.get("/r", {{"apikey", "nobody"}}).status, 401);
    QCOMPARE(bench.get("/r", {{"apikey", "nobody"}}).header("x-ratelimit-remaining"), QByteArray());
}

void tst_PluginLimits::limitCountGroupAndReloads()
{
    Bench bench;
    const QByteArray grouped = R"json({"limit-count": {"count": 3, "time_window": 600, "group": "shop"}})json";
    const QByteArray routes = "[" + route("a", "/a", grouped) + "," + route("b", "/b", grouped) + "]";
    QCOMPARE(bench.apply(routes), QStringList());
    QCOMPARE(bench.get("/a").header("x-ratelimit-remaining"), QByteArray("2"));
    QCOMPARE(bench.get("/b").header("x-ratelimit-remaining"), QByteArray("1"));   // one counter for the group

    // An unrelated change keeps the counters ...
    QCOMPARE(bench.apply("[" + route("a", "/a", grouped) + "," + route("b", "/b", grouped) + "," + route("c", "/c", "{}") + "]"), QStringList());
    QCOMPARE(bench.get("/a").header("x-ratelimit-remaining"), QByteArray("0"));
    QCOMPARE(bench.get("/b").status, 429);

    // ... and so does re-applying a route's own plugin unchanged; a changed limit starts afresh.
    const QByteArray solo = R"json({"limit-count": {"count": 2, "time_window": 600}})json";
    QCOMPARE(bench.apply("[" + route("s", "/s", solo) + "]"), QStringList());
    QCOMPARE(bench.get("/s").header("x-ratelimit-remaining"), QByteArray("1"));
    QCOMPARE(bench.apply("[" + route("s", "/s", solo) + "]"), QStringList());
    QCOMPARE(bench.get("/s").header("x-ratelimit-remaining"), QByteArray("0"));
    QCOMPARE(bench.apply("[" + route("s", "/s", R"json({"limit-count": {"count": 5, "time_window": 600}})json") + "]"), QStringList());
    QCOMPARE(bench.get("/s").header("x-ratelimit-remaining"), QByteArray("4"));
}

void tst_PluginLimits::limitReqNodelay_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QList<int>>("statuses");
    QTest::addColumn<QList<int>>("remaining");
    // A rate of one per 10 s: nothing leaks out while the sequence runs.
    QTest::newRow("burst 2") << QByteArray(R"json({"rate": 0.1, "burst": 2, "nodelay": true})json")
                             << QList<int>{200, 200, 200, 429, 429} << QList<int>{2, 1, 0, 0, 0};
    QTest::newRow("no burst") << QByteArray(R"json({"rate": 0.1, "burst": 0, "nodelay": true})json")
                              << QList<int>{200, 429} << QList<int>{0, 0};
    QTest::newRow("own code") << QByteArray(R"json({"rate": 0.1, "burst": 0, "nodelay": true, "rejected_code": 503})json")
                              << QList<int>{200, 503} << QList<int>{0, 0};
}

void tst_PluginLimits::limitReqNodelay()
{
    QFETCH(QByteArray, config);
    QFETCH(QList<int>, statuses);
    QFETCH(QList<int>, remaining);
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", "{\"limit-req\":" + config + "}") + "]"), QStringList());
    QList<ApiResponse> answers;
    for (qsizetype i = 0; i < statuses.size(); ++i) {
        auto slot = bench.start(request("GET", "/r"));
        QVERIFY2(slot->has_value(), "nodelay answers at once");
        answers.append(**slot);
    }
    QCOMPARE(statusesOf(answers), statuses);
    for (qsizetype i = 0; i < answers.size(); ++i) {
        QCOMPARE(answers.at(i).header("x-ratelimit-remaining").toInt(), remaining.at(i));
        QCOMPARE(answers.at(i).header("x-ratelimit-limit"), QByteArray("1"));
        if (answers.at(i).status != 200) {
            const int retry = answers.at(i).header("retry-after").toInt();
            QVERIFY2(retry >= 1 && retry <= 10, answers.at(i).header("retry-after").constData());
            QCOMPARE(bodyJson(answers.at(i)).value(u"type"_s).toString(), u"urn:gatehouse:problem:rate-limited"_s);
        }
    }
}

void tst_PluginLimits::limitReqDelays()
{
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"json({"limit-req": {"rate": 1, "burst": 1}})json") + "]"), QStringList());
    QElapsedTimer clock;
    clock.start();
    auto first = bench.start(request("GET", "/r"));
    auto second = bench.start(request("GET", "/r"));
    auto third = bench.start(request("GET", "/r"));
    const bool quick = clock.elapsed() < 500;   // else the bucket leaked while this machine stalled
    QVERIFY(first->has_value());
    QCOMPARE((*first)->status, 200);
    if (!quick)
        QSKIP("the machine stalled for half a second between requests; the bucket leaked");
    QVERIFY2(!second->has_value(), "the second request waits for its turn");
    QVERIFY(third->has_value());
    QCOMPARE((*third)->status, 429);
    QCOMPARE(bench.received.size(), 1);
    QCOMPARE(Bench::wait(second).status, 200);   // about a second later
    QCOMPARE(bench.received.size(), 2);
}

void tst_PluginLimits::handOverFollowsTheDelay()
{
    // Gateway::handle's hand-over callback (MQTT keeps a session's order with it): called once
    // the upstream handler has returned -- for a delayed request only then, not when handle()
    // returns -- or once the request was answered without reaching the upstream.
    Bench bench;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"json({"limit-req": {"rate": 1, "burst": 1}})json") + "]"), QStringList());
    QList<int> receivedAtHandOver;   // how many requests the upstream had seen, per hand-over
    QList<QByteArray> order;
    const auto start = [&](const QByteArray &name, const QByteArray &path) {
        auto slot = std::make_shared<std::optional<ApiResponse>>();
        bench.gateway.handle(
            request("GET", path), [slot](ApiResponse r) { *slot = std::move(r); },
            [&, name] {
                order.append(name);
                receivedAtHandOver.append(int(bench.received.size()));
            });
        return slot;
    };
    QElapsedTimer clock;
    clock.start();
    auto first = start("first", "/r");
    QCOMPARE(order, QList<QByteArray>{"first"});   // at once, after the upstream saw it
    QCOMPARE(receivedAtHandOver, QList<int>{1});
    auto second = start("second", "/r");
    auto third = start("third", "/r");
    auto unknown = start("unknown", "/nowhere");
    const bool quick = clock.elapsed() < 500;
    if (!quick)
        QSKIP("the machine stalled for half a second between requests; the bucket leaked");
    QCOMPARE(order, (QList<QByteArray>{"first", "third", "unknown"}));   // refused (429) and 404: answered
    QCOMPARE((*third)->status, 429);
    QCOMPARE((*unknown)->status, 404);
    QCOMPARE(Bench::wait(second).status, 200);
    QCOMPARE(order, (QList<QByteArray>{"first", "third", "unknown", "second"}));
    QCOMPARE(receivedAtHandOver.constLast(), 2);   // the delayed one once it reached the upstream
}

void tst_PluginLimits::limitConn()
{
    Bench bench;
    bench.hold = true;
    QCOMPARE(bench.apply("[" + route("r", "/r", R"json({"limit-conn": {"conn": 1, "burst": 1, "default_conn_delay": 0.05}})json") + "]"),
             QStringList());
    auto first = bench.start(request("GET", "/r"));
    auto second = bench.start(request("GET", "/r"));    // over conn, within burst: waits 50 ms, then goes on
    auto third = bench.start(request("GET", "/r"));     // over conn + burst
    QVERIFY(third->has_value());
    QCOMPARE((*third)->status, 429);
    QCOMPARE((*third)->header("retry-after"), QByteArray("1"));
    QCOMPARE((*third)->header("x-ratelimit-limit"), QByteArray("1"));
    QCOMPARE((*third)->header("x-ratelimit-remaining"), QByteArray("0"));
    QTRY_COMPARE_WITH_TIMEOUT(bench.held.size(), 2, 30000);
    QVERIFY(!first->has_value() && !second->has_value());
    QCOMPARE(bench.send(request("GET", "/r")).status, 429);   // both still in flight

    bench.release();
    QCOMPARE(Bench::wait(first).status, 200);
    QCOMPARE(Bench::wait(second).status, 200);
    // Their answers took them off the count: one goes straight through again.
    auto fourth = bench.start(request("GET", "/r"));
    QCOMPARE(bench.held.size(), 1);   // not delayed: in the upstream at once
    auto elsewhere = bench.start(request("GET", "/r", {}, u"10.9.9.9"_s));   // another client counts apart
    QCOMPARE(bench.held.size(), 2);
    bench.release();
    QCOMPARE(Bench::wait(fourth).status, 200);
    QCOMPARE(Bench::wait(elsewhere).status, 200);
}

QTEST_GUILESS_MAIN(tst_PluginLimits)
#include "tst_plugin_limits.moc"
