// The MQTT bridge (DESIGN.md "MQTT") against a real Mosquitto started by the fixture, with real
// Paho MQTT 5 clients: commands in with request/response, events out from the outbox, retained
// read-model state, the status topic and its last will, a broker outage under a stream of
// commands, and the managed broker's life cycle and failures.
#include "assembly/engine.h"
#include "commands/commandservice.h"
#include "mosquittofixture.h"
#include "mqtt/managedbroker.h"
#include "mqtt/mqttbridge.h"
#include "mqtt/mqttservice.h"
#include "mqtt/mqtttopics.h"
#include "mqtttestclient.h"
#include "projections/projectionrunner.h"
#include "readmodel/readstore.h"
#include "server/engineviews.h"
#include "store/eventstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <mqtt/async_client.h>

#include <csignal>
#include <future>
#include <mutex>

using namespace Gatehouse;
using namespace Gatehouse::Mqtt;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;

using Received = MqttTestMessage;
using TestClient = MqttTestClient;

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

class tst_Mqtt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void commandTopics_data();
    void commandTopics();
    void commandsWithRequestResponse();
    void commandsKeepTheirOrder();
    void eventsOut();
    void retainedReadModel();
    void statusAndLastWill();
    void brokerOutageLosesNoEvent();
    void backlogFromTheLog();
    void managedBrokerLifecycle();
    void managedBrokerFailures();

private:
    ApiResponse execute(const QString &command, const QString &id, const QJsonObject &data);
    MqttStatus status() const { return m_service.status(); }
    QString clientName(const char *what) { return QStringLiteral("tst-%1-%2").arg(QLatin1String(what)).arg(++m_clients); }

    MosquittoFixture m_broker;
    QTemporaryDir m_dir;
    Engine m_engine;
    MqttOptions m_options;
    MqttService m_service;
    int m_clients = 0;
};

void tst_Mqtt::initTestCase()
{
    QString error;
    QVERIFY2(m_broker.start(&error), qPrintable(error));
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    m_options.broker = MqttOptions::Broker::External;
    m_options.brokerUrl = m_broker.url();
    m_options.reconnectMinSeconds = 1;
    m_options.reconnectMaxSeconds = 2;
    // Small windows and pages: every test crosses their edges many times.
    m_options.outboxWindow = 16;
    m_options.outboxPageSize = 5;
    m_options.retainedWindow = 2;
    QVERIFY2(m_service.start(Server::mqttEngineSide(m_engine), m_options, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(status().connected, kWaitMs);
}

void tst_Mqtt::cleanupTestCase()
{
    m_service.stop();
    m_engine.stop();
    m_broker.stop();
}

// Runs one command through the engine (not MQTT) and waits for its answer.
ApiResponse tst_Mqtt::execute(const QString &command, const QString &id, const QJsonObject &data)
{
    CommandRequest c;
    c.collection = u"products"_s;
    c.command = command;
    c.id = command == u"create"_s ? QString() : id;
    QJsonObject body = data;
    if (command == u"create"_s)
        body.insert(u"id"_s, id);
    c.body = json(body);
    auto promise = std::make_shared<std::promise<ApiResponse>>();
    std::future<ApiResponse> answer = promise->get_future();
    m_engine.commands()->execute(std::move(c), [promise](ApiResponse r) { promise->set_value(std::move(r)); });
    if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
        return ApiResponse::problem(599, u"no answer"_s);
    return answer.get();
}

void tst_Mqtt::commandTopics_data()
{
    QTest::addColumn<QString>("topic");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("collection");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("command");

    QTest::newRow("create") << u"gatehouse/commands/products/create"_s << true << u"products"_s << QString() << u"create"_s;
    QTest::newRow("update") << u"gatehouse/commands/products/p1/update"_s << true << u"products"_s << u"p1"_s << u"update"_s;
    QTest::newRow("delete") << u"gatehouse/commands/products/p1/delete"_s << true << u"products"_s << u"p1"_s << u"delete"_s;
    QTest::newRow("custom") << u"gatehouse/commands/products/p1/restock"_s << true << u"products"_s << u"p1"_s << u"restock"_s;
    QTest::newRow("encoded id") << u"gatehouse/commands/products/a%2Fb/update"_s << true << u"products"_s << u"a/b"_s << u"update"_s;
    QTest::newRow("update without id") << u"gatehouse/commands/products/update"_s << false << QString() << QString() << QString();
    QTest::newRow("create with id") << u"gatehouse/commands/products/p1/create"_s << false << QString() << QString() << QString();
    QTest::newRow("too short") << u"gatehouse/commands/products"_s << false << QString() << QString() << QString();
    QTest::newRow("too long") << u"gatehouse/commands/products/p1/update/x"_s << false << QString() << QString() << QString();
    QTest::newRow("empty level") << u"gatehouse/commands/products//update"_s << false << QString() << QString() << QString();
    QTest::newRow("other prefix") << u"elsewhere/commands/products/create"_s << false << QString() << QString() << QString();
}

void tst_Mqtt::commandTopics()
{
    QFETCH(QString, topic);
    QFETCH(bool, valid);
    const MqttTopics::CommandTopic t = MqttTopics::parseCommandTopic(u"gatehouse"_s, topic);
    QCOMPARE(t.valid, valid);
    if (!valid) {
        QVERIFY(!t.error.isEmpty());
        return;
    }
    QTEST(t.collection, "collection");
    QTEST(t.id, "id");
    QTEST(t.command, "command");
    // Names with '/', '+', '#' stay one level and never form a wildcard.
    QCOMPARE(MqttTopics::readModelTopic(u"gatehouse"_s, u"products"_s, u"a/b+#"_s), u"gatehouse/readmodel/products/a%2Fb%2B%23"_s);
}

void tst_Mqtt::commandsWithRequestResponse()
{
    TestClient client(m_broker.url(), clientName("requester"));
    QVERIFY(client.connect());
    QVERIFY(client.subscribe(u"replies/requester"_s));

    // create: the 202 body of HTTP, status 202 as a user property, the same correlation data
    QVERIFY(client.publish(u"gatehouse/commands/products/create"_s, json({{u"id"_s, u"mq-1"_s}, {u"name"_s, u"Lamp"_s}, {u"price"_s, 12.5}}),
                           u"replies/requester"_s, "corr-create"));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-create").topic.isEmpty(), kWaitMs);
    Received r = client.reply("corr-create");
    QCOMPARE(r.topic, u"replies/requester"_s);
    QCOMPARE(r.userProperties.value(u"status"_s), u"202"_s);
    QCOMPARE(r.contentType, QByteArrayLiteral("application/json"));
    QCOMPARE(r.userProperties.value(u"location"_s), u"/api/products/mq-1"_s);
    QJsonObject body = r.json();
    QCOMPARE(body.value(u"id"_s).toString(), u"mq-1"_s);
    QCOMPARE(body.value(u"stream"_s).toString(), u"products-mq-1"_s);
    QCOMPARE(body.value(u"version"_s).toInteger(), 0);
    QCOMPARE(body.value(u"events"_s).toArray(), QJsonArray{u"products.created"_s});
    const qint64 position = body.value(u"position"_s).toInteger();
    QVERIFY(position > 0);
    const RecordedEvents stored = m_engine.eventStore()->readAll(position, 1);
    QCOMPARE(stored.size(), 1);
    QCOMPARE(stored.first().stream, u"products-mq-1"_s);

    // an invalid document: the problem+json of HTTP
    QVERIFY(client.publish(u"gatehouse/commands/products/create"_s, json({{u"name"_s, QString()}, {u"price"_s, -1}}),
                           u"replies/requester"_s, "corr-invalid"));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-invalid").topic.isEmpty(), kWaitMs);
    r = client.reply("corr-invalid");
    QCOMPARE(r.userProperties.value(u"status"_s), u"400"_s);
    QCOMPARE(r.contentType, QByteArrayLiteral("application/problem+json"));
    QCOMPARE(r.json().value(u"status"_s).toInt(), 400);
    QVERIFY(r.json().value(u"type"_s).toString().contains(u"validation"_s));
    QVERIFY(!r.json().value(u"errors"_s).toArray().isEmpty());

    // update and delete by id
    QVERIFY(client.publish(u"gatehouse/commands/products/mq-1/update"_s, json({{u"price"_s, 9.5}}), u"replies/requester"_s, "corr-update",
                           {{"if-match", "0"}}));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-update").topic.isEmpty(), kWaitMs);
    r = client.reply("corr-update");
    QCOMPARE(r.userProperties.value(u"status"_s), u"202"_s);
    QCOMPARE(r.json().value(u"version"_s).toInteger(), 1);
    QCOMPARE(r.json().value(u"events"_s).toArray(), QJsonArray{u"products.updated"_s});

    QVERIFY(client.publish(u"gatehouse/commands/products/mq-1/update"_s, json({{u"price"_s, 1}}), u"replies/requester"_s, "corr-stale",
                           {{"if-match", "0"}}));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-stale").topic.isEmpty(), kWaitMs);
    QCOMPARE(client.reply("corr-stale").userProperties.value(u"status"_s), u"412"_s);

    QVERIFY(client.publish(u"gatehouse/commands/products/mq-1/delete"_s, QByteArray(), u"replies/requester"_s, "corr-delete"));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-delete").topic.isEmpty(), kWaitMs);
    r = client.reply("corr-delete");
    QCOMPARE(r.userProperties.value(u"status"_s), u"202"_s);
    QCOMPARE(r.json().value(u"events"_s).toArray(), QJsonArray{u"products.deleted"_s});
    QCOMPARE(m_engine.eventStore()->streamHead(u"products-mq-1"_s).version, 2);

    // a topic that names no command: a 404 problem, nothing appended
    QVERIFY(client.publish(u"gatehouse/commands/products/update"_s, json({{u"price"_s, 1}}), u"replies/requester"_s, "corr-bad"));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-bad").topic.isEmpty(), kWaitMs);
    QCOMPARE(client.reply("corr-bad").userProperties.value(u"status"_s), u"404"_s);

    // a payload over the body limit (1 MiB, as for HTTP): 413, nothing appended
    const qint64 headBefore = m_engine.eventStore()->headPosition();
    const QByteArray huge = R"({"name":"huge","price":1,"description":")" + QByteArray(1024 * 1024, 'd') + R"("})";
    QVERIFY(client.publish(u"gatehouse/commands/products/create"_s, huge, u"replies/requester"_s, "corr-huge"));
    QTRY_VERIFY_WITH_TIMEOUT(!client.reply("corr-huge").topic.isEmpty(), kWaitMs);
    r = client.reply("corr-huge");
    QCOMPARE(r.userProperties.value(u"status"_s), u"413"_s);
    QCOMPARE(r.contentType, QByteArrayLiteral("application/problem+json"));
    QVERIFY(r.json().value(u"detail"_s).toString().contains(u"exceeds the limit of 1048576 bytes"_s));
    QCOMPARE(m_engine.eventStore()->headPosition(), headBefore);

    // without a response topic the command still runs
    QVERIFY(client.publish(u"gatehouse/commands/products/create"_s, json({{u"id"_s, u"mq-quiet"_s}, {u"name"_s, u"Quiet"_s}, {u"price"_s, 1}})));
    QTRY_COMPARE_WITH_TIMEOUT(m_engine.eventStore()->streamHead(u"products-mq-quiet"_s).version, 0, kWaitMs);
}

// Create and update of one id published back to back: the update must see the create. Several
// clients at once, each with its own response topic (its session), and one without any.
void tst_Mqtt::commandsKeepTheirOrder()
{
    constexpr int kClients = 4;
    constexpr int kPairs = 60;
    std::vector<std::unique_ptr<TestClient>> clients;
    std::vector<mqtt::delivery_token_ptr> tokens;
    const auto id = [](int c, int i) { return u"ord-%1-%2"_s.arg(c).arg(i); };
    for (int c = 0; c <= kClients; ++c) {
        clients.push_back(std::make_unique<TestClient>(m_broker.url(), clientName("order")));
        QVERIFY(clients.back()->connect());
        if (c < kClients)
            QVERIFY(clients.back()->subscribe(u"replies/order/%1"_s.arg(c)));
    }
    for (int i = 0; i < kPairs; ++i) {
        for (int c = 0; c <= kClients; ++c) {
            // The last client asks for no replies: only the entity order applies to it.
            const QString replies = c < kClients ? u"replies/order/%1"_s.arg(c) : QString();
            tokens.push_back(clients[size_t(c)]->publishNow(u"gatehouse/commands/products/create"_s,
                                                            json({{u"id"_s, id(c, i)}, {u"name"_s, u"before"_s}, {u"price"_s, 1}}),
                                                            replies, "c" + QByteArray::number(i)));
            tokens.push_back(clients[size_t(c)]->publishNow(u"gatehouse/commands/products/%1/update"_s.arg(id(c, i)),
                                                            json({{u"name"_s, u"after %1"_s.arg(i)}}), replies, "u" + QByteArray::number(i)));
        }
    }
    // Waiting with the event loop running: the fixture reads the broker's log on this thread.
    for (const auto &token : tokens) {
        QVERIFY(token);
        QTRY_VERIFY_WITH_TIMEOUT(token->is_complete(), kWaitMs);
    }

    for (int c = 0; c < kClients; ++c) {
        const TestClient &client = *clients[size_t(c)];
        QTRY_COMPARE_WITH_TIMEOUT(client.messagesOn(u"replies/order/%1"_s.arg(c)).size(), 2 * kPairs, kWaitMs);
        qint64 lastPosition = 0;
        for (int i = 0; i < kPairs; ++i) {
            for (const QByteArray &correlation : {QByteArray("c" + QByteArray::number(i)), QByteArray("u" + QByteArray::number(i))}) {
                const Received r = client.reply(correlation);
                QVERIFY2(r.userProperties.value(u"status"_s) == u"202"_s,
                         qPrintable(u"%1 of %2: %3"_s.arg(QString::fromLatin1(correlation), id(c, i), QString::fromUtf8(r.payload))));
                // One session's commands enter the log in the order they were published.
                const qint64 position = r.json().value(u"position"_s).toInteger();
                QVERIFY2(position > lastPosition, qPrintable(u"%1 of %2 at %3 after %4"_s.arg(QString::fromLatin1(correlation), id(c, i))
                                                                 .arg(position).arg(lastPosition)));
                lastPosition = position;
            }
        }
    }
    for (int c = 0; c <= kClients; ++c) {
        for (int i = 0; i < kPairs; ++i) {
            const QString stream = u"products-"_s + id(c, i);
            QTRY_COMPARE_WITH_TIMEOUT(m_engine.eventStore()->streamHead(stream).version, 1, kWaitMs);
            QCOMPARE(m_engine.eventStore()->streamHead(stream).lastType, u"products.updated"_s);
        }
    }
    // The read model ends with the updated documents.
    const qint64 head = m_engine.eventStore()->headPosition();
    QTRY_VERIFY_WITH_TIMEOUT(m_engine.projection(u"upsert"_s)->position() >= head, kWaitMs);
    for (int c = 0; c <= kClients; ++c) {
        for (int i = 0; i < kPairs; ++i) {
            const auto doc = m_engine.readStore()->document(u"products"_s, id(c, i));
            QVERIFY2(doc && doc->version == 1, qPrintable(id(c, i)));
            QCOMPARE(QJsonDocument::fromJson(doc->doc).object().value(u"name"_s).toString(), u"after %1"_s.arg(i));
        }
    }
    for (const auto &client : clients) {
        const mqtt::token_ptr token = client->disconnectNow();
        QTRY_VERIFY_WITH_TIMEOUT(!token || token->is_complete(), kWaitMs);
    }
}

void tst_Mqtt::eventsOut()
{
    TestClient subscriber(m_broker.url(), clientName("events"));
    QVERIFY(subscriber.connect());
    QVERIFY(subscriber.subscribe(u"gatehouse/events/#"_s));

    QSet<qint64> positions;
    for (int i = 0; i < 25; ++i) {
        const ApiResponse r = execute(u"create"_s, u"ev-%1"_s.arg(i), {{u"name"_s, u"Item %1"_s.arg(i)}, {u"price"_s, i}});
        QCOMPARE(r.status, 202);
        positions.insert(QJsonDocument::fromJson(r.body).object().value(u"position"_s).toInteger());
    }
    const ApiResponse update = execute(u"update"_s, u"ev-3"_s, {{u"price"_s, 99}});
    QCOMPARE(update.status, 202);
    const qint64 updatePosition = QJsonDocument::fromJson(update.body).object().value(u"position"_s).toInteger();
    positions.insert(updatePosition);

    const auto seen = [&subscriber] {
        QSet<qint64> out;
        for (const Received &r : subscriber.messages())
            out.insert(r.json().value(u"position"_s).toInteger());
        return out;
    };
    QTRY_VERIFY_WITH_TIMEOUT(seen().contains(positions), kWaitMs);

    for (const Received &r : subscriber.messages()) {
        const QJsonObject event = r.json();
        const qint64 position = event.value(u"position"_s).toInteger();
        if (!positions.contains(position))
            continue;   // events of earlier tests, published from the log as well
        const RecordedEvent stored = m_engine.eventStore()->readAll(position, 1).value(0);
        QCOMPARE(event.value(u"specversion"_s).toString(), u"1.0"_s);
        QCOMPARE(event.value(u"id"_s).toString(), stored.id);
        QCOMPARE(event.value(u"type"_s).toString(), stored.type);
        QCOMPARE(event.value(u"source"_s).toString(), u"/gatehouse/products"_s);
        QCOMPARE(r.contentType, QByteArrayLiteral("application/cloudevents+json"));
        const QString verb = stored.type.section(u'.', -1);
        QCOMPARE(r.topic, u"gatehouse/events/products/%1/%2"_s.arg(verb, event.value(u"subject"_s).toString()));
    }
    const QList<Received> updated = subscriber.messagesOn(u"gatehouse/events/products/updated/ev-3"_s);
    QCOMPARE(updated.size(), 1);
    QCOMPARE(updated.first().json().value(u"position"_s).toInteger(), updatePosition);
    QTRY_COMPARE_WITH_TIMEOUT(status().outboxPosition, m_engine.eventStore()->headPosition(), kWaitMs);
    QCOMPARE(status().outboxLag(), 0);
}

void tst_Mqtt::retainedReadModel()
{
    // Sees every publish live, so once it has the final versions the broker retains them.
    TestClient probe(m_broker.url(), clientName("probe"));
    QVERIFY(probe.connect());
    QVERIFY(probe.subscribe(u"gatehouse/readmodel/products/+"_s));

    QCOMPARE(execute(u"create"_s, u"rm-1"_s, {{u"name"_s, u"One"_s}, {u"price"_s, 1}}).status, 202);
    QCOMPARE(execute(u"create"_s, u"rm-2"_s, {{u"name"_s, u"Two"_s}, {u"price"_s, 2}}).status, 202);
    QCOMPARE(execute(u"create"_s, u"rm-3"_s, {{u"name"_s, u"Three"_s}, {u"price"_s, 3}}).status, 202);
    QCOMPARE(execute(u"update"_s, u"rm-2"_s, {{u"price"_s, 22}}).status, 202);
    QCOMPARE(execute(u"delete"_s, u"rm-3"_s, {}).status, 202);

    const auto last = [](const TestClient &client, const QString &id) {
        const QList<Received> all = client.messagesOn(u"gatehouse/readmodel/products/"_s + id);
        return all.isEmpty() ? QJsonObject() : all.constLast().json();
    };
    QTRY_VERIFY_WITH_TIMEOUT(last(probe, u"rm-3"_s).value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(last(probe, u"rm-2"_s).value(u"_meta"_s).toObject().value(u"version"_s).toInteger(), 1, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(status().retainedPending, 0, kWaitMs);

    TestClient late(m_broker.url(), clientName("late"));
    QVERIFY(late.connect());
    QVERIFY(late.subscribe(u"gatehouse/readmodel/products/+"_s));
    QTRY_VERIFY_WITH_TIMEOUT(!late.messagesOn(u"gatehouse/readmodel/products/rm-1"_s).isEmpty()
                                 && !late.messagesOn(u"gatehouse/readmodel/products/rm-2"_s).isEmpty()
                                 && !late.messagesOn(u"gatehouse/readmodel/products/rm-3"_s).isEmpty(),
                             kWaitMs);
    for (const QString &id : {u"rm-1"_s, u"rm-2"_s, u"rm-3"_s})
        QVERIFY(late.messagesOn(u"gatehouse/readmodel/products/"_s + id).constFirst().retained);
    const QJsonObject one = last(late, u"rm-1"_s);
    QCOMPARE(one.value(u"name"_s).toString(), u"One"_s);
    QCOMPARE(one.value(u"_meta"_s).toObject().value(u"version"_s).toInteger(), 0);
    QCOMPARE(one.value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), false);
    QVERIFY(one.value(u"_meta"_s).toObject().value(u"position"_s).toInteger() > 0);
    const QJsonObject two = last(late, u"rm-2"_s);
    QCOMPARE(two.value(u"price"_s).toDouble(), 22.0);
    QCOMPARE(two.value(u"_meta"_s).toObject().value(u"version"_s).toInteger(), 1);
    const QJsonObject three = last(late, u"rm-3"_s);
    QCOMPARE(three.value(u"name"_s).toString(), u"Three"_s);
    QCOMPARE(three.value(u"_meta"_s).toObject().value(u"deleted"_s).toBool(), true);
}

void tst_Mqtt::statusAndLastWill()
{
    TestClient watcher(m_broker.url(), clientName("status"));
    QVERIFY(watcher.connect());
    QVERIFY(watcher.subscribe(u"gatehouse/status"_s));
    // retained: a new subscriber learns the engine is online
    QTRY_COMPARE_WITH_TIMEOUT(watcher.payloadsOn(u"gatehouse/status"_s), QStringList{u"online"_s}, kWaitMs);
    QVERIFY(watcher.messagesOn(u"gatehouse/status"_s).constFirst().retained);

    // The bridge's connection dies without DISCONNECT: the broker publishes the will, then
    // the bridge reconnects by itself and is online again.
    QVERIFY(m_broker.abortClientConnection(status().clientId));
    QTRY_COMPARE_WITH_TIMEOUT(watcher.payloadsOn(u"gatehouse/status"_s).value(1), u"offline"_s, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(watcher.payloadsOn(u"gatehouse/status"_s).value(2), u"online"_s, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(status().connected, kWaitMs);

    // A clean stop says offline too and keeps the checkpoint; a restart publishes nothing again.
    QTRY_COMPARE_WITH_TIMEOUT(status().outboxPosition, m_engine.eventStore()->headPosition(), kWaitMs);
    const qint64 head = m_engine.eventStore()->headPosition();
    m_service.stop();
    QTRY_COMPARE_WITH_TIMEOUT(watcher.payloadsOn(u"gatehouse/status"_s).value(3), u"offline"_s, kWaitMs);
    QFile checkpoint(QDir(m_dir.path()).filePath(u"mqtt/outbox.checkpoint"_s));
    QVERIFY(checkpoint.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(checkpoint.readAll()).object().value(u"position"_s).toInteger(), head);

    QString error;
    QVERIFY2(m_service.start(Server::mqttEngineSide(m_engine), m_options, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(watcher.payloadsOn(u"gatehouse/status"_s).value(4), u"online"_s, kWaitMs);
    QCOMPARE(status().outboxPosition, head);
    QCOMPARE(status().eventsPublished, 0u);
}

void tst_Mqtt::brokerOutageLosesNoEvent()
{
    TestClient subscriber(m_broker.url(), clientName("durable"));
    QVERIFY(subscriber.connect(true));
    QVERIFY(subscriber.subscribe(u"gatehouse/events/#"_s));

    // A steady stream of commands; the broker goes away in the middle of it and comes back
    // after the stream has ended.
    constexpr int kCommands = 60;
    QSet<QString> expected;   // CloudEvent ids
    std::atomic<int> answered{0};
    std::atomic<int> accepted{0};
    int sent = 0;
    QTimer stream;
    stream.setInterval(20);
    connect(&stream, &QTimer::timeout, this, [&] {
        if (sent == kCommands)
            return stream.stop();
        CommandRequest c;
        c.collection = u"products"_s;
        c.command = u"create"_s;
        c.body = json({{u"id"_s, u"out-%1"_s.arg(sent++)}, {u"name"_s, u"Stream"_s}, {u"price"_s, 1}});
        m_engine.commands()->execute(std::move(c), [&answered, &accepted](ApiResponse r) {
            if (r.status == 202)
                ++accepted;
            ++answered;
        });
    });
    const qint64 firstPosition = m_engine.eventStore()->headPosition() + 1;
    stream.start();
    QTRY_VERIFY_WITH_TIMEOUT(sent >= kCommands / 3, kWaitMs);
    m_broker.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!status().connected, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(answered.load(), kCommands, kWaitMs);
    QCOMPARE(accepted.load(), kCommands);   // the engine kept taking commands
    QVERIFY(m_broker.restart());
    QTRY_VERIFY_WITH_TIMEOUT(status().connected, kWaitMs);

    const qint64 lastPosition = m_engine.eventStore()->headPosition();
    for (const RecordedEvent &e : m_engine.eventStore()->readAll(firstPosition, kCommands))
        expected.insert(e.id);
    QCOMPARE(expected.size(), kCommands);
    const auto received = [&subscriber] {
        QSet<QString> ids;   // deduplicated by CloudEvent id, as consumers do
        for (const Received &r : subscriber.messages())
            ids.insert(r.json().value(u"id"_s).toString());
        return ids;
    };
    QTRY_VERIFY_WITH_TIMEOUT(received().contains(expected), kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(status().outboxPosition, lastPosition, kWaitMs);
}

// Events committed while the bridge is not running are published from the log, in pages,
// through the in-flight window, once it starts again.
void tst_Mqtt::backlogFromTheLog()
{
    TestClient subscriber(m_broker.url(), clientName("backlog"));
    QVERIFY(subscriber.connect());
    QVERIFY(subscriber.subscribe(u"gatehouse/events/products/created/+"_s));
    m_service.stop();

    constexpr int kEvents = 2000;
    std::atomic<int> accepted{0};
    for (int i = 0; i < kEvents; ++i) {
        CommandRequest c;
        c.collection = u"products"_s;
        c.command = u"create"_s;
        c.body = json({{u"id"_s, u"backlog-%1"_s.arg(i)}, {u"name"_s, u"Backlog"_s}, {u"price"_s, i}});
        m_engine.commands()->execute(std::move(c), [&accepted](ApiResponse r) {
            if (r.status == 202)
                ++accepted;
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(accepted.load(), kEvents, kWaitMs);
    const qint64 head = m_engine.eventStore()->headPosition();

    QString error;
    QVERIFY2(m_service.start(Server::mqttEngineSide(m_engine), m_options, &error), qPrintable(error));
    const auto backlog = [&subscriber] {
        QSet<QString> subjects;
        for (const Received &r : subscriber.messages()) {
            if (r.topic.contains(u"/backlog-"_s))
                subjects.insert(r.topic);
        }
        return subjects.size();
    };
    QTRY_COMPARE_WITH_TIMEOUT(backlog(), kEvents, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(status().outboxPosition, head, kWaitMs);
    QVERIFY(status().outboxInFlight == 0);
}

void tst_Mqtt::managedBrokerLifecycle()
{
    QTemporaryDir dir;
    ManagedBroker::Options options;
    options.dataDir = dir.path();
    options.port = 0;   // a free one
    ManagedBroker broker(options);
    QString error;
    QVERIFY2(broker.start(&error), qPrintable(error));
    QVERIFY(broker.isRunning());
    QVERIFY(broker.port() != 0);
    QVERIFY2(broker.hasPersistence(), qPrintable(broker.persistenceNotice()));
    QFile config(broker.configPath());
    QVERIFY(config.open(QIODevice::ReadOnly));
    QVERIFY(config.readAll().contains(QByteArray("listener " + QByteArray::number(broker.port()) + " 127.0.0.1")));
    {
        TestClient client(broker.url(), clientName("managed"));
        QVERIFY(client.connect());
    }

    // killed: restarted on the same port
    const qint64 first = broker.processId();
    QVERIFY(first > 0);
    QSignalSpy restarted(&broker, &ManagedBroker::restarted);
    ::kill(pid_t(first), SIGKILL);
    QTRY_COMPARE_WITH_TIMEOUT(restarted.size(), 1, kWaitMs);
    QVERIFY(broker.isRunning());
    QCOMPARE(broker.restartCount(), 1);
    QVERIFY(broker.processId() != first);
    {
        TestClient client(broker.url(), clientName("managed"));
        QVERIFY(client.connect());
        QVERIFY(client.publishRetained(u"kept/across/restarts"_s, "retained"));
    }

    broker.stop();
    QVERIFY(!broker.isRunning());
    QCOMPARE(broker.processId(), 0);
    {
        TestClient client(broker.url(), clientName("managed"));
        QVERIFY(!client.connect());
    }

    // Persistence lives in the data directory: a new broker on it still has the retained message
    // (mosquitto saved it on SIGTERM; as root it ran as user mosquitto in a private 0700 folder).
    QVERIFY(QFile::exists(dir.filePath(u"mqtt/broker/mosquitto.db"_s)));
    options.port = broker.port();
    ManagedBroker again(options);
    QVERIFY2(again.start(&error), qPrintable(error));
    TestClient client(again.url(), clientName("managed"));
    QVERIFY(client.connect());
    QVERIFY(client.subscribe(u"kept/#"_s));
    QTRY_COMPARE_WITH_TIMEOUT(client.payloadsOn(u"kept/across/restarts"_s), QStringList{u"retained"_s}, kWaitMs);
    again.stop();
}

void tst_Mqtt::managedBrokerFailures()
{
    QTemporaryDir dir;
    QString error;
    {
        ManagedBroker::Options options;
        options.dataDir = dir.path();
        options.port = 0;
        options.program = dir.filePath(u"no-such-mosquitto"_s);
        ManagedBroker broker(options);
        QVERIFY(!broker.start(&error));
        QVERIFY2(error.contains(u"not found"_s), qPrintable(error));
        QVERIFY(!broker.isRunning());
    }
    {
        ManagedBroker::Options options;
        options.dataDir = dir.path();
        options.port = m_broker.port();   // taken by the fixture's broker
        ManagedBroker broker(options);
        QVERIFY(!broker.start(&error));
        QVERIFY2(error.contains(QString::number(m_broker.port())) && error.contains(u"in use"_s), qPrintable(error));
    }
    {
        // the service: MQTT off with a clear message, the engine unaffected
        MqttOptions options;
        options.listenPort = m_broker.port();
        MqttService service;
        QVERIFY(!service.start(Server::mqttEngineSide(m_engine), options, &error));
        QVERIFY2(error.startsWith(u"MQTT is off"_s), qPrintable(error));
        QVERIFY(!service.isRunning());
        QVERIFY(!service.status().enabled);
        QCOMPARE(execute(u"create"_s, u"still-fine"_s, {{u"name"_s, u"Fine"_s}, {u"price"_s, 1}}).status, 202);
    }
}

QTEST_MAIN(tst_Mqtt)
#include "tst_mqtt.moc"
