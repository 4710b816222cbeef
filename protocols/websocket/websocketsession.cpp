#include "websocketsession.h"

#include "config/collectioncatalog.h"
#include "config/strictjson.h"
#include "gateway/defaultroutes.h"
#include "gateway/gateway.h"
#include "live/credentialexpiry.h"
#include "live/eventsubscription.h"
#include "live/livefeed.h"
#include "readmodel/readstore.h"
#include "store/eventstore.h"
#include "websocketconnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>

namespace Gatehouse::Live {

namespace {
QByteArray compact(const QJsonValue &value)
{
    // A JSON value as text: wrapped in an array, which QJsonDocument can serialise.
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

QString watchKey(const QString &collection, const QString &id)
{
    return collection + QChar(u'\0') + id;
}

// Headers of the upgrade that describe that one message, not the client: a command op brings
// its own body, content type and per-command headers.
bool isUpgradeOnly(const QByteArray &name)
{
    static const QByteArrayList names{"connection", "upgrade", "content-length", "content-type", "transfer-encoding",
                                      "te", "trailer", "keep-alive", "expect", "idempotency-key", "if-match",
                                      "x-correlation-id", "x-request-id", "last-event-id"};
    return name.startsWith("sec-websocket-") || names.contains(name);
}

// A body as a JSON value for the "result" message: as it is when it is JSON, else as a string
// (a route may send a command to an upstream that answers something else).
QByteArray bodyAsJson(const QByteArray &contentType, const QByteArray &body)
{
    if (body.trimmed().isEmpty())
        return QByteArrayLiteral("null");
    const QByteArray type = contentType.split(';').constFirst().trimmed().toLower();
    if ((type == "application/json" || type.endsWith("+json")) && StrictJson::parse(body))
        return body;
    return compact(QString::fromUtf8(body));
}
} // namespace

WebSocketSession::Identity WebSocketSession::Identity::of(const ApiRequest &upgrade,
                                                          const QList<std::pair<QByteArray, QByteArray>> &sentHeaders,
                                                          const QByteArray &sentQuery)
{
    Identity identity;
    identity.consumer = upgrade.consumer;
    identity.remoteAddress = upgrade.remoteAddress;
    identity.remotePort = upgrade.remotePort;
    identity.query = sentQuery;
    identity.expiresAtMs = upgrade.credentialExpiresAtMs;
    for (const auto &header : sentHeaders) {
        if (!isUpgradeOnly(header.first))
            identity.headers.append(header);
    }
    return identity;
}

WebSocketSession::WebSocketSession(QTcpSocket *socket, const QByteArray &alreadyRead, const Services &services,
                                   Identity identity, const LiveOptions &options, LiveFeed *parent)
    : QObject(parent)
    , m_connection(new WebSocketConnection(socket, alreadyRead, options, this))
    , m_services(services)
    , m_identity(std::move(identity))
    , m_options(options)
    , m_feed(parent)
    , m_link(std::make_shared<ObjectLink<WebSocketSession>>())
{
    m_link->target = this;
    m_feed->clientOpened("websocket");
    connect(m_connection, &WebSocketConnection::textMessage, this, &WebSocketSession::onMessage);
    connect(m_connection, &WebSocketConnection::drained, this, &WebSocketSession::onDrained);
    connect(m_connection, &WebSocketConnection::disconnected, this, &QObject::deleteLater);
    connect(m_feed, &LiveFeed::documentsChanged, this, &WebSocketSession::onDocumentsChanged);
    connect(m_feed, &LiveFeed::goingAway, this, [this] {
        m_connection->close(WebSocketFrame::GoingAway, QStringLiteral("server shutting down"));
    });
    // Subscriptions and watches were allowed by the upgrade's credential: not past its end.
    callAtExpiry(this, m_identity.expiresAtMs, [this] {
        m_connection->close(WebSocketFrame::PolicyViolation, QStringLiteral("the credential expired; connect again with a new one"));
    });
    m_connection->start();
}

WebSocketSession::~WebSocketSession()
{
    {
        const QMutexLocker lock(&m_link->mutex);
        m_link->target = nullptr;
    }
    m_feed->clientClosed("websocket");
}

void WebSocketSession::onMessage(const QByteArray &utf8)
{
    StrictJson::Error error;
    const std::optional<QJsonValue> doc = StrictJson::parse(utf8, &error);
    if (!doc) {
        sendError(QStringLiteral("malformed JSON: %1").arg(error.toString()), {});
        return;
    }
    if (!doc->isObject()) {
        sendError(QStringLiteral("a message must be a JSON object with an \"op\""), {});
        return;
    }
    const QJsonObject message = doc->toObject();
    const QJsonValue requestId = message.value(QLatin1String("request_id"));
    if (!requestId.isUndefined() && !requestId.isNull() && !requestId.isDouble()
        && !(requestId.isString() && requestId.toString().size() <= m_options.maxIdLength)) {
        sendError(QStringLiteral("\"request_id\" must be a number, null or a string of at most %1 characters").arg(m_options.maxIdLength), {});
        return;
    }
    const QString op = message.value(QLatin1String("op")).toString();
    if (op == QLatin1String("subscribe"))
        subscribe(message, requestId);
    else if (op == QLatin1String("unsubscribe"))
        unsubscribe(message, requestId);
    else if (op == QLatin1String("watch"))
        watch(message, requestId);
    else if (op == QLatin1String("unwatch"))
        unwatch(message, requestId);
    else if (op == QLatin1String("command"))
        command(message, requestId);
    else if (op == QLatin1String("ping"))
        send(requestId.isUndefined() ? QJsonObject{{QStringLiteral("op"), QStringLiteral("pong")}}
                                     : QJsonObject{{QStringLiteral("op"), QStringLiteral("pong")}, {QStringLiteral("request_id"), requestId}});
    else if (op.isEmpty())
        sendError(QStringLiteral("missing \"op\" (subscribe, unsubscribe, watch, unwatch, command, ping)"), requestId);
    else
        sendError(QStringLiteral("unknown op '%1' (subscribe, unsubscribe, watch, unwatch, command, ping)").arg(op.left(64)), requestId);
}

namespace {
// A subscription keeps its globs for as long as it lives: 64 of them per connection.
constexpr int kMaxGlobLength = 1024;
} // namespace

void WebSocketSession::subscribe(const QJsonObject &message, const QJsonValue &requestId)
{
    const QJsonValue idValue = message.value(QLatin1String("id"));
    if (!idValue.isUndefined() && (!idValue.isString() || idValue.toString().isEmpty() || idValue.toString().size() > m_options.maxIdLength))
        return sendError(QStringLiteral("subscribe: \"id\" must be a string of 1 to %1 characters").arg(m_options.maxIdLength), requestId);
    QString id = idValue.isString() ? idValue.toString() : QString();
    while (id.isEmpty() || (!idValue.isString() && m_subscriptions.contains(id)))   // past ids the client chose
        id = QStringLiteral("s%1").arg(m_nextSubscription++);
    if (m_subscriptions.contains(id))
        return sendError(QStringLiteral("subscribe: a subscription '%1' exists already").arg(id), requestId);
    if (m_subscriptions.size() >= m_options.maxSubscriptions)
        return sendError(QStringLiteral("subscribe: at most %1 subscriptions per connection").arg(m_options.maxSubscriptions), requestId);

    const QJsonValue fromValue = message.value(QLatin1String("from"));
    qint64 from = 0;
    if (fromValue.isUndefined() || fromValue.toString() == QLatin1String("live")) {
        from = m_services.store->headPosition() + 1;
    } else if (fromValue.isDouble() && fromValue.toDouble() >= 0 && fromValue.toDouble() == double(fromValue.toInteger())) {
        from = qMax<qint64>(1, fromValue.toInteger());
    } else {
        return sendError(QStringLiteral("subscribe: \"from\" must be a position >= 0 or \"live\""), requestId);
    }
    const QJsonValue filterValue = message.value(QLatin1String("filter"));
    const QJsonObject filterObject = filterValue.toObject();
    const QJsonValue type = filterObject.value(QLatin1String("type"));
    const QJsonValue subject = filterObject.value(QLatin1String("subject"));
    if ((!filterValue.isUndefined() && !filterValue.isObject()) || (!type.isUndefined() && !type.isString())
        || (!subject.isUndefined() && !subject.isString()))
        return sendError(QStringLiteral("subscribe: \"filter\" must be an object with optional string globs \"type\" and \"subject\""), requestId);
    if (type.toString().size() > kMaxGlobLength || subject.toString().size() > kMaxGlobLength)
        return sendError(QStringLiteral("subscribe: a filter glob has at most %1 characters").arg(kMaxGlobLength), requestId);

    QJsonObject ack{{QStringLiteral("op"), QStringLiteral("subscribed")}, {QStringLiteral("id"), id}, {QStringLiteral("from"), from}};
    if (!requestId.isUndefined())
        ack.insert(QStringLiteral("request_id"), requestId);
    send(ack);

    const QByteArray prefix = R"({"op":"event","subscription":)" + compact(id) + R"(,"event":)";
    EventSubscription::Sink sink;
    sink.deliver = [this, prefix](const RecordedEvent &event) {
        if (m_connection->isOpen() && !m_connection->queueText({prefix, m_feed->cloudEventJson(event), "}"}))
            m_feed->clientCutOff("websocket");
    };
    sink.congested = [this] { return m_connection->isCongested(); };
    sink.flush = [this] { m_connection->flush(); };   // a batch's frames leave with one write
    m_subscriptions.insert(id, new EventSubscription(m_services.store, m_feed, EventFilter{type.toString(), subject.toString()},
                                                     from, m_options.pageSize, std::move(sink), this));
}

void WebSocketSession::unsubscribe(const QJsonObject &message, const QJsonValue &requestId)
{
    const QString id = message.value(QLatin1String("id")).toString();
    EventSubscription *subscription = m_subscriptions.take(id);
    if (!subscription)
        return sendError(QStringLiteral("unsubscribe: no subscription '%1'").arg(id.left(m_options.maxIdLength)), requestId);
    // Possibly inside one of its own deliveries: flushing its batch to a TLS socket can read
    // this very message. So it stops now and goes later; a catch-up step it had queued does
    // nothing.
    subscription->cancel();
    subscription->deleteLater();
    QJsonObject ack{{QStringLiteral("op"), QStringLiteral("unsubscribed")}, {QStringLiteral("id"), id}};
    if (!requestId.isUndefined())
        ack.insert(QStringLiteral("request_id"), requestId);
    send(ack);
}

void WebSocketSession::watch(const QJsonObject &message, const QJsonValue &requestId)
{
    const QJsonValue collection = message.value(QLatin1String("collection"));
    const QJsonValue id = message.value(QLatin1String("id"));
    if (!collection.isString() || (!id.isUndefined() && !id.isString()))
        return sendError(QStringLiteral("watch: needs \"collection\" (and optionally \"id\") as strings"), requestId);
    if (id.toString().size() > m_options.maxIdLength)
        return sendError(QStringLiteral("watch: \"id\" must be at most %1 characters").arg(m_options.maxIdLength), requestId);
    if (!m_services.catalog->collection(collection.toString()))
        return sendError(QStringLiteral("watch: unknown collection '%1'").arg(collection.toString().left(64)), requestId);
    const QString key = watchKey(collection.toString(), id.toString());
    if (!m_watches.contains(key) && m_watches.size() >= m_options.maxWatches)
        return sendError(QStringLiteral("watch: at most %1 watches per connection").arg(m_options.maxWatches), requestId);
    Watch &w = m_watches[key];
    w.collection = collection.toString();
    w.id = id.toString();
    QJsonObject ack{{QStringLiteral("op"), QStringLiteral("watching")}, {QStringLiteral("collection"), w.collection},
                    {QStringLiteral("id"), w.id.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(w.id)}};
    if (!requestId.isUndefined())
        ack.insert(QStringLiteral("request_id"), requestId);
    send(ack);
    if (w.id.isEmpty()) {
        // Changes from now on: what the read model holds already (its change may still be on
        // its way to this thread, paced by the feed) did not happen since the watch began.
        w.sentPosition = qMax(w.sentPosition, m_services.readStore->checkpoint(QStringLiteral("upsert")));
        return;
    }
    // The current state once; later changes only when newer than it.
    if (const auto doc = m_services.readStore->document(w.collection, w.id); doc && doc->position > w.sentPosition) {
        w.sentPosition = doc->position;
        sendRaw(R"({"op":"change","collection":)" + compact(w.collection) + R"(,"id":)" + compact(w.id)
                + R"(,"document":)" + doc->toJsonWithMeta() + '}');
    }
}

void WebSocketSession::unwatch(const QJsonObject &message, const QJsonValue &requestId)
{
    const QString key = watchKey(message.value(QLatin1String("collection")).toString(), message.value(QLatin1String("id")).toString());
    if (!m_watches.remove(key))
        return sendError(QStringLiteral("unwatch: no such watch"), requestId);
    QJsonObject ack{{QStringLiteral("op"), QStringLiteral("unwatched")}};
    if (!requestId.isUndefined())
        ack.insert(QStringLiteral("request_id"), requestId);
    send(ack);
}

void WebSocketSession::command(const QJsonObject &message, const QJsonValue &requestId)
{
    const QJsonValue collection = message.value(QLatin1String("collection"));
    const QJsonValue name = message.value(QLatin1String("command"));
    const QJsonValue id = message.value(QLatin1String("id"));
    const QJsonValue data = message.value(QLatin1String("data"));
    const QJsonValue expected = message.value(QLatin1String("expected_version"));
    if (!collection.isString() || !name.isString() || name.toString().isEmpty())
        return sendError(QStringLiteral("command: needs \"collection\" and \"command\" as strings"), requestId);
    // A version is a whole number from 0: 1.5 or -1 would otherwise reach If-Match as another
    // version than the client wrote (toInteger() makes 0.5 a 0).
    if ((!id.isUndefined() && !id.isString()) || (!data.isUndefined() && !data.isObject())
        || (!expected.isUndefined() && expected.toInteger(-1) < 0))
        return sendError(QStringLiteral("command: \"id\" must be a string, \"data\" an object, \"expected_version\" a whole number from 0"),
                         requestId);

    const QString command = name.toString();
    if (command != QLatin1String("create") && id.toString().isEmpty())
        return sendError(QStringLiteral("command: \"%1\" needs the entity's \"id\"").arg(command), requestId);

    // The request an HTTP client would send for this command, from this client.
    ApiRequest request;
    request.method = QByteArrayLiteral("POST");
    request.path = DefaultRoutes::commandPath(collection.toString(), id.toString(), command);
    request.query = m_identity.query;
    request.headers = m_identity.headers;
    request.headers.append({QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")});
    if (expected.isDouble())
        request.headers.append({QByteArrayLiteral("if-match"), QByteArray::number(expected.toInteger())});
    if (const QJsonValue key = message.value(QLatin1String("idempotency_key")); key.isString())
        request.headers.append({QByteArrayLiteral("idempotency-key"), key.toString().toUtf8()});
    if (const QJsonValue correlation = message.value(QLatin1String("correlation_id")); correlation.isString())
        request.headers.append({QByteArrayLiteral("x-correlation-id"), correlation.toString().toUtf8()});
    QJsonObject body = data.toObject();
    if (command == QLatin1String("create") && id.isString() && !body.contains(QLatin1String("id")))
        body.insert(QStringLiteral("id"), id);   // a create names its entity in the document
    if (!data.isUndefined() || command == QLatin1String("create"))
        request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    request.remoteAddress = m_identity.remoteAddress;
    request.remotePort = m_identity.remotePort;
    request.protocol = QStringLiteral("websocket");
    request.consumer = m_identity.consumer;

    // Bounded: past the limit the connection stops reading until answers come back.
    if (++m_commandsInFlight >= m_options.maxCommandsInFlight)
        m_connection->setReadingPaused(true);
    std::shared_ptr<ObjectLink<WebSocketSession>> link = m_link;
    m_services.gateway->handle(std::move(request), [link, requestId](ApiResponse response) {
        link->post([requestId, status = response.status, type = response.header("content-type"),
                    body = std::move(response.body)](WebSocketSession *session) {
            session->commandAnswered(requestId, status, type, body);
        });
    });
}

void WebSocketSession::commandAnswered(const QJsonValue &requestId, int status, const QByteArray &contentType,
                                       const QByteArray &body)
{
    if (--m_commandsInFlight < m_options.maxCommandsInFlight)
        m_connection->setReadingPaused(false);
    QByteArray out = R"({"op":"result",)";
    if (!requestId.isUndefined())
        out += R"("request_id":)" + compact(requestId) + ',';
    sendRaw(out + R"("status":)" + QByteArray::number(status) + R"(,"body":)" + bodyAsJson(contentType, body) + '}');
}

void WebSocketSession::onDocumentsChanged(const QList<StoredDocument> &documents)
{
    if (m_watches.isEmpty())
        return;
    for (const StoredDocument &doc : documents) {
        for (const QString &key : {watchKey(doc.collection, doc.id), watchKey(doc.collection, {})}) {
            const auto it = m_watches.find(key);
            if (it == m_watches.end() || doc.position <= it->sentPosition)
                continue;
            it->sentPosition = doc.position;
            sendRaw(R"({"op":"change","collection":)" + compact(doc.collection) + R"(,"id":)" + compact(doc.id)
                    + R"(,"document":)" + doc.toJsonWithMeta() + '}');
        }
    }
    m_connection->flush();   // the batch's changes leave with one write
}

void WebSocketSession::onDrained()
{
    for (EventSubscription *subscription : std::as_const(m_subscriptions))
        subscription->resume();
}

void WebSocketSession::send(const QJsonObject &message)
{
    sendRaw(QJsonDocument(message).toJson(QJsonDocument::Compact));
}

void WebSocketSession::sendRaw(const QByteArray &json)
{
    if (!m_connection->isOpen())
        return;
    if (!m_connection->sendText(json))
        m_feed->clientCutOff("websocket");
}

void WebSocketSession::sendError(const QString &message, const QJsonValue &requestId)
{
    QJsonObject error{{QStringLiteral("op"), QStringLiteral("error")}, {QStringLiteral("message"), message}};
    if (!requestId.isUndefined())
        error.insert(QStringLiteral("request_id"), requestId);
    send(error);
}

} // namespace Gatehouse::Live
