// api-breaker: the breaker's state machine with a made-up clock (consecutive failures, error
// ratio, one half-open probe at a time, the doubling window and its cap), then the plugin in
// a real Gateway: the break response, probes, closing, and breakerStatuses() for /metrics.
#include "gateway/pluginstate.h"
#include "gateway/plugins/breakerstate.h"
#include "gateway/plugins/circuitbreaker.h"
#include "tst_plugin_bench.h"

using namespace Gatehouse;
using namespace PluginBench;
using namespace Qt::StringLiterals;

namespace {
std::optional<BreakerStatus> statusOf(const Bench &bench, const QString &scope)
{
    for (const BreakerStatus &s : breakerStatuses(bench.gateway.pluginState().get())) {
        if (s.scope == scope)
            return s;
    }
    return std::nullopt;
}

QString stateOf(const Bench &bench, const QString &scope)
{
    const auto s = statusOf(bench, scope);
    return s ? s->state : u"missing"_s;
}
} // namespace

class tst_PluginBreaker : public QObject
{
    Q_OBJECT

private slots:
    void consecutiveFailures();
    void windowDoublesUpToTheCap();
    void errorRatio();
    void breakResponse();
    void probeCycle();
    void errorRatioThroughTheGateway();
    void statusesFollowTheConfiguration();
};

void tst_PluginBreaker::consecutiveFailures()
{
    BreakerSettings s;
    s.failures = 3;
    s.successes = 2;
    CircuitBreaker b;
    const qint64 t = 1'000'000;
    int a, c, d, e;   // request identities
    // As APISIX: healthy answers clear the failures only once `successes` of them came in a row.
    for (const int status : {500, 500, 200, 404})
        b.record(s, &a, status, t);
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    b.record(s, &a, 503, t);   // not an unhealthy status by default
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    b.record(s, &a, 500, t);
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QCOMPARE(b.status(t).openSeconds, 2.0);

    auto admission = b.admit(&c, t + 1999);
    QVERIFY(!admission.allowed);
    QCOMPARE(admission.retryAfterMs, 1);
    QVERIFY(b.admit(&c, t + 2000).allowed);         // the probe
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
    QVERIFY(!b.admit(&d, t + 2001).allowed);        // one probe at a time
    b.record(s, &d, 500, t + 2001);                    // not the probe: says nothing
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
    b.record(s, &c, 200, t + 2002);                    // one success of two
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
    QVERIFY(b.admit(&e, t + 2003).allowed);         // the next probe
    b.record(s, &e, 200, t + 2004);
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    QCOMPARE(b.status(t).timesOpened, 0);

    for (int i = 0; i < 3; ++i)
        b.record(s, &a, 500, t + 3000);
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
    QCOMPARE(b.status(t + 3000).openSeconds, 2.0);     // closing forgot the earlier opens

    // A probe whose answer never comes back does not hold the breaker half-open for ever.
    QVERIFY(b.admit(&c, t + 5000).allowed);
    QVERIFY(!b.admit(&d, t + 5000 + CircuitBreaker::kProbeTimeoutMs - 1).allowed);
    QVERIFY(b.admit(&d, t + 5000 + CircuitBreaker::kProbeTimeoutMs).allowed);
    b.record(s, &c, 200, t + 40000);                   // the lost probe's late answer is ignored
    QCOMPARE(b.state(), CircuitBreaker::State::HalfOpen);
}

void tst_PluginBreaker::windowDoublesUpToTheCap()
{
    BreakerSettings s;
    s.failures = 1;
    s.minBreakerSec = 2;
    s.maxBreakerSec = 10;
    CircuitBreaker b;
    qint64 t = 1'000'000;
    int probe;
    b.record(s, &probe, 500, t);
    QList<double> windows{b.status(t).openSeconds};
    for (int i = 0; i < 4; ++i) {
        t += qint64(windows.last() * 1000);
        QVERIFY(!b.admit(&probe, t - 1).allowed);
        QVERIFY(b.admit(&probe, t).allowed);
        b.record(s, &probe, 500, t);                   // the probe fails: open again, longer
        const BreakerStatus st = b.status(t);
        QCOMPARE(st.state, u"open"_s);
        QVERIFY(st.openUntilMs > 0);
        windows.append(st.openSeconds);
    }
    QCOMPARE(windows, (QList<double>{2, 4, 8, 10, 10}));
    QCOMPARE(b.status(t).timesOpened, 5);
}

void tst_PluginBreaker::errorRatio()
{
    BreakerSettings s;
    s.policy = BreakerSettings::Policy::ErrorRatio;
    s.errorRatio = 0.5;
    s.minRequests = 4;
    s.windowSec = 10;
    CircuitBreaker b;
    const qint64 t = 1'000'000;
    int r;
    for (const int status : {500, 500, 500})
        b.record(s, &r, status, t);
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);   // too few answers to judge
    // Eleven seconds later those have slid out of the window: 1 failure in 4 is below half.
    for (const int status : {200, 200, 500, 200})
        b.record(s, &r, status, t + 11000);
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    b.record(s, &r, 500, t + 12000);                      // 2 of 5
    QCOMPARE(b.state(), CircuitBreaker::State::Closed);
    b.record(s, &r, 500, t + 12500);                      // 3 of 6
    QCOMPARE(b.state(), CircuitBreaker::State::Open);
}

void tst_PluginBreaker::breakResponse()
{
    Bench bench;
    const QByteArray plugins = R"json({"api-breaker": {"break_response_code": 502, "break_response_body": "down for now",
        "break_response_headers": [{"key": "X-Breaker", "value": "open for $remote_addr"}],
        "unhealthy": {"failures": 2}, "min_breaker_sec": 60, "max_breaker_sec": 600}})json";
    QCOMPARE(bench.apply("[" + route("r", "/r", plugins) + "," + route("plain", "/plain",
                         R"json({"api-breaker": {"break_response_code": 503, "unhealthy": {"failures": 1}, "min_breaker_sec": 60}})json") + "]"),
             QStringList());
    QCOMPARE(stateOf(bench, u"route/r"_s), u"closed"_s);
    bench.statuses = {500, 500, 500};
    QList<int> statuses;
    for (int i = 0; i < 4; ++i)
        statuses.append(bench.get("/r").status);
    QCOMPARE(statuses, (QList<int>{500, 500, 502, 502}));
    QCOMPARE(bench.received.size(), 2);
    const ApiResponse r = bench.get("/r");
    QCOMPARE(r.body, QByteArray("down for now"));
    QCOMPARE(r.header("x-breaker"), QByteArray("open for 127.0.0.1"));
    const int retry = r.header("retry-after").toInt();
    QVERIFY2(retry >= 1 && retry <= 60, r.header("retry-after").constData());
    const auto st = statusOf(bench, u"route/r"_s);
    QVERIFY(st);
    QCOMPARE(st->state, u"open"_s);
    QCOMPARE(st->openSeconds, 60.0);
    QVERIFY(st->openUntilMs > QDateTime::currentMSecsSinceEpoch());

    // Without a body the answer is a problem document.
    QCOMPARE(bench.get("/plain").status, 500);
    const ApiResponse p = bench.get("/plain");
    QCOMPARE(p.status, 503);
    QCOMPARE(p.header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(bodyJson(p).value(u"type"_s).toString(), u"urn:gatehouse:problem:circuit-open"_s);
    QCOMPARE(stateOf(bench, u"route/r"_s), u"open"_s);   // each route has its own breaker
}

void tst_PluginBreaker::probeCycle()
{
    Bench bench;
    const QByteArray plugins = R"json({"api-breaker": {"break_response_code": 502, "unhealthy": {"failures": 1},
        "healthy": {"successes": 1}, "min_breaker_sec": 0.2}})json";
    QCOMPARE(bench.apply("[" + route("r", "/r", plugins) + "]"), QStringList());
    bench.statuses = {500};
    QCOMPARE(bench.get("/r").status, 500);
    QVERIFY(statusOf(bench, u"route/r"_s));
    QCOMPARE(statusOf(bench, u"route/r"_s)->openSeconds, 0.2);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(bench, u"route/r"_s), u"half_open"_s, 30000);

    bench.hold = true;
    auto probe = bench.start(request("GET", "/r"));
    QCOMPARE(bench.held.size(), 1);
    QCOMPARE(bench.get("/r").status, 502);   // the probe is out; everyone else still waits
    bench.release(500);
    QCOMPARE(Bench::wait(probe).status, 500);
    auto st = statusOf(bench, u"route/r"_s);
    QVERIFY(st);
    QCOMPARE(st->openSeconds, 0.4);          // re-opened for twice as long
    QCOMPARE(st->timesOpened, 2);

    QTRY_COMPARE_WITH_TIMEOUT(stateOf(bench, u"route/r"_s), u"half_open"_s, 30000);
    probe = bench.start(request("GET", "/r"));
    QCOMPARE(bench.held.size(), 1);
    bench.release(200);
    QCOMPARE(Bench::wait(probe).status, 200);
    st = statusOf(bench, u"route/r"_s);
    QVERIFY(st);
    QCOMPARE(st->state, u"closed"_s);
    QCOMPARE(st->timesOpened, 0);
    bench.hold = false;
    QCOMPARE(bench.get("/r").status, 200);
    QCOMPARE(bench.get("/r").status, 200);
}

void tst_PluginBreaker::errorRatioThroughTheGateway()
{
    Bench bench;
    const QByteArray plugins = R"json({"api-breaker": {"break_response_code": 503, "policy": "error_ratio", "error_ratio": 0.5,
        "min_requests": 4, "window_sec": 600, "min_breaker_sec": 60}})json";
    QCOMPARE(bench.apply("[" + route("r", "/r", plugins) + "]"), QStringList());
    bench.statuses = {200, 500, 200, 500};
    QList<int> statuses;
    for (int i = 0; i < 5; ++i)
        statuses.append(bench.get("/r").status);
    QCOMPARE(statuses, (QList<int>{200, 500, 200, 500, 503}));
    QCOMPARE(stateOf(bench, u"route/r"_s), u"open"_s);
}

void tst_PluginBreaker::statusesFollowTheConfiguration()
{
    Bench bench, other;
    const QByteArray plugins = R"json({"api-breaker": {"break_response_code": 502}})json";
    QCOMPARE(bench.apply("[" + route("a", "/a", plugins) + "," + route("b", "/b", plugins) + "]"), QStringList());
    QCOMPARE(other.apply("[" + route("c", "/c", plugins) + "]"), QStringList());
    QStringList scopes;
    for (const BreakerStatus &s : breakerStatuses(bench.gateway.pluginState().get()))
        scopes.append(s.scope);
    QCOMPARE(scopes, (QStringList{u"route/a"_s, u"route/b"_s}));   // not the other gateway's
    QVERIFY(breakerStatuses().size() >= 3);
    QCOMPARE(bench.apply("[" + route("a", "/a", "{}") + "]"), QStringList());
    QVERIFY(breakerStatuses(bench.gateway.pluginState().get()).isEmpty());   // gone with the configuration
}

QTEST_GUILESS_MAIN(tst_PluginBreaker)
#include "tst_plugin_breaker.moc"
