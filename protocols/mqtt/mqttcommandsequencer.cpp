#include "mqttcommandsequencer.h"

#include <vector>

namespace Gatehouse::Mqtt {

struct MqttCommandSequencer::Node
{
    Keys keys;
    Run run;
    int blockers = 0;
    bool dispatched = false;
    bool handedOver = false;
    bool done = false;
    std::vector<NodePtr> afterHandOver;   // session successors of a non-barrier
    std::vector<NodePtr> afterDone;       // entity successors, and session successors of a barrier
};

MqttCommandSequencer::MqttCommandSequencer(int maxWaiting)
    : m_maxWaiting(maxWaiting)
    , m_alive(std::make_shared<bool>(true))
{
}

MqttCommandSequencer::~MqttCommandSequencer()
{
    *m_alive = false;
}

bool MqttCommandSequencer::submit(const Keys &keys, Run run)
{
    const NodePtr entityBefore = keys.entity.isEmpty() ? nullptr : m_lastOfEntity.value(keys.entity);
    const NodePtr sessionBefore = keys.session.isEmpty() ? nullptr : m_lastOfSession.value(keys.session);
    // Each map only holds commands that still hold their successors back (see finish/dispatch).
    if ((entityBefore || sessionBefore) && m_waiting >= m_maxWaiting)
        return false;

    auto node = std::make_shared<Node>();
    node->keys = keys;
    node->run = std::move(run);
    if (entityBefore) {
        entityBefore->afterDone.push_back(node);
        ++node->blockers;
    }
    // The same predecessor by both keys: waiting for its answer covers its dispatch too.
    if (sessionBefore && sessionBefore != entityBefore) {
        (sessionBefore->keys.barrier ? sessionBefore->afterDone : sessionBefore->afterHandOver).push_back(node);
        ++node->blockers;
    }
    if (!keys.entity.isEmpty())
        m_lastOfEntity.insert(keys.entity, node);
    if (!keys.session.isEmpty())
        m_lastOfSession.insert(keys.session, node);

    if (node->blockers > 0) {
        ++m_waiting;
        return true;
    }
    m_ready.push_back(node);
    std::vector<NodePtr> none;
    release(none);
    return true;
}

// Dispatches everything that became ready, in the order it became ready. Only the outermost
// call loops, so a chain of releases never recurses.
void MqttCommandSequencer::release(std::vector<NodePtr> &nodes)
{
    for (NodePtr &node : nodes) {
        if (--node->blockers == 0) {
            --m_waiting;
            m_ready.push_back(std::move(node));
        }
    }
    nodes.clear();
    if (m_dispatching)
        return;
    m_dispatching = true;
    for (size_t i = 0; i < m_ready.size(); ++i)
        dispatch(NodePtr(m_ready[i]));   // a copy: dispatch may append to m_ready
    m_ready.clear();
    m_dispatching = false;
}

void MqttCommandSequencer::dispatch(const NodePtr &node)
{
    node->dispatched = true;
    ++m_running;
    Run run = std::move(node->run);
    const std::weak_ptr<bool> alive = m_alive;
    run(
        [this, node, alive] {
            if (const auto isAlive = alive.lock(); isAlive && *isAlive)
                handOver(node);
        },
        [this, node, alive] {
            if (const auto isAlive = alive.lock(); isAlive && *isAlive)
                finish(node);
        });
}

// Session successors of a non-barrier may go once it has reached the command service. Inside
// run (the usual case) they are only queued, and dispatched when run has returned.
void MqttCommandSequencer::handOver(const NodePtr &node)
{
    if (node->handedOver)
        return;
    node->handedOver = true;
    if (!node->keys.session.isEmpty() && !node->keys.barrier && m_lastOfSession.value(node->keys.session) == node)
        m_lastOfSession.remove(node->keys.session);
    release(node->afterHandOver);
}

void MqttCommandSequencer::finish(const NodePtr &node)
{
    if (node->done)
        return;
    handOver(node);
    node->done = true;
    --m_running;
    if (!node->keys.entity.isEmpty() && m_lastOfEntity.value(node->keys.entity) == node)
        m_lastOfEntity.remove(node->keys.entity);
    if (!node->keys.session.isEmpty() && m_lastOfSession.value(node->keys.session) == node)
        m_lastOfSession.remove(node->keys.session);
    release(node->afterDone);
}

} // namespace Gatehouse::Mqtt
