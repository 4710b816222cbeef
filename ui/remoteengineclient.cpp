#include "remoteengineclient.h"

#include "config/rawjson.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSslConfiguration>
#include <QTimer>
#include <QUrlQuery>
#include <QtWebSockets/QWebSocket>

#include <vector>

namespace Gatehouse::Ui {

namespace {

constexpr int kTransferTimeoutMs = 30000;
// Status samples come twice a second: this long without any message, the link is dead even if
// TCP has not noticed (a laptop that slept, a NAT that forgot), and so is a handshake unanswered.
constexpr int kSilenceMs = 5000;

bool isLoopbackOrWildcard(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && (address.isLoopback() || address == QHostAddress::Any || address == QHostAddress::AnyIPv4
                                 || address == QHostAddress::AnyIPv6);
}

QString hostForUrl(const QString &host)
{
    return host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
}

} // namespace

struct RemoteEngineClient::Private
{
    RemoteEngineClient *q = nullptr;
    Options options;
    QNetworkAccessManager network;
    QWebSocket socket;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    QList<QSslCertificate> authorities;   // from options.caFile
    QTimer retry;
    QTimer silence;                // restarted by every message
    QTimer flush;                  // spaces the eventsArrived() batches
    RecordedEvents pending;        // at most maxPendingEvents(), the newest
    qint64 pendingDropped = 0;
    bool probing = false;          // asking the admin API whether the key is refused
    bool replacing = false;        // closing after finding another log: ignore what still comes
    int backoffMs = 0;
    Connection state = Connection::Connecting;
    QString error;                 // why the link is down
    bool opened = false;           // the channel said hello since the last open()
    bool everConnected = false;
    bool positionKnown = false;
    QString logId;                 // the followed log's first event id (hello's log_id); empty until known
    qint64 lastPosition = 0;
    int reconnects = 0;
    QString gatewayScheme;         // empty until the first hello
    QString gatewayHost;
    quint16 gatewayPort = 0;
    EngineStatus status;
    double documentsChanged = 0;
    std::vector<std::function<void()>> waiting;   // gateway requests before the first hello

    void open();
    void onText(const QString &text);
    void onHello(const QJsonObject &hello);
    void onClosed();
    void scheduleRetry();
    void flushEvents();
    void refuse();
    void setState(Connection next, const QString &why = {});
    void send(QNetworkRequest request, const QByteArray &method, const QByteArray &body, QObject *context, ReplyCallback callback);
    QUrl adminTarget(const QByteArray &target) const;
};

RemoteEngineClient::RemoteEngineClient(const Options &options, QObject *parent)
    : EngineClient(parent)
    , d(std::make_unique<Private>())
{
    qRegisterMetaType<Gatehouse::RecordedEvents>();
    qRegisterMetaType<Gatehouse::Ui::EngineStatus>();
    d->q = this;
    d->options = options;
    if (!options.caFile.isEmpty()) {
        d->authorities = QSslCertificate::fromPath(options.caFile);
        // Set, not added: adding would stop the system's authorities from being loaded.
        d->ssl.setCaCertificates(QSslConfiguration::systemCaCertificates() + d->authorities);
    }
    d->flush.setSingleShot(true);
    d->flush.setInterval(options.batchIntervalMs);
    connect(&d->flush, &QTimer::timeout, this, [this] { d->flushEvents(); });
    d->silence.setSingleShot(true);
    d->silence.setInterval(kSilenceMs);
    connect(&d->silence, &QTimer::timeout, this, [this] {
        d->error = tr("no word from the engine for %1 s").arg(kSilenceMs / 1000);
        d->socket.abort();
        QMetaObject::invokeMethod(this, [this] { d->onClosed(); }, Qt::QueuedConnection);
    });
    d->socket.setSslConfiguration(d->ssl);
    d->retry.setSingleShot(true);
    connect(&d->retry, &QTimer::timeout, this, [this] { d->open(); });
    connect(&d->socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) { d->onText(text); });
    connect(&d->socket, &QWebSocket::disconnected, this, [this] { d->onClosed(); });
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    const auto errorSignal = &QWebSocket::errorOccurred;
#else
    const auto errorSignal = QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error);
#endif
    connect(&d->socket, errorSignal, this, [this](QAbstractSocket::SocketError) {
        d->error = d->socket.errorString();
        // disconnected() may or may not follow; onClosed() acts once either way.
        if (d->socket.state() == QAbstractSocket::UnconnectedState)
            QMetaObject::invokeMethod(this, [this] { d->onClosed(); }, Qt::QueuedConnection);
    });
    QTimer::singleShot(0, this, [this] { d->open(); });
}

RemoteEngineClient::~RemoteEngineClient()
{
    d->retry.stop();
    d->silence.stop();
    d->flush.stop();
    d->socket.disconnect(this);
    d->socket.abort();
}

QString RemoteEngineClient::normalizedUrl(const QString &typed)
{
    QString url = typed.trimmed();
    while (url.endsWith(QLatin1Char('/')))
        url.chop(1);
    return url;
}

bool RemoteEngineClient::validate(const Options &options, QString *error)
{
    const QUrl &url = options.adminUrl;
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) || url.host().isEmpty()) {
        *error = tr("the engine's address must be an http:// or https:// URL of its admin listener, such as https://host:9180");
        return false;
    }
    if (!url.path().isEmpty() && url.path() != QLatin1String("/")) {
        *error = tr("the engine's address is its admin listener's, without a path (%1)").arg(url.path());
        return false;
    }
    if (options.adminKey.isEmpty()) {
        *error = tr("the admin key is needed");
        return false;
    }
    if (!options.caFile.isEmpty() && QSslCertificate::fromPath(options.caFile).isEmpty()) {
        *error = tr("no PEM certificate could be read from %1").arg(options.caFile);
        return false;
    }
    return true;
}

void RemoteEngineClient::Private::open()
{
    QUrl url = options.adminUrl;
    url.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/admin/live"));
    if (positionKnown)
        url.setQuery(QStringLiteral("from=%1").arg(lastPosition + 1));
    QNetworkRequest request(url);
    request.setRawHeader("X-API-KEY", options.adminKey);
    opened = false;
    replacing = false;
    silence.start();
    socket.open(request);
}

void RemoteEngineClient::Private::onClosed()
{
    if (state == Connection::Refused || socket.state() != QAbstractSocket::UnconnectedState || retry.isActive() || probing)
        return;   // refused for good, still open, or already handled (an error and then the disconnection)
    silence.stop();
    if (error.isEmpty())
        error = socket.closeReason().isEmpty() ? tr("the connection closed") : socket.closeReason();
    if (opened) {
        scheduleRetry();
        return;
    }
    // The upgrade failed: ask the admin API whether the key is what it refused (a 401), which
    // trying again would not change; QWebSocket does not tell the status.
    probing = true;
    q->adminGet("/admin/plugins", q, [this](const ClientReply &reply) {
        probing = false;
        if (reply.status == 401)
            refuse();
        else
            scheduleRetry();
    });
}

void RemoteEngineClient::Private::flushEvents()
{
    RecordedEvents events;
    events.swap(pending);
    const qint64 dropped = std::exchange(pendingDropped, 0);
    if (!events.isEmpty() || dropped > 0)
        Q_EMIT q->eventsArrived(events, dropped);
}

void RemoteEngineClient::Private::scheduleRetry()
{
    backoffMs = backoffMs == 0 ? options.minBackoffMs : qMin(backoffMs * 2, options.maxBackoffMs);
    retry.start(backoffMs);
    setState(everConnected ? Connection::Reconnecting : Connection::Connecting, error);
}

void RemoteEngineClient::Private::refuse()
{
    setState(Connection::Refused, tr("the engine refused the admin key"));
    // Requests waiting for the gateway's address will not get it: request() answers them now.
    for (auto &call : std::exchange(waiting, {}))
        call();
}

void RemoteEngineClient::Private::onText(const QString &text)
{
    if (replacing)
        return;
    silence.start();
    QJsonParseError parseError;
    const QByteArray utf8 = text.toUtf8();
    const QJsonDocument document = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        // The engine sends nothing else: this is not the channel it should be (something else at
        // the address, a proxy that rewrites it). Dropped as a broken link: closed, and opened
        // again from the last event, so nothing is skipped silently.
        error = tr("the engine sent a message that is not a JSON object (%1)")
                    .arg(parseError.error != QJsonParseError::NoError ? parseError.errorString() : tr("another JSON value"));
        socket.close(QWebSocketProtocol::CloseCodeProtocolError, QStringLiteral("not a JSON object"));
        return;
    }
    const QJsonObject message = document.object();
    const QString type = message.value(QLatin1String("type")).toString();
    if (type == QLatin1String("hello")) {
        onHello(message);
    } else if (type == QLatin1String("events")) {
        const QJsonArray array = message.value(QLatin1String("events")).toArray();
        const QJsonArray metadata = message.value(QLatin1String("metadata")).toArray();
        const QList<QByteArrayView> rawMetadata = RawJson::arrayMember(utf8, "metadata");
        for (qsizetype i = 0; i < array.size(); ++i) {
            RecordedEvent e = eventFromCloudEvent(array.at(i).toObject());
            if (positionKnown && e.position <= lastPosition)
                continue;   // never twice, whatever the server sends
            // All of it, not only what a CloudEvent carries, and as stored (the engine sends
            // the stored text); re-serialised only if the raw text cannot be told apart.
            if (i < metadata.size() && metadata.at(i).isObject()) {
                e.metadata = rawMetadata.size() == metadata.size() && rawMetadata.at(i).startsWith('{')
                    ? rawMetadata.at(i).toByteArray()
                    : QJsonDocument(metadata.at(i).toObject()).toJson(QJsonDocument::Compact);
            }
            lastPosition = e.position;
            positionKnown = true;
            pending.append(std::move(e));
        }
        // Like the in-process client's inbox: a window that falls behind loses the oldest, counted.
        if (const qsizetype excess = pending.size() - q->maxPendingEvents(); excess > 0) {
            pending.remove(0, excess);
            pendingDropped += excess;
        }
        if ((!pending.isEmpty() || pendingDropped > 0) && !flush.isActive())
            flush.start();
    } else if (type == QLatin1String("documents")) {
        QStringList ids;
        for (const QJsonValue &v : message.value(QLatin1String("ids")).toArray())
            ids.append(v.toString());
        documentsChanged += ids.size();
        Q_EMIT q->documentsChanged(message.value(QLatin1String("collection")).toString(), ids);
    } else if (type == QLatin1String("resources")) {
        Q_EMIT q->resourcesChanged(message.value(QLatin1String("kind")).toString(), message.value(QLatin1String("id")).toString());
    } else if (type == QLatin1String("status")) {
        EngineStatus s = EngineStatus::fromJson(message);
        s.documentsChanged = documentsChanged;
        // A broker on the engine's loopback is reached at the engine's host from here.
        const QUrl broker(s.mqttBroker);
        if (broker.isValid() && !broker.host().isEmpty() && isLoopbackOrWildcard(broker.host())
            && !isLoopbackOrWildcard(options.adminUrl.host())) {
            QUrl moved = broker;
            moved.setHost(options.adminUrl.host());
            s.mqttBroker = moved.toString();
        }
        status = s;
        Q_EMIT q->statusUpdated(s);
    }
}

void RemoteEngineClient::Private::onHello(const QJsonObject &hello)
{
    const QJsonObject gateway = hello.value(QLatin1String("gateway")).toObject();
    gatewayScheme = gateway.value(QLatin1String("tls")).toBool() ? QStringLiteral("https") : QStringLiteral("http");
    gatewayPort = quint16(gateway.value(QLatin1String("port")).toInt());
    // The gateway on the host the admin listener was reached at, unless it is bound to an
    // address of its own that is reachable from here.
    const QString bound = gateway.value(QLatin1String("host")).toString();
    gatewayHost = bound.isEmpty() || isLoopbackOrWildcard(bound) ? options.adminUrl.host() : bound;
    const qint64 head = hello.value(QLatin1String("head_position")).toInteger();
    const QString helloLog = hello.value(QLatin1String("log_id")).toString();
    const bool shorter = positionKnown && head < lastPosition;
    const bool otherFirst = positionKnown && !logId.isEmpty() && !helloLog.isEmpty() && helloLog != logId;
    if (shorter || otherFirst) {
        // Not the log this console followed (restored from a backup, replaced, or another
        // engine at the address): the events it waits for would never come, or would not be
        // the ones it expects. Follow this one from its head; what the pages show is from the
        // other log until they read again.
        error = shorter ? tr("the engine's log ends at #%1, before the last event shown (#%2): a different log").arg(head).arg(lastPosition)
                        : tr("the engine's log begins with another event (%1, not %2): a different log").arg(helloLog, logId);
        lastPosition = head;
        logId = helloLog;
        opened = true;   // not a refused key: onClosed() reconnects
        replacing = true;   // what is still in the socket is of the old subscription
        pending.clear();
        pendingDropped = 0;
        flush.stop();
        socket.close();
        Q_EMIT q->logReplaced();
        return;
    }
    if (!positionKnown) {
        lastPosition = hello.value(QLatin1String("from")).toInteger() - 1;
        positionKnown = true;
    }
    if (!helloLog.isEmpty())
        logId = helloLog;
    opened = true;
    backoffMs = 0;
    error.clear();
    const bool again = everConnected;
    everConnected = true;
    if (again)
        ++reconnects;
    setState(Connection::Connected);
    for (auto &call : std::exchange(waiting, {}))
        call();
    if (again) {
        // Anything may have changed while the link was down.
        for (const char *kind : {"routes", "upstreams", "consumers", "global_rules", "functions", "collections", "projections"})
            Q_EMIT q->resourcesChanged(QString::fromLatin1(kind), QString());
    }
}

void RemoteEngineClient::Private::setState(Connection next, const QString &why)
{
    if (state == next && error == why)
        return;
    state = next;
    if (!why.isEmpty())
        error = why;
    Q_EMIT q->connectionChanged();
}

QUrl RemoteEngineClient::Private::adminTarget(const QByteArray &target) const
{
    QUrl url = options.adminUrl;
    return url.resolved(QUrl::fromEncoded(target));
}

void RemoteEngineClient::Private::send(QNetworkRequest request, const QByteArray &method, const QByteArray &body, QObject *context,
                                      ReplyCallback callback)
{
    request.setSslConfiguration(ssl);
    request.setTransferTimeout(kTransferTimeoutMs);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    QPointer<QObject> guard(context);
    connect(reply, &QNetworkReply::finished, q, [reply, guard, callback = std::move(callback), clock] {
        reply->deleteLater();
        ClientReply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        for (const auto &[name, value] : reply->rawHeaderPairs())
            out.headers.append({name.toLower(), value});
        out.body = reply->readAll();
        out.elapsedUs = clock->nsecsElapsed() / 1000;
        if (out.status == 0)
            out.error = reply->errorString();
        if (guard)
            callback(out);
    });
}

QString RemoteEngineClient::gatewayAddress() const
{
    return d->gatewayScheme.isEmpty() ? QString() : hostForUrl(d->gatewayHost) + QLatin1Char(':') + QString::number(d->gatewayPort);
}

QString RemoteEngineClient::adminAddress() const
{
    return hostForUrl(d->options.adminUrl.host()) + QLatin1Char(':') + QString::number(d->options.adminUrl.port(d->options.adminUrl.scheme() == QLatin1String("https") ? 443 : 80));
}

QString RemoteEngineClient::gatewayUrl() const
{
    return d->gatewayScheme.isEmpty() ? QString() : d->gatewayScheme + QStringLiteral("://") + gatewayAddress();
}

QString RemoteEngineClient::adminUrl() const
{
    return d->options.adminUrl.scheme() + QStringLiteral("://") + adminAddress();
}

QList<QSslCertificate> RemoteEngineClient::engineCertificates() const
{
    return d->authorities;
}

QString RemoteEngineClient::engineCertificateFile() const
{
    return d->options.caFile;
}

void RemoteEngineClient::request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                                 const HeaderList &headers, QObject *context, ReplyCallback callback)
{
    if (d->gatewayScheme.isEmpty()) {
        // Where the gateway is comes with the first hello.
        QPointer<QObject> guard(context);
        if (d->state == Connection::Refused || int(d->waiting.size()) >= d->options.maxWaitingRequests) {
            ClientReply reply;
            reply.error = tr("not connected to the engine (%1)").arg(d->error.isEmpty() ? tr("connecting") : d->error);
            QMetaObject::invokeMethod(this, [guard, callback = std::move(callback), reply] { if (guard) callback(reply); }, Qt::QueuedConnection);
            return;
        }
        d->waiting.push_back([this, method, target, body, headers, guard, callback = std::move(callback)]() mutable {
            if (guard)
                request(method, target, body, headers, guard.data(), std::move(callback));
        });
        return;
    }
    QNetworkRequest r(QUrl(gatewayUrl()).resolved(QUrl::fromEncoded(target)));
    for (const auto &[name, value] : headers)
        r.setRawHeader(name, value);
    d->send(std::move(r), method.toUpper(), body, context, std::move(callback));
}

void RemoteEngineClient::admin(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                               QObject *context, ReplyCallback callback)
{
    QNetworkRequest r(d->adminTarget(target));
    r.setRawHeader("X-API-KEY", d->options.adminKey);
    if (!body.isEmpty())
        r.setRawHeader("Content-Type", "application/json");
    d->send(std::move(r), method.toUpper(), body, context, std::move(callback));
}

EngineStatus RemoteEngineClient::status() const
{
    return d->status;
}

EngineClient::Connection RemoteEngineClient::connection() const
{
    return d->state;
}

QString RemoteEngineClient::connectionText() const
{
    const QString where = adminUrl();
    switch (d->state) {
    case Connection::Local:
    case Connection::Connected:
        return tr("connected to %1").arg(where);
    case Connection::Connecting:
        return d->error.isEmpty() ? tr("connecting to %1").arg(where)
                                  : tr("cannot reach %1 (%2); trying again").arg(where, d->error);
    case Connection::Reconnecting:
        return tr("lost %1 (%2); reconnecting").arg(where, d->error);
    case Connection::Refused:
        return tr("%1: %2").arg(where, d->error);
    }
    return {};
}

qint64 RemoteEngineClient::lastPosition() const
{
    return d->positionKnown ? d->lastPosition : 0;
}

int RemoteEngineClient::reconnects() const
{
    return d->reconnects;
}

} // namespace Gatehouse::Ui
