// One route policy for every protocol: a command sent over HTTP, as a WebSocket "command" op or
// as an MQTT message goes through the same route and plugins (status, key-auth, jwt-auth,
// limit-count), and a refused one gets the same status and problem document on each. Real
// sockets: the gateway listener on 127.0.0.1, Qt's QWebSocket client, Paho MQTT 5 clients
// against a real Mosquitto.
#include "assembly/engine.h"
#include "mosquittofixture.h"
#include "mqtt/mqttservice.h"
#include "mqtttestclient.h"
#include "resources/resourceservice.h"
#include "server/engineviews.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QNetworkRequest>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <QtTest>
#include <QtWebSockets/QWebSocket>

using namespace Gatehouse;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWaitMs = 30000;

using Pairs = QList<std::pair<QByteArray, QByteArray>>;

enum class Protocol { Http, WebSocket, Mqtt };

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// What a client learns of its command, whatever the protocol.
struct Answer
{
    int status = 0;
    QJsonObject body;
};

// How a client presents credentials: as headers (HTTP request, WebSocket upgrade, MQTT 5 user
// properties) and, for the WebSocket upgrade, in its query string.
struct Credentials
{
    Pairs headers;
    QList<std::pair<QString, QString>> query;
};

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// An HS256 JSON Web Token (RFC 7519) made here, independently of the engine's verifier.
QByteArray signJwt(const QJsonObject &claims, const QByteArray &secret)
{
    const QByteArray signingInput = base64Url(json({{u"alg"_s, u"HS256"_s}, {u"typ"_s, u"JWT"_s}})) + '.' + base64Url(json(claims));
    return signingInput + '.' + base64Url(QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256));
}

} // namespace

Q_DECLARE_METATYPE(Protocol)

class tst_ProtocolPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void keyAuthRefusesAClientWithoutAKey_data();
    void keyAuthRefusesAClientWithoutAKey();
    void limitCountsPerConsumerAcrossProtocols();
    void limitCountsPerAddress();
    void disabledRouteRefusesEveryProtocol_data();
    void disabledRouteRefusesEveryProtocol();
    void jwtAuthAcceptsAValidToken_data();
    void jwtAuthAcceptsAValidToken();
    void upgradeCredentialsReachCommandsEvenWhenHidden();

private:
    Answer send(Protocol protocol, const Credentials &credentials, const QJsonObject &data = {});
    Answer sendHttp(const Credentials &credentials, const QByteArray &body);
    Answer sendWebSocket(const Credentials &credentials, const QJsonObject &data);
    Answer sendMqtt(const Credentials &credentials, const QByteArray &body, const QString &session);
    void setCreatePlugins(const QJsonObject &plugins);
    QString userOf(const Answer &answer) const;

    MosquittoFixture m_broker;
    QTemporaryDir m_dir;
    Engine m_engine;
    Server::Listeners m_listeners;
    Mqtt::MqttService m_mqtt;
    std::unique_ptr<MqttTestClient> m_mqttClient;
    quint16 m_port = 0;
    int m_sent = 0;
};

void tst_ProtocolPolicy::initTestCase()
{
    qRegisterMetaType<Protocol>();
    QString error;
    QVERIFY2(m_broker.start(&error), qPrintable(error));
    QVERIFY(m_dir.isValid());
    EngineOptions options;
    options.dataDir = m_dir.path();
    options.durability = EventStore::Durability::Normal;
    QVERIFY2(m_engine.start(options), qPrintable(m_engine.errorString()));
    Server::Listeners::Endpoint any;
    QVERIFY2(m_listeners.start(&m_engine, any, any, Http::HttpLimits{}, &error), qPrintable(error));
    m_port = m_listeners.gatewayEndpoint().port;

    Mqtt::MqttOptions mqtt;
    mqtt.broker = Mqtt::MqttOptions::Broker::External;
    mqtt.brokerUrl = m_broker.url();
    QVERIFY2(m_mqtt.start(Server::mqttEngineSide(m_engine), mqtt, &error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(m_mqtt.status().connected, kWaitMs);
    m_mqttClient = std::make_unique<MqttTestClient>(m_broker.url(), u"tst-policy"_s);
    QVERIFY(m_mqttClient->connect());
    QVERIFY(m_mqttClient->subscribe(u"tst/policy/#"_s));

    ResourceService *resources = m_engine.resources();
    for (const auto &[name, key] : {std::pair{u"alice"_s, u"alice-key"_s}, std::pair{u"bob"_s, u"bob-key"_s}}) {
        QCOMPARE(resources->put(u"consumers"_s, name,
                                QJsonObject{{u"username"_s, name},
                                            {u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{{u"key"_s, key}}}}}})
                     .status / 100, 2);
    }
    QCOMPARE(resources->put(u"consumers"_s, u"carol"_s,
                            QJsonObject{{u"username"_s, u"carol"_s},
                                        {u"plugins"_s, QJsonObject{{u"jwt-auth"_s, QJsonObject{{u"key"_s, u"carol-jwt"_s},
                                                                                              {u"secret"_s, u"carol-secret"_s}}}}}})
                 .status / 100, 2);
}

void tst_ProtocolPolicy::cleanupTestCase()
{
    m_mqttClient.reset();
    m_mqtt.stop();
    m_listeners.stopAccepting();
    m_listeners.close();
    m_engine.stop();
    m_broker.stop();
}

void tst_ProtocolPolicy::init()
{
    // Every test starts from the default routes: no plugins, enabled. A fresh limit-count
    // configuration starts a fresh count.
    ResourceService *resources = m_engine.resources();
    QCOMPARE(resources->patch(u"routes"_s, u"products-create"_s, QJsonObject{{u"status"_s, 1}, {u"plugins"_s, QJsonValue::Null}})
                 .status / 100, 2);
    const std::optional<QJsonObject> route = resources->get(u"routes"_s, u"products-create"_s);
    QVERIFY(route);
    QCOMPARE(route->value(u"plugins"_s).toObject(), QJsonObject{});
}

void tst_ProtocolPolicy::setCreatePlugins(const QJsonObject &plugins)
{
    const auto result = m_engine.resources()->patch(u"routes"_s, u"products-create"_s, QJsonObject{{u"plugins"_s, plugins}});
    QVERIFY2(result.status / 100 == 2, qPrintable(result.detail + result.errors.join(u"; "_s)));
}

Answer tst_ProtocolPolicy::send(Protocol protocol, const Credentials &credentials, const QJsonObject &data)
{
    const QJsonObject document = data.isEmpty() ? QJsonObject{{u"name"_s, u"Lamp"_s}, {u"price"_s, 10}} : data;
    switch (protocol) {
    case Protocol::Http: return sendHttp(credentials, json(document));
    case Protocol::WebSocket: return sendWebSocket(credentials, document);
    case Protocol::Mqtt: return sendMqtt(credentials, json(document), u"tst/policy/replies"_s);
    }
    return {};
}

Answer tst_ProtocolPolicy::sendHttp(const Credentials &credentials, const QByteArray &body)
{
    TestHttpClient client(u"127.0.0.1"_s, m_port);
    const TestHttpResponse r = client.post("/api/products", body, credentials.headers);
    return {r.status, r.json()};
}

Answer tst_ProtocolPolicy::sendWebSocket(const Credentials &credentials, const QJsonObject &data)
{
    QWebSocket socket;
    QList<QJsonObject> results;
    connect(&socket, &QWebSocket::textMessageReceived, this, [&results](const QString &text) {
        const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
        if (message.value(u"op"_s) == u"result"_s)
            results.append(message);
    });
    QUrl url(u"ws://127.0.0.1:%1/ws"_s.arg(m_port));
    QUrlQuery query;
    query.setQueryItems(credentials.query);
    url.setQuery(query);
    QNetworkRequest request(url);
    for (const auto &[name, value] : credentials.headers)
        request.setRawHeader(name, value);
    socket.open(request);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, kWaitMs))
        return {};
    socket.sendTextMessage(QString::fromUtf8(json({{u"op"_s, u"command"_s}, {u"collection"_s, u"products"_s},
                                                   {u"command"_s, u"create"_s}, {u"data"_s, data}, {u"request_id"_s, ++m_sent}})));
    if (!QTest::qWaitFor([&] { return !results.isEmpty(); }, kWaitMs))
        return {};
    const QJsonObject result = results.constFirst();
    if (result.value(u"request_id"_s).toInt() != m_sent)
        return {};
    return {result.value(u"status"_s).toInt(), result.value(u"body"_s).toObject()};
}

Answer tst_ProtocolPolicy::sendMqtt(const Credentials &credentials, const QByteArray &body, const QString &session)
{
    const QByteArray correlation = "c" + QByteArray::number(++m_sent);
    QList<std::pair<std::string, std::string>> properties;
    for (const auto &[name, value] : credentials.headers)
        properties.append({name.toStdString(), value.toStdString()});
    if (!m_mqttClient->publish(u"gatehouse/commands/products/create"_s, body, session, correlation, properties))
        return {};
    if (!QTest::qWaitFor([&] { return !m_mqttClient->reply(correlation).topic.isEmpty(); }, kWaitMs))
        return {};
    const MqttTestMessage reply = m_mqttClient->reply(correlation);
    return {reply.userProperties.value(u"status"_s).toInt(), reply.json()};
}

QString tst_ProtocolPolicy::userOf(const Answer &answer) const
{
    const qint64 position = answer.body.value(u"position"_s).toInteger();
    const RecordedEvents events = m_engine.eventStore()->readAll(position, 1);
    if (position <= 0 || events.isEmpty())
        return u"(no event)"_s;
    return QJsonDocument::fromJson(events.constFirst().metadata).object().value(u"user"_s).toString();
}

void tst_ProtocolPolicy::keyAuthRefusesAClientWithoutAKey_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::newRow("http") << Protocol::Http;
    QTest::newRow("websocket") << Protocol::WebSocket;
    QTest::newRow("mqtt") << Protocol::Mqtt;
}

void tst_ProtocolPolicy::keyAuthRefusesAClientWithoutAKey()
{
    QFETCH(Protocol, protocol);
    setCreatePlugins({{u"key-auth"_s, QJsonObject{}}});
    const int before = int(m_engine.eventStore()->headPosition());

    // The problem document HTTP gets is the one every protocol gets.
    const Answer http = sendHttp({}, json({{u"name"_s, u"Lamp"_s}, {u"price"_s, 10}}));
    QCOMPARE(http.status, 401);
    QCOMPARE(http.body.value(u"type"_s).toString(), u"urn:gatehouse:problem:unauthorized"_s);
    const Answer missing = send(protocol, {});
    QCOMPARE(missing.status, 401);
    QCOMPARE(missing.body, http.body);

    const Answer wrong = send(protocol, {{{"apikey", "not-a-key"}}, {}});
    QCOMPARE(wrong.status, 401);
    QCOMPARE(wrong.body.value(u"detail"_s).toString(), u"Invalid API key in request"_s);
    QCOMPARE(int(m_engine.eventStore()->headPosition()), before);   // nothing appended

    const Answer accepted = send(protocol, {{{"apikey", "alice-key"}}, {}});
    QCOMPARE(accepted.status, 202);
    QCOMPARE(userOf(accepted), u"alice"_s);
}

void tst_ProtocolPolicy::limitCountsPerConsumerAcrossProtocols()
{
    setCreatePlugins({{u"key-auth"_s, QJsonObject{}},
                      {u"limit-count"_s, QJsonObject{{u"count"_s, 4}, {u"time_window"_s, 3600}, {u"key"_s, u"consumer_name"_s}}}});
    const Credentials alice{{{"apikey", "alice-key"}}, {}};
    const Credentials bob{{{"apikey", "bob-key"}}, {}};
    // Alice's four commands, over three protocols, use up her one quota.
    QCOMPARE(send(Protocol::Http, alice).status, 202);
    QCOMPARE(send(Protocol::WebSocket, alice).status, 202);
    QCOMPARE(send(Protocol::Mqtt, alice).status, 202);
    QCOMPARE(send(Protocol::WebSocket, alice).status, 202);
    const Answer http = send(Protocol::Http, alice);
    QCOMPARE(http.status, 429);
    QCOMPARE(http.body.value(u"type"_s).toString(), u"urn:gatehouse:problem:rate-limited"_s);
    for (const Protocol protocol : {Protocol::WebSocket, Protocol::Mqtt}) {
        const Answer refused = send(protocol, alice);
        QCOMPARE(refused.status, 429);
        QCOMPARE(refused.body, http.body);
    }
    // Bob has his own.
    QCOMPARE(send(Protocol::Mqtt, bob).status, 202);
    QCOMPARE(send(Protocol::WebSocket, bob).status, 202);
}

void tst_ProtocolPolicy::limitCountsPerAddress()
{
    // Keyed by remote_addr: HTTP and WebSocket clients on 127.0.0.1 share one count; an MQTT
    // command's address is its session (the response topic), each session its own count.
    setCreatePlugins({{u"limit-count"_s, QJsonObject{{u"count"_s, 2}, {u"time_window"_s, 3600}, {u"key"_s, u"remote_addr"_s}}}});
    QCOMPARE(send(Protocol::Http, {}).status, 202);
    QCOMPARE(send(Protocol::WebSocket, {}).status, 202);
    QCOMPARE(send(Protocol::Http, {}).status, 429);
    QCOMPARE(send(Protocol::WebSocket, {}).status, 429);
    const QByteArray body = json({{u"name"_s, u"Lamp"_s}, {u"price"_s, 10}});
    QCOMPARE(sendMqtt({}, body, u"tst/policy/session-a"_s).status, 202);
    QCOMPARE(sendMqtt({}, body, u"tst/policy/session-a"_s).status, 202);
    QCOMPARE(sendMqtt({}, body, u"tst/policy/session-a"_s).status, 429);
    QCOMPARE(sendMqtt({}, body, u"tst/policy/session-b"_s).status, 202);
}

void tst_ProtocolPolicy::disabledRouteRefusesEveryProtocol_data()
{
    keyAuthRefusesAClientWithoutAKey_data();
}

void tst_ProtocolPolicy::disabledRouteRefusesEveryProtocol()
{
    QFETCH(Protocol, protocol);
    QCOMPARE(m_engine.resources()->patch(u"routes"_s, u"products-create"_s, QJsonObject{{u"status"_s, 0}}).status / 100, 2);
    const int before = int(m_engine.eventStore()->headPosition());
    // POST /api/products matches no route any more (GET, the list route, still does).
    const Answer http = send(Protocol::Http, {});
    QCOMPARE(http.status, 405);
    QCOMPARE(http.body.value(u"type"_s).toString(), u"urn:gatehouse:problem:method-not-allowed"_s);
    const Answer refused = send(protocol, {});
    QCOMPARE(refused.status, http.status);
    QCOMPARE(refused.body, http.body);
    QCOMPARE(int(m_engine.eventStore()->headPosition()), before);
}

void tst_ProtocolPolicy::jwtAuthAcceptsAValidToken_data()
{
    QTest::addColumn<Protocol>("protocol");
    QTest::addColumn<bool>("inQuery");   // WebSocket: the token in the upgrade's ?jwt= instead of a header
    QTest::newRow("http") << Protocol::Http << false;
    QTest::newRow("websocket header") << Protocol::WebSocket << false;
    QTest::newRow("websocket query") << Protocol::WebSocket << true;
    QTest::newRow("mqtt") << Protocol::Mqtt << false;
}

void tst_ProtocolPolicy::jwtAuthAcceptsAValidToken()
{
    QFETCH(Protocol, protocol);
    QFETCH(bool, inQuery);
    setCreatePlugins({{u"jwt-auth"_s, QJsonObject{}}});
    const qint64 exp = QDateTime::currentSecsSinceEpoch() + 3600;
    const auto credentials = [inQuery](const QByteArray &token) {
        return inQuery ? Credentials{{}, {{u"jwt"_s, QString::fromLatin1(token)}}}
                       : Credentials{{{"authorization", "Bearer " + token}}, {}};
    };

    const Answer accepted = send(protocol, credentials(signJwt({{u"key"_s, u"carol-jwt"_s}, {u"exp"_s, exp}}, "carol-secret")));
    QCOMPARE(accepted.status, 202);
    QCOMPARE(userOf(accepted), u"carol"_s);

    const Answer forged = send(protocol, credentials(signJwt({{u"key"_s, u"carol-jwt"_s}, {u"exp"_s, exp}}, "not-the-secret")));
    QCOMPARE(forged.status, 401);
    QCOMPARE(forged.body.value(u"type"_s).toString(), u"urn:gatehouse:problem:unauthorized"_s);
    const Answer missing = send(protocol, {});
    QCOMPARE(missing.status, 401);
    QCOMPARE(missing.body.value(u"detail"_s).toString(), u"Missing JWT token in request"_s);
}

void tst_ProtocolPolicy::upgradeCredentialsReachCommandsEvenWhenHidden()
{
    // The /ws route authenticates the upgrade and hides the key from its upstream; the commands
    // on that connection are still the key holder's (the key is the connection's identity).
    ResourceService *resources = m_engine.resources();
    QCOMPARE(resources->patch(u"routes"_s, u"websocket"_s,
                              QJsonObject{{u"plugins"_s, QJsonObject{{u"key-auth"_s, QJsonObject{{u"hide_credentials"_s, true}}}}}})
                 .status / 100, 2);
    setCreatePlugins({{u"key-auth"_s, QJsonObject{}}});
    const Answer viaQuery = send(Protocol::WebSocket, {{}, {{u"apikey"_s, u"bob-key"_s}}});
    const Answer viaHeader = send(Protocol::WebSocket, {{{"apikey", "alice-key"}}, {}});
    QCOMPARE(resources->patch(u"routes"_s, u"websocket"_s, QJsonObject{{u"plugins"_s, QJsonValue::Null}}).status / 100, 2);
    QCOMPARE(viaQuery.status, 202);
    QCOMPARE(userOf(viaQuery), u"bob"_s);
    QCOMPARE(viaHeader.status, 202);
    QCOMPARE(userOf(viaHeader), u"alice"_s);
}

QTEST_GUILESS_MAIN(tst_ProtocolPolicy)
#include "tst_protocolpolicy.moc"
