#pragma once

#include "live/liveoptions.h"
#include "readmodel/storeddocument.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>

#include <memory>

class QTcpSocket;

namespace Gatehouse {
class CollectionCatalog;
class CommandService;
class EventStore;
class ReadStore;
}

namespace Gatehouse::Live {

class EventSubscription;
class LiveFeed;
class WebSocketConnection;
struct SessionLink;

// What one WebSocket client can do on /ws (DESIGN.md "Events"), as JSON text messages:
// subscribe/unsubscribe to the event log (catch-up, then live), watch/unwatch read-model
// documents, run commands (answered with the same status and body as HTTP), ping. A malformed
// message gets {"op":"error"} and the connection stays open. Lives on the network thread as a
// child of the LiveFeed; owns its connection and deletes itself when the client is gone.
class WebSocketSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebSocketSession)

public:
    struct Services
    {
        const EventStore *store = nullptr;
        CommandService *commands = nullptr;
        const ReadStore *readStore = nullptr;
        const CollectionCatalog *catalog = nullptr;
    };

    // `user`: the consumer the route's auth plugins identified at the upgrade, if any.
    WebSocketSession(QTcpSocket *socket, const QByteArray &alreadyRead, const Services &services, QString user,
                     QString peer, const LiveOptions &options, LiveFeed *parent);
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
    void commandAnswered(const QJsonValue &requestId, int status, const QByteArray &body);
    void onDocumentsChanged(const QList<StoredDocument> &documents);
    void onDrained();
    void send(const QJsonObject &message);
    void sendRaw(const QByteArray &json);
    void sendError(const QString &message, const QJsonValue &requestId);

    WebSocketConnection *m_connection;
    Services m_services;
    QString m_user;
    QString m_peer;
    LiveOptions m_options;
    LiveFeed *m_feed;
    std::shared_ptr<SessionLink> m_link;   // lets command answers from the writer thread find us
    QHash<QString, EventSubscription *> m_subscriptions;
    QHash<QString, Watch> m_watches;       // by "collection/id" ("collection/" for all)
    int m_commandsInFlight = 0;
    quint64 m_nextSubscription = 1;
};

} // namespace Gatehouse::Live
