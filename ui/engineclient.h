#pragma once

#include "store/recordedevent.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSslCertificate>
#include <QString>

#include <atomic>
#include <functional>
#include <utility>

namespace Gatehouse::Ui {

using HeaderList = QList<std::pair<QByteArray, QByteArray>>;

// One answer of the engine's public or admin API, as an HTTP client would see it.
struct ClientReply
{
    int status = 0;            // 0: no answer at all (see `error`)
    HeaderList headers;        // names lower case
    QByteArray body;
    qint64 elapsedUs = 0;      // from the call to the answer
    QString error;             // transport failure, when status is 0

    bool isSuccess() const { return status >= 200 && status < 300; }
    QByteArray header(QByteArrayView lowerCaseName) const;
    QJsonDocument json() const;
    QJsonObject object() const;
    // For a message box or a status line: the problem's detail (and its listed errors), else
    // the status line.
    QString errorText() const;
};

using ReplyCallback = std::function<void(const ClientReply &reply)>;

// What the status bar and the overview need, sampled by the client about twice a second.
struct EngineStatus
{
    qint64 sampledAtMs = 0;
    qint64 headPosition = 0;            // events in the log
    QString worstLagProjection;         // empty: every projection is current
    qint64 worstLagEvents = 0;
    qint64 worstLagMs = 0;
    int projectionFaults = 0;
    bool mqttEnabled = false;
    bool mqttConnected = false;
    QString mqttBroker;                 // URL, or why MQTT is off
    double httpRequests = 0;            // counters since start; pages turn them into rates
    double httpErrors = 0;              // answers >= 500
    double httpRejected = 0;            // plugin rejections (auth, limits, breaker)
    double httpP99Ms = 0;               // request latency p99 since the previous sample
    double liveClients = 0;             // WebSocket and SSE subscribers
    double mqttPublished = 0;
    double functionInvocations = 0;
    double functionErrors = 0;
    qint64 deadLetters = 0;             // waiting for replay or skip, of every function
    qint64 mqttOutboxPosition = 0;      // the bridge: last event the broker acknowledged
    qint64 mqttOutboxLag = 0;           // events of the log not yet published
    int mqttInFlight = 0;
    quint64 mqttCommandsReceived = 0;
    double documentsChanged = 0;        // read-model writes seen by the client

    // From the engine's status sample (Server::EngineStatusSampler), as the local client takes
    // it and the admin live channel sends it.
    static EngineStatus fromJson(const QJsonObject &sample);
};

// The console's only way to the engine. Everything goes through the engine's own APIs: the
// public API the gateway serves (commands, queries, /events) and the admin API (routes,
// consumers, functions, projections, collections, dead letters), so the GUI and an HTTP client
// never disagree. Live changes arrive as batched signals, at most about 20 a second whatever
// the event rate. Lives on the GUI thread; callbacks run there, and not at all once `context`
// is destroyed. LocalEngineClient serves an engine in the same process; the same interface
// fits a remote headless engine (admin API over HTTP, events over WebSocket).
class EngineClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineClient)

public:
    using QObject::QObject;
    ~EngineClient() override = default;

    virtual QString gatewayAddress() const = 0;   // "127.0.0.1:9080"
    virtual QString adminAddress() const = 0;
    // With the scheme: "http://127.0.0.1:9080", "https://..." when the listener speaks TLS.
    virtual QString gatewayUrl() const { return QStringLiteral("http://") + gatewayAddress(); }
    virtual QString adminUrl() const { return QStringLiteral("http://") + adminAddress(); }
    // The engine's own certificates, accepted from it even when no authority the system trusts
    // signed them (a local engine's self-signed one), and the file they came from (for a
    // copied curl command's --cacert). Empty when the engine speaks plain HTTP.
    virtual QList<QSslCertificate> engineCertificates() const { return {}; }
    virtual QString engineCertificateFile() const { return {}; }
    virtual QString dataDirectory() const = 0;    // empty for a remote engine

    // A request to the public API through the gateway (route match and plugins included).
    // `target` is path and query: "/api/products?limit=20".
    virtual void request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                         const HeaderList &headers, QObject *context, ReplyCallback callback) = 0;
    // A request to the admin API ("/admin/routes/r1", "/metrics"), authorised as the console.
    virtual void admin(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                       QObject *context, ReplyCallback callback) = 0;

    virtual EngineStatus status() const = 0;

    // The link to the engine. A local engine is always there; a remote one may be out of reach
    // for a while, and then what the pages show is stale until it is Connected again.
    enum class Connection { Local, Connecting, Connected, Reconnecting, Refused };
    virtual Connection connection() const { return Connection::Local; }
    // For the status bar: where the engine is and, when the link is down, why and what next.
    virtual QString connectionText() const { return {}; }

    // Events committed since the last batch, in log order. `dropped` counts events left out
    // because the receiver fell behind by more than maxPendingEvents().
    void setMaxPendingEvents(int count) { m_maxPending = qMax(1, count); }
    int maxPendingEvents() const { return m_maxPending; }

    // Convenience for the common calls.
    void get(const QByteArray &target, QObject *context, ReplyCallback callback)
    {
        request(QByteArrayLiteral("GET"), target, {}, {}, context, std::move(callback));
    }
    void adminGet(const QByteArray &target, QObject *context, ReplyCallback callback)
    {
        admin(QByteArrayLiteral("GET"), target, {}, context, std::move(callback));
    }
    // A command: POST /api/{collection}[/{id}[/{name}]] with a JSON body.
    void command(const QString &collection, const QString &id, const QString &name, const QJsonObject &data,
                 QObject *context, ReplyCallback callback);

    // Parses an application/cloudevents-batch+json body (GET /events) back into events.
    static RecordedEvents parseEventBatch(const QByteArray &body);
    static RecordedEvent eventFromCloudEvent(const QJsonObject &cloudEvent);
    // Percent-encodes one path segment or query value.
    static QByteArray encode(const QString &text);

Q_SIGNALS:
    void eventsArrived(const Gatehouse::RecordedEvents &events, qint64 dropped);
    void documentsChanged(const QString &collection, const QStringList &ids);
    void resourcesChanged(const QString &kind, const QString &id);   // routes, upstreams, consumers, global_rules, functions, collections
    void statusUpdated(const Gatehouse::Ui::EngineStatus &status);
    void connectionChanged();
    // The engine's log is not the one the events so far came from (restored, replaced): what
    // was shown of it is to be read again. A local engine never says so.
    void logReplaced();

private:
    std::atomic<int> m_maxPending{50000};   // read by the engine's threads
};

} // namespace Gatehouse::Ui

Q_DECLARE_METATYPE(Gatehouse::Ui::EngineStatus)
