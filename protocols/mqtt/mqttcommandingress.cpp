#include "mqttcommandingress.h"

#include "api/apirequest.h"
#include "config/strictjson.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "metrics/metricsregistry.h"
#include "mqttlogging.h"
#include "mqttpublishfailure.h"
#include "mqtttopics.h"

#include <QJsonObject>
#include <QMutex>

#include <mqtt/async_client.h>

namespace Gatehouse::Mqtt {

namespace {

constexpr int kRetryDelayMs = 1000;   // after Paho refused a publish for now (buffer full)
// User properties become request headers; together they may be as large as an HTTP request
// head (HttpLimits::maxHeaderBytes).
constexpr qsizetype kMaxUserPropertyBytes = 16 * 1024;

// A reply topic we can publish to: no wildcards (the broker would drop our connection) and
// no "$" topics (reserved for the broker).
bool isReplyTopic(const std::string &topic)
{
    return !topic.empty() && topic.front() != '$' && topic.find_first_of("+#") == std::string::npos;
}

std::string stdString(const QByteArray &bytes)
{
    return std::string(bytes.constData(), size_t(bytes.size()));
}

// The entity a command acts on, for ordering: the topic's id, or a create's "id" member. A
// create without one gets a fresh id and can follow nothing.
QString entityKey(const MqttTopics::CommandTopic &command, const QByteArray &payload)
{
    QString id = command.id;
    if (id.isEmpty() && command.command == QLatin1String("create")) {
        // Read as the command service will read it; a body it refuses orders nothing.
        if (const auto body = StrictJson::parseObject(payload)) {
            if (const QJsonValue bodyId = body->value(QLatin1String("id")); bodyId.isString())
                id = bodyId.toString();
        }
    }
    return id.isEmpty() ? QString() : command.collection + QLatin1Char('/') + id;
}

// User properties that would say something about the message itself, which the request
// states on its own: the payload is JSON, its length is the payload's.
bool isMessageProperty(const QByteArray &name)
{
    return name == "content-type" || name == "content-length" || name == "transfer-encoding" || name == "connection"
        || name == "upgrade";
}

bool isBuiltIn(const QString &command)
{
    return command == QLatin1String("create") || command == QLatin1String("update") || command == QLatin1String("delete");
}

} // namespace

// The way back from the writer thread: posts an answer to the ingress while it exists.
struct MqttCommandIngress::Channel
{
    QMutex mutex;
    MqttCommandIngress *ingress = nullptr;

    void post(const Reply &reply, MqttCommandSequencer::Done done)
    {
        QMutexLocker lock(&mutex);
        if (ingress) {
            QMetaObject::invokeMethod(ingress, [target = ingress, reply, done = std::move(done)] {
                target->answered(reply);
                done();
            }, Qt::QueuedConnection);
        }
    }
    void close()
    {
        QMutexLocker lock(&mutex);
        ingress = nullptr;
    }
};

MqttCommandIngress::MqttCommandIngress(const Gateway *gateway, MetricsRegistry *metrics, const QString &topicPrefix,
                                       int maxPendingReplies, int maxWaitingCommands, qint64 maxCommandBytes, QObject *parent)
    : QObject(parent)
    , m_gateway(gateway)
    , m_metrics(metrics)
    , m_prefix(topicPrefix)
    , m_maxPendingReplies(maxPendingReplies)
    , m_maxCommandBytes(maxCommandBytes)
    , m_channel(std::make_shared<Channel>())
    , m_sequencer(maxWaitingCommands)
    , m_retryTimer(this)   // a child, so it moves to the bridge's thread with this object
{
    m_channel->ingress = this;
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(kRetryDelayMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &MqttCommandIngress::flushReplies);
}

MqttCommandIngress::~MqttCommandIngress()
{
    m_channel->close();
}

void MqttCommandIngress::attach(mqtt::async_client *client)
{
    m_client = client;
    if (!client)
        connectionDown();
}

void MqttCommandIngress::connectionUp()
{
    m_connected = true;
    flushReplies();
}

void MqttCommandIngress::connectionDown()
{
    m_connected = false;
    m_retryTimer.stop();
}

void MqttCommandIngress::flushReplies()
{
    while (m_connected && m_client && !m_pendingReplies.isEmpty()) {
        const Sent sent = send(m_pendingReplies.constFirst());
        if (sent == Sent::Later) {
            m_retryTimer.start();
            return;
        }
        m_pendingReplies.removeFirst();
    }
}

void MqttCommandIngress::handle(const std::shared_ptr<const mqtt::message> &message)
{
    ++m_received;
    const QString topic = QString::fromStdString(message->get_topic());
    if (message->is_retained()) {
        // Delivered from the broker's retained store: it would run again on every reconnect.
        qCWarning(lcMqtt) << "ignoring a retained command on" << topic << "(publish commands without the retain flag)";
        return;
    }
    const mqtt::properties &properties = message->get_properties();
    Reply reply;
    if (properties.contains(mqtt::property::RESPONSE_TOPIC))
        reply.topic = mqtt::get<std::string>(properties, mqtt::property::RESPONSE_TOPIC);
    if (properties.contains(mqtt::property::CORRELATION_DATA))
        reply.correlationData = mqtt::get<std::string>(properties, mqtt::property::CORRELATION_DATA);
    if (!reply.topic.empty() && !isReplyTopic(reply.topic)) {
        qCWarning(lcMqtt) << "command on" << topic << "asks for a reply on" << reply.topic.c_str()
                          << "which is no topic to publish to; no reply";
        reply.topic.clear();
    }

    const auto refuse = [this, &reply](const ApiResponse &problem) {
        reply.status = problem.status;
        reply.headers = problem.headers;
        reply.body = problem.body;
        answered(reply);
    };
    const MqttTopics::CommandTopic parsed = MqttTopics::parseCommandTopic(m_prefix, topic);
    if (!parsed.valid)
        return refuse(ApiResponse::problem(404, parsed.error, QStringLiteral("unknown-command-topic")));

    // The request an HTTP client would send to the command route: the payload as its JSON body,
    // the user properties as its headers (credentials for key-auth and jwt-auth included), and
    // the session -- the response topic, all MQTT shows a subscriber of its publisher -- as the
    // client's address for limiters.
    ApiRequest request;
    request.method = QByteArrayLiteral("POST");
    request.path = DefaultRoutes::commandPath(parsed.collection, parsed.id, parsed.command);
    const mqtt::binary &payload = message->get_payload();
    if (qint64(payload.size()) > m_maxCommandBytes) {
        // As an HTTP body over --max-body-bytes: refused whole, nothing of it parsed.
        return refuse(ApiResponse::problem(413, QStringLiteral("The command's payload (%1 bytes) exceeds the limit of %2 bytes.")
                                                    .arg(qint64(payload.size()))
                                                    .arg(m_maxCommandBytes),
                                           QStringLiteral("payload-too-large")));
    }
    request.body = QByteArray(payload.data(), qsizetype(payload.size()));
    qsizetype propertyBytes = 0;
    const size_t userProperties = properties.count(mqtt::property::USER_PROPERTY);
    for (size_t i = 0; i < userProperties; ++i) {
        const auto [name, value] = mqtt::get<mqtt::string_pair>(properties, mqtt::property::USER_PROPERTY, i);
        propertyBytes += qsizetype(name.size() + value.size());
        if (propertyBytes > kMaxUserPropertyBytes) {
            return refuse(ApiResponse::problem(431, QStringLiteral("the user properties of a command exceed %1 bytes").arg(kMaxUserPropertyBytes),
                                               QStringLiteral("properties-too-large")));
        }
        QByteArray key = QByteArray::fromStdString(name).toLower();
        if (key == "correlation-id")
            key = QByteArrayLiteral("x-correlation-id");   // the name HTTP clients use
        if (!isMessageProperty(key))
            request.headers.append({key, QByteArray::fromStdString(value)});
    }
    request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")});
    request.remoteAddress = QString::fromStdString(reply.topic);
    request.protocol = QStringLiteral("mqtt");

    MqttCommandSequencer::Keys keys;
    keys.entity = entityKey(parsed, request.body);
    keys.session = QString::fromStdString(reply.topic);
    keys.barrier = !isBuiltIn(parsed.command);
    const bool taken = m_sequencer.submit(keys, [this, request = std::move(request), reply](MqttCommandSequencer::Done handedOver,
                                                                                          MqttCommandSequencer::Done done) mutable {
        m_gateway->handle(
            std::move(request),
            [channel = m_channel, reply, done = std::move(done)](ApiResponse response) mutable {
                reply.status = response.status;
                reply.headers = std::move(response.headers);
                reply.body = std::move(response.body);
                channel->post(reply, std::move(done));
            },
            std::move(handedOver));
    });
    if (!taken) {
        ApiResponse problem = ApiResponse::problem(503, QStringLiteral("%1 MQTT commands already wait for earlier commands of their entity or session")
                                                            .arg(m_sequencer.waiting()),
                                                   QStringLiteral("too-many-waiting-commands"));
        problem.setHeader(QByteArrayLiteral("retry-after"), QByteArrayLiteral("1"));
        refuse(problem);
    }
}

void MqttCommandIngress::answered(const Reply &reply)
{
    if (m_metrics)
        m_metrics->increment("gatehouse_mqtt_commands_total", MetricsRegistry::label("status", QString::number(reply.status)));
    if (reply.topic.empty())
        return;
    if (m_pendingReplies.size() >= m_maxPendingReplies) {
        qCWarning(lcMqtt) << "broker away: dropping the oldest of" << m_pendingReplies.size() << "command replies";
        m_pendingReplies.removeFirst();
    }
    m_pendingReplies.append(reply);   // in order, behind any that wait
    flushReplies();
}

MqttCommandIngress::Sent MqttCommandIngress::send(const Reply &reply)
{
    mqtt::properties properties;
    if (!reply.correlationData.empty())
        properties.add(mqtt::property(mqtt::property::CORRELATION_DATA, reply.correlationData));
    properties.add(mqtt::property(mqtt::property::USER_PROPERTY, std::string("status"), std::to_string(reply.status)));
    for (const auto &[name, value] : reply.headers) {
        if (name == "content-type")
            properties.add(mqtt::property(mqtt::property::CONTENT_TYPE, stdString(value)));
        else
            properties.add(mqtt::property(mqtt::property::USER_PROPERTY, stdString(name), stdString(value)));
    }
    auto message = mqtt::make_message(reply.topic, reply.body.constData(), size_t(reply.body.size()), 1, false);
    message->set_properties(std::move(properties));
    try {
        m_client->publish(message);
    } catch (const std::exception &e) {
        if (isPermanentPublishFailure(e)) {
            qCWarning(lcMqtt) << "cannot publish a command reply on" << reply.topic.c_str() << ":" << e.what() << "; dropped";
            return Sent::Dropped;
        }
        qCDebug(lcMqtt) << "command reply on" << reply.topic.c_str() << "deferred:" << e.what();
        return Sent::Later;
    }
    if (m_metrics)
        m_metrics->increment("gatehouse_mqtt_published_total", MetricsRegistry::label("kind", QStringLiteral("reply")));
    return Sent::Done;
}

} // namespace Gatehouse::Mqtt
