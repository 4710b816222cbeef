// k6-style thresholds: keys with tags, expressions per metric type, and their evaluation
// against a run's metrics (real histograms, rates and counters, selected by tags).
#include "simulation/thresholds.h"

#include <QJsonObject>
#include <QtTest>

#include <cmath>

using namespace Gatehouse::Simulation;
using namespace Qt::StringLiterals;

namespace {

using Tags = QMap<QString, QString>;

// A small metric store with the selection rule MetricView documents: a query's tags must all
// be present, with those values, on a sample for it to count.
struct Sample
{
    QString metric;
    Tags tags;
    double value;   // ms for trends; 1/0 for rates (failed or not); ignored for counters
};

bool selected(const Sample &sample, const QString &metric, const Tags &tags)
{
    if (sample.metric != metric)
        return false;
    for (auto it = tags.cbegin(); it != tags.cend(); ++it) {
        if (sample.tags.value(it.key()) != it.value())
            return false;
    }
    return true;
}

MetricView viewOf(const QList<Sample> &samples, double elapsedSeconds)
{
    MetricView view;
    view.trend = [samples](const QString &metric, const Tags &tags) {
        LatencyHistogram histogram;
        for (const Sample &s : samples) {
            if (selected(s, metric, tags))
                histogram.recordMs(s.value);
        }
        return histogram;
    };
    view.rate = [samples](const QString &metric, const Tags &tags) {
        MetricView::RateFigures figures;
        for (const Sample &s : samples) {
            if (selected(s, metric, tags)) {
                ++figures.total;
                figures.passes += s.value != 0 ? 1 : 0;
            }
        }
        return figures;
    };
    view.counter = [samples](const QString &metric, const Tags &tags) {
        quint64 count = 0;
        for (const Sample &s : samples)
            count += selected(s, metric, tags) ? 1 : 0;
        return count;
    };
    view.elapsedSeconds = elapsedSeconds;
    return view;
}

// 100 creates of 1..100 ms (op create, status 202), 10 gets of 5 ms of which 2 failed with a
// 500, 3 dropped iterations, lag samples via websocket 10..19 ms.
QList<Sample> runSamples()
{
    QList<Sample> samples;
    for (int i = 1; i <= 100; ++i) {
        const Tags tags{{u"op"_s, u"create"_s}, {u"workload"_s, u"buyers"_s}, {u"status"_s, u"202"_s}};
        samples.append({u"http_req_duration"_s, tags, double(i)});
        samples.append({u"http_reqs"_s, tags, 0});
        samples.append({u"errors"_s, tags, 0});
    }
    for (int i = 0; i < 10; ++i) {
        const QString status = i < 2 ? u"500"_s : u"200"_s;
        const Tags tags{{u"op"_s, u"get"_s}, {u"workload"_s, u"readers"_s}, {u"status"_s, status}};
        samples.append({u"http_req_duration"_s, tags, 5});
        samples.append({u"http_reqs"_s, tags, 0});
        samples.append({u"errors"_s, tags, i < 2 ? 1.0 : 0.0});
    }
    for (int i = 0; i < 3; ++i)
        samples.append({u"dropped_iterations"_s, {{u"workload"_s, u"buyers"_s}}, 0});
    for (int i = 10; i < 20; ++i)
        samples.append({u"consistency_lag"_s, {{u"via"_s, u"websocket"_s}, {u"op"_s, u"create"_s}}, double(i)});
    return samples;
}

} // namespace

class tst_Thresholds : public QObject
{
    Q_OBJECT

private slots:
    void parseKey_data();
    void parseKey();
    void parseExpression_data();
    void parseExpression();
    void evaluate_data();
    void evaluate();
    void trendWithoutSamplesFails();
    void emptyCallbacksMeanNoSamples();
    void metricCatalogue();
};

void tst_Thresholds::parseKey_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("metric");
    QTest::addColumn<Tags>("tags");
    QTest::addColumn<QString>("error");

    QTest::newRow("bare metric") << u"errors"_s << u"errors"_s << Tags{} << QString();
    QTest::newRow("one tag") << u"http_req_duration{op:create}"_s << u"http_req_duration"_s
                             << Tags{{u"op"_s, u"create"_s}} << QString();
    QTest::newRow("two tags, spaces") << u"http_reqs{ op : get , status:200}"_s << u"http_reqs"_s
                                      << Tags{{u"op"_s, u"get"_s}, {u"status"_s, u"200"_s}} << QString();
    QTest::newRow("value with a colon") << u"consistency_lag{via:websocket,op:a:b}"_s << u"consistency_lag"_s
                                        << Tags{{u"via"_s, u"websocket"_s}, {u"op"_s, u"a:b"_s}} << QString();
    QTest::newRow("unknown metric") << u"http_req_waiting"_s << QString() << Tags{}
        << u"unknown metric \"http_req_waiting\" (known: consistency_lag, dropped_iterations, errors, "
           "http_req_duration, http_reqs, iterations, mqtt_command_duration)"_s;
    QTest::newRow("unknown tag") << u"dropped_iterations{op:create}"_s << QString() << Tags{}
        << u"unknown tag \"op\" for dropped_iterations (known: workload)"_s;
    QTest::newRow("tag without value") << u"errors{op}"_s << QString() << Tags{}
        << u"a tag must be written name:value, got \"op\""_s;
    QTest::newRow("empty value") << u"errors{op:}"_s << QString() << Tags{}
        << u"a tag must be written name:value, got \"op:\""_s;
    QTest::newRow("tag twice") << u"errors{op:a,op:b}"_s << QString() << Tags{}
        << u"tag \"op\" is given twice"_s;
    QTest::newRow("unclosed brace") << u"errors{op:a"_s << QString() << Tags{}
        << u"must be a metric name, optionally followed by {tag:value,...}"_s;
    QTest::newRow("upper case") << u"Errors"_s << QString() << Tags{}
        << u"must be a metric name, optionally followed by {tag:value,...}"_s;
    QTest::newRow("empty") << QString() << QString() << Tags{}
        << u"must be a metric name, optionally followed by {tag:value,...}"_s;
}

void tst_Thresholds::parseKey()
{
    QFETCH(QString, key);
    QFETCH(QString, metric);
    QFETCH(Tags, tags);
    QFETCH(QString, error);
    Threshold threshold;
    QString message;
    const bool ok = Thresholds::parseKey(key, &threshold, &message);
    QCOMPARE(message, error);
    QCOMPARE(ok, error.isEmpty());
    if (ok) {
        QCOMPARE(threshold.key, key);
        QCOMPARE(threshold.metric, metric);
        QCOMPARE(threshold.tags, tags);
    }
}

void tst_Thresholds::parseExpression_data()
{
    QTest::addColumn<QString>("metric");
    QTest::addColumn<QString>("expression");
    QTest::addColumn<int>("statistic");
    QTest::addColumn<double>("percentile");
    QTest::addColumn<int>("comparison");
    QTest::addColumn<double>("bound");
    QTest::addColumn<QString>("error");

    const QString d = u"http_req_duration"_s;
    QTest::newRow("p(99)<50") << d << u"p(99)<50"_s << int(Threshold::Percentile) << 99.0 << int(Threshold::Less) << 50.0 << QString();
    QTest::newRow("p(99.9)<=100") << d << u"p(99.9)<=100"_s << int(Threshold::Percentile) << 99.9 << int(Threshold::LessOrEqual) << 100.0 << QString();
    QTest::newRow("spaces") << d << u" p( 95 ) <  12.5 "_s << int(Threshold::Percentile) << 95.0 << int(Threshold::Less) << 12.5 << QString();
    QTest::newRow("avg<200") << d << u"avg<200"_s << int(Threshold::Avg) << 0.0 << int(Threshold::Less) << 200.0 << QString();
    QTest::newRow("med<10") << d << u"med<10"_s << int(Threshold::Med) << 0.0 << int(Threshold::Less) << 10.0 << QString();
    QTest::newRow("min>0") << d << u"min>0"_s << int(Threshold::Min) << 0.0 << int(Threshold::Greater) << 0.0 << QString();
    QTest::newRow("max<1000") << d << u"max<1000"_s << int(Threshold::Max) << 0.0 << int(Threshold::Less) << 1000.0 << QString();
    QTest::newRow("max>=1e3") << d << u"max>=1e3"_s << int(Threshold::Max) << 0.0 << int(Threshold::GreaterOrEqual) << 1000.0 << QString();
    QTest::newRow("count>100") << u"http_reqs"_s << u"count>100"_s << int(Threshold::Count) << 0.0 << int(Threshold::Greater) << 100.0 << QString();
    QTest::newRow("counter rate") << u"iterations"_s << u"rate>=50"_s << int(Threshold::Rate) << 0.0 << int(Threshold::GreaterOrEqual) << 50.0 << QString();
    QTest::newRow("rate<0.01") << u"errors"_s << u"rate<0.01"_s << int(Threshold::Rate) << 0.0 << int(Threshold::Less) << 0.01 << QString();
    QTest::newRow("==") << u"dropped_iterations"_s << u"count==0"_s << int(Threshold::Count) << 0.0 << int(Threshold::Equal) << 0.0 << QString();
    QTest::newRow("!=") << u"errors"_s << u"rate!=1"_s << int(Threshold::Rate) << 0.0 << int(Threshold::NotEqual) << 1.0 << QString();
    QTest::newRow("negative bound") << d << u"min>-1"_s << int(Threshold::Min) << 0.0 << int(Threshold::Greater) << -1.0 << QString();

    const QString syntax = u"must be <statistic> <comparison> <number>, such as \"p(99)<50\" or \"rate<0.01\""_s;
    QTest::newRow("no comparison") << d << u"p(99)"_s << 0 << 0.0 << 0 << 0.0 << syntax;
    QTest::newRow("unknown statistic") << d << u"p99<50"_s << 0 << 0.0 << 0 << 0.0 << syntax;
    QTest::newRow("=== is not k6's") << d << u"avg===5"_s << 0 << 0.0 << 0 << 0.0 << u"\"=5\" is not a number"_s;
    QTest::newRow("not a number") << d << u"avg<fast"_s << 0 << 0.0 << 0 << 0.0 << u"\"fast\" is not a number"_s;
    QTest::newRow("infinite") << d << u"avg<inf"_s << 0 << 0.0 << 0 << 0.0 << u"\"inf\" is not a number"_s;
    QTest::newRow("percentile > 100") << d << u"p(100.5)<5"_s << 0 << 0.0 << 0 << 0.0 << u"the percentile must be between 0 and 100"_s;
    QTest::newRow("rate of a trend") << d << u"rate<1"_s << 0 << 0.0 << 0 << 0.0
        << u"\"rate\" does not apply to http_req_duration (it takes avg, min, med, max, p(N))"_s;
    QTest::newRow("count of a trend") << u"consistency_lag"_s << u"count>1"_s << 0 << 0.0 << 0 << 0.0
        << u"\"count\" does not apply to consistency_lag (it takes avg, min, med, max, p(N))"_s;
    QTest::newRow("percentile of a rate") << u"errors"_s << u"p(99)<1"_s << 0 << 0.0 << 0 << 0.0
        << u"\"p(N)\" does not apply to errors (it takes rate)"_s;
    QTest::newRow("count of a rate") << u"errors"_s << u"count<1"_s << 0 << 0.0 << 0 << 0.0
        << u"\"count\" does not apply to errors (it takes rate)"_s;
    QTest::newRow("avg of a counter") << u"http_reqs"_s << u"avg<1"_s << 0 << 0.0 << 0 << 0.0
        << u"\"avg\" does not apply to http_reqs (it takes count, rate)"_s;
}

void tst_Thresholds::parseExpression()
{
    QFETCH(QString, metric);
    QFETCH(QString, expression);
    QFETCH(int, statistic);
    QFETCH(double, percentile);
    QFETCH(int, comparison);
    QFETCH(double, bound);
    QFETCH(QString, error);
    QString message;
    const auto threshold = Thresholds::parse(metric, expression, &message);
    QCOMPARE(message, error);
    QCOMPARE(threshold.has_value(), error.isEmpty());
    if (threshold) {
        QCOMPARE(threshold->expression, expression);
        QCOMPARE(int(threshold->statistic), statistic);
        QCOMPARE(threshold->percentile, percentile);
        QCOMPARE(int(threshold->comparison), comparison);
        QCOMPARE(threshold->bound, bound);
    }
}

void tst_Thresholds::evaluate_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expression");
    QTest::addColumn<double>("value");
    QTest::addColumn<bool>("pass");

    QTest::newRow("p99 of creates") << u"http_req_duration{op:create}"_s << u"p(99)<100"_s << 99.0 << true;
    QTest::newRow("p99 of creates too slow") << u"http_req_duration{op:create}"_s << u"p(99)<50"_s << 99.0 << false;
    QTest::newRow("med of creates") << u"http_req_duration{op:create}"_s << u"med<=50"_s << 50.0 << true;
    QTest::newRow("max of all requests") << u"http_req_duration"_s << u"max<100"_s << 100.0 << false;
    QTest::newRow("min of all requests") << u"http_req_duration"_s << u"min>=1"_s << 1.0 << true;
    QTest::newRow("avg of gets") << u"http_req_duration{op:get}"_s << u"avg<6"_s << 5.0 << true;
    QTest::newRow("by status") << u"http_req_duration{status:500}"_s << u"max==5"_s << 5.0 << true;
    QTest::newRow("error rate overall") << u"errors"_s << u"rate<0.01"_s << 2.0 / 110 << false;
    QTest::newRow("error rate of creates") << u"errors{op:create}"_s << u"rate<0.01"_s << 0.0 << true;
    QTest::newRow("error rate of a workload") << u"errors{workload:readers}"_s << u"rate<=0.2"_s << 0.2 << true;
    QTest::newRow("request count") << u"http_reqs"_s << u"count>100"_s << 110.0 << true;
    QTest::newRow("request rate per second") << u"http_reqs"_s << u"rate>=20"_s << 11.0 << false;
    QTest::newRow("dropped") << u"dropped_iterations"_s << u"count==0"_s << 3.0 << false;
    QTest::newRow("dropped of another workload") << u"dropped_iterations{workload:readers}"_s << u"count==0"_s << 0.0 << true;
    QTest::newRow("lag via websocket") << u"consistency_lag{via:websocket}"_s << u"p(50)<20"_s << 14.0 << true;
    QTest::newRow("lag two tags") << u"consistency_lag{via:websocket,op:create}"_s << u"max<19"_s << 19.0 << false;
}

void tst_Thresholds::evaluate()
{
    QFETCH(QString, key);
    QFETCH(QString, expression);
    QFETCH(double, value);
    QFETCH(bool, pass);
    QString error;
    const auto threshold = Thresholds::parse(key, expression, &error);
    QVERIFY2(threshold, qPrintable(error));
    const Thresholds::Result result = Thresholds::evaluate(*threshold, viewOf(runSamples(), 10.0));
    // Trends come from a histogram: within its 0.4% of the exact value.
    QVERIFY2(std::abs(result.value - value) <= 0.005 * std::max(1.0, value),
             qPrintable(u"value %1, expected %2"_s.arg(result.value).arg(value)));
    QCOMPARE(result.pass, pass);
    const QJsonObject json = Thresholds::resultJson(*threshold, result);
    QCOMPARE(json.value(u"metric"_s).toString(), key);
    QCOMPARE(json.value(u"expression"_s).toString(), expression);
    QCOMPARE(json.value(u"pass"_s).toBool(), pass);
    QCOMPARE(json.value(u"value"_s).toDouble(), result.value);
}

void tst_Thresholds::trendWithoutSamplesFails()
{
    QString error;
    const auto threshold = Thresholds::parse(u"consistency_lag{via:mqtt}"_s, u"p(99)<1000"_s, &error);
    QVERIFY(threshold);
    const Thresholds::Result result = Thresholds::evaluate(*threshold, viewOf(runSamples(), 10.0));
    QVERIFY(!result.hasSamples);
    QVERIFY(!result.pass);
    QVERIFY(Thresholds::resultJson(*threshold, result).value(u"value"_s).isNull());
}

void tst_Thresholds::emptyCallbacksMeanNoSamples()
{
    const MetricView nothing;
    QString error;
    const auto rate = Thresholds::parse(u"errors"_s, u"rate<0.01"_s, &error);
    QCOMPARE(Thresholds::evaluate(*rate, nothing).pass, true);   // 0 of 0 failed
    const auto count = Thresholds::parse(u"iterations"_s, u"count>0"_s, &error);
    QCOMPARE(Thresholds::evaluate(*count, nothing).pass, false);
    const auto perSecond = Thresholds::parse(u"iterations"_s, u"rate<1"_s, &error);
    QCOMPARE(Thresholds::evaluate(*perSecond, nothing).pass, true);   // no elapsed time: 0/s
    const auto trend = Thresholds::parse(u"http_req_duration"_s, u"max<1"_s, &error);
    QCOMPARE(Thresholds::evaluate(*trend, nothing).pass, false);
}

void tst_Thresholds::metricCatalogue()
{
    QCOMPARE(Thresholds::metricType(u"http_req_duration"_s), Thresholds::MetricType::Trend);
    QCOMPARE(Thresholds::metricType(u"errors"_s), Thresholds::MetricType::Rate);
    QCOMPARE(Thresholds::metricType(u"http_reqs"_s), Thresholds::MetricType::Counter);
    QVERIFY(!Thresholds::metricType(u"vus"_s));
    QCOMPARE(Thresholds::metricTags(u"consistency_lag"_s), (QStringList{u"op"_s, u"via"_s, u"workload"_s}));
    QVERIFY(Thresholds::metricTags(u"nope"_s).isEmpty());
}

QTEST_GUILESS_MAIN(tst_Thresholds)
#include "tst_thresholds.moc"
