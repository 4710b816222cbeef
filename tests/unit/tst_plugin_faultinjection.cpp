// fault-injection through a real Gateway: abort answers with its status, body and headers
// without reaching the upstream; percentage picks that share of the requests (0 and 100
// exactly, 50 within bounds no honest coin misses); vars select requests (any expression, all
// terms of one); delay holds the request on a timer -- never on the calling thread -- for at
// least its duration, and comes before an abort; bad configurations are refused with pointers.
#include "tst_plugin_bench.h"

#include <QElapsedTimer>

using namespace Gatehouse;
using namespace PluginBench;
using namespace Qt::StringLiterals;

namespace {
QByteArray faultRoute(const QByteArray &config)
{
    return "[" + route("r", "/r", "{\"fault-injection\":" + config + "}") + "]";
}
} // namespace

class tst_PluginFaultInjection : public QObject
{
    Q_OBJECT

private slots:
    void abort_data();
    void abort();
    void percentage_data();
    void percentage();
    void vars_data();
    void vars();
    void delay();
    void delayIsNotForEveryone();
    void delayThenAbort();
    void schemaErrors_data();
    void schemaErrors();
};

void tst_PluginFaultInjection::abort_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");          // exact; empty with a problem type: checked as problem+json
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("header");        // "name: value" expected on the answer, or empty

    QTest::newRow("status and body") << QByteArray(R"json({"abort": {"http_status": 403, "body": "Fault Injection!\n"}})json") << 403
                                     << QByteArray("Fault Injection!\n") << QByteArray("text/plain; charset=utf-8") << QByteArray();
    QTest::newRow("variables in body and headers")
        << QByteArray(R"json({"abort": {"http_status": 503, "body": "no $arg_name from $remote_addr", "headers": {"X-Fault": "for-$arg_name", "Retry-After": 7}}})json")
        << 503 << QByteArray("no ann from 127.0.0.1") << QByteArray("text/plain; charset=utf-8") << QByteArray("retry-after: 7");
    QTest::newRow("content type of its own") << QByteArray(R"json({"abort": {"http_status": 500, "body": "{\"x\":1}", "headers": {"Content-Type": "application/json"}}})json")
                                             << 500 << QByteArray("{\"x\":1}") << QByteArray("application/json") << QByteArray();
    QTest::newRow("no body: a problem") << QByteArray(R"json({"abort": {"http_status": 502}})json") << 502 << QByteArray()
                                        << QByteArray("application/problem+json") << QByteArray();
    QTest::newRow("2xx without body") << QByteArray(R"json({"abort": {"http_status": 204}})json") << 204 << QByteArray() << QByteArray()
                                      << QByteArray();
}

void tst_PluginFaultInjection::abort()
{
    QFETCH(QByteArray, config);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, header);
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(config)), QStringList());
    const ApiResponse r = bench.get("/r?name=ann");
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-type"), contentType);
    if (contentType == "application/problem+json") {
        QCOMPARE(bodyJson(r).value(u"status"_s).toInt(), status);
        QCOMPARE(bodyJson(r).value(u"type"_s).toString(), u"urn:gatehouse:problem:fault-injected"_s);
    } else {
        QCOMPARE(r.body, body);
    }
    if (!header.isEmpty()) {
        const QList<QByteArray> nv = header.split(':');
        QCOMPARE(r.header(nv.at(0)), nv.at(1).trimmed());
    }
    if (config.contains("X-Fault"))
        QCOMPARE(r.header("x-fault"), QByteArray("for-ann"));
    QVERIFY2(bench.received.isEmpty(), "the upstream must not see an aborted request");
}

void tst_PluginFaultInjection::percentage_data()
{
    QTest::addColumn<int>("percentage");
    QTest::addColumn<int>("requests");
    QTest::addColumn<int>("atLeast");   // aborted requests
    QTest::addColumn<int>("atMost");

    QTest::newRow("0: never") << 0 << 300 << 0 << 0;
    QTest::newRow("100: always") << 100 << 300 << 300 << 300;
    // Binomial(2000, 0.5): sd ~ 22; the bounds are 13 sd away, a chance below 1e-35 for a fair coin.
    QTest::newRow("50: about half") << 50 << 2000 << 700 << 1300;
    QTest::newRow("10: about a tenth") << 10 << 2000 << 80 << 400;   // mean 200, sd ~ 13
}

void tst_PluginFaultInjection::percentage()
{
    QFETCH(int, percentage);
    QFETCH(int, requests);
    QFETCH(int, atLeast);
    QFETCH(int, atMost);
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(QByteArray(R"json({"abort": {"http_status": 500, "body": "x", "percentage": )json")
                                    + QByteArray::number(percentage) + "}}")),
             QStringList());
    int aborted = 0;
    for (int i = 0; i < requests; ++i) {
        const ApiResponse r = bench.get("/r");
        QVERIFY(r.status == 500 || r.status == 200);
        aborted += r.status == 500 ? 1 : 0;
    }
    QVERIFY2(aborted >= atLeast && aborted <= atMost, qPrintable(u"%1 of %2 aborted"_s.arg(aborted).arg(requests)));
    QCOMPARE(bench.received.size(), requests - aborted);
}

void tst_PluginFaultInjection::vars_data()
{
    QTest::addColumn<QByteArray>("vars");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<bool>("aborted");

    const QByteArray jack = R"json([[["arg_name", "==", "jack"]]])json";
    QTest::newRow("match") << jack << QByteArray("/r?name=jack") << Headers{} << true;
    QTest::newRow("no match") << jack << QByteArray("/r?name=rose") << Headers{} << false;
    QTest::newRow("absent") << jack << QByteArray("/r") << Headers{} << false;
    const QByteArray both = R"json([[["arg_name", "==", "jack"], ["arg_age", "!", "<", 18]]])json";
    QTest::newRow("all terms of one expression") << both << QByteArray("/r?name=jack&age=20") << Headers{} << true;
    QTest::newRow("one term fails") << both << QByteArray("/r?name=jack&age=10") << Headers{} << false;
    const QByteArray either = R"json([[["arg_name", "==", "jack"]], [["http_x_test", "~~", "^fault"]]])json";
    QTest::newRow("first expression") << either << QByteArray("/r?name=jack") << Headers{} << true;
    QTest::newRow("second expression") << either << QByteArray("/r") << Headers{{"X-Test", "fault-please"}} << true;
    QTest::newRow("neither") << either << QByteArray("/r?name=rose") << Headers{{"X-Test", "calm"}} << false;
    QTest::newRow("empty list matches nothing") << QByteArray("[]") << QByteArray("/r?name=jack") << Headers{} << false;
}

void tst_PluginFaultInjection::vars()
{
    QFETCH(QByteArray, vars);
    QFETCH(QByteArray, target);
    QFETCH(Headers, headers);
    QFETCH(bool, aborted);
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(R"json({"abort": {"http_status": 418, "body": "teapot", "vars": )json" + vars + "}}")), QStringList());
    const ApiResponse r = bench.get(target, headers);
    QCOMPARE(r.status, aborted ? 418 : 200);
    QCOMPARE(bench.received.size(), aborted ? 0 : 1);
}

void tst_PluginFaultInjection::delay()
{
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(R"json({"delay": {"duration": 0.3}})json")), QStringList());
    QElapsedTimer clock;
    clock.start();
    auto slot = bench.start(request("GET", "/r"));
    // The plugin does not sleep: the call returns with the request still waiting on a timer.
    QVERIFY2(!slot->has_value(), "answered before its delay");
    QVERIFY(bench.received.isEmpty());
    const ApiResponse r = Bench::wait(slot);
    QCOMPARE(r.status, 200);
    QVERIFY2(clock.elapsed() >= 300, qPrintable(u"answered after %1 ms"_s.arg(clock.elapsed())));
    QCOMPARE(bench.received.size(), 1);
}

void tst_PluginFaultInjection::delayIsNotForEveryone()
{
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(R"json({"delay": {"duration": 30, "vars": [[["arg_slow", "==", "yes"]]]}})json")), QStringList());
    auto fast = bench.start(request("GET", "/r?slow=no"));
    QVERIFY2(fast->has_value(), "a request the vars do not select is not delayed");
    auto slow = bench.start(request("GET", "/r?slow=yes"));
    QVERIFY2(!slow->has_value(), "the selected request waits");

    Bench none;
    QCOMPARE(none.apply(faultRoute(R"json({"delay": {"duration": 30, "percentage": 0}})json")), QStringList());
    for (int i = 0; i < 50; ++i)
        QVERIFY(none.start(request("GET", "/r"))->has_value());
}

void tst_PluginFaultInjection::delayThenAbort()
{
    Bench bench;
    QCOMPARE(bench.apply(faultRoute(R"json({"delay": {"duration": 0.2}, "abort": {"http_status": 503, "body": "down"}})json")),
             QStringList());
    QElapsedTimer clock;
    clock.start();
    auto slot = bench.start(request("GET", "/r"));
    QVERIFY2(!slot->has_value(), "the abort waits for the delay");
    const ApiResponse r = Bench::wait(slot);
    QCOMPARE(r.status, 503);
    QCOMPARE(r.body, QByteArray("down"));
    QVERIFY2(clock.elapsed() >= 200, qPrintable(u"answered after %1 ms"_s.arg(clock.elapsed())));
    QVERIFY(bench.received.isEmpty());
}

void tst_PluginFaultInjection::schemaErrors_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("errors");   // each must appear in one error line

    const QString p = u"/routes/0/plugins/fault-injection"_s;
    auto row = [](const char *name, const char *config, const QStringList &errors) { QTest::newRow(name) << QByteArray(config) << errors; };
    row("empty", "{}", {p + u": must have at least 1 members"_s});
    row("unknown member", R"json({"abort": {"http_status": 500}, "slow": {}})json", {p + u"/slow: is not allowed"_s});
    row("abort without status", R"json({"abort": {"body": "x"}})json", {p + u"/abort/http_status: is required"_s});
    row("status below 200", R"json({"abort": {"http_status": 100}})json", {p + u"/abort/http_status: must be >= 200"_s});
    row("status above 599", R"json({"abort": {"http_status": 600}})json", {p + u"/abort/http_status: must be <= 599"_s});
    row("percentage above 100", R"json({"abort": {"http_status": 500, "percentage": 101}})json", {p + u"/abort/percentage: must be <= 100"_s});
    row("fractional percentage", R"json({"delay": {"duration": 1, "percentage": 2.5}})json", {p + u"/delay/percentage: must be an integer"_s});
    row("delay without duration", R"json({"delay": {"percentage": 5}})json", {p + u"/delay/duration: is required"_s});
    row("negative duration", R"json({"delay": {"duration": -1}})json", {p + u"/delay/duration: must be >= 0"_s});
    row("duration beyond an hour", R"json({"delay": {"duration": 3601}})json", {p + u"/delay/duration: must be <= 3600"_s});
    row("unknown variable in body", R"json({"abort": {"http_status": 500, "body": "$server_secret"}})json",
        {p + u"/abort/body: unknown variable 'server_secret'"_s});
    row("header value with CRLF", R"json({"abort": {"http_status": 500, "headers": {"X-A": "a\r\nb"}}})json",
        {p + u"/abort/headers/X-A: must match"_s});
    row("header name with a space", R"json({"abort": {"http_status": 500, "headers": {"X A": "a"}}})json", {p + u"/abort/headers"_s});
    row("route-style vars (one level)", R"json({"abort": {"http_status": 500, "vars": [["arg_a", "==", "1"]]}})json",
        {p + u"/abort/vars/0/0: must be an array"_s});
    row("unknown variable in vars", R"json({"delay": {"duration": 1, "vars": [[["server_name", "==", "x"]]]}})json",
        {p + u"/delay/vars/0/0/0: must be a variable"_s});
    row("unknown operator", R"json({"abort": {"http_status": 500, "vars": [[["arg_a", "=~", "x"]]]}})json",
        {p + u"/abort/vars/0/0/1: must be one of"_s});
    row("bad regular expression", R"json({"abort": {"http_status": 500, "vars": [[["arg_a", "~~", "(unclosed"]]]}})json",
        {p + u"/abort/vars/0/0: invalid regular expression"_s});
}

void tst_PluginFaultInjection::schemaErrors()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, errors);
    Bench bench;
    const QStringList got = bench.apply(faultRoute(config));
    QVERIFY2(!got.isEmpty(), "the configuration was accepted");
    for (const QString &expected : std::as_const(errors)) {
        const bool found = std::any_of(got.cbegin(), got.cend(), [&](const QString &e) { return e.contains(expected); });
        QVERIFY2(found, qPrintable(u"missing \""_s + expected + u"\" in:\n"_s + got.join(u'\n')));
    }
    // A refused route is not served: its requests never reach the upstream.
    bench.get("/r");
    QVERIFY(bench.received.isEmpty());
}

QTEST_MAIN(tst_PluginFaultInjection)
#include "tst_plugin_faultinjection.moc"
