// The MQTT page against a real engine with its MQTT bridge on a real Mosquitto: the console's
// own client connects by itself, the broker's topics fill the tree (events, retained read-model
// state), a topic shows its payload and history, a command published with a response topic is
// answered there, and the bridge's outbox is shown. The topic model runs under
// QAbstractItemModelTester and keeps its bound.

#include "guifixture.h"
#include "models/mqttbrowserclient.h"
#include "models/mqtttopicmodel.h"
#include "mosquittofixture.h"
#include "mqtt/mqttservice.h"
#include "pages/mqttpage.h"
#include "server/engineviews.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTest>

using namespace Gatehouse;
using Ui::MqttTopicModel;

class tst_MqttPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QStandardPaths::setTestModeEnabled(true); }
    void topicModelIsATreeWithBounds();
    void browsesTheBrokerAndPublishesACommand();
};

namespace {
Ui::MqttMessage message(const QString &topic, const QByteArray &payload, bool retained = false)
{
    Ui::MqttMessage m;
    m.topic = topic;
    m.payload = payload;
    m.retained = retained;
    m.receivedMs = QDateTime::currentMSecsSinceEpoch();
    return m;
}
} // namespace

void tst_MqttPage::topicModelIsATreeWithBounds()
{
    MqttTopicModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addMessages({message(QStringLiteral("a/b/c"), "1"), message(QStringLiteral("a/b/c"), "2"), message(QStringLiteral("a/x"), "{\"k\":1}", true),
                       message(QStringLiteral("z"), "3")});
    QCOMPARE(model.rowCount(), 2);   // a, z in name order
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("a"));
    QCOMPARE(model.topicCount(), 5);   // a, a/b, a/b/c, a/x, z
    QCOMPARE(model.messageCount(QStringLiteral("a")), 3);
    QCOMPARE(model.messageCount(QStringLiteral("a/b/c")), 2);
    const QModelIndex x = model.indexOf(QStringLiteral("a/x"));
    QVERIFY(x.isValid());
    QCOMPARE(x.siblingAtColumn(MqttTopicModel::RetainedColumn).data().toString(), QStringLiteral("retained"));
    QCOMPARE(x.siblingAtColumn(MqttTopicModel::PayloadColumn).data().toString(), QStringLiteral("{\"k\":1}"));
    QCOMPARE(model.topicAt(x), QStringLiteral("a/x"));
    QCOMPARE(model.history(QStringLiteral("a/b/c")).size(), 2);
    QCOMPARE(model.history(QStringLiteral("a/b/c")).last().payload, QByteArrayLiteral("2"));
    QVERIFY(model.history(QStringLiteral("a/b")).isEmpty());   // no message of its own
    // History is bounded per topic, topics in all.
    QList<Ui::MqttMessage> many;
    for (int i = 0; i < MqttTopicModel::kHistory + 20; ++i)
        many.append(message(QStringLiteral("z"), QByteArray::number(i)));
    model.addMessages(many);
    QCOMPARE(model.history(QStringLiteral("z")).size(), MqttTopicModel::kHistory);
    QCOMPARE(model.messageCount(QStringLiteral("z")), MqttTopicModel::kHistory + 21);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.topicCount(), 0);
    // At most kMaxTopics topics (without the tester: it checks the whole model on each insert).
    MqttTopicModel big;
    QList<Ui::MqttMessage> topics;
    for (int i = 0; i < MqttTopicModel::kMaxTopics; ++i)
        topics.append(message(QStringLiteral("t/%1").arg(i), "x"));
    big.addMessages(topics);
    QCOMPARE(big.topicCount(), MqttTopicModel::kMaxTopics);
    QCOMPARE(big.droppedTopics(), 1);   // "t" itself took one place
    QCOMPARE(big.messageCount(QStringLiteral("t")), MqttTopicModel::kMaxTopics - 1);
}

void tst_MqttPage::browsesTheBrokerAndPublishesACommand()
{
    MosquittoFixture broker;
    QString error;
    if (!broker.start(&error))
        QFAIL(qPrintable(error));
    Test::GuiFixture f;
    QVERIFY(f.start());
    Mqtt::MqttOptions options;
    options.broker = Mqtt::MqttOptions::Broker::External;
    options.brokerUrl = broker.url();
    options.reconnectMinSeconds = 1;
    options.reconnectMaxSeconds = 2;
    Mqtt::MqttService mqtt;
    QVERIFY2(mqtt.start(Server::mqttEngineSide(f.engine), options, &error), qPrintable(error));
    Ui::LocalEngineClient::Options clientOptions;
    clientOptions.gatewayAddress = f.listeners->gatewayEndpoint().toString();
    clientOptions.adminAddress = f.listeners->adminEndpoint().toString();
    clientOptions.mqtt = &mqtt;
    clientOptions.statusIntervalMs = 100;
    Ui::LocalEngineClient client(&f.engine, clientOptions);
    QTRY_VERIFY_WITH_TIMEOUT(client.status().mqttConnected, 15000);

    // A product made before the page connects: its read-model state is retained on the broker.
    const auto command = [&](const QJsonObject &data) {
        return Test::waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { client.command(QStringLiteral("products"), {}, {}, data, ctx, cb); });
    };
    QCOMPARE(command({{QStringLiteral("id"), QStringLiteral("p1")}, {QStringLiteral("name"), QStringLiteral("Lamp")}, {QStringLiteral("price"), 12}}).status, 202);
    QTRY_VERIFY_WITH_TIMEOUT(client.status().mqttOutboxPosition >= 1, 15000);

    Ui::MqttPage page(&client);
    QAbstractItemModelTester tester(page.topics(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.resize(1200, 800);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QTRY_VERIFY_WITH_TIMEOUT(page.browser()->isConnected(), 15000);   // by itself, to the engine's broker
    QCOMPARE(page.findChild<QLineEdit *>(QStringLiteral("mqttBrokerUrl"))->text(), broker.url());
    const QString retainedTopic = QStringLiteral("gatehouse/readmodel/products/p1");
    QTRY_VERIFY_WITH_TIMEOUT(page.topics()->indexOf(retainedTopic).isValid(), 15000);
    QCOMPARE(page.topics()->indexOf(retainedTopic).siblingAtColumn(MqttTopicModel::RetainedColumn).data().toString(), QStringLiteral("retained"));
    QTRY_VERIFY2_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("mqttBridge"))->text().contains(QLatin1String("outbox at #1")),
                              qPrintable(page.findChild<QLabel *>(QStringLiteral("mqttBridge"))->text()), 10000);

    // Live events fill the tree; a topic shows its CloudEvent and history.
    QCOMPARE(command({{QStringLiteral("id"), QStringLiteral("p2")}, {QStringLiteral("name"), QStringLiteral("Desk")}, {QStringLiteral("price"), 99}}).status, 202);
    const QString eventTopic = QStringLiteral("gatehouse/events/products/created/p2");
    QTRY_VERIFY_WITH_TIMEOUT(page.topics()->indexOf(eventTopic).isValid(), 15000);
    page.selectTopic(eventTopic);
    QCOMPARE(page.selectedTopic(), eventTopic);
    auto *payload = page.findChild<QPlainTextEdit *>(QStringLiteral("mqttPayload"));
    QVERIFY2(payload->toPlainText().contains(QLatin1String("\"type\": \"products.created\"")), qPrintable(payload->toPlainText()));
    QCOMPARE(page.findChild<QListWidget *>(QStringLiteral("mqttHistory"))->count(), 1);
    QVERIFY(page.topics()->messageCount(QStringLiteral("gatehouse")) >= 3);

    // A command published with a response topic: the answer arrives there, and the product exists.
    page.findChild<QLineEdit *>(QStringLiteral("mqttPublishTopic"))->setText(QStringLiteral("gatehouse/commands/products/create"));
    page.findChild<QPlainTextEdit *>(QStringLiteral("mqttPublishPayload"))->setPlainText(QStringLiteral(R"({"id":"m1","name":"Via MQTT","price":3})"));
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("mqttPublish")), Qt::LeftButton);
    auto *responses = page.findChild<QPlainTextEdit *>(QStringLiteral("mqttResponses"));
    QTRY_VERIFY2_WITH_TIMEOUT(responses->toPlainText().contains(QLatin1String("status 202")), qPrintable(responses->toPlainText()), 15000);
    QVERIFY2(page.findChild<QLabel *>(QStringLiteral("mqttPublishStatus"))->text().startsWith(QLatin1String("Published")),
             qPrintable(page.findChild<QLabel *>(QStringLiteral("mqttPublishStatus"))->text()));
    QTRY_COMPARE_WITH_TIMEOUT(Test::waitFor([&](QObject *ctx, Ui::ReplyCallback cb) { client.get("/api/products/m1", ctx, cb); }).status, 200, 10000);

    // Disconnect and connect again: the state says so.
    QTest::mouseClick(page.findChild<QPushButton *>(QStringLiteral("mqttConnect")), Qt::LeftButton);
    QTRY_VERIFY(!page.browser()->isConnected());
    QCOMPARE(page.findChild<QPushButton *>(QStringLiteral("mqttConnect"))->text(), QStringLiteral("Connect"));
    page.connectToBroker(QStringLiteral("mqtt://127.0.0.1:1"));   // nothing listens there
    QTRY_VERIFY2_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("mqttState"))->text().startsWith(QLatin1String("Cannot connect")),
                              qPrintable(page.findChild<QLabel *>(QStringLiteral("mqttState"))->text()), 15000);
    page.browser()->disconnectFromBroker();
    mqtt.stop();
}

QTEST_MAIN(tst_MqttPage)
#include "tst_mqttpage.moc"
