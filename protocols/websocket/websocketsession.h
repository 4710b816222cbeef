#pragma once

#include "live/liveoptions.h"
#include "live/objectlink.h"
#include "readmodel/storeddocument.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>

#include <memory>
#include <utility>

class QTcpSocket;

namespace Gatehouse {
class CollectionCatalog;
class EventStore;
class Gateway;
class ReadStore;
struct ApiRequest;
}

namespace Gatehouse::Live {

class EventSubscription;
class LiveFeed;
class WebSocketConnection;

// What one WebSocket client can do on /ws (DESIGN.md "Events"), as JSON text messages:
// subscribe/unsubscribe to the event log (catch-up, then live), watch/unwatch read-model
// documents, run commands, ping. A command op is a request through the gateway -- a POST to the
// collection's command route, on the identity of the upgrade request (its address, consumer,
// headers and query string, credentials included) -- so the route's plugins (auth, limits,
// status) apply as to an HTTP client, and the op is answered with the same status and body. A
// malformed message gets {"op":"error"} and the connection stays open. Lives on the network
// thread as a child of the LiveFeed; owns its connection and deletes itself when the client is
// gone.
class WebSocketSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketSession)

public:
    struct Services
    {
        const EventStore *store = nullptr;
        const Gateway *gateway = nullptr;   // command ops go through it
        const ReadStore *readStore = nullptr;
        const CollectionCatalog *catalog = nullptr;
    };

    // Who the client is, as its upgrade request showed it; every command op carries it.
    struct Identity
    {
        QString consumer;                                   // identified at the upgrade, if any
        QString remoteAddress;
        quint16 remotePort = 0;
        QList<std::pair<QByteArray, QByteArray>> headers;  // the upgrade's, less those about the upgrade itself
        QByteArray query;                                   // the upgrade's query string, as sent
        qint64 expiresAtMs = 0;                             // the upgrade's credential runs out (ApiRequest)

        // `upgrade`: the request after the /ws route's plugins (for the consumer and address);
        // `sentHeaders`/`sentQuery`: as the client sent them, before a plugin hid credentials.
        static Identity of(const ApiRequest &upgrade, const QList<std::pair<QByteArray, QByteArray>> &sentHeaders,
                           const QByteArray &sentQuery);
    };

    WebSocketSession(QTcpSocket *socket, const QByteArray &alreadyRead, const Services &services, Identity identity,
                     const LiveOptions &options, LiveFeed *parent);
    ~WebSocketSession() override;

private:
    struct Watch
    {
        QString collection;
        QString id;                 // empty: the whole collection
        qint64 sentPosition = 0;    // last change sent, so a change is never sent twice
    };

    void onMessage(const QByteArray &utf8);
    void subscribe(const QJsonObject &message, const QJsonValue &requestId);
    void unsubscribe(const QJsonObject &message, const QJsonValue &requestId);
    void watch(const QJsonObject &message, const QJsonValue &requestId);
    void unwatch(const QJsonObject &message, const QJsonValue &requestId);
    void command(const QJsonObject &message, const QJsonValue &requestId);
    void commandAnswered(const QJsonValue &requestId, int status, const QByteArray &contentType, const QByteArray &body);
    void onDocumentsChanged(const QList<StoredDocument> &documents);
    void onDrained();
    void send(const QJsonObject &message);
    void sendRaw(const QByteArray &json);
    void sendError(const QString &message, const QJsonValue &requestId);

    WebSocketConnection *m_connection;
    Services m_services;
    Identity m_identity;
    LiveOptions m_options;
    LiveFeed *m_feed;
    std::shared_ptr<ObjectLink<WebSocketSession>> m_link;   // lets command answers from the writer thread find us
    QHash<QString, EventSubscription *> m_subscriptions;
    QHash<QString, Watch> m_watches;       // by "collection/id" ("collection/" for all)
    int m_commandsInFlight = 0;
    quint64 m_nextSubscription = 1;
};

} // namespace Gatehouse::Live
