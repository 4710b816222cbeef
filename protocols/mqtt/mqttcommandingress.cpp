#include "mqttcommandingress.h"

#include "api/apirequest.h"
#include "config/strictjson.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "metrics/metricsregistry.h"
#include "mqttclient.h"
#include "mqttlogging.h"
#include "mqtttopics.h"

#include <QJsonObject>
#include <QMutex>

namespace Gatehouse::Mqtt {

namespace {

constexpr int kRetryDelayMs = 1000;   // after the client refused a publish for now (queue full)
// User properties become request headers; together they may be as large as an HTTP request
// head (HttpLimits::maxHeaderBytes).
constexpr qsizetype kMaxUserPropertyBytes = 16 * 1024;

// A reply topic we can publish to: no wildcards (the broker would drop our connection) and
// no "$" topics (reserved for the broker).
bool isReplyTopic(const QByteArray &topic)
{
    return MqttPacket::isValidTopicName(topic) && !topic.startsWith('$');
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

void MqttCommandIngress::attach(MqttClient *client)
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
    // Replies the broker never acknowledged go out again, first and in their order (the
    // client forgets what was in flight with the connection).
    QList<Reply> again;
    for (auto &[sequence, reply] : m_inFlightReplies)
        again.append(std::move(reply));
    m_inFlightReplies.clear();
    m_pendingReplies = again + m_pendingReplies;
    if (m_pendingReplies.size() > m_maxPendingReplies) {
        qCWarning(lcMqtt) << "broker away: dropping the oldest" << m_pendingReplies.size() - m_maxPendingReplies << "of"
                          << m_pendingReplies.size() << "command replies";
        m_pendingReplies.remove(0, m_pendingReplies.size() - m_maxPendingReplies);
    }
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

void MqttCommandIngress::handle(const MqttMessage &message)
{
    ++m_received;
    const QString topic = QString::fromUtf8(message.topic);
    if (message.retain) {
        // Delivered from the broker's retained store: it would run again on every reconnect.
        qCWarning(lcMqtt) << "ignoring a retained command on" << topic << "(publish commands without the retain flag)";
        return;
    }
    Reply reply;
    reply.topic = message.responseTopic;
    reply.correlationData = message.correlationData;
    if (!reply.topic.isEmpty() && !isReplyTopic(reply.topic)) {
        qCWarning(lcMqtt) << "command on" << topic << "asks for a reply on" << reply.topic
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
    const QByteArray &payload = message.payload;
    if (qint64(payload.size()) > m_maxCommandBytes) {
        // As an HTTP body over --max-body-bytes: refused whole, nothing of it parsed.
        return refuse(ApiResponse::problem(413, QStringLiteral("The command's payload (%1 bytes) exceeds the limit of %2 bytes.")
                                                    .arg(qint64(payload.size()))
                                                    .arg(m_maxCommandBytes),
                                           QStringLiteral("payload-too-large")));
    }
    request.body = payload;
    qsizetype propertyBytes = 0;
    for (const auto &[name, value] : message.userProperties) {
        propertyBytes += name.size() + value.size();
        if (propertyBytes > kMaxUserPropertyBytes) {
            return refuse(ApiResponse::problem(431, QStringLiteral("the user properties of a command exceed %1 bytes").arg(kMaxUserPropertyBytes),
                                               QStringLiteral("properties-too-large")));
        }
        QByteArray key = name.toLower();
        if (key == "correlation-id")
            key = QByteArrayLiteral("x-correlation-id");   // the name HTTP clients use
        if (!isMessageProperty(key))
            request.headers.append({key, value});
    }
    request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")});
    request.remoteAddress = QString::fromUtf8(reply.topic);
    request.protocol = QStringLiteral("mqtt");

    MqttCommandSequencer::Keys keys;
    keys.entity = entityKey(parsed, request.body);
    keys.session = QString::fromUtf8(reply.topic);
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
    if (reply.topic.isEmpty())
        return;
    if (!m_pendingReplies.isEmpty() && m_pendingReplies.size() >= m_maxPendingReplies) {
        qCWarning(lcMqtt) << "broker away: dropping the oldest of" << m_pendingReplies.size() << "command replies";
        m_pendingReplies.remove(0, m_pendingReplies.size() - m_maxPendingReplies + 1);
    }
    m_pendingReplies.append(reply);   // in order, behind any that wait
    flushReplies();
}

MqttCommandIngress::Sent MqttCommandIngress::send(const Reply &reply)
{
    MqttMessage message;
    message.topic = reply.topic;
    message.payload = reply.body;
    message.qos = 1;
    message.correlationData = reply.correlationData;
    message.userProperties.append({QByteArrayLiteral("status"), QByteArray::number(reply.status)});
    for (const auto &[name, value] : reply.headers) {
        if (name == "content-type")
            message.contentType = value;
        else
            message.userProperties.append({name, value});
    }
    const quint64 sequence = ++m_replySequence;
    const auto acknowledged = [this, sequence](quint8 reason) {
        const auto it = m_inFlightReplies.find(sequence);
        if (it == m_inFlightReplies.end())
            return;
        if (reason >= 0x80)
            qCWarning(lcMqtt) << "the broker refused the command reply on" << it->second.topic << "with reason code" << reason;
        else if (m_metrics)
            m_metrics->increment("gatehouse_mqtt_published_total", MetricsRegistry::label("kind", QStringLiteral("reply")));
        m_inFlightReplies.erase(it);
    };
    // A broker that takes QoS 0 only acknowledges nothing: such a reply is done once written.
    const bool acknowledges = m_client->maximumQos() > 0;
    switch (m_client->publish(std::move(message), acknowledges ? MqttClient::Done(acknowledged) : MqttClient::Done())) {
    case MqttClient::PublishResult::Accepted:
        if (acknowledges)
            m_inFlightReplies.emplace(sequence, reply);
        else if (m_metrics)
            m_metrics->increment("gatehouse_mqtt_published_total", MetricsRegistry::label("kind", QStringLiteral("reply")));
        break;
    case MqttClient::PublishResult::Invalid:
        qCWarning(lcMqtt) << "cannot publish a command reply on" << reply.topic << "(too large for the broker, or a field over 65,535 bytes); dropped";
        return Sent::Dropped;
    case MqttClient::PublishResult::NotConnected:
    case MqttClient::PublishResult::QueueFull:
        qCDebug(lcMqtt) << "command reply on" << reply.topic << "deferred";
        return Sent::Later;
    }
    return Sent::Done;
}

} // namespace Gatehouse::Mqtt
