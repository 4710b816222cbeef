// A simulation's engine faults and probe (Server::EngineFaults) against a real engine: an
// Engine on a temporary data directory with its gateway listener, a managed mosquitto through
// the MQTT service, and real clients. Each fault is seen having its effect and going away:
// a function's error rate fills dead letters (and its latency delays it), a held projection
// lags and then catches up, a commit delay shows in a command's answer, a stopped broker makes
// the MQTT outbox lag and then drains it with nothing lost, and a latency proxy in front of an
// upstream node trips api-breaker, which closes again once the fault ends. Times are only
// ever checked from below.
#include "assembly/engine.h"
#include "functions/functionservice.h"
#include "http/httpserver.h"
#include "mqtt/managedbroker.h"
#include "mqtt/mqttservice.h"
#include "mqtttestclient.h"
#include "projections/projectionrunner.h"
#include "server/engineviews.h"
#include "server/enginefaults.h"
#include "server/listeners.h"
#include "simulation/faultproxy.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;
const QByteArray kAdminKey = "faults-test-key-7c2e91";

QByteArray toJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class tst_EngineFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void probeValuesAreSane();
    void functionErrorRateFillsDeadLetters();
    void functionLatencyDelaysEachInvocation();
    void projectionHeldLagsThenCatchesUp();
    void projectionSlowedPerBatch();
    void commitDelayShowsInCommandLatency();
    void brokerStopLagsThenDrainsWithNothingLost();
    void upstreamLatencyOpensThenClosesTheBreaker();
    void refusals_data();
    void refusals();
    void switchAllOffEndsEveryFault();

private:
    TestHttpResponse admin(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient client(u"127.0.0.1"_s, m_adminPort);
        return client.request(method, path, body, {{"X-API-KEY", kAdminKey}});
    }
    TestHttpResponse gateway(const QByteArray &method, const QByteArray &path, const QByteArray &body = {})
    {
        TestHttpClient client(u"127.0.0.1"_s, m_port);
        return client.request(method, path, body);
    }
    TestHttpResponse createProduct(const QString &id)
    {
        return gateway("POST", "/api/products", toJson({{u"id"_s, id}, {u"name"_s, u"Lamp"_s}, {u"price"_s, 12}}));
    }
    qint64 append(const QString &type, const QString &subject)
    {
        AppendRequest request;
        request.stream = type.section(u'.', 0, -2) + u'-' + subject;
        request.events.append(NewEvent{{}, type, "{}", "{}"});
        const AppendResult r = m_engine.eventStore()->appendAndWait(std::move(request));
        return r.ok() ? r.lastPosition : -1;
    }
    qint64 probe(const char *member) { return m_faults->sample().value(QLatin1String(member)).toInteger(-1); }
    void deployFunction(const QString &name, int maxAttempts);
    qint64 deadLettersOf(const QString &function, QString *anError = nullptr);

    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    Mqtt::MqttService m_mqtt;
    std::unique_ptr<Server::EngineFaults> m_faults;
    quint16 m_port = 0;
    quint16 m_adminPort = 0;
};

void tst_EngineFaults::initTestCase()
{
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.filePath(u"data"_s);
    options.durability = EventStore::Durability::Normal;
    options.adminKey = QString::fromLatin1(kAdminKey);
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Server::Listeners::Endpoint any;
    QString error;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;
    m_adminPort = m_listeners.adminEndpoint().port;
    Mqtt::MqttOptions mqtt;
    mqtt.listenPort = 0;   // a managed mosquitto on a free port
    mqtt.reconnectMinSeconds = 1;
    mqtt.reconnectMaxSeconds = 1;
    QVERIFY2(m_mqtt.start(Server::mqttEngineSide(m_engine), mqtt, &error), qPrintable(error));
    QVERIFY(m_mqtt.managedBroker());
    QTRY_VERIFY_WITH_TIMEOUT(m_mqtt.status().connected, kWaitMs);
    m_faults = std::make_unique<Server::EngineFaults>(&m_engine, &m_mqtt);
}

void tst_EngineFaults::cleanupTestCase()
{
    m_faults.reset();
    m_mqtt.stop();
    m_listeners.close();
    m_engine.stop();
}

void tst_EngineFaults::deployFunction(const QString &name, int maxAttempts)
{
    const QJsonObject def{{u"code"_s, u"function handle(e, ctx) { ctx.log('seen ' + e.subject); }"_s},
                          {u"isolation"_s, u"thread"_s},
                          {u"retry"_s, QJsonObject{{u"max_attempts"_s, maxAttempts}, {u"delay_ms"_s, 10}}},
                          {u"triggers"_s, QJsonArray{QJsonObject{{u"type"_s, u"event"_s},
                                                                 {u"filter"_s, QJsonObject{{u"type"_s, QString(name + u".happened"_s)}}}}}}};
    const TestHttpResponse r = admin("PUT", "/admin/functions/" + name.toUtf8(), toJson(def));
    QVERIFY2(r.status == 201, r.body.constData());
}

qint64 tst_EngineFaults::deadLettersOf(const QString &function, QString *anError)
{
    const TestHttpResponse r = admin("GET", "/admin/dead-letters?function=" + function.toUtf8());
    const QJsonArray items = r.json().value(u"items"_s).toArray();
    if (anError && !items.isEmpty())
        *anError = items.first().toObject().value(u"error"_s).toString();
    return items.size();
}

void tst_EngineFaults::probeValuesAreSane()
{
    QTRY_COMPARE_WITH_TIMEOUT(probe("projection_lag"), 0, kWaitMs);
    QJsonObject s = m_faults->sample();
    for (const char *member : {"log_head", "projection_lag", "function_queue", "dead_letters", "breakers_open", "cpu_percent",
                               "rss_bytes", "mqtt_outbox_lag", "mqtt_connected", "broker_running"})
        QVERIFY2(s.contains(QLatin1String(member)), member);
    QCOMPARE(s.value(u"log_head"_s).toInteger(), m_engine.eventStore()->headPosition());
    QVERIFY(s.value(u"rss_bytes"_s).toInteger() > 1 << 20);
    QCOMPARE(s.value(u"breakers_open"_s).toInt(), 0);
    QCOMPARE(s.value(u"function_queue"_s).toInt(), 0);
    QVERIFY(s.value(u"broker_running"_s).toBool());
    // Busy on this thread for a while: the next sample shows CPU use, never more than the cores allow.
    QElapsedTimer busy;
    busy.start();
    volatile double sink = 0;
    while (busy.elapsed() < 300)
        sink = sink + std::sqrt(double(busy.nsecsElapsed()));
    s = m_faults->sample();
    const double cpu = s.value(u"cpu_percent"_s).toDouble();
    QVERIFY2(cpu > 0, qPrintable(QString::number(cpu)));
    QVERIFY2(cpu <= 100.0 * QThread::idealThreadCount() * 1.1 + 10, qPrintable(QString::number(cpu)));
    QTRY_COMPARE_WITH_TIMEOUT(probe("mqtt_outbox_lag"), 0, kWaitMs);
}

void tst_EngineFaults::functionErrorRateFillsDeadLetters()
{
    deployFunction(u"notify"_s, 2);
    ProjectionRunner *runner = m_engine.projection(u"function:notify"_s);
    QVERIFY(runner);
    QTRY_COMPARE_WITH_TIMEOUT(runner->position(), m_engine.eventStore()->headPosition(), kWaitMs);
    qint64 position = append(u"notify.happened"_s, u"before"_s);
    QTRY_VERIFY_WITH_TIMEOUT(runner->position() >= position, kWaitMs);
    QCOMPARE(deadLettersOf(u"notify"_s), 0);

    // Every invocation fails: each event is retried, then dead-lettered, and the runner goes on.
    QCOMPARE(m_faults->setFunctionFault(u"notify"_s, 1.0, 0), QString());
    for (int i = 0; i < 5; ++i)
        position = append(u"notify.happened"_s, u"all-%1"_s.arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(runner->position() >= position, kWaitMs);
    QString error;
    QCOMPARE(deadLettersOf(u"notify"_s, &error), 5);
    QVERIFY2(error.contains(u"injected fault"_s), qPrintable(error));
    QVERIFY(probe("dead_letters") >= 5);

    // Half of them, one attempt each: Binomial(400, 0.5), sd 10 -- bounds 10 sd away.
    deployFunction(u"halfway"_s, 1);
    ProjectionRunner *half = m_engine.projection(u"function:halfway"_s);
    QVERIFY(half);
    QCOMPARE(m_faults->setFunctionFault(u"halfway"_s, 0.5, 0), QString());
    for (int i = 0; i < 400; ++i)
        position = append(u"halfway.happened"_s, u"h-%1"_s.arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(half->position() >= position, kWaitMs);
    const qint64 failed = deadLettersOf(u"halfway"_s);
    QVERIFY2(failed >= 100 && failed <= 300, qPrintable(u"%1 of 400 failed"_s.arg(failed)));

    // Off again: nothing more fails.
    QCOMPARE(m_faults->setFunctionFault(u"notify"_s, 0, 0), QString());
    QCOMPARE(m_faults->setFunctionFault(u"halfway"_s, 0, 0), QString());
    for (int i = 0; i < 5; ++i)
        position = append(u"notify.happened"_s, u"after-%1"_s.arg(i));
    QTRY_VERIFY_WITH_TIMEOUT(runner->position() >= position, kWaitMs);
    QCOMPARE(deadLettersOf(u"notify"_s), 5);
}

void tst_EngineFaults::functionLatencyDelaysEachInvocation()
{
    deployFunction(u"slowpoke"_s, 1);
    ProjectionRunner *runner = m_engine.projection(u"function:slowpoke"_s);
    QVERIFY(runner);
    QCOMPARE(m_faults->setFunctionFault(u"slowpoke"_s, 0, 150), QString());
    QElapsedTimer clock;
    clock.start();
    qint64 position = 0;
    for (int i = 0; i < 3; ++i)
        position = append(u"slowpoke.happened"_s, u"same"_s);   // one subject: in order, on one lane
    QTRY_VERIFY_WITH_TIMEOUT(runner->position() >= position, kWaitMs);
    QVERIFY2(clock.elapsed() >= 450, qPrintable(u"three invocations in %1 ms"_s.arg(clock.elapsed())));
    QCOMPARE(deadLettersOf(u"slowpoke"_s), 0);   // slow, not failing
    QCOMPARE(m_faults->setFunctionFault(u"slowpoke"_s, 0, 0), QString());
}

void tst_EngineFaults::projectionHeldLagsThenCatchesUp()
{
    QTRY_COMPARE_WITH_TIMEOUT(probe("projection_lag"), 0, kWaitMs);
    QCOMPARE(m_faults->setProjectionFault(u"products"_s, true, 0), QString());
    for (int i = 0; i < 5; ++i)
        QCOMPARE(createProduct(u"held-%1"_s.arg(i)).status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(probe("projection_lag") >= 5, kWaitMs);
    QTest::qWait(300);
    QVERIFY(probe("projection_lag") >= 5);   // held, not merely late
    QCOMPARE(gateway("GET", "/api/products/held-4").status, 404);
    QVERIFY(m_engine.projection(u"upsert"_s)->stats().faultHeld);

    QCOMPARE(m_faults->setProjectionFault(u"products"_s, false, 0), QString());
    QTRY_COMPARE_WITH_TIMEOUT(probe("projection_lag"), 0, kWaitMs);
    QCOMPARE(gateway("GET", "/api/products/held-4").status, 200);
    QCOMPARE(m_engine.projection(u"upsert"_s)->stats().status, ProjectionRunner::Status::Running);
}

void tst_EngineFaults::projectionSlowedPerBatch()
{
    QCOMPARE(m_faults->setProjectionFault(u"products"_s, false, 300), QString());
    QElapsedTimer clock;
    clock.start();
    const TestHttpResponse created = createProduct(u"slowed"_s);
    QCOMPARE(created.status, 202);
    const qint64 position = created.json().value(u"position"_s).toInteger();
    QVERIFY(position > 0);
    QTRY_VERIFY_WITH_TIMEOUT(m_engine.projection(u"upsert"_s)->position() >= position, kWaitMs);
    QVERIFY2(clock.elapsed() >= 300, qPrintable(u"projected after %1 ms"_s.arg(clock.elapsed())));
    QCOMPARE(m_faults->setProjectionFault(u"products"_s, false, 0), QString());
}

void tst_EngineFaults::commitDelayShowsInCommandLatency()
{
    QCOMPARE(m_faults->setCommitDelay(300), QString());
    QCOMPARE(m_engine.eventStore()->commitDelay(), 300);
    for (int i = 0; i < 2; ++i) {
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(createProduct(u"delayed-%1"_s.arg(i)).status, 202);
        QVERIFY2(clock.elapsed() >= 300, qPrintable(u"answered after %1 ms"_s.arg(clock.elapsed())));
    }
    QCOMPARE(m_faults->setCommitDelay(0), QString());
    QCOMPARE(m_engine.eventStore()->commitDelay(), 0);
    QCOMPARE(createProduct(u"undelayed"_s).status, 202);
}

void tst_EngineFaults::brokerStopLagsThenDrainsWithNothingLost()
{
    Mqtt::ManagedBroker *broker = m_mqtt.managedBroker();
    const quint16 port = broker->port();
    MqttTestClient subscriber(broker->url(), u"tst-faults-durable"_s);
    QVERIFY(subscriber.connect(true));
    QVERIFY(subscriber.subscribe(u"gatehouse/events/products/#"_s));
    QTRY_COMPARE_WITH_TIMEOUT(probe("mqtt_outbox_lag"), 0, kWaitMs);

    QCOMPARE(m_faults->setBrokerStopped(true), QString());
    QVERIFY(!broker->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(!m_mqtt.status().connected, kWaitMs);
    const qint64 first = m_engine.eventStore()->headPosition() + 1;
    constexpr int kCommands = 10;
    for (int i = 0; i < kCommands; ++i)
        QCOMPARE(createProduct(u"outage-%1"_s.arg(i)).status, 202);   // the engine keeps taking commands
    QTRY_VERIFY_WITH_TIMEOUT(probe("mqtt_outbox_lag") >= kCommands, kWaitMs);
    QCOMPARE(m_faults->sample().value(u"broker_running"_s).toBool(), false);

    QCOMPARE(m_faults->setBrokerStopped(false), QString());
    QVERIFY(broker->isRunning());
    QCOMPARE(broker->port(), port);   // the same port: clients find it again
    QTRY_VERIFY_WITH_TIMEOUT(m_mqtt.status().connected, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(probe("mqtt_outbox_lag"), 0, kWaitMs);

    QSet<QString> expected;
    for (const RecordedEvent &e : m_engine.eventStore()->readAll(first, kCommands))
        expected.insert(e.id);
    QCOMPARE(expected.size(), kCommands);
    const auto received = [&subscriber] {
        QSet<QString> ids;   // by CloudEvent id, as consumers deduplicate
        for (const MqttTestMessage &m : subscriber.messages())
            ids.insert(m.json().value(u"id"_s).toString());
        return ids;
    };
    QTRY_VERIFY_WITH_TIMEOUT(received().contains(expected), kWaitMs);
}

void tst_EngineFaults::upstreamLatencyOpensThenClosesTheBreaker()
{
    // A real node, and a route to it through an upstream resource with a short read timeout.
    Http::HttpServer node([](const Http::HttpRequest &, const Http::HttpResponder &responder) {
        responder.respond({200, {{"content-type", "text/plain"}}, "ok"});
    });
    QVERIFY(node.listen(QHostAddress::LocalHost, 0));
    const QString nodeAddress = u"127.0.0.1:%1"_s.arg(node.serverPort());
    TestHttpResponse r = admin("PUT", "/admin/upstreams/payments", toJson({
        {u"type"_s, u"http"_s}, {u"nodes"_s, QJsonObject{{nodeAddress, 1}}},
        {u"timeout"_s, QJsonObject{{u"connect"_s, 2}, {u"send"_s, 2}, {u"read"_s, 0.3}}}}));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    r = admin("PUT", "/admin/routes/pay", toJson({
        {u"uri"_s, u"/pay"_s}, {u"upstream_id"_s, u"payments"_s},
        {u"plugins"_s, QJsonObject{{u"api-breaker"_s, QJsonObject{
            {u"break_response_code"_s, 503}, {u"min_breaker_sec"_s, 0.5}, {u"max_breaker_sec"_s, 3},
            {u"unhealthy"_s, QJsonObject{{u"http_statuses"_s, QJsonArray{502, 504}}, {u"failures"_s, 2}}},
            {u"healthy"_s, QJsonObject{{u"http_statuses"_s, QJsonArray{200}}, {u"successes"_s, 1}}}}}}}}));
    QVERIFY2(r.status == 200 || r.status == 201, r.body.constData());
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/pay").status, 200, kWaitMs);
    QCOMPARE(m_faults->upstreamNodes(u"payments"_s), QStringList{nodeAddress});

    // The fault: a proxy adding a second to every answer, in front of the node.
    Simulation::FaultProxy proxy(u"127.0.0.1"_s, node.serverPort());
    QStringList errors;
    proxy.setToxic(*Simulation::Toxic::fromJson(u"latency"_s, {{u"latency"_s, 1000}}, &errors));
    QString error;
    QVERIFY2(proxy.start(&error), qPrintable(error));
    QCOMPARE(m_faults->setUpstreamNodeOverride(u"payments"_s, nodeAddress, proxy.address()), QString());
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/pay").status, 503, kWaitMs);   // 504s until the breaker opens
    QCOMPARE(probe("breakers_open"), 1);
    QVERIFY(proxy.stats().accepted >= 1);   // the requests went through the proxy

    // The fault ends: the breaker lets a probe through after its window and closes.
    QCOMPARE(m_faults->setUpstreamNodeOverride(u"payments"_s, nodeAddress, QString()), QString());
    QTRY_COMPARE_WITH_TIMEOUT(gateway("GET", "/pay").status, 200, kWaitMs);
    QCOMPARE(probe("breakers_open"), 0);
    const quint64 throughProxy = proxy.stats().accepted;
    QCOMPARE(gateway("GET", "/pay").status, 200);
    QCOMPARE(proxy.stats().accepted, throughProxy);   // straight to the node again
    QCOMPARE(admin("DELETE", "/admin/routes/pay").status, 204);
    QCOMPARE(admin("DELETE", "/admin/upstreams/payments").status, 204);
}

void tst_EngineFaults::refusals_data()
{
    QTest::addColumn<int>("call");
    QTest::addColumn<QString>("error");
    QTest::newRow("unknown function") << 0 << u"no function 'ghost' is deployed"_s;
    QTest::newRow("error rate above 1") << 1 << u"error rate must be 0..1"_s;
    QTest::newRow("unknown projection") << 2 << u"no projection 'ghost'"_s;
    QTest::newRow("slowdown too long") << 3 << u"ms per batch must be 0..60000"_s;
    QTest::newRow("commit delay too long") << 4 << u"the commit delay must be 0..10000 ms"_s;
    QTest::newRow("unknown upstream") << 5 << u"no http upstream 'ghost'"_s;
    QTest::newRow("no broker to stop") << 6 << u"no managed MQTT broker"_s;
}

void tst_EngineFaults::refusals()
{
    QFETCH(int, call);
    QFETCH(QString, error);
    Server::EngineFaults withoutMqtt(&m_engine);
    QString got;
    switch (call) {
    case 0: got = m_faults->setFunctionFault(u"ghost"_s, 0.5, 0); break;
    case 1: got = m_faults->setFunctionFault(u"notify"_s, 1.5, 0); break;
    case 2: got = m_faults->setProjectionFault(u"ghost"_s, true, 0); break;
    case 3: got = m_faults->setProjectionFault(u"products"_s, false, 60001); break;
    case 4: got = m_faults->setCommitDelay(10001); break;
    case 5: got = m_faults->setUpstreamNodeOverride(u"ghost"_s, u"127.0.0.1:1"_s, u"127.0.0.1:2"_s); break;
    case 6: got = withoutMqtt.setBrokerStopped(true); break;
    }
    QVERIFY2(got.contains(error), qPrintable(got));
}

void tst_EngineFaults::switchAllOffEndsEveryFault()
{
    QTRY_COMPARE_WITH_TIMEOUT(probe("projection_lag"), 0, kWaitMs);
    ProjectionRunner *upsert = m_engine.projection(u"upsert"_s);
    {
        Server::EngineFaults faults(&m_engine, &m_mqtt);
        QCOMPARE(faults.setCommitDelay(50), QString());
        QCOMPARE(faults.setProjectionFault(u"products"_s, true, 0), QString());
        QCOMPARE(faults.setFunctionFault(u"notify"_s, 1.0, 0), QString());
        QCOMPARE(faults.setBrokerStopped(true), QString());
        QVERIFY(upsert->stats().faultHeld);
    }   // gone: everything it switched on is off
    QCOMPARE(m_engine.eventStore()->commitDelay(), 0);
    QVERIFY(!upsert->stats().faultHeld);
    QVERIFY(m_mqtt.managedBroker()->isRunning());
    const qint64 letters = deadLettersOf(u"notify"_s);
    const qint64 position = append(u"notify.happened"_s, u"all-off"_s);
    QTRY_VERIFY_WITH_TIMEOUT(m_engine.projection(u"function:notify"_s)->position() >= position, kWaitMs);
    QCOMPARE(deadLettersOf(u"notify"_s), letters);
    QTRY_COMPARE_WITH_TIMEOUT(probe("projection_lag"), 0, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_mqtt.status().connected, kWaitMs);
}

QTEST_MAIN(tst_EngineFaults)
#include "tst_enginefaults.moc"
