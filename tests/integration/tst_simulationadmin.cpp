// Simulations through the admin API and `gatehouse simulate`, against the real executable:
// stored scenarios (CRUD, strict validation with JSON Pointers, the shipped examples), runs
// (start, one at a time, live figures, stop keeping what was measured, reports kept across a
// restart, a run cut short by kill -9 recorded as failed), a scenario's setup created for the
// run and taken back after it, and the command line's exit codes.
#include "engineprocess.h"
#include "testhttpclient.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;

namespace {

const QByteArray kAdminKey = "sim-admin-key-5c1e";
constexpr int kWaitMs = 30000;

QByteArray toJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A short, light scenario: 40 iterations a second for `seconds`.
QJsonObject shortScenario(const QString &duration = u"2s"_s)
{
    return QJsonObject{
        {u"seed"_s, 5},
        {u"duration"_s, duration},
        {u"workloads"_s, QJsonArray{QJsonObject{
             {u"name"_s, u"w"_s},
             {u"executor"_s, u"constant-arrival-rate"_s},
             {u"rate"_s, 40},
             {u"time_unit"_s, u"1s"_s},
             {u"pre_allocated_vus"_s, 4},
             {u"max_vus"_s, 8},
             {u"operations"_s, QJsonArray{QJsonObject{{u"op"_s, u"create"_s}, {u"collection"_s, u"products"_s}},
                                          QJsonObject{{u"op"_s, u"get"_s}, {u"collection"_s, u"products"_s}}}},
         }}},
        {u"thresholds"_s, QJsonObject{{u"errors"_s, QJsonArray{u"rate<0.5"_s}}}},
    };
}

} // namespace

class tst_SimulationAdmin : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void examplesAreStored();
    void crudAndValidation();
    void invalidScenariosListEveryError_data();
    void invalidScenariosListEveryError();
    void exportAndImport();
    void runStopAndReport();
    void secondRunIsRefused();
    void endOfARunIsSeenWhole();
    void setupIsTakenBack();
    void staleReadsAreNotErrors();
    void reportsSurviveARestartAndAKill();
    void commandLineExitCodes_data();
    void commandLineExitCodes();

private:
    TestHttpResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient client(u"127.0.0.1"_s, m_engine->adminPort);
        return client.request(method, path, body, {{"X-API-KEY", kAdminKey}});
    }
    QJsonObject waitForEnd(const QByteArray &runId)
    {
        QDeadlineTimer deadline(kWaitMs);
        while (!deadline.hasExpired()) {
            const QJsonObject run = admin("GET", "/admin/runs/" + runId).json();
            if (run.value(u"state"_s).toString() != u"running"_s)
                return run;
            QTest::qWait(100);
        }
        return {};
    }
    void startEngine()
    {
        m_engine = std::make_unique<EngineProcess>(m_dir.filePath(u"data"_s));
        QVERIFY2(m_engine->start({u"--admin-key"_s, QString::fromLatin1(kAdminKey)}), qPrintable(m_engine->stderrText()));
    }

    QTemporaryDir m_dir;
    std::unique_ptr<EngineProcess> m_engine;
};

void tst_SimulationAdmin::initTestCase()
{
    QVERIFY(m_dir.isValid());
    startEngine();
}

void tst_SimulationAdmin::cleanupTestCase()
{
    m_engine.reset();
}

void tst_SimulationAdmin::examplesAreStored()
{
    const QJsonObject list = admin("GET", "/admin/scenarios").json();
    QStringList names;
    for (const QJsonValue &v : list.value(u"items"_s).toArray())
        names.append(v.toObject().value(u"name"_s).toString());
    names.sort();
    QCOMPARE(names, (QStringList{u"broker-outage"_s, u"flash-sale"_s, u"function-failure-storm"_s, u"slow-upstream"_s, u"steady-shop"_s}));
    // Deleted examples do not come back on the next start (checked in reportsSurviveARestartAndAKill).
}

void tst_SimulationAdmin::crudAndValidation()
{
    TestHttpResponse r = admin("PUT", "/admin/scenarios/smoke", toJson(shortScenario()));
    QCOMPARE(r.status, 201);
    QCOMPARE(r.json().value(u"name"_s).toString(), u"smoke"_s);
    QVERIFY(r.json().value(u"create_time"_s).toInteger() > 0);
    QCOMPARE(admin("PUT", "/admin/scenarios/smoke", toJson(shortScenario())).status, 200);
    r = admin("PATCH", "/admin/scenarios/smoke", R"({"seed":99,"description":"patched"})");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"seed"_s).toInteger(), 99);
    QCOMPARE(admin("GET", "/admin/scenarios/smoke").json().value(u"description"_s).toString(), u"patched"_s);
    // A patch that breaks the scenario is refused whole; the stored one is unchanged.
    r = admin("PATCH", "/admin/scenarios/smoke", R"({"duration":"soon"})");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("content-type"), QByteArray("application/problem+json"));
    QCOMPARE(admin("GET", "/admin/scenarios/smoke").json().value(u"seed"_s).toInteger(), 99);
    QCOMPARE(admin("PUT", "/admin/scenarios/bad%20name", toJson(shortScenario())).status, 400);
    QCOMPARE(admin("PUT", "/admin/scenarios/smoke", "{not json").status, 400);
    QCOMPARE(admin("POST", "/admin/scenarios/smoke").status, 405);
    QCOMPARE(admin("GET", "/admin/scenarios/nothing").status, 404);
    QCOMPARE(admin("POST", "/admin/scenarios/nothing/run").status, 404);
    QCOMPARE(admin("GET", "/admin/runs/nothing").status, 404);
    QCOMPARE(admin("DELETE", "/admin/scenarios/smoke").status, 204);
    QCOMPARE(admin("DELETE", "/admin/scenarios/smoke").status, 404);
    // Without the key, nothing.
    TestHttpClient anonymous(u"127.0.0.1"_s, m_engine->adminPort);
    QCOMPARE(anonymous.get("/admin/scenarios").status, 401);
}

void tst_SimulationAdmin::invalidScenariosListEveryError_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QStringList>("pointers");   // each must start one of the errors
    QTest::newRow("unknown member") << QByteArray(R"({"duration":"1s","workloads":[],"colour":1})") << QStringList{u"/colour"_s};
    QTest::newRow("two errors at once")
        << QByteArray(R"({"duration":"later","workloads":[{"name":"w","executor":"warp-speed","operations":[{"op":"get","collection":"products"}]}]})")
        << QStringList{u"/duration"_s, u"/workloads/0/executor"_s};
    QTest::newRow("no such collection")
        << QByteArray(R"({"duration":"1s","workloads":[{"name":"w","executor":"constant-vus","vus":1,"operations":[{"op":"get","collection":"ghosts"}]}]})")
        << QStringList{u"/workloads/0/operations/0/collection"_s};
    QTest::newRow("bad threshold")
        << QByteArray(R"({"duration":"1s","workloads":[{"name":"w","executor":"constant-vus","vus":1,"operations":[{"op":"get","collection":"products"}]}],"thresholds":{"errors":["p(99)<<1"]}})")
        << QStringList{u"/thresholds/errors/0"_s};
}

void tst_SimulationAdmin::invalidScenariosListEveryError()
{
    QFETCH(QByteArray, body);
    QFETCH(QStringList, pointers);
    const TestHttpResponse r = admin("PUT", "/admin/scenarios/invalid", body);
    QCOMPARE(r.status, 400);
    const QJsonArray errors = r.json().value(u"errors"_s).toArray();
    for (const QString &pointer : pointers) {
        bool found = false;
        for (const QJsonValue &e : errors)
            found = found || e.toString().startsWith(pointer + u':');
        QVERIFY2(found, qPrintable(pointer + u" not in "_s + QString::fromUtf8(r.body)));
    }
    QCOMPARE(admin("GET", "/admin/scenarios/invalid").status, 404);
}

void tst_SimulationAdmin::exportAndImport()
{
    QCOMPARE(admin("PUT", "/admin/scenarios/exported", toJson(shortScenario())).status, 201);
    const TestHttpResponse exported = admin("GET", "/admin/config/export");
    QCOMPARE(exported.status, 200);
    QJsonObject document = exported.json();
    QJsonArray scenarios = document.value(u"scenarios"_s).toArray();
    bool found = false;
    for (const QJsonValue &v : scenarios)
        found = found || v.toObject().value(u"name"_s).toString() == u"exported"_s;
    QVERIFY(found);

    // A scenario that does not read refuses the whole import: nothing changes.
    QJsonArray broken = scenarios;
    broken.append(QJsonObject{{u"name"_s, u"broken"_s}, {u"duration"_s, u"1s"_s}});
    document.insert(u"scenarios"_s, broken);
    document.insert(u"routes"_s, QJsonArray{});
    TestHttpResponse r = admin("PUT", "/admin/config", toJson(document));
    QCOMPARE(r.status, 400);
    QVERIFY2(r.json().value(u"errors"_s).toArray().first().toString().startsWith(u"/scenarios/%1/"_s.arg(scenarios.size())), r.body.constData());
    QVERIFY(!admin("GET", "/admin/routes").json().value(u"items"_s).toArray().isEmpty());

    // Only "exported" left: the others are removed, as for routes.
    document = exported.json();
    document.insert(u"scenarios"_s, QJsonArray{QJsonObject{{u"name"_s, u"exported"_s}, {u"seed"_s, 3}, {u"duration"_s, u"1s"_s},
                                                            {u"workloads"_s, shortScenario().value(u"workloads"_s)}}});
    r = admin("PUT", "/admin/config", toJson(document));
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(u"imported"_s).toObject().value(u"scenarios"_s).toInt(), 1);
    const QJsonArray left = admin("GET", "/admin/scenarios").json().value(u"items"_s).toArray();
    QCOMPARE(left.size(), 1);
    QCOMPARE(left.first().toObject().value(u"seed"_s).toInteger(), 3);
    // Without a scenarios section, the stored scenarios stay; then the examples come back by import.
    document.remove(u"scenarios"_s);
    QCOMPARE(admin("PUT", "/admin/config", toJson(document)).status, 200);
    QCOMPARE(admin("GET", "/admin/scenarios").json().value(u"items"_s).toArray().size(), 1);
    document.insert(u"scenarios"_s, scenarios);
    QCOMPARE(admin("PUT", "/admin/config", toJson(document)).status, 200);
    QCOMPARE(admin("GET", "/admin/scenarios").json().value(u"items"_s).toArray().size(), scenarios.size());
}

void tst_SimulationAdmin::runStopAndReport()
{
    QCOMPARE(admin("PUT", "/admin/scenarios/long", toJson(shortScenario(u"60s"_s))).status, 201);
    TestHttpResponse r = admin("POST", "/admin/scenarios/long/run");
    QCOMPARE(r.status, 201);
    const QByteArray id = r.json().value(u"id"_s).toString().toUtf8();
    QVERIFY(!id.isEmpty());
    QCOMPARE(r.header("location"), "/admin/runs/" + id);
    // Live figures while it runs.
    QDeadlineTimer deadline(kWaitMs);
    qint64 requests = 0;
    while (!deadline.hasExpired() && requests < 20) {
        const QJsonObject live = admin("GET", "/admin/runs/" + id).json();
        QCOMPARE(live.value(u"state"_s).toString(), u"running"_s);
        requests = 0;
        const QJsonObject ops = live.value(u"operations"_s).toObject();
        for (auto it = ops.begin(); it != ops.end(); ++it)
            requests += it.value().toObject().value(u"requests"_s).toInteger();
        QTest::qWait(100);
    }
    QVERIFY(requests >= 20);
    QCOMPARE(admin("POST", "/admin/runs/" + id + "/stop").status, 202);
    const QJsonObject report = waitForEnd(id);
    QCOMPARE(report.value(u"state"_s).toString(), u"stopped"_s);
    qint64 after = 0;
    const QJsonObject ops = report.value(u"operations"_s).toObject();
    for (auto it = ops.begin(); it != ops.end(); ++it)
        after += it.value().toObject().value(u"requests"_s).toInteger();
    QVERIFY(after >= requests);   // what was measured is kept
    QCOMPARE(report.value(u"scenario"_s).toString(), u"long"_s);
    QCOMPARE(report.value(u"seed"_s).toInteger(), 5);
    QVERIFY(report.value(u"config_version"_s).toInteger() > 0);
    QCOMPARE(admin("POST", "/admin/runs/" + id + "/stop").status, 409);
    const QJsonArray runs = admin("GET", "/admin/runs").json().value(u"items"_s).toArray();
    QVERIFY(!runs.isEmpty());
    QCOMPARE(runs.first().toObject().value(u"id"_s).toString().toUtf8(), id);
    QVERIFY(!runs.first().toObject().contains(u"series"_s));   // summaries only
    const QJsonObject stored = admin("GET", "/admin/runs/" + id).json();
    QVERIFY(stored.contains(u"series"_s));
    QCOMPARE(stored.value(u"definition"_s).toObject().value(u"duration"_s).toString(), u"60s"_s);   // the scenario it ran
}

void tst_SimulationAdmin::secondRunIsRefused()
{
    QCOMPARE(admin("PUT", "/admin/scenarios/long", toJson(shortScenario(u"60s"_s))).status, 200);
    const TestHttpResponse first = admin("POST", "/admin/scenarios/long/run");
    QCOMPARE(first.status, 201);
    const QByteArray id = first.json().value(u"id"_s).toString().toUtf8();
    const TestHttpResponse second = admin("POST", "/admin/scenarios/long/run");
    QCOMPARE(second.status, 409);
    QCOMPARE(second.header("location"), "/admin/runs/" + id);
    QCOMPARE(admin("DELETE", "/admin/runs/" + id).status, 409);
    // Run options: only target, seed and duration.
    QCOMPARE(admin("POST", "/admin/runs/" + id + "/stop").status, 202);
    QVERIFY(!waitForEnd(id).isEmpty());
    QCOMPARE(admin("POST", "/admin/scenarios/long/run", R"({"workloads":[]})").status, 400);
    const TestHttpResponse shortRun = admin("POST", "/admin/scenarios/long/run", R"({"duration":"1s","seed":8})");
    QCOMPARE(shortRun.status, 201);
    const QJsonObject report = waitForEnd(shortRun.json().value(u"id"_s).toString().toUtf8());
    QCOMPARE(report.value(u"state"_s).toString(), u"finished"_s);
    QCOMPARE(report.value(u"seed"_s).toInteger(), 8);
    // The same seed again, against the same data: its creates do not collide with the first run's.
    const TestHttpResponse again = admin("POST", "/admin/scenarios/long/run", R"({"duration":"1s","seed":8})");
    QCOMPARE(again.status, 201);
    const QJsonObject secondReport = waitForEnd(again.json().value(u"id"_s).toString().toUtf8());
    const QJsonObject create = secondReport.value(u"operations"_s).toObject().value(u"w/create"_s).toObject();
    QVERIFY(create.value(u"requests"_s).toInteger() > 0);
    QVERIFY2(create.value(u"errors"_s).toObject().isEmpty(), QJsonDocument(create).toJson(QJsonDocument::Compact).constData());
    QCOMPARE(admin("DELETE", "/admin/runs/" + id).status, 204);
    QCOMPARE(admin("GET", "/admin/runs/" + id).status, 404);
}

void tst_SimulationAdmin::endOfARunIsSeenWhole()
{
    // Asked for without a pause while it ends, a run is either running or has its whole report:
    // never 404 (between its end and its report being stored), never an end state with figures
    // that still change.
    QCOMPARE(admin("PUT", "/admin/scenarios/brief", toJson(shortScenario(u"1s"_s))).status, 201);
    const TestHttpResponse started = admin("POST", "/admin/scenarios/brief/run");
    QCOMPARE(started.status, 201);
    const QByteArray id = started.json().value(u"id"_s).toString().toUtf8();
    TestHttpClient client(u"127.0.0.1"_s, m_engine->adminPort);
    QJsonObject first;
    QDeadlineTimer deadline(kWaitMs);
    while (!deadline.hasExpired()) {
        const TestHttpResponse r = client.request("GET", "/admin/runs/" + id, {}, {{"X-API-KEY", kAdminKey}});
        QVERIFY2(r.status == 200, r.body.constData());
        first = r.json();
        QVERIFY2(!first.value(u"state"_s).toString().isEmpty(), r.body.constData());
        if (first.value(u"state"_s).toString() != u"running"_s)
            break;
    }
    QCOMPARE(first.value(u"state"_s).toString(), u"finished"_s);
    QVERIFY(first.value(u"passed"_s).toBool());
    QTest::qWait(300);
    const QJsonObject stored = admin("GET", "/admin/runs/" + id).json();
    QCOMPARE(stored.value(u"operations"_s), first.value(u"operations"_s));
    QCOMPARE(stored.value(u"totals"_s), first.value(u"totals"_s));
    QCOMPARE(stored.value(u"thresholds"_s), first.value(u"thresholds"_s));
}

void tst_SimulationAdmin::setupIsTakenBack()
{
    QJsonObject scenario = shortScenario(u"30s"_s);
    scenario.insert(u"setup"_s, QJsonObject{{u"routes"_s, QJsonArray{QJsonObject{
        {u"id"_s, u"sim-route"_s}, {u"uri"_s, u"/sim/products/:id"_s}, {u"methods"_s, QJsonArray{u"GET"_s}},
        {u"upstream"_s, QJsonObject{{u"type"_s, u"query"_s}, {u"collection"_s, u"products"_s}}}}}}});
    QCOMPARE(admin("PUT", "/admin/scenarios/with-setup", toJson(scenario)).status, 201);
    QCOMPARE(admin("GET", "/admin/routes/sim-route").status, 404);
    const TestHttpResponse started = admin("POST", "/admin/scenarios/with-setup/run");
    QCOMPARE(started.status, 201);
    QCOMPARE(admin("GET", "/admin/routes/sim-route").status, 200);
    const QByteArray id = started.json().value(u"id"_s).toString().toUtf8();
    QCOMPARE(admin("POST", "/admin/runs/" + id + "/stop").status, 202);
    QVERIFY(!waitForEnd(id).isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(admin("GET", "/admin/routes/sim-route").status, 404, kWaitMs);
    // A setup the engine refuses: the run does not start and nothing stays behind.
    scenario.insert(u"setup"_s, QJsonObject{{u"routes"_s, QJsonArray{
        QJsonObject{{u"id"_s, u"ok-route"_s}, {u"uri"_s, u"/ok"_s}, {u"upstream"_s, QJsonObject{{u"type"_s, u"events"_s}}}},
        QJsonObject{{u"id"_s, u"bad-route"_s}, {u"uri"_s, u"no-slash"_s}}}}});
    QCOMPARE(admin("PUT", "/admin/scenarios/with-setup", toJson(scenario)).status, 200);
    const TestHttpResponse refused = admin("POST", "/admin/scenarios/with-setup/run");
    QCOMPARE(refused.status, 400);
    QVERIFY2(refused.json().value(u"errors"_s).toArray().first().toString().startsWith(u"/setup/routes/1"_s), refused.body.constData());
    QCOMPARE(admin("GET", "/admin/routes/ok-route").status, 404);
}

// read_after_write against a slowed projection: the first GET finds nothing yet (a stale read,
// counted as such), the second waits with X-Min-Position; neither is an error.
void tst_SimulationAdmin::staleReadsAreNotErrors()
{
    QJsonObject scenario = shortScenario(u"2s"_s);
    QJsonObject workload = scenario.value(u"workloads"_s).toArray().first().toObject();
    workload.insert(u"rate"_s, 10);
    workload.insert(u"operations"_s, QJsonArray{QJsonObject{{u"op"_s, u"read_after_write"_s}, {u"collection"_s, u"products"_s}}});
    scenario.insert(u"workloads"_s, QJsonArray{workload});
    scenario.insert(u"faults"_s, QJsonArray{QJsonObject{{u"kind"_s, u"projection"_s}, {u"projection"_s, u"products"_s},
                                                        {u"ms_per_batch"_s, 150}, {u"at"_s, u"0s"_s}}});
    QCOMPARE(admin("PUT", "/admin/scenarios/stale-reads", toJson(scenario)).status, 201);
    const TestHttpResponse started = admin("POST", "/admin/scenarios/stale-reads/run");
    QCOMPARE(started.status, 201);
    const QJsonObject report = waitForEnd(started.json().value(u"id"_s).toString().toUtf8());
    QCOMPARE(report.value(u"state"_s).toString(), u"finished"_s);
    const QJsonObject op = report.value(u"operations"_s).toObject().value(u"w/read_after_write"_s).toObject();
    QVERIFY2(op.value(u"stale"_s).toInteger() > 0, QJsonDocument(op).toJson(QJsonDocument::Compact).constData());
    QVERIFY2(op.value(u"errors"_s).toObject().isEmpty(), QJsonDocument(op).toJson(QJsonDocument::Compact).constData());
    QVERIFY(report.value(u"consistency_lag"_s).toObject().value(u"get"_s).toObject().value(u"samples"_s).toInteger() > 0);
    // The fault was switched off with the run: the projection keeps up again.
    const QJsonArray faults = report.value(u"faults"_s).toArray();
    QCOMPARE(faults.size(), 1);
    QVERIFY(faults.first().toObject().value(u"applied"_s).toBool());
}

void tst_SimulationAdmin::reportsSurviveARestartAndAKill()
{
    QCOMPARE(admin("DELETE", "/admin/scenarios/steady-shop").status, 204);
    const QJsonArray before = admin("GET", "/admin/runs").json().value(u"items"_s).toArray();
    QVERIFY(!before.isEmpty());
    QCOMPARE(m_engine->terminate(), 0);
    startEngine();
    QCOMPARE(admin("GET", "/admin/runs").json().value(u"items"_s).toArray().size(), before.size());
    QCOMPARE(admin("GET", "/admin/scenarios/steady-shop").status, 404);   // a deleted example stays deleted
    // kill -9 during a run: after the restart the run is recorded as failed, with its figures.
    const TestHttpResponse started = admin("POST", "/admin/scenarios/long/run");
    QCOMPARE(started.status, 201);
    const QByteArray id = started.json().value(u"id"_s).toString().toUtf8();
    QTest::qWait(1500);
    m_engine->kill();
    startEngine();
    const QJsonObject report = admin("GET", "/admin/runs/" + id).json();
    QCOMPARE(report.value(u"state"_s).toString(), u"failed"_s);
    QVERIFY(!report.value(u"reason"_s).toString().isEmpty());

    // SIGTERM during a run: the run ends as failed, with its figures, and says why.
    const TestHttpResponse again = admin("POST", "/admin/scenarios/long/run");
    QCOMPARE(again.status, 201);
    const QByteArray second = again.json().value(u"id"_s).toString().toUtf8();
    QTRY_VERIFY_WITH_TIMEOUT(admin("GET", "/admin/runs/" + second).json().value(u"totals"_s).toObject().value(u"iterations"_s).toInteger() > 0, 30000);
    QCOMPARE(m_engine->terminate(), 0);
    startEngine();
    const QJsonObject cut = admin("GET", "/admin/runs/" + second).json();
    QCOMPARE(cut.value(u"state"_s).toString(), u"failed"_s);
    QCOMPARE(cut.value(u"reason"_s).toString(), u"the engine stopped during the run"_s);
    QVERIFY2(cut.value(u"totals"_s).toObject().value(u"iterations"_s).toInteger() > 0, QJsonDocument(cut).toJson().constData());
    QVERIFY(!cut.value(u"ended_at"_s).toString().isEmpty());
}

void tst_SimulationAdmin::commandLineExitCodes_data()
{
    QTest::addColumn<QByteArray>("scenario");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("expectedOutput");
    const QByteArray ok = toJson(shortScenario(u"1s"_s));
    QJsonObject failing = shortScenario(u"1s"_s);
    failing.insert(u"thresholds"_s, QJsonObject{{u"http_reqs"_s, QJsonArray{u"count<1"_s}}});
    QTest::newRow("thresholds hold") << ok << 0 << u"every threshold holds"_s;
    QTest::newRow("a threshold fails") << toJson(failing) << 99 << u"a threshold failed"_s;
    QTest::newRow("bad scenario") << QByteArray(R"({"duration":"never"})") << 2 << u"/duration"_s;
    QTest::newRow("not JSON") << QByteArray("{") << 2 << u"not a JSON object"_s;
    QJsonObject unreachable = shortScenario(u"1s"_s);
    unreachable.insert(u"target"_s, u"http://127.0.0.1:1"_s);
    QTest::newRow("target does not answer") << toJson(unreachable) << 1 << u"failed"_s;
}

void tst_SimulationAdmin::commandLineExitCodes()
{
    QFETCH(QByteArray, scenario);
    QFETCH(int, exitCode);
    QFETCH(QString, expectedOutput);
    const QString file = m_dir.filePath(u"cli-scenario.json"_s);
    const QString reportFile = m_dir.filePath(u"cli-report.json"_s);
    QFile::remove(reportFile);
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(scenario);
    }
    QProcess process;
    process.start(QStringLiteral(GATEHOUSE_BINARY), {u"simulate"_s, file, u"--report"_s, reportFile, u"--no-mqtt"_s});
    QVERIFY(process.waitForFinished(60000));
    const QString output = QString::fromLocal8Bit(process.readAllStandardOutput() + process.readAllStandardError());
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QVERIFY2(process.exitCode() == exitCode, qPrintable(output));
    QVERIFY2(output.contains(expectedOutput), qPrintable(output));
    if (exitCode == 0 || exitCode == 99) {
        QFile report(reportFile);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(report.readAll()).object();
        QCOMPARE(json.value(u"passed"_s).toBool(), exitCode == 0);
        QCOMPARE(json.value(u"state"_s).toString(), u"finished"_s);
    }
}

QTEST_GUILESS_MAIN(tst_SimulationAdmin)
#include "tst_simulationadmin.moc"
