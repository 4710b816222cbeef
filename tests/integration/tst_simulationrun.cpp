// SimulationRun against the real `gatehouse` executable (tests/common/engineprocess.h) over
// real sockets: arrival rates and ramps held to the iteration (the count of intended iterations
// is arithmetic on the scenario, so it is asserted exactly), dropped iterations against a target
// slower than the VUs allow, seeded reproducibility of ids and documents, the consistency lag
// via read-after-write, WebSocket and SSE, a target that does not answer, stop() keeping what
// was measured, thresholds deciding `passed`, and the fault schedule. Nothing here asserts how
// fast anything was: bounds on counts follow from the scenario and from delays a test server
// imposes (a slow target can only drop more).
#include "engineprocess.h"
#include "mosquittofixture.h"
#include "testhttpclient.h"

#include "config/collectioncatalog.h"
#include "config/projectconfig.h"
#include "simulation/faultcontrol.h"
#include "simulation/simulationrun.h"
#include "simulation/thresholds.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace Gatehouse;
using namespace Gatehouse::Simulation;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(Gatehouse::Simulation::Stage)

namespace {

constexpr int kRunWaitMs = 90000;
// An ASan engine starting on a loaded machine: the helper's 20 s are not always enough.
constexpr int kEngineStartMs = 120000;

Operation op(Operation::Kind kind, const QString &collection = u"products"_s, double weight = 1)
{
    Operation o;
    o.kind = kind;
    o.name = Operation::kindName(kind);
    o.collection = collection;
    o.weight = weight;
    return o;
}

Workload arrivalWorkload(double rate, qint64 timeUnitMs, qint64 durationMs, int pre, int max, QList<Operation> ops)
{
    Workload w;
    w.name = u"w"_s;
    w.executor.kind = Executor::ConstantArrivalRate;
    w.executor.rate = rate;
    w.executor.timeUnitMs = timeUnitMs;
    w.executor.durationMs = durationMs;
    w.executor.preAllocatedVus = pre;
    w.executor.maxVus = max;
    // Tests count answers: whatever a loaded machine makes a request wait, it is answered
    // rather than cut off by the end of the executor (the grace only lasts as long as needed).
    w.executor.gracefulStopMs = 30000;
    w.operations = std::move(ops);
    return w;
}

// The same seed creates the same ids: runs against the one engine of the test case use a seed
// of their own (0 picks the next unused one), or their creates would collide (409).
Scenario scenarioOf(QList<Workload> workloads, qint64 durationMs, quint64 seed = 0)
{
    static quint64 nextSeed = 1000;
    if (seed == 0)
        seed = nextSeed++;
    Scenario s;
    s.name = u"test"_s;
    s.seed = seed;
    s.durationMs = durationMs;
    s.workloads = std::move(workloads);
    return s;
}

qint64 sum(const QJsonObject &report, const QString &member)
{
    qint64 n = 0;
    const QJsonObject ops = report.value("operations"_L1).toObject();
    for (auto it = ops.begin(); it != ops.end(); ++it)
        n += it.value().toObject().value(member).toInteger();
    return n;
}

qint64 statusCount(const QJsonObject &report, const QString &status)
{
    qint64 n = 0;
    const QJsonObject ops = report.value("operations"_L1).toObject();
    for (auto it = ops.begin(); it != ops.end(); ++it)
        n += it.value().toObject().value("status"_L1).toObject().value(status).toInteger();
    return n;
}

// Answers every request after `delayMs` with 200 {} on a keep-alive connection: a target
// slower than any load a test sends. "GET /" (a run's first question: is anyone there?) is
// answered at once.
class SlowServer : public QTcpServer
{
public:
    explicit SlowServer(int delayMs) : m_delayMs(delayMs)
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    QByteArray &buffer = m_buffers[s];
                    buffer += s->readAll();
                    for (qsizetype end; (end = buffer.indexOf("\r\n\r\n")) >= 0;) {
                        const bool root = buffer.startsWith("GET / ");
                        buffer.remove(0, end + 4);
                        QTimer::singleShot(root ? 0 : m_delayMs, s, [s] { s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"); });
                    }
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }

private:
    int m_delayMs;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

// Switches nothing: records each call with the time it came (ms after the first). The real
// FaultControl is the listener set's (another part of the project); this one only checks the
// schedule -- when each fault is switched on and off, and that all are off at the end.
class RecordingFaultControl final : public FaultControl
{
public:
    QString setFunctionFault(const QString &function, double errorRate, qint64 latencyMs) override
    {
        return note(u"function %1 %2 %3"_s.arg(function).arg(errorRate).arg(latencyMs));
    }
    QString setProjectionFault(const QString &projection, bool paused, qint64 msPerBatch) override
    {
        return note(u"projection %1 %2 %3"_s.arg(projection).arg(paused).arg(msPerBatch));
    }
    QString setBrokerStopped(bool stopped) override { return note(u"broker %1"_s.arg(stopped)); }
    QString setCommitDelay(qint64 delayMs) override { return note(u"commit %1"_s.arg(delayMs)); }
    // `via` is a fault proxy's address: "proxy" when it takes connections, else what it is.
    QString setUpstreamNodeOverride(const QString &upstream, const QString &node, const QString &via) override
    {
        QString seen = via;
        if (!via.isEmpty()) {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, via.section(u':', -1).toUShort());
            if (via.startsWith("127.0.0.1:"_L1) && probe.waitForConnected(5000))
                seen = u"proxy"_s;
        }
        return note(u"upstream %1 %2 %3"_s.arg(upstream, node, seen).trimmed());
    }
    QStringList upstreamNodes(const QString &) const override { return {}; }

    QStringList calls() const
    {
        QMutexLocker lock(&m_mutex);
        return m_calls;
    }

private:
    QString note(const QString &call)
    {
        QMutexLocker lock(&m_mutex);
        m_calls.append(call);
        return {};
    }
    mutable QMutex m_mutex;
    QStringList m_calls;
};

// The broker fault acting on a real broker: stops and restarts the test's mosquitto (on the
// test's thread, where its process lives). Everything else is refused.
class BrokerFaultControl final : public FaultControl
{
public:
    BrokerFaultControl(MosquittoFixture *broker, QObject *context) : m_broker(broker), m_context(context) {}
    QString setFunctionFault(const QString &, double, qint64) override { return u"not here"_s; }
    QString setProjectionFault(const QString &, bool, qint64) override { return u"not here"_s; }
    QString setBrokerStopped(bool stopped) override
    {
        bool ok = true;
        QMetaObject::invokeMethod(m_context, [&] {
            if (stopped)
                m_broker->stop();
            else
                ok = m_broker->restart();
        }, Qt::BlockingQueuedConnection);
        ++m_switches;
        return ok ? QString() : u"mosquitto did not start again"_s;
    }
    QString setCommitDelay(qint64) override { return u"not here"_s; }
    QString setUpstreamNodeOverride(const QString &, const QString &, const QString &) override { return u"not here"_s; }
    QStringList upstreamNodes(const QString &) const override { return {}; }
    int switches() const { return m_switches; }

private:
    MosquittoFixture *m_broker;
    QObject *m_context;
    std::atomic<int> m_switches{0};
};

} // namespace

class tst_SimulationRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void constantArrivalRate_data();
    void constantArrivalRate();
    void rampingArrivalRate_data();
    void rampingArrivalRate();
    void vuExecutors_data();
    void vuExecutors();
    void droppedWhenNoVuIsFree();
    void gracefulStopInterrupts();
    void seededRunsRepeatIdsAndDocuments();
    void readAfterWriteLag();
    void subscribersSeeEveryCommand();
    void mqttCommandsAndSubscribers();
    void mqttSubscribersMissNothingAcrossABrokerOutage();
    void unreachableTargetFailsFast_data();
    void unreachableTargetFailsFast();
    void stopKeepsMeasurements();
    void targetThatGoesAwayFailsTheRun();
    void thresholdsDecidePassed();
    void faultsFollowTheirSchedule();
    void faultsWithoutControlAreRefused();
    void scenarioFromJson();

private:
    RunEnvironment environment(quint16 port) const;
    QJsonObject run(const Scenario &scenario, const RunEnvironment &environment);
    QJsonArray events(quint16 port);

    QTemporaryDir m_dir;
    std::unique_ptr<EngineProcess> m_engine;
    // The MQTT tests' broker and the engine bridged to it, started by the first that needs them.
    void startMqttEngine();
    std::unique_ptr<MosquittoFixture> m_broker;
    std::unique_ptr<EngineProcess> m_mqttEngine;
    CollectionCatalog m_catalog;
};

void tst_SimulationRun::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_engine = std::make_unique<EngineProcess>(m_dir.filePath(u"engine"_s));
    QVERIFY2(m_engine->start({}, kEngineStartMs), qPrintable(m_engine->stderrText()));
    m_catalog.replace(ProjectConfig::embeddedDefault());
    QVERIFY(m_catalog.collection(u"products"_s));
}

void tst_SimulationRun::cleanupTestCase()
{
    m_engine.reset();
    m_mqttEngine.reset();
    m_broker.reset();
}

void tst_SimulationRun::startMqttEngine()
{
    if (m_mqttEngine)
        return;
    m_broker = std::make_unique<MosquittoFixture>();
    QString error;
    QVERIFY2(m_broker->start(&error), qPrintable(error));
    auto engine = std::make_unique<EngineProcess>(m_dir.filePath(u"mqtt-engine"_s));
    QVERIFY2(engine->start({u"--mqtt-url"_s, m_broker->url()}, kEngineStartMs), qPrintable(engine->stderrText()));
    m_mqttEngine = std::move(engine);
}

RunEnvironment tst_SimulationRun::environment(quint16 port) const
{
    RunEnvironment e;
    e.gatewayUrl = u"http://127.0.0.1:%1"_s.arg(port);
    e.collections = &m_catalog;
    e.engineVersion = u"test"_s;
    return e;
}

QJsonObject tst_SimulationRun::run(const Scenario &scenario, const RunEnvironment &environment)
{
    SimulationRun run(u"r1"_s, scenario, environment);
    QSignalSpy finished(&run, &SimulationRun::finished);
    run.start();
    // A run that fails at once (a refused connection) may have finished before wait() is
    // called, which waits for another emission.
    if (finished.isEmpty() && !finished.wait(kRunWaitMs))
        return {};
    const QJsonObject report = finished.constFirst().constFirst().toJsonObject();
    [&] { QCOMPARE(run.snapshot(), report); QVERIFY(run.isFinished()); }();
    return report;
}

QJsonArray tst_SimulationRun::events(quint16 port)
{
    TestHttpClient http(u"127.0.0.1"_s, port);
    QJsonArray all;
    for (qint64 from = 1;;) {
        const TestHttpResponse r = http.get("/events?limit=1000&from=" + QByteArray::number(from));
        const QJsonArray page = QJsonDocument::fromJson(r.body).array();
        if (r.status != 200 || page.isEmpty())
            return all;
        for (const QJsonValue &e : page)
            all.append(e);
        from = page.last().toObject().value("position"_L1).toInteger() + 1;
    }
}

// The open model's arithmetic: iteration i of a constant rate r is due at i / r, so a run of
// d holds exactly r * d intended iterations -- each either started or dropped.
void tst_SimulationRun::constantArrivalRate_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<qint64>("timeUnitMs");
    QTest::addColumn<qint64>("durationMs");
    QTest::addColumn<qint64>("intended");
    QTest::newRow("200/s for 2 s") << 200.0 << qint64(1000) << qint64(2000) << qint64(400);
    QTest::newRow("5 per 100 ms for 1 s") << 5.0 << qint64(100) << qint64(1000) << qint64(50);
    QTest::newRow("1/s for 1.5 s") << 1.0 << qint64(1000) << qint64(1500) << qint64(2);
}

void tst_SimulationRun::constantArrivalRate()
{
    QFETCH(double, rate);
    QFETCH(qint64, timeUnitMs);
    QFETCH(qint64, durationMs);
    QFETCH(qint64, intended);
    const qint64 before = events(m_engine->gatewayPort).size();
    const Scenario s = scenarioOf({arrivalWorkload(rate, timeUnitMs, durationMs, 20, 100, {op(Operation::Create)})}, durationMs);
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(sum(report, u"intended"_s), intended);
    QCOMPARE(sum(report, u"started"_s) + sum(report, u"dropped"_s), intended);
    // One request per create; every one answered (none cut off by the graceful stop).
    QCOMPARE(sum(report, u"requests"_s), sum(report, u"started"_s));
    QCOMPARE(statusCount(report, u"202"_s), sum(report, u"requests"_s));
    // What the engine's log holds is what the run says it was told.
    QCOMPARE(events(m_engine->gatewayPort).size() - before, statusCount(report, u"202"_s));
    const QJsonObject create = report.value("operations"_L1).toObject().value("w/create"_L1).toObject();
    QCOMPARE(create.value("workload"_L1).toString(), u"w"_s);
    QVERIFY(create.value("latency_ms"_L1).toObject().value("max"_L1).toDouble() > 0);
    QVERIFY(!create.value("histogram"_L1).toArray().isEmpty());
    QVERIFY(report.value("passed"_L1).toBool());
    QVERIFY(!report.value("series"_L1).toArray().isEmpty());
}

// Linear ramps: the intended count is the area under the rate curve.
void tst_SimulationRun::rampingArrivalRate_data()
{
    QTest::addColumn<double>("startRate");
    QTest::addColumn<QList<Stage>>("stages");
    QTest::addColumn<qint64>("intended");
    // 0 -> 100/s over 1 s (50), 100/s for 1 s (100), 100 -> 0 over 1 s (50).
    QTest::newRow("up, hold, down") << 0.0 << QList<Stage>{{100, 1000}, {100, 1000}, {0, 1000}} << qint64(200);
    // 20 -> 60 over 2 s: 80 iterations.
    QTest::newRow("from a start rate") << 20.0 << QList<Stage>{{60, 2000}} << qint64(80);
    // A stage of rate 0 between two ramps starts nothing.
    QTest::newRow("a pause") << 0.0 << QList<Stage>{{40, 1000}, {0, 0}, {0, 1000}, {40, 0}, {40, 500}} << qint64(40);
}

void tst_SimulationRun::rampingArrivalRate()
{
    QFETCH(double, startRate);
    QFETCH(QList<Stage>, stages);
    QFETCH(qint64, intended);
    Workload w = arrivalWorkload(0, 1000, 0, 10, 100, {op(Operation::List)});
    w.executor.kind = Executor::RampingArrivalRate;
    w.executor.startRate = startRate;
    w.executor.stages = stages;
    w.operations.first().query = {{u"limit"_s, u"1"_s}};
    qint64 total = 0;
    for (const Stage &stage : stages)
        total += stage.durationMs;
    const QJsonObject report = run(scenarioOf({w}, total), environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(sum(report, u"intended"_s), intended);
    QCOMPARE(sum(report, u"started"_s) + sum(report, u"dropped"_s), intended);
    QCOMPARE(statusCount(report, u"200"_s), sum(report, u"requests"_s));
}

// Closed model: VUs run iterations back to back; never more VUs busy than the executor has.
void tst_SimulationRun::vuExecutors_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("startVus");
    QTest::addColumn<QList<Stage>>("stages");
    QTest::addColumn<int>("maxVus");
    QTest::newRow("constant-vus") << int(Executor::ConstantVus) << 3 << QList<Stage>{} << 3;
    QTest::newRow("ramping-vus") << int(Executor::RampingVus) << 0 << QList<Stage>{{4, 1000}, {4, 500}, {1, 500}} << 4;
}

void tst_SimulationRun::vuExecutors()
{
    QFETCH(int, kind);
    QFETCH(int, startVus);
    QFETCH(QList<Stage>, stages);
    QFETCH(int, maxVus);
    Workload w;
    w.name = u"vus"_s;
    w.executor.kind = Executor::Kind(kind);
    w.executor.vus = startVus;
    w.executor.stages = stages;
    w.operations = {op(Operation::List)};
    w.operations.first().query = {{u"limit"_s, u"1"_s}};
    const QJsonObject report = run(scenarioOf({w}, 2000), environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QVERIFY(sum(report, u"started"_s) > 0);
    QCOMPARE(sum(report, u"intended"_s), sum(report, u"started"_s));
    QCOMPARE(sum(report, u"dropped"_s), 0);
    QCOMPARE(sum(report, u"iterations"_s) + sum(report, u"interrupted"_s), sum(report, u"started"_s));
    for (const QJsonValue &point : report.value("series"_L1).toArray())
        QVERIFY2(point.toObject().value("active_vus"_L1).toInt() <= maxVus, qPrintable(QString::number(point.toObject().value("active_vus"_L1).toInt())));
}

// Two VUs against a target that answers after 300 ms: each VU can start at most one
// iteration per 300 ms, so of 100 iterations due in 2 s at most 2 * (2000 / 300 + 1) = 16 can
// start and the others are dropped, not queued. Latency runs from each iteration's due time, so
// no request can look faster than the server's delay.
void tst_SimulationRun::droppedWhenNoVuIsFree()
{
    SlowServer slow(300);
    QVERIFY(slow.listen(QHostAddress::LocalHost, 0));
    Workload w = arrivalWorkload(50, 1000, 2000, 1, 2, {op(Operation::List)});
    Scenario s = scenarioOf({w}, 2000);
    s.target = u"http://127.0.0.1:%1"_s.arg(slow.serverPort());
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(sum(report, u"intended"_s), 100);
    QCOMPARE(sum(report, u"started"_s) + sum(report, u"dropped"_s), 100);
    QVERIFY2(sum(report, u"started"_s) <= 16, qPrintable(QString::number(sum(report, u"started"_s))));
    QVERIFY(sum(report, u"started"_s) >= 1);
    QVERIFY(sum(report, u"dropped"_s) >= 84);
    const QJsonObject list = report.value("operations"_L1).toObject().value("w/list"_L1).toObject();
    QVERIFY(list.value("latency_ms"_L1).toObject().value("min"_L1).toDouble() >= 300);
}

// Requests still in flight when the executor's time and its graceful stop are over end as
// interrupted -- not errors, not answered. The target answers none (it would after an hour);
// the run's load lasts 0.5 s with 0.2 s of grace, due long before any request's own timeout
// (HttpLoadClient::kRequestTimeoutMs), so however late the generator thread gets to its
// timers, the grace ends first and every request is interrupted.
void tst_SimulationRun::gracefulStopInterrupts()
{
    SlowServer slow(3600 * 1000);
    QVERIFY(slow.listen(QHostAddress::LocalHost, 0));
    Workload w = arrivalWorkload(10, 1000, 500, 5, 5, {op(Operation::List)});
    w.executor.gracefulStopMs = 200;
    Scenario s = scenarioOf({w}, 500);
    s.target = u"http://127.0.0.1:%1"_s.arg(slow.serverPort());
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(sum(report, u"intended"_s), 5);
    QCOMPARE(sum(report, u"started"_s), 5);
    QCOMPARE(sum(report, u"interrupted"_s), 5);
    QCOMPARE(sum(report, u"requests"_s), 0);
    QCOMPARE(sum(report, u"failed"_s), 0);
    QCOMPARE(sum(report, u"iterations"_s), 0);
}

// The seed decides the ids and documents: the same scenario against two fresh engines creates
// the same documents under the same ids; run again against the first engine, every create
// collides (409); another seed creates other ids.
void tst_SimulationRun::seededRunsRepeatIdsAndDocuments()
{
    const auto created = [](const QJsonArray &log) {
        QMap<QString, QJsonObject> out;
        for (const QJsonValue &e : log)
            if (e.toObject().value("type"_L1).toString() == u"products.created"_s)
                out.insert(e.toObject().value("subject"_L1).toString(), e.toObject().value("data"_L1).toObject());
        return out;
    };
    QTemporaryDir dirB;
    EngineProcess engineB(dirB.filePath(u"b"_s));
    QVERIFY2(engineB.start({}, kEngineStartMs), qPrintable(engineB.stderrText()));
    const auto scenario = [](quint64 seed) {
        return scenarioOf({arrivalWorkload(20, 1000, 1000, 20, 20, {op(Operation::Create, u"products"_s, 3), op(Operation::List)})}, 1000, seed);
    };
    const QJsonObject a = run(scenario(7), environment(engineB.gatewayPort));
    qsizetype before = events(m_engine->gatewayPort).size();
    const QJsonObject b = run(scenario(7), environment(m_engine->gatewayPort));
    const QMap<QString, QJsonObject> inA = created(events(engineB.gatewayPort));
    QJsonArray afterBefore = events(m_engine->gatewayPort);   // this run's events only
    while (afterBefore.size() > 0 && before-- > 0)
        afterBefore.removeFirst();
    const QMap<QString, QJsonObject> inB = created(afterBefore);
    // The mix is the seed's too: the same iterations chose the same operations.
    const QJsonObject opsA = a.value("operations"_L1).toObject();
    const QJsonObject opsB = b.value("operations"_L1).toObject();
    QCOMPARE(opsA.value("w/create"_L1).toObject().value("intended"_L1), opsB.value("w/create"_L1).toObject().value("intended"_L1));
    QVERIFY(opsA.value("w/create"_L1).toObject().value("intended"_L1).toInteger() > 0);
    QCOMPARE(opsA.value("w/list"_L1).toObject().value("intended"_L1), opsB.value("w/list"_L1).toObject().value("intended"_L1));
    QVERIFY(!inA.isEmpty());
    qint64 common = 0;
    for (const auto &[id, doc] : inA.asKeyValueRange()) {
        QVERIFY(id.startsWith("sim-"_L1));
        // Generated from the products schema: its required members are there.
        QVERIFY(doc.value("name"_L1).isString() && doc.value("price"_L1).isDouble());
        if (inB.contains(id)) {
            ++common;
            QCOMPARE(inB.value(id), doc);
        }
    }
    QVERIFY(common > 0);
    // An iteration that was dropped in one run created nothing there; else both created the same.
    if (sum(a, u"dropped"_s) == 0 && sum(b, u"dropped"_s) == 0)
        QCOMPARE(inA.keys(), inB.keys());
    const QJsonObject again = run(scenario(7), environment(m_engine->gatewayPort));
    QCOMPARE(statusCount(again, u"202"_s), 0);
    QCOMPARE(statusCount(again, u"409"_s), sum(again, u"requests"_s) - statusCount(again, u"200"_s));
    const QJsonObject other = run(scenario(8), environment(m_engine->gatewayPort));
    QCOMPARE(statusCount(other, u"409"_s), 0);
    QVERIFY(statusCount(other, u"202"_s) > 0);
}

// read_after_write: POST, GET without and then with X-Min-Position; every answered waiting
// GET is one lag sample via "get".
void tst_SimulationRun::readAfterWriteLag()
{
    const Scenario s = scenarioOf({arrivalWorkload(20, 1000, 2000, 5, 20, {op(Operation::ReadAfterWrite)})}, 2000);
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    const QJsonObject raw = report.value("operations"_L1).toObject().value("w/read_after_write"_L1).toObject();
    const qint64 iterations = raw.value("iterations"_L1).toInteger();
    QVERIFY(iterations > 0);
    QCOMPARE(raw.value("requests"_L1).toInteger(), 3 * iterations);
    const QJsonObject status = raw.value("status"_L1).toObject();
    QCOMPARE(status.value("202"_L1).toInteger(), iterations);
    // The plain GET: 200 or, stale, 404; the waiting GET: 200, or 504 past the engine's wait limit.
    const qint64 gaveUp = status.value("504"_L1).toInteger();
    QCOMPARE(status.value("200"_L1).toInteger() + status.value("404"_L1).toInteger() + gaveUp, 2 * iterations);
    const QJsonObject get = report.value("consistency_lag"_L1).toObject().value("get"_L1).toObject();
    QCOMPARE(get.value("samples"_L1).toInteger(), iterations - gaveUp);
    QCOMPARE(get.value("stale"_L1).toInteger(), raw.value("stale"_L1).toInteger());
    QVERIFY(get.value("stale"_L1).toInteger() <= iterations);
    QVERIFY(get.value("latency_ms"_L1).toObject().contains("p99"_L1));
}

// Every 202 of the run is an event each subscriber connection must see: as many lag samples
// as connections times accepted commands, none missing.
void tst_SimulationRun::subscribersSeeEveryCommand()
{
    Scenario s = scenarioOf({arrivalWorkload(50, 1000, 2000, 10, 50, {op(Operation::Create, u"products"_s, 3), op(Operation::Update)})}, 2000);
    Subscriber ws;
    ws.protocol = Subscriber::WebSocket;
    ws.connections = 2;
    ws.collections = {u"products"_s};
    Subscriber sse = ws;
    sse.protocol = Subscriber::Sse;
    Subscriber all = ws;
    all.connections = 1;
    all.collections = {};
    s.subscribers = {ws, sse, all};
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    const qint64 accepted = statusCount(report, u"202"_s);
    QVERIFY(accepted > 0);
    const QJsonObject lag = report.value("consistency_lag"_L1).toObject();
    QCOMPARE(lag.value("websocket"_L1).toObject().value("samples"_L1).toInteger(), 3 * accepted);
    QCOMPARE(lag.value("websocket"_L1).toObject().value("missing"_L1).toInteger(), 0);
    QCOMPARE(lag.value("sse"_L1).toObject().value("samples"_L1).toInteger(), 2 * accepted);
    QCOMPARE(lag.value("sse"_L1).toObject().value("missing"_L1).toInteger(), 0);
    QVERIFY(!lag.contains("mqtt"_L1));
}

// Commands over MQTT (a response topic, the reply's status) and MQTT subscribers of the events
// the engine's outbox publishes: every 202, whichever way it came, reaches both subscribers.
void tst_SimulationRun::mqttCommandsAndSubscribers()
{
    if (MosquittoFixture::program().isEmpty())
        QSKIP("mosquitto is not installed");
    startMqttEngine();
    QVERIFY(m_mqttEngine);
    EngineProcess &engine = *m_mqttEngine;
    MosquittoFixture &broker = *m_broker;
    QString error;
    Scenario s = scenarioOf({arrivalWorkload(20, 1000, 2000, 5, 20, {op(Operation::MqttCommand), op(Operation::Create)})}, 2000);
    Subscriber mqtt;
    mqtt.protocol = Subscriber::Mqtt;
    mqtt.connections = 2;
    mqtt.collections = {u"products"_s};
    s.subscribers = {mqtt};
    s.thresholds = {*Thresholds::parse(u"mqtt_command_duration"_s, u"p(99)<60000"_s, &error)};
    RunEnvironment env = environment(engine.gatewayPort);
    env.mqttHost = u"127.0.0.1"_s;
    env.mqttPort = broker.port();
    const QJsonObject report = run(s, env);
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    const QJsonObject command = report.value("operations"_L1).toObject().value("w/mqtt_command"_L1).toObject();
    const qint64 commands = command.value("requests"_L1).toInteger();
    QVERIFY(commands > 0);
    // Every command answered 202 -- or, on a machine so loaded that a reply took longer than
    // MqttCommander::kReplyTimeoutMs, counted as a timeout; nothing else. (One still in flight
    // when the graceful stop ends would be `interrupted`, which is not among the requests; the
    // 30 s grace of these tests leaves none.)
    const qint64 timedOut = command.value("errors"_L1).toObject().value("timeout"_L1).toInteger();
    QVERIFY2(command.value("status"_L1).toObject().value("202"_L1).toInteger() + timedOut == commands,
             QJsonDocument(command).toJson().constData());
    QVERIFY(timedOut < commands);
    QVERIFY(command.value("latency_ms"_L1).toObject().value("max"_L1).toDouble() > 0);
    const QJsonObject lag = report.value("consistency_lag"_L1).toObject().value("mqtt"_L1).toObject();
    QCOMPARE(lag.value("samples"_L1).toInteger(), 2 * statusCount(report, u"202"_s));
    QCOMPARE(lag.value("missing"_L1).toInteger(), 0);
    // mqtt_command_duration is the mqtt_command ops' latency: samples, and under a minute.
    const QJsonArray thresholds = report.value("thresholds"_L1).toArray();
    QCOMPARE(thresholds.size(), 1);
    QVERIFY(thresholds.first().toObject().value("pass"_L1).toBool());
    QVERIFY(report.value("passed"_L1).toBool());
}

// The broker goes away for the first second of the load and comes back: the engine's outbox
// publishes what it could not, the subscribers' sessions keep what was published while they
// reconnected, and in the end each has seen every accepted command. The generator's own MQTT
// client reconnects too: ten commands due two seconds in (their graceful stop far longer than
// any reconnect takes) are all answered.
void tst_SimulationRun::mqttSubscribersMissNothingAcrossABrokerOutage()
{
    if (MosquittoFixture::program().isEmpty())
        QSKIP("mosquitto is not installed");
    startMqttEngine();
    QVERIFY(m_mqttEngine);
    EngineProcess &engine = *m_mqttEngine;
    MosquittoFixture &broker = *m_broker;
    Workload commands = arrivalWorkload(10, 1000, 1000, 5, 10, {op(Operation::MqttCommand)});
    commands.name = u"mqtt"_s;
    commands.executor.startTimeMs = 2000;
    commands.executor.gracefulStopMs = 20000;
    Scenario s = scenarioOf({arrivalWorkload(20, 1000, 3000, 5, 20, {op(Operation::Create)}), commands}, 3000);
    Subscriber mqtt;
    mqtt.protocol = Subscriber::Mqtt;
    mqtt.connections = 2;
    s.subscribers = {mqtt};
    Fault outage;
    outage.kind = Fault::Broker;
    outage.atMs = 0;
    outage.forMs = 1000;
    s.faults = {outage};
    QObject context;
    BrokerFaultControl control(&broker, &context);
    RunEnvironment env = environment(engine.gatewayPort);
    env.mqttHost = u"127.0.0.1"_s;
    env.mqttPort = broker.port();
    env.faults = &control;
    const QJsonObject report = run(s, env);
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(control.switches(), 2);
    QVERIFY(report.value("faults"_L1).toArray().first().toObject().value("applied"_L1).toBool());
    const qint64 accepted = statusCount(report, u"202"_s);
    QVERIFY(accepted > 0);
    const QJsonObject lag = report.value("consistency_lag"_L1).toObject().value("mqtt"_L1).toObject();
    QCOMPARE(lag.value("missing"_L1).toInteger(), 0);
    QCOMPARE(lag.value("samples"_L1).toInteger(), 2 * accepted);
    const QJsonObject command = report.value("operations"_L1).toObject().value("mqtt/mqtt_command"_L1).toObject();
    QCOMPARE(command.value("intended"_L1).toInteger(), 10);
    QVERIFY2(command.value("status"_L1).toObject().value("202"_L1).toInteger() == 10, QJsonDocument(command).toJson().constData());
}

// A refused connection and a listener that never answers: the run fails with a reason, having
// sent no load.
void tst_SimulationRun::unreachableTargetFailsFast_data()
{
    QTest::addColumn<bool>("silent");
    QTest::addColumn<QString>("reason");
    QTest::newRow("refused") << false << u"does not answer"_s;
    QTest::newRow("silent") << true << u"did not answer within"_s;
}

void tst_SimulationRun::unreachableTargetFailsFast()
{
    QFETCH(bool, silent);
    QFETCH(QString, reason);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    if (!silent)
        server.close();   // nothing listens there now
    Scenario s = scenarioOf({arrivalWorkload(10, 1000, 60000, 1, 1, {op(Operation::Get)})}, 60000);
    s.target = u"http://127.0.0.1:%1"_s.arg(port);
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"failed"_s);
    QVERIFY2(report.value("reason"_L1).toString().contains(reason), qPrintable(report.value("reason"_L1).toString()));
    QVERIFY2(report.value("reason"_L1).toString().contains(QString::number(port)), qPrintable(report.value("reason"_L1).toString()));
    QCOMPARE(sum(report, u"requests"_s), 0);
    QVERIFY(!report.value("passed"_L1).toBool());
}

void tst_SimulationRun::stopKeepsMeasurements()
{
    const Scenario s = scenarioOf({arrivalWorkload(50, 1000, 600000, 5, 20, {op(Operation::List)})}, 600000);
    SimulationRun run(u"stopped"_s, s, environment(m_engine->gatewayPort));
    QSignalSpy finished(&run, &SimulationRun::finished);
    QSignalSpy sampled(&run, &SimulationRun::sampled);
    run.start();
    QCOMPARE(run.snapshot().value("state"_L1).toString(), u"running"_s);
    QVERIFY(!sampled.isEmpty() || sampled.wait(kRunWaitMs));
    // An answered one: a request counted as a timeout would leave no 200 to keep.
    QTRY_VERIFY_WITH_TIMEOUT(statusCount(run.snapshot(), u"200"_s) > 0, kRunWaitMs);
    QVERIFY(!run.isFinished());
    run.stop();
    QVERIFY(!finished.isEmpty() || finished.wait(kRunWaitMs));
    const QJsonObject report = run.snapshot();
    QCOMPARE(report.value("state"_L1).toString(), u"stopped"_s);
    QVERIFY(sum(report, u"requests"_s) > 0);
    QVERIFY(sum(report, u"intended"_s) < 50 * 600);
    QVERIFY(report.value("operations"_L1).toObject().value("w/list"_L1).toObject().value("status"_L1).toObject().value("200"_L1).toInteger() > 0);
    QVERIFY(!report.value("ended_at"_L1).toString().isEmpty());
}

// The target answers, then goes away for good: once every request of kDeadTargetSeconds
// seconds was refused the run fails with that reason, keeping what it measured before.
void tst_SimulationRun::targetThatGoesAwayFailsTheRun()
{
    auto target = std::make_unique<SlowServer>(0);
    QVERIFY(target->listen(QHostAddress::LocalHost, 0));
    Scenario s = scenarioOf({arrivalWorkload(20, 1000, 600000, 2, 5, {op(Operation::List)})}, 600000);
    s.target = u"http://127.0.0.1:%1"_s.arg(target->serverPort());
    SimulationRun run(u"gone"_s, s, environment(m_engine->gatewayPort));
    QSignalSpy finished(&run, &SimulationRun::finished);
    run.start();
    QTRY_VERIFY_WITH_TIMEOUT(statusCount(run.snapshot(), u"200"_s) > 0, kRunWaitMs);
    target.reset();   // stops listening and drops its connections
    QVERIFY(!finished.isEmpty() || finished.wait(kRunWaitMs));
    const QJsonObject report = run.snapshot();
    QCOMPARE(report.value("state"_L1).toString(), u"failed"_s);
    QVERIFY2(report.value("reason"_L1).toString().contains("stopped answering"_L1), qPrintable(report.value("reason"_L1).toString()));
    QVERIFY(statusCount(report, u"200"_s) > 0);
    const QJsonObject errors = report.value("operations"_L1).toObject().value("w/list"_L1).toObject().value("errors"_L1).toObject();
    QVERIFY(errors.value("connect"_L1).toInteger() > 0);
}

// Each threshold is judged on the run's figures, and `passed` is all of them: one run with
// every row's threshold (some fail), then one with only those that hold.
void tst_SimulationRun::thresholdsDecidePassed()
{
    struct Row
    {
        QString key;
        QString expression;
        bool pass;
    };
    const QList<Row> rows{
        {u"http_req_duration{op:list}"_s, u"p(99)<60000"_s, true},   // under a minute
        {u"http_req_duration"_s, u"p(99)<0"_s, false},               // under nothing
        {u"errors"_s, u"rate<0.01"_s, true},
        {u"http_reqs"_s, u"count>100000"_s, false},                  // more than were sent
        {u"http_reqs{status:200}"_s, u"count==20"_s, true},          // every request counted
        {u"iterations{workload:w}"_s, u"count==20"_s, true},
        {u"dropped_iterations"_s, u"count==0"_s, true},
        {u"http_req_duration{op:create}"_s, u"p(99)<60000"_s, false}, // an op the run does not have
    };
    for (const bool onlyPassing : {false, true}) {
        Scenario s = scenarioOf({arrivalWorkload(20, 1000, 1000, 5, 100, {op(Operation::List)})}, 1000);
        QList<Row> used;
        for (const Row &row : rows) {
            if (onlyPassing && !row.pass)
                continue;
            QString error;
            const auto threshold = Thresholds::parse(row.key, row.expression, &error);
            QVERIFY2(threshold, qPrintable(error));
            s.thresholds.append(*threshold);
            used.append(row);
        }
        const QJsonObject report = run(s, environment(m_engine->gatewayPort));
        QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
        QCOMPARE(sum(report, u"dropped"_s), 0);   // the count==20 rows need every iteration
        const QJsonArray results = report.value("thresholds"_L1).toArray();
        QCOMPARE(results.size(), used.size());
        for (qsizetype i = 0; i < used.size(); ++i) {
            const QJsonObject result = results.at(i).toObject();
            QCOMPARE(result.value("metric"_L1).toString(), used.at(i).key);
            QCOMPARE(result.value("expression"_L1).toString(), used.at(i).expression);
            QVERIFY2(result.value("pass"_L1).toBool() == used.at(i).pass, qPrintable(used.at(i).key + u' ' + used.at(i).expression));
        }
        QCOMPARE(report.value("passed"_L1).toBool(), onlyPassing);
    }
}

// On and off at their times, in the order of their times; whatever is still on when the run
// ends (a fault longer than the run, or one without an end) is switched off then. The load
// lasts 1.5 s, the run 4 s: the run's end is then a timer of the controller thread due well
// after the last switch (1.2 s), and timers fire in the order they are due however late the
// thread gets to them. (Were the run's end the generators' "finished", a controller thread
// held up past it could handle that before a switch whose timer is overdue.)
void tst_SimulationRun::faultsFollowTheirSchedule()
{
    Scenario s = scenarioOf({arrivalWorkload(5, 1000, 1500, 1, 5, {op(Operation::List)})}, 4000);
    Fault commit;
    commit.kind = Fault::CommitDelay;
    commit.latencyMs = 5;
    commit.atMs = 0;
    commit.forMs = 60000;
    Fault function;
    function.kind = Fault::Function;
    function.function = u"notify"_s;
    function.errorRate = 0.5;
    function.latencyMs = 20;
    function.atMs = 300;
    function.forMs = 300;
    Fault broker;
    broker.kind = Fault::Broker;
    broker.atMs = 800;
    broker.forMs = 0;
    SlowServer node(0);
    QVERIFY(node.listen(QHostAddress::LocalHost, 0));
    const QString nodeAddress = u"127.0.0.1:%1"_s.arg(node.serverPort());
    Fault upstream;   // a fault proxy in front of the node while it lasts
    upstream.kind = Fault::Upstream;
    upstream.upstream = u"payments"_s;
    upstream.node = nodeAddress;
    upstream.toxic = u"latency"_s;
    upstream.toxicAttributes = QJsonObject{{u"latency"_s, 10}};
    upstream.atMs = 1000;
    upstream.forMs = 200;
    Fault late;   // due after the run: never switched on
    late.kind = Fault::Projection;
    late.projection = u"products"_s;
    late.paused = true;
    late.atMs = 50000;
    s.faults = {commit, function, broker, late, upstream};
    RecordingFaultControl control;
    RunEnvironment env = environment(m_engine->gatewayPort);
    env.faults = &control;
    const QJsonObject report = run(s, env);
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(control.calls(), (QStringList{u"commit 5"_s, u"function notify 0.5 20"_s, u"function notify 0 0"_s,
                                           u"broker 1"_s, u"upstream payments "_s + nodeAddress + u" proxy"_s,
                                           u"upstream payments "_s + nodeAddress, u"broker 0"_s, u"commit 0"_s}));
    const QJsonArray faults = report.value("faults"_L1).toArray();
    QCOMPARE(faults.size(), 5);
    QVERIFY(faults.at(4).toObject().value("applied"_L1).toBool());
    QCOMPARE(faults.at(1).toObject().value("kind"_L1).toString(), u"function"_s);
    QVERIFY(faults.at(1).toObject().value("applied"_L1).toBool());
    QVERIFY(faults.at(1).toObject().value("off_ms"_L1).toInteger() >= 600);
    QVERIFY(!faults.at(3).toObject().value("applied"_L1).toBool());
}

void tst_SimulationRun::faultsWithoutControlAreRefused()
{
    Scenario s = scenarioOf({arrivalWorkload(5, 1000, 1000, 1, 5, {op(Operation::List)})}, 1000);
    Fault broker;
    broker.kind = Fault::Broker;
    s.faults = {broker};
    const QJsonObject report = run(s, environment(m_engine->gatewayPort));
    QCOMPARE(report.value("state"_L1).toString(), u"failed"_s);
    QVERIFY2(report.value("reason"_L1).toString().contains("faults"_L1), qPrintable(report.value("reason"_L1).toString()));
    QCOMPARE(sum(report, u"requests"_s), 0);
}

// A scenario as users write it, read by Scenario::fromJson: two executors side by side, an op
// with its own name, list pages through cursors, a path template, a subscriber, thresholds by
// tag and a fault whose own members the report keeps. The errors threshold is the buyers': at
// most their reads by id can fail (a read model not there yet), a share the seed fixes; the
// browsers' {id} requests fail (no_id, a 404) as often as the machine is slow to create and
// project their first documents.
void tst_SimulationRun::scenarioFromJson()
{
    const QByteArray text = R"({
        "name": "json", "seed": 99, "duration": "2s",
        "workloads": [
            {"name": "buyers", "executor": "constant-arrival-rate", "rate": 20, "time_unit": "1s",
             "pre_allocated_vus": 5, "max_vus": 20,
             "operations": [
                {"op": "create", "collection": "products", "weight": 2},
                {"op": "get", "collection": "products", "name": "by-id"},
                {"op": "list", "collection": "products", "query": {"limit": "2", "sort": "-price"},
                 "follow_cursor": true, "max_pages": 3}]},
            {"name": "browsers", "executor": "ramping-vus", "start_vus": 0,
             "stages": [{"target": 2, "duration": "1s"}, {"target": 2, "duration": "1s"}],
             "operations": [{"op": "request", "method": "GET", "path": "/api/products/{id}", "collection": "products"}]}],
        "subscribers": [{"protocol": "websocket", "connections": 1, "collections": ["products"]}],
        "thresholds": {"http_req_duration{op:by-id}": ["p(99)<60000"], "consistency_lag{via:websocket}": ["p(99)<60000"],
                       "errors{workload:buyers}": ["rate<0.5"]},
        "faults": [{"kind": "commit_delay", "delay": "1ms", "at": "0s", "for": "1s"}]
    })";
    QStringList errors;
    const auto scenario = Scenario::fromJson(QJsonDocument::fromJson(text).object(), &errors, &m_catalog);
    QVERIFY2(scenario, qPrintable(errors.join(u'\n')));
    RecordingFaultControl control;
    RunEnvironment env = environment(m_engine->gatewayPort);
    env.faults = &control;
    const QJsonObject report = run(*scenario, env);
    QCOMPARE(report.value("state"_L1).toString(), u"finished"_s);
    QCOMPARE(report.value("scenario"_L1).toString(), u"json"_s);
    QCOMPARE(report.value("seed"_L1).toInteger(), 99);
    const QJsonObject ops = report.value("operations"_L1).toObject();
    QCOMPARE(ops.keys(), (QStringList{u"browsers/request"_s, u"buyers/by-id"_s, u"buyers/create"_s, u"buyers/list"_s}));
    qint64 buyers = 0;
    for (const QString &key : {u"buyers/by-id"_s, u"buyers/create"_s, u"buyers/list"_s})
        buyers += ops.value(key).toObject().value("intended"_L1).toInteger();
    QCOMPARE(buyers, 40);
    QVERIFY(ops.value("browsers/request"_L1).toObject().value("started"_L1).toInteger() > 0);
    const QJsonObject list = ops.value("buyers/list"_L1).toObject();
    QVERIFY(list.value("requests"_L1).toInteger() >= list.value("iterations"_L1).toInteger());
    const QJsonArray thresholds = report.value("thresholds"_L1).toArray();
    QCOMPARE(thresholds.size(), 3);
    for (const QJsonValue &t : thresholds)
        QVERIFY2(t.toObject().value("pass"_L1).toBool(), qPrintable(t.toObject().value("metric"_L1).toString()));
    QVERIFY(report.value("passed"_L1).toBool());
    const QJsonObject ws = report.value("consistency_lag"_L1).toObject().value("websocket"_L1).toObject();
    QCOMPARE(ws.value("samples"_L1).toInteger(), statusCount(report, u"202"_s));
    QCOMPARE(ws.value("missing"_L1).toInteger(), 0);
    const QJsonObject fault = report.value("faults"_L1).toArray().first().toObject();
    QCOMPARE(fault.value("kind"_L1).toString(), u"commit_delay"_s);
    QCOMPARE(fault.value("delay"_L1).toString(), u"1ms"_s);
    QCOMPARE(fault.value("for_ms"_L1).toInteger(), 1000);
    QVERIFY(fault.value("applied"_L1).toBool());
    QCOMPARE(control.calls(), (QStringList{u"commit 1"_s, u"commit 0"_s}));
}

QTEST_GUILESS_MAIN(tst_SimulationRun)
#include "tst_simulationrun.moc"
