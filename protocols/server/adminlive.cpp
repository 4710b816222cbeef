#include "adminlive.h"

#include "api/apirequest.h"
#include "assembly/engine.h"
#include "base/logposition.h"
#include "config/strictjson.h"
#include "enginestatussampler.h"
#include "functions/functionservice.h"
#include "http/httprequest.h"
#include "http/httpresponder.h"
#include "live/eventsubscription.h"
#include "live/livefeed.h"
#include "live/objectlink.h"
#include "store/eventstore.h"
#include "websocket/websocketconnection.h"
#include "websocket/websocketframe.h"
#include "websocket/websockethandshake.h"

#include <QCoreApplication>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QPointer>
#include <QSet>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <atomic>

namespace Gatehouse::Server {

namespace {

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

Http::HttpResponse toHttp(ApiResponse response)
{
    Http::HttpResponse http;
    http.status = response.status;
    http.headers = std::move(response.headers);
    http.body = std::move(response.body);
    return http;
}

// The consoles' view of the engine on the network thread: the log and the upsert service's
// documents through a LiveFeed (which is also every session's parent), and what the owner's
// thread and the function runners hand over.
class Hub final : public QObject
{
    Q_OBJECT

public:
    explicit Hub(Engine *engine)
        : feed(new Live::LiveFeed(engine->eventStore(), engine->upsertProjection(), nullptr, 0, this))
    {
    }

    Live::LiveFeed *const feed;
    QByteArray lastStatus;   // for a console that comes between two samples

Q_SIGNALS:
    void documentsWritten(const QString &collection, const QStringList &ids);
    void resourceChanged(const QString &kind, const QString &id);
    void statusSampled(const QByteArray &message);
};

// The way from other threads to the hub, which may be gone by then.
using HubLink = Live::ObjectLink<Hub>;

class Session final : public QObject
{
    Q_OBJECT

public:
    Session(QTcpSocket *socket, const QByteArray &alreadyRead, Hub *hub, const EventStore *store, qint64 from,
            const QByteArray &hello, const Live::LiveOptions &options, std::atomic<int> *clients)
        : QObject(hub->feed)
        , m_connection(new Live::WebSocketConnection(socket, alreadyRead, options, this))
        , m_feed(hub->feed)
        , m_clients(clients)
        , m_maxBuffered(options.maxQueueBytes / 2)
    {
        m_clients->fetch_add(1);
        m_flush.setSingleShot(true);
        m_flush.setInterval(AdminLive::kBatchMs);
        connect(&m_flush, &QTimer::timeout, this, &Session::flush);
        connect(m_connection, &Live::WebSocketConnection::drained, this, [this] {
            if (m_subscription)
                m_subscription->resume();
        });
        connect(m_connection, &Live::WebSocketConnection::disconnected, this, &QObject::deleteLater);
        connect(m_feed, &Live::LiveFeed::goingAway, this, [this] {
            m_connection->close(Live::WebSocketFrame::GoingAway, QStringLiteral("server shutting down"));
        });
        connect(m_feed, &Live::LiveFeed::documentsChanged, this, [this](const QList<StoredDocument> &documents) {
            for (const StoredDocument &doc : documents)
                m_documents[doc.collection].insert(doc.id);
            schedule();
        });
        connect(hub, &Hub::documentsWritten, this, [this](const QString &collection, const QStringList &ids) {
            m_documents[collection].unite(QSet<QString>(ids.cbegin(), ids.cend()));
            schedule();
        });
        connect(hub, &Hub::resourceChanged, this, [this](const QString &kind, const QString &id) {
            const std::pair<QString, QString> change{kind, id};
            if (!m_resources.contains(change))
                m_resources.append(change);
            schedule();
        });
        connect(hub, &Hub::statusSampled, this, &Session::send);
        m_connection->start();
        send(hello);
        if (!hub->lastStatus.isEmpty())
            send(hub->lastStatus);

        Live::EventSubscription::Sink sink;
        sink.deliver = [this](const RecordedEvent &event) {
            if (!m_events.isEmpty()) {
                m_events += ',';
                m_metadata += ',';
            }
            m_events += m_feed->cloudEventJson(event);
            // The event's metadata as stored (a command's id, say), which a CloudEvent leaves out.
            // (null when it is not a plain JSON object: the CloudEvent's fields are kept then)
            m_metadata += event.metadata.startsWith('{') && StrictJson::parse(event.metadata) ? event.metadata : QByteArrayLiteral("null");
            schedule();
        };
        // The catch-up holds while a batch waits to be sent or the socket is behind.
        sink.congested = [this] { return m_events.size() + m_metadata.size() >= m_maxBuffered || m_connection->isCongested(); };
        m_subscription = new Live::EventSubscription(store, m_feed, {}, from, options.pageSize, std::move(sink), this);
    }

    ~Session() override { m_clients->fetch_sub(1); }

private:
    void schedule()
    {
        if (!m_flush.isActive())
            m_flush.start();
    }

    void flush()
    {
        if (!m_events.isEmpty()) {
            send(QByteArrayLiteral(R"({"type":"events","events":[)") + m_events + R"(],"metadata":[)" + m_metadata + "]}");
            m_events.clear();
            m_metadata.clear();
        }
        for (auto it = m_documents.cbegin(); it != m_documents.cend(); ++it) {
            send(compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("documents")},
                                     {QStringLiteral("collection"), it.key()},
                                     {QStringLiteral("ids"), QJsonArray::fromStringList(QStringList(it->cbegin(), it->cend()))}}));
        }
        m_documents.clear();
        for (const auto &[kind, id] : std::as_const(m_resources)) {
            send(compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("resources")},
                                     {QStringLiteral("kind"), kind},
                                     {QStringLiteral("id"), id}}));
        }
        m_resources.clear();
        if (m_subscription && !m_connection->isCongested())
            m_subscription->resume();
    }

    void send(const QByteArray &message)
    {
        // Past the queue limit the connection closes with 1013; the console comes back from
        // the last event it has.
        if (m_connection->isOpen() && !m_connection->sendText(message))
            m_feed->clientCutOff("admin");
    }

    Live::WebSocketConnection *m_connection;
    Live::LiveFeed *m_feed;
    std::atomic<int> *m_clients;
    qint64 m_maxBuffered;
    Live::EventSubscription *m_subscription = nullptr;
    QTimer m_flush;
    QByteArray m_events;     // CloudEvents, comma-separated, waiting for the next batch
    QByteArray m_metadata;   // their metadata objects, in the same order
    QHash<QString, QSet<QString>> m_documents;
    QList<std::pair<QString, QString>> m_resources;
};

} // namespace

struct AdminLive::Private
{
    Engine *engine = nullptr;
    Live::LiveOptions options;
    EngineStatusSampler sampler;
    QTimer statusTimer;
    int idleSamples = 0;
    std::shared_ptr<HubLink> link = std::make_shared<HubLink>();
    std::atomic<int> clients{0};
    QMutex mutex;   // guards the fields below
    QJsonObject gateway;
    bool closed = false;

    explicit Private(Engine *e)
        : engine(e)
        , sampler(e)
    {
    }
};

AdminLive::AdminLive(Engine *engine, const Live::LiveOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>(engine))
{
    d->options = options;
    // A console is one reader that may be far behind (catching up after a reconnect): a larger
    // queue than a gateway client's before it is cut off.
    d->options.maxQueueBytes = qMax<qint64>(options.maxQueueBytes, 8 * 1024 * 1024);
    d->statusTimer.setInterval(kStatusMs);
    connect(&d->statusTimer, &QTimer::timeout, this, &AdminLive::sampleStatus);
    if (FunctionService *functions = engine->functions()) {
        std::weak_ptr<HubLink> weak = d->link;
        functions->addWritesListener(this, [weak](const QString &collection, const QStringList &ids) {
            if (const auto link = weak.lock())
                link->post([collection, ids](Hub *hub) { Q_EMIT hub->documentsWritten(collection, ids); });
        });
    }
}

AdminLive::~AdminLive()
{
    if (FunctionService *functions = d->engine->functions())
        functions->removeWritesListener(this);
    shutdown();
}

void AdminLive::setMqtt(Mqtt::MqttService *mqtt)
{
    d->sampler.setMqtt(mqtt);
}

void AdminLive::setGateway(const QString &url, quint16 port, bool tls, const QString &host)
{
    const QMutexLocker lock(&d->mutex);
    d->gateway = QJsonObject{{QStringLiteral("url"), url}, {QStringLiteral("port"), port},
                             {QStringLiteral("tls"), tls}, {QStringLiteral("host"), host}};
}

void AdminLive::serve(const Http::HttpRequest &request, const Http::HttpResponder &responder)
{
    ApiRequest upgrade;
    upgrade.method = request.method;
    upgrade.headers = request.headers;
    upgrade.query = request.query;
    ApiResponse answer = Live::WebSocketHandshake::answer(upgrade);
    if (answer.status != 101) {
        responder.respond(toHttp(std::move(answer)));
        return;
    }
    const EventStore *store = d->engine->eventStore();
    qint64 from = store->headPosition() + 1;
    if (QString error; !upgrade.checkQuery(&error)) {
        responder.respond(toHttp(ApiResponse::problem(400, error, QStringLiteral("bad-parameter"))));
        return;
    }
    for (const auto &[key, value] : upgrade.queryItems()) {
        if (key != QLatin1String("from")) {
            responder.respond(toHttp(ApiResponse::problem(400, QStringLiteral("unknown parameter '%1' (known: from)").arg(key),
                                                          QStringLiteral("bad-parameter"))));
            return;
        }
        if (!parseLogPosition(value, &from)) {
            responder.respond(toHttp(ApiResponse::problem(400, QStringLiteral("from must be a position >= 0, got '%1'").arg(value),
                                                          QStringLiteral("bad-parameter"))));
            return;
        }
        from = qMax<qint64>(1, from);
    }

    Hub *hub = nullptr;
    QJsonObject gateway;
    {
        const QMutexLocker lock(&d->mutex);
        gateway = d->gateway;
        if (!d->closed) {
            const QMutexLocker linkLock(&d->link->mutex);
            if (!d->link->target)
                d->link->target = new Hub(d->engine);
            if (d->link->target->thread() == QThread::currentThread())
                hub = d->link->target;
        }
    }
    if (!hub) {
        responder.respond(toHttp(ApiResponse::problem(503, QStringLiteral("the live channel is not available (the server is stopping)"),
                                                      QStringLiteral("unavailable"))));
        return;
    }
    if (d->clients.load() >= kMaxClients) {
        ApiResponse busy = ApiResponse::problem(503, QStringLiteral("the admin listener has its maximum of %1 live consoles").arg(kMaxClients),
                                                QStringLiteral("too-many-clients"));
        busy.setHeader(QByteArrayLiteral("retry-after"), QByteArrayLiteral("5"));
        responder.respond(toHttp(std::move(busy)));
        return;
    }
    // A sample now (the console shows the engine at once), then twice a second.
    QMetaObject::invokeMethod(this, [this] {
        d->idleSamples = 0;   // the console is not counted yet: give it the time to come
        if (!d->statusTimer.isActive())
            d->statusTimer.start();
        sampleStatus();
    }, Qt::QueuedConnection);

    // Which log this is: the id of its first event (empty while it has none), so a console
    // that comes back to the address can tell another log from the one it followed, whatever
    // their lengths.
    const RecordedEvents first = store->readAll(1, 1);
    const QString logId = first.isEmpty() ? QString() : first.constFirst().id;
    const QByteArray hello = compact(QJsonObject{{QStringLiteral("type"), QStringLiteral("hello")},
                                                 {QStringLiteral("version"), QCoreApplication::applicationVersion()},
                                                 {QStringLiteral("log_id"), logId},
                                                 {QStringLiteral("head_position"), store->headPosition()},
                                                 {QStringLiteral("from"), from},
                                                 {QStringLiteral("gateway"), gateway}});
    const QByteArray head = Live::WebSocketHandshake::encodeHead(toHttp(std::move(answer)));
    const Live::LiveOptions options = d->options;
    std::atomic<int> *clients = &d->clients;
    QPointer<Hub> guard(hub);
    responder.takeOver([=](QTcpSocket *socket, const QByteArray &, const QByteArray &rest) {
        if (!guard) {
            socket->abort();
            socket->deleteLater();
            return;
        }
        socket->write(head);
        new Session(socket, rest, guard.data(), store, from, hello, options, clients);
    });
}

void AdminLive::resourceChanged(const QString &kind, const QString &id)
{
    d->link->post([kind, id](Hub *hub) { Q_EMIT hub->resourceChanged(kind, id); });
}

void AdminLive::sampleStatus()
{
    if (d->clients.load() == 0 && d->statusTimer.isActive() && ++d->idleSamples > 4) {
        d->statusTimer.stop();   // no console for two seconds
        return;
    }
    if (d->clients.load() > 0)
        d->idleSamples = 0;
    QJsonObject status = d->sampler.sample();
    status.insert(QStringLiteral("type"), QStringLiteral("status"));
    const QByteArray message = compact(status);
    d->link->post([message](Hub *hub) {
        hub->lastStatus = message;
        Q_EMIT hub->statusSampled(message);
    });
}

void AdminLive::goingAway()
{
    d->link->runBlocking([](Hub *hub) { Q_EMIT hub->feed->goingAway(); }, false);
}

void AdminLive::shutdown()
{
    {
        const QMutexLocker lock(&d->mutex);
        d->closed = true;
    }
    d->statusTimer.stop();
    d->link->runBlocking([](Hub *hub) { delete hub; }, true);
}

} // namespace Gatehouse::Server

#include "adminlive.moc"
