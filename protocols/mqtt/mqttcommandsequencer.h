#pragma once

#include <QHash>
#include <QString>

#include <functional>
#include <memory>

namespace Gatehouse::Mqtt {

// Keeps MQTT commands in the order they were published, without running them one at a time.
//
// A command names the entity it acts on ("products/p1"; none for a create without an id) and
// the session it came from (the MQTT 5 response topic: MQTT tells a subscriber nothing else
// about the publisher; none without one). It runs
//   - after every earlier command on the same entity has been answered: the command service
//     reads the entity's committed state first (404, 412), so a create must be committed
//     before an update of it is looked at;
//   - after every earlier command of the same session has been handed over to the command
//     service (its run called handedOver) -- and answered, when the earlier one is a barrier
//     (a custom command, decided asynchronously by a function). Create, update and delete
//     reach the store's writer queue within the command service's execute(), and the writer
//     keeps that order, so a session's commands land in the log in the order they were
//     published. A command passes the gateway's plugins first, which may delay it: it is
//     handed over when the gateway has called the command service, not when run returns.
// Commands of other entities and sessions never wait for each other.
//
// Not thread-safe: lives on the MQTT bridge's thread, and `done` is called there.
class MqttCommandSequencer final
{
public:
    struct Keys
    {
        QString entity;    // empty: the command can follow no other by entity
        QString session;   // empty: no session order
        bool barrier = false;
    };
    using Done = std::function<void()>;
    // Called once; calls handedOver once it has reached the command service (or was answered
    // without), and done once, when answered (done implies handedOver).
    using Run = std::function<void(Done handedOver, Done done)>;

    explicit MqttCommandSequencer(int maxWaiting);
    ~MqttCommandSequencer();
    MqttCommandSequencer(const MqttCommandSequencer &) = delete;
    MqttCommandSequencer &operator=(const MqttCommandSequencer &) = delete;

    // Runs `run` now or as soon as the commands before it allow. False, and `run` is dropped,
    // when it would have to wait and maxWaiting commands already do.
    bool submit(const Keys &keys, Run run);

    int waiting() const { return m_waiting; }
    int running() const { return m_running; }

private:
    struct Node;
    using NodePtr = std::shared_ptr<Node>;

    void dispatch(const NodePtr &node);
    void handOver(const NodePtr &node);
    void finish(const NodePtr &node);
    void release(std::vector<NodePtr> &nodes);

    const int m_maxWaiting;
    int m_waiting = 0;
    int m_running = 0;
    QHash<QString, NodePtr> m_lastOfEntity;    // until it is answered
    QHash<QString, NodePtr> m_lastOfSession;   // until it is handed over (a barrier: answered)
    std::vector<NodePtr> m_ready;              // released, to be dispatched by the outermost call
    bool m_dispatching = false;
    std::shared_ptr<bool> m_alive;             // done callbacks that outlive the sequencer do nothing
};

} // namespace Gatehouse::Mqtt
