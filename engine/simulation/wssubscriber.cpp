#include "wssubscriber.h"

#include "base/steadyclock.h"
#include "config/strictjson.h"
#include "lagtracker.h"
#include "simulationlogging.h"

#include <QJsonObject>
#include <QWebSocket>

namespace Gatehouse::Simulation {

WsSubscriber::WsSubscriber(QUrl url, QStringList collections, LagTracker *lag, int connection, QObject *parent)
    : QObject(parent)
    , m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this))
    , m_url(std::move(url))
    , m_collections(std::move(collections))
    , m_lag(lag)
    , m_connection(connection)
{
    connect(m_socket, &QWebSocket::connected, this, [this] {
        QJsonObject subscribe{{QStringLiteral("op"), QStringLiteral("subscribe")},
                              {QStringLiteral("id"), QStringLiteral("sim")},
                              {QStringLiteral("from"), QStringLiteral("live")}};
        if (m_collections.size() == 1)
            subscribe.insert(QStringLiteral("filter"), QJsonObject{{QStringLiteral("type"), QString(m_collections.constFirst() + QStringLiteral(".*"))}});
        m_socket->sendTextMessage(QString::fromUtf8(StrictJson::canonical(subscribe)));
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this, &WsSubscriber::onText);
    connect(m_socket, &QWebSocket::disconnected, this, [this] {
        if (!m_ready)
            setReady(QStringLiteral("WebSocket subscriber: %1 closed before subscribing (%2)").arg(m_url.toString(), m_socket->errorString()));
        else if (!m_closing)
            qCWarning(lcSimulation) << "WebSocket subscriber" << m_connection << "lost its connection:" << m_socket->closeReason();
    });
}

WsSubscriber::~WsSubscriber() = default;

void WsSubscriber::setTls(const QSslConfiguration &tls, const QList<QSslCertificate> &pinned)
{
    m_socket->setSslConfiguration(tls);
    m_pinned = pinned;
    connect(m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        // Only a name mismatch, only on a certificate this run was told to trust.
        for (const QSslError &e : errors) {
            if (e.error() != QSslError::HostNameMismatch || !m_pinned.contains(e.certificate()))
                return;
        }
        m_socket->ignoreSslErrors(errors);
    });
}

void WsSubscriber::open()
{
    m_socket->open(m_url);
}

void WsSubscriber::close()
{
    m_closing = true;
    m_socket->abort();
}

void WsSubscriber::setReady(const QString &error)
{
    if (m_ready)
        return;
    m_ready = true;
    Q_EMIT ready(error);
}

void WsSubscriber::onText(const QString &text)
{
    const qint64 at = steadyNowNs();
    const auto message = StrictJson::parseObject(text.toUtf8());
    if (!message)
        return;
    const QString op = message->value(QLatin1String("op")).toString();
    if (op == QLatin1String("event")) {
        const qint64 position = message->value(QLatin1String("event")).toObject().value(QLatin1String("position")).toInteger(0);
        if (position > 0)
            m_lag->seen(m_connection, position, at);
    } else if (op == QLatin1String("subscribed")) {
        setReady(QString());
    } else if (op == QLatin1String("error") && !m_ready) {
        setReady(QStringLiteral("WebSocket subscriber: %1").arg(message->value(QLatin1String("message")).toString()));
    }
}

} // namespace Gatehouse::Simulation
