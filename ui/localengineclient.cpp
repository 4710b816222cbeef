#include "localengineclient.h"

#include "admin/adminapi.h"
#include "assembly/engine.h"
#include "functions/functionservice.h"
#include "gateway/gateway.h"
#include "http/httprequest.h"
#include "metrics/metricsregistry.h"
#include "mqtt/mqttservice.h"
#include "projections/projectionrunner.h"
#include "projections/upsertprojection.h"
#include "resources/resourceservice.h"
#include "server/engineviews.h"
#include "server/enginestatussampler.h"
#include "store/eventstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QMutex>
#include <QPointer>
#include <QSet>
#include <QThread>
#include <QTimer>

namespace Gatehouse::Ui {

namespace {

// Runs `callback(reply)` on the GUI thread, unless `context` is gone by then. Posted to the
// application object, which outlives every window, so no thread ever touches a dead receiver.
void deliver(QPointer<QObject> context, ReplyCallback callback, ClientReply reply)
{
    QMetaObject::invokeMethod(
        QCoreApplication::instance(),
        [context, callback = std::move(callback), reply = std::move(reply)] {
            if (context)
                callback(reply);
        },
        Qt::QueuedConnection);
}

void splitTarget(const QByteArray &target, QByteArray *path, QByteArray *query)
{
    const auto q = target.indexOf('?');
    *path = q < 0 ? target : target.left(q);
    *query = q < 0 ? QByteArray() : target.mid(q + 1);
}

} // namespace

// What the engine's threads hand over to the GUI thread. `owner` is cleared (under the mutex)
// before the client goes away, so a late emission from the store never reaches a dead object.
struct LiveInbox
{
    QMutex mutex;
    LocalEngineClient *owner = nullptr;
    RecordedEvents events;
    qint64 dropped = 0;
    QHash<QString, QSet<QString>> documents;   // collection -> ids
    bool flushScheduled = false;
};

struct LocalEngineClient::Private
{
    Engine *engine = nullptr;
    Options options;
    std::unique_ptr<Server::EngineAdminBackend> adminBackend;
    std::unique_ptr<Admin::AdminApi> adminApi;
    QThread adminThread;
    QObject *adminWorker = nullptr;            // lives on adminThread
    std::shared_ptr<LiveInbox> inbox = std::make_shared<LiveInbox>();
    QTimer *flushTimer = nullptr;
    QTimer *statusTimer = nullptr;
    EngineStatus status;
    std::unique_ptr<Server::EngineStatusSampler> sampler;
    double documentsChanged = 0;
    QList<QMetaObject::Connection> connections;
};

LocalEngineClient::LocalEngineClient(Engine *engine, const Options &options, QObject *parent)
    : EngineClient(parent)
    , d(std::make_unique<Private>())
{
    qRegisterMetaType<Gatehouse::RecordedEvents>();
    qRegisterMetaType<Gatehouse::Ui::EngineStatus>();
    d->engine = engine;
    d->options = options;
    d->sampler = std::make_unique<Server::EngineStatusSampler>(engine, options.mqtt);
    d->adminBackend = std::make_unique<Server::EngineAdminBackend>(engine);
    d->adminApi = std::make_unique<Admin::AdminApi>(d->adminBackend.get());
    d->adminThread.setObjectName(QStringLiteral("gui-admin"));
    d->adminWorker = new QObject;
    d->adminWorker->moveToThread(&d->adminThread);
    connect(&d->adminThread, &QThread::finished, d->adminWorker, &QObject::deleteLater);
    d->adminThread.start();

    d->inbox->owner = this;
    d->flushTimer = new QTimer(this);
    d->flushTimer->setSingleShot(true);
    d->flushTimer->setInterval(options.batchIntervalMs);
    connect(d->flushTimer, &QTimer::timeout, this, &LocalEngineClient::flushEvents);

    // Runs on the store's completion thread: collect, and wake the GUI thread at most once per batch.
    std::shared_ptr<LiveInbox> inbox = d->inbox;
    const auto wake = [](LiveInbox &box) {
        if (box.flushScheduled || !box.owner)
            return;
        box.flushScheduled = true;
        QMetaObject::invokeMethod(box.owner, [owner = box.owner] {
            // On the GUI thread; the timer spaces the batches out.
            if (!owner->d->flushTimer->isActive())
                owner->d->flushTimer->start();
        }, Qt::QueuedConnection);
    };
    if (EventStore *store = engine->eventStore()) {
        d->connections << connect(store, &EventStore::eventsCommitted, store, [inbox, wake](const RecordedEvents &events) {
            QMutexLocker lock(&inbox->mutex);
            if (!inbox->owner)
                return;
            inbox->events.append(events);
            const qsizetype excess = inbox->events.size() - inbox->owner->maxPendingEvents();
            if (excess > 0) {
                inbox->events.remove(0, excess);
                inbox->dropped += excess;
            }
            wake(*inbox);
        }, Qt::DirectConnection);
    }
    if (UpsertProjection *upserts = engine->upsertProjection()) {
        d->connections << connect(upserts, &UpsertProjection::documentsChanged, upserts, [inbox, wake](const QList<StoredDocument> &docs) {
            QMutexLocker lock(&inbox->mutex);
            if (!inbox->owner)
                return;
            for (const StoredDocument &doc : docs)
                inbox->documents[doc.collection].insert(doc.id);
            wake(*inbox);
        }, Qt::DirectConnection);
    }
    if (FunctionService *functions = engine->functions()) {
        // Documents written by event-triggered functions, as for the upsert service's.
        functions->addWritesListener(this, [inbox, wake](const QString &collection, const QStringList &ids) {
            QMutexLocker lock(&inbox->mutex);
            if (!inbox->owner)
                return;
            inbox->documents[collection].unite(QSet<QString>(ids.cbegin(), ids.cend()));
            wake(*inbox);
        });
    }
    if (ResourceService *resources = engine->resources()) {
        connect(resources, &ResourceService::changed, this, [this](const QString &kind, const QString &id) {
            Q_EMIT resourcesChanged(kind, id);
        }, Qt::QueuedConnection);
    }

    d->statusTimer = new QTimer(this);
    d->statusTimer->setInterval(options.statusIntervalMs);
    connect(d->statusTimer, &QTimer::timeout, this, &LocalEngineClient::sampleStatus);
    d->statusTimer->start();
    sampleStatus();
}

LocalEngineClient::~LocalEngineClient()
{
    if (FunctionService *functions = d->engine->functions())
        functions->removeWritesListener(this);
    for (const auto &c : std::as_const(d->connections))
        disconnect(c);
    {
        QMutexLocker lock(&d->inbox->mutex);
        d->inbox->owner = nullptr;
    }
    d->adminThread.quit();
    d->adminThread.wait();
}

QString LocalEngineClient::gatewayAddress() const
{
    return d->options.gatewayAddress;
}

QString LocalEngineClient::adminAddress() const
{
    return d->options.adminAddress;
}

QString LocalEngineClient::gatewayUrl() const
{
    return d->options.gatewayUrl.isEmpty() ? EngineClient::gatewayUrl() : d->options.gatewayUrl;
}

QString LocalEngineClient::adminUrl() const
{
    return d->options.adminUrl.isEmpty() ? EngineClient::adminUrl() : d->options.adminUrl;
}

QList<QSslCertificate> LocalEngineClient::engineCertificates() const
{
    return d->options.certificateFile.isEmpty() ? QList<QSslCertificate>() : QSslCertificate::fromPath(d->options.certificateFile);
}

QString LocalEngineClient::engineCertificateFile() const
{
    return d->options.certificateFile;
}

QString LocalEngineClient::dataDirectory() const
{
    return d->engine->options().dataDir;
}

void LocalEngineClient::request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                                const HeaderList &headers, QObject *context, ReplyCallback callback)
{
    ApiRequest r;
    r.method = method.toUpper();
    splitTarget(target, &r.path, &r.query);
    r.body = body;
    for (const auto &[name, value] : headers)
        r.headers.append({name.toLower(), value});
    if (!body.isEmpty() && !r.hasHeader("content-length"))
        r.headers.append({QByteArrayLiteral("content-length"), QByteArray::number(body.size())});
    r.remoteAddress = QStringLiteral("gui");
    QElapsedTimer clock;
    clock.start();
    Gateway *gateway = d->engine->gateway();
    QPointer<QObject> guard(context);
    if (!gateway) {
        ClientReply reply;
        reply.error = tr("the engine is not running");
        deliver(guard, std::move(callback), std::move(reply));
        return;
    }
    gateway->handle(std::move(r), [guard, callback = std::move(callback), clock](ApiResponse response) mutable {
        ClientReply reply;
        reply.status = response.status;
        reply.headers = std::move(response.headers);
        reply.body = std::move(response.body);
        reply.elapsedUs = clock.nsecsElapsed() / 1000;
        deliver(guard, std::move(callback), std::move(reply));
    });
}

void LocalEngineClient::admin(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                              QObject *context, ReplyCallback callback)
{
    Http::HttpRequest r;
    r.method = method.toUpper();
    r.target = target;
    splitTarget(target, &r.path, &r.query);
    r.body = body;
    r.headers = {{QByteArrayLiteral("x-api-key"), d->engine->adminKey().toUtf8()},
                 {QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")}};
    r.peerAddress = QHostAddress::LocalHost;
    QElapsedTimer clock;
    clock.start();
    QPointer<QObject> guard(context);
    QPointer<LocalEngineClient> self(this);
    const Admin::AdminApi *api = d->adminApi.get();
    QMetaObject::invokeMethod(d->adminWorker, [api, r = std::move(r), guard, self, callback = std::move(callback), clock]() mutable {
        const Http::HttpResponse response = api->handle(r);
        ClientReply reply;
        reply.status = response.status;
        for (const auto &[name, value] : response.headers)
            reply.headers.append({name.toLower(), value});
        reply.body = response.body;
        reply.elapsedUs = clock.nsecsElapsed() / 1000;
        // A change made here is announced like one made by any other admin client.
        const bool changed = r.method != "GET" && reply.isSuccess();
        const QStringList segments = QString::fromUtf8(r.path).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        QMetaObject::invokeMethod(QCoreApplication::instance(), [guard, self, callback = std::move(callback), reply, changed, segments] {
            if (changed && self && segments.size() >= 2 && segments.at(0) == QLatin1String("admin"))
                Q_EMIT self->resourcesChanged(segments.at(1), segments.value(2));
            if (guard)
                callback(reply);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

EngineStatus LocalEngineClient::status() const
{
    return d->status;
}

void LocalEngineClient::flushEvents()
{
    RecordedEvents events;
    qint64 dropped = 0;
    QHash<QString, QSet<QString>> documents;
    {
        QMutexLocker lock(&d->inbox->mutex);
        events.swap(d->inbox->events);
        dropped = std::exchange(d->inbox->dropped, 0);
        documents.swap(d->inbox->documents);
        d->inbox->flushScheduled = false;
    }
    if (!events.isEmpty() || dropped > 0)
        Q_EMIT eventsArrived(events, dropped);
    for (auto it = documents.cbegin(); it != documents.cend(); ++it) {
        d->documentsChanged += it->size();
        Q_EMIT documentsChanged(it.key(), QStringList(it->cbegin(), it->cend()));
    }
}

void LocalEngineClient::sampleStatus()
{
    EngineStatus s = EngineStatus::fromJson(d->sampler->sample());
    s.documentsChanged = d->documentsChanged;
    d->status = s;
    Q_EMIT statusUpdated(s);
}

} // namespace Gatehouse::Ui
