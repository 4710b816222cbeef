#include "subscriberset.h"

#include "mqttsubscriber.h"
#include "runcontext.h"
#include "ssesubscriber.h"
#include "wssubscriber.h"

#include <QUrl>

namespace Gatehouse::Simulation {

SubscriberSet::SubscriberSet(RunContext *context, QString clientIdPrefix, QObject *parent)
    : QObject(parent)
    , m_context(context)
    , m_clientIdPrefix(std::move(clientIdPrefix))
    , m_timeout(this)   // a child, so it moves to the subscriber thread with this
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        onReady(QStringLiteral("%1 subscriber connection(s) not subscribed within %2 ms").arg(m_waiting).arg(kReadyTimeoutMs));
    });
}

SubscriberSet::~SubscriberSet()
{
    close();
}

void SubscriberSet::open()
{
    QUrl wsUrl;
    wsUrl.setScheme(m_context->gateway.tls ? QStringLiteral("wss") : QStringLiteral("ws"));
    wsUrl.setHost(m_context->gateway.host);
    wsUrl.setPort(m_context->gateway.port);
    wsUrl.setPath(QStringLiteral("/ws"));
    QList<std::pair<QObject *, std::function<void()>>> opens;
    for (const Subscriber &s : std::as_const(m_context->scenario.subscribers)) {
        for (int i = 0; i < s.connections; ++i) {
            switch (s.protocol) {
            case Subscriber::WebSocket: {
                const int id = m_context->lag.addConnection(LagTracker::WebSocket, s.collections);
                auto *c = new WsSubscriber(wsUrl, s.collections, &m_context->lag, id, this);
                if (m_context->gateway.tls)
                    c->setTls(m_context->gateway.tlsConfiguration(), m_context->gateway.trusted);
                connect(c, &WsSubscriber::ready, this, &SubscriberSet::onReady);
                opens.append({c, [c] { c->open(); }});
                break;
            }
            case Subscriber::Sse: {
                const int id = m_context->lag.addConnection(LagTracker::Sse, s.collections);
                auto *c = new SseSubscriber(m_context->gateway, s.collections, &m_context->lag, id, this);
                connect(c, &SseSubscriber::ready, this, &SubscriberSet::onReady);
                opens.append({c, [c] { c->open(); }});
                break;
            }
            case Subscriber::Mqtt: {
                const int id = m_context->lag.addConnection(LagTracker::Mqtt, s.collections);
                auto *c = new MqttSubscriber(m_context->mqttHost, m_context->mqttPort,
                                             m_clientIdPrefix + QStringLiteral("-sub%1").arg(id), s.topic, s.collections,
                                             &m_context->lag, id, this);
                connect(c, &MqttSubscriber::ready, this, &SubscriberSet::onReady);
                opens.append({c, [c] { c->open(); }});
                break;
            }
            }
        }
    }
    m_waiting = int(opens.size());
    if (m_waiting == 0) {
        onReady(QString());
        return;
    }
    m_timeout.start(kReadyTimeoutMs);
    for (const auto &[connection, openIt] : opens) {
        m_connections.append(connection);
        openIt();
        if (m_answered)
            return;   // one failed already
    }
}

void SubscriberSet::onReady(const QString &error)
{
    if (m_answered)
        return;
    if (error.isEmpty() && --m_waiting > 0)
        return;
    m_answered = true;
    m_timeout.stop();
    Q_EMIT ready(error);
}

void SubscriberSet::close()
{
    for (QObject *c : std::as_const(m_connections)) {
        if (auto *ws = qobject_cast<WsSubscriber *>(c))
            ws->close();
        else if (auto *sse = qobject_cast<SseSubscriber *>(c))
            sse->close();
        else if (auto *mqtt = qobject_cast<MqttSubscriber *>(c))
            mqtt->close();
    }
}

} // namespace Gatehouse::Simulation
