#pragma once

#include "loaderror.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>

namespace Gatehouse::Simulation {

// The MQTT side of one generator thread: a Paho MQTT 5 client that publishes create commands
// on gatehouse/commands/{collection}/create with a response topic of its own and correlation
// data, and matches each reply (user property "status", the 202's body) to its command. A
// command without a reply within kReplyTimeoutMs ends as "timeout". While the broker is away
// the client reconnects by itself and holds commands (up to kMaxBufferedCommands) until it is
// back. Paho's callbacks only
// queue the reply to this object; callbacks run on its thread (the generator thread).
class MqttCommander final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttCommander)

public:
    static constexpr int kReplyTimeoutMs = 10000;
    static constexpr int kConnectTimeoutMs = 5000;
    // Commands held while the broker is away; past it a command fails at once ("mqtt").
    static constexpr int kMaxBufferedCommands = 10000;

    struct Reply
    {
        int status = 0;
        qint64 position = 0;
        LoadError error = LoadError::None;
        qint64 doneNs = 0;
    };
    using Callback = std::function<void(const Reply &)>;

    MqttCommander(QString host, int port, QString clientId, QObject *parent = nullptr);
    ~MqttCommander() override;

    // Connects and subscribes to the reply topic; blocks up to kConnectTimeoutMs each.
    bool connectNow(QString *error);
    // `owner` (the scheduler whose iteration sends it) lets abort() end only that one's commands.
    void send(const QString &collection, const QByteArray &payload, const void *owner, Callback done);
    // Every command of `owner` (all, when null) waiting for its reply ends as interrupted.
    void abort(const void *owner = nullptr);

private:
    struct Pending
    {
        Callback done;
        qint64 sentNs = 0;
        const void *owner = nullptr;
    };
    void onReply(quint64 correlation, int status, const QByteArray &body, qint64 atNs);
    void sweep();

    struct Paho;
    std::unique_ptr<Paho> m_paho;
    QString m_host;
    int m_port;
    QString m_clientId;
    QString m_replyTopic;
    quint64 m_nextCorrelation = 1;
    QHash<quint64, Pending> m_pending;
    QTimer m_sweep;
};

} // namespace Gatehouse::Simulation
