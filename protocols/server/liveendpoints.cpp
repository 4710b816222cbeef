#include "liveendpoints.h"

#include "assembly/engine.h"
#include "base/logposition.h"
#include "base/placecount.h"
#include "http/httpstream.h"
#include "live/livefeed.h"
#include "live/livelogging.h"
#include "live/objectlink.h"
#include "sse/ssesession.h"
#include "websocket/websockethandshake.h"
#include "websocket/websocketsession.h"

#include <QMutex>
#include <QPointer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <limits>
#include <list>

namespace Gatehouse::Live {

namespace {
ApiResponse tooManyClients(int max)
{
    ApiResponse r = ApiResponse::problem(503, QStringLiteral("the server has its maximum of %1 live clients").arg(max),
                                         QStringLiteral("too-many-clients"));
    r.setHeader(QByteArrayLiteral("retry-after"), QByteArrayLiteral("5"));
    return r;
}

// One place among the port's live clients. Taken when a request is checked, kept by whatever
// serves it -- the continuation, then the session until it is destroyed -- and given back with
// the last of them, whichever path the request takes.
class Slot
{
public:
    explicit Slot(std::shared_ptr<std::atomic<int>> count)
        : m_count(std::move(count))
    {
    }
    Slot(const Slot &) = delete;
    Slot &operator=(const Slot &) = delete;
    ~Slot() { --*m_count; }

private:
    std::shared_ptr<std::atomic<int>> m_count;
};

// The slot lives as long as `client`.
void holdUntilDestroyed(QObject *client, std::shared_ptr<Slot> slot)
{
    QObject::connect(client, &QObject::destroyed, client, [slot = std::move(slot)] {});
}
} // namespace

struct LiveEndpoints::Private
{
    Engine *engine;
    LiveOptions options;
    QMutex mutex;   // guards `feeds` (the list, and setting a target) and `closed`
    std::list<ObjectLink<LiveFeed>> feeds;   // one per network thread that served a live client
    bool closed = false;

    QList<ObjectLink<LiveFeed> *> links(bool close);   // every feed's; `close`: and take no new clients
    // Live clients of the port, counted from the check of a request until the client is gone
    // (the places held by upgrades and streams still on their way count too), on every thread.
    std::shared_ptr<std::atomic<int>> clients = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<Slot> reserve();
};

LiveEndpoints::LiveEndpoints(Engine *engine, const LiveOptions &options)
    : d(std::make_unique<Private>())
{
    d->engine = engine;
    d->options = options;
    if (engine->metrics())
        LiveFeed::describeMetrics(engine->metrics());
}

LiveEndpoints::~LiveEndpoints()
{
    for (ObjectLink<LiveFeed> &feed : d->feeds) {
        if (feed.target)
            qCWarning(lcLive) << "LiveEndpoints destroyed before shutdown(); its clients are leaked";
    }
}

std::shared_ptr<Slot> LiveEndpoints::Private::reserve()
{
    return takePlace(*clients, options.maxConnections) ? std::make_shared<Slot>(clients) : nullptr;
}

QList<ObjectLink<LiveFeed> *> LiveEndpoints::Private::links(bool close)
{
    // Not held while waiting for a network thread, which may be asking for it meanwhile. The
    // list only grows, and its elements stay where they are.
    const QMutexLocker lock(&mutex);
    closed = closed || close;
    QList<ObjectLink<LiveFeed> *> out;
    for (ObjectLink<LiveFeed> &feed : feeds)
        out.append(&feed);
    return out;
}

void LiveEndpoints::goingAway()
{
    for (ObjectLink<LiveFeed> *feed : d->links(false))
        feed->runBlocking([](LiveFeed *f) { Q_EMIT f->goingAway(); }, false);
}

void LiveEndpoints::shutdown()
{
    for (ObjectLink<LiveFeed> *feed : d->links(true))
        feed->runBlocking([](LiveFeed *f) { delete f; }, true);
}

LiveFeed *LiveEndpoints::feedOnCurrentThread()
{
    // Each network thread has its own feed, the parent of the live clients on that thread: a
    // client and the batches it relays never cross threads, and the threads share the fan-out.
    const QMutexLocker lock(&d->mutex);
    if (d->closed)
        return nullptr;
    for (ObjectLink<LiveFeed> &feed : d->feeds) {
        const QMutexLocker feedLock(&feed.mutex);
        if (feed.target && feed.target->thread() == QThread::currentThread())
            return feed.target;
    }
    ObjectLink<LiveFeed> &feed = d->feeds.emplace_back();
    const QMutexLocker feedLock(&feed.mutex);
    feed.target = new LiveFeed(d->engine->eventStore(), d->engine->upsertProjection(), d->engine->metrics(), d->options.batchMs);
    return feed.target;
}

void LiveEndpoints::serve(const RouteUpstream &upstream, ApiRequest &&request, const std::shared_ptr<Http::HttpExchange> &exchange,
                          ApiResponder &&respond)
{
    LiveFeed *feed = feedOnCurrentThread();
    if (!feed) {
        respond(ApiResponse::problem(503, QStringLiteral("live connections are not available (the server is stopping)"),
                                     QStringLiteral("unavailable")));
        return;
    }
    if (upstream.type == QLatin1String("websocket"))
        serveWebSocket(feed, request, exchange, std::move(respond));
    else
        serveEventStream(feed, request, exchange, std::move(respond));
}

void LiveEndpoints::serveWebSocket(LiveFeed *feed, const ApiRequest &request,
                                   const std::shared_ptr<Http::HttpExchange> &exchange, ApiResponder &&respond)
{
    // The route's enable_websocket was checked by the gateway.
    ApiResponse answer = WebSocketHandshake::answer(request);
    std::shared_ptr<Slot> slot = answer.status == 101 ? d->reserve() : nullptr;
    if (answer.status == 101 && !slot)
        answer = tooManyClients(d->options.maxConnections);
    if (answer.status != 101) {
        respond(std::move(answer));
        return;
    }
    WebSocketSession::Services services;
    services.store = d->engine->eventStore();
    services.gateway = d->engine->gateway();
    services.readStore = d->engine->readStore();
    services.catalog = d->engine->collections();
    // Command ops are requests from this client as the upgrade showed it, credentials included
    // even where the /ws route's auth plugins hid them from this upstream.
    WebSocketSession::Identity identity = WebSocketSession::Identity::of(request, exchange->sentHeaders(), exchange->sentQuery());
    const LiveOptions options = d->options;
    QPointer<LiveFeed> guard(feed);
    exchange->continueWith(101, [guard, services, identity = std::move(identity), options, slot](const Http::HttpResponse &head,
                                                                                                const Http::HttpResponder &responder) {
        const QByteArray headBytes = WebSocketHandshake::encodeHead(head);
        // Runs on the network thread once the answers to earlier pipelined requests are out.
        responder.takeOver([=](QTcpSocket *socket, const QByteArray &, const QByteArray &rest) {
            if (!guard) {
                socket->abort();
                socket->deleteLater();
                return;
            }
            socket->write(headBytes);
            holdUntilDestroyed(new WebSocketSession(socket, rest, services, identity, options, guard.data()), slot);
        });
        if (responder.isValid())   // not taken over: the answer came back on another thread
            responder.respond(Http::HttpResponse::problem(500, QStringLiteral("Internal Server Error"),
                                                          QStringLiteral("the upgrade could not be completed")));
    });
    respond(std::move(answer));
}

void LiveEndpoints::serveEventStream(LiveFeed *feed, const ApiRequest &request,
                                     const std::shared_ptr<Http::HttpExchange> &exchange, ApiResponder &&respond)
{
    const EventStore *store = d->engine->eventStore();
    qint64 from = store->headPosition() + 1;   // default: live
    EventFilter filter;
    if (QString error; !request.checkQuery(&error)) {
        respond(ApiResponse::problem(400, error, QStringLiteral("bad-parameter")));
        return;
    }
    for (const auto &[key, value] : request.queryItems()) {
        if (key == QLatin1String("from")) {
            if (!parseLogPosition(value, &from)) {
                respond(ApiResponse::problem(400, QStringLiteral("from must be a position >= 0, got '%1'").arg(value),
                                             QStringLiteral("bad-parameter")));
                return;
            }
        } else if (key == QLatin1String("type")) {
            filter.type = value;
        } else if (key == QLatin1String("subject")) {
            filter.subject = value;
        } else {
            respond(ApiResponse::problem(400, QStringLiteral("unknown parameter '%1' (known: from, type, subject)").arg(key),
                                         QStringLiteral("bad-parameter")));
            return;
        }
    }
    // Last-Event-ID (an EventSource reconnecting) resumes after that event and wins over from=.
    if (request.hasHeader("last-event-id")) {
        qint64 last = 0;
        const QString text = QString::fromLatin1(request.header("last-event-id"));
        if (!parseLogPosition(text, &last) || last == std::numeric_limits<qint64>::max()) {
            respond(ApiResponse::problem(400, QStringLiteral("Last-Event-ID must be an event position, got '%1'").arg(text),
                                         QStringLiteral("bad-parameter")));
            return;
        }
        from = last + 1;
    }
    std::shared_ptr<Slot> slot = request.method == "HEAD" ? nullptr : d->reserve();
    if (request.method != "HEAD" && !slot) {
        respond(tooManyClients(d->options.maxConnections));
        return;
    }
    ApiResponse head;
    head.status = 200;
    head.setHeader(QByteArrayLiteral("content-type"), QByteArrayLiteral("text/event-stream; charset=utf-8"));
    head.setHeader(QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-cache"));
    head.setHeader(QByteArrayLiteral("x-accel-buffering"), QByteArrayLiteral("no"));   // proxies: do not buffer
    if (request.method == "HEAD") {
        respond(std::move(head));
        return;
    }
    QPointer<LiveFeed> guard(feed);
    const LiveOptions options = d->options;
    const qint64 expiresAtMs = request.credentialExpiresAtMs;
    exchange->continueWith(200, [guard, store, filter, from, options, slot, expiresAtMs](const Http::HttpResponse &responseHead,
                                                                                        const Http::HttpResponder &responder) {
        const Http::HttpStream stream = responder.beginStream(responseHead);
        if (guard && guard->thread() == QThread::currentThread())
            holdUntilDestroyed(new SseSession(stream, store, filter, from, options, guard.data(), expiresAtMs), slot);
        else
            stream.close();
    });
    respond(std::move(head));
}

} // namespace Gatehouse::Live
