#include "mqttclient.h"

#include "mqttlogging.h"

#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>

#include <algorithm>

namespace Gatehouse::Mqtt {

namespace {
// MQTT 5 reason codes the client sends in a DISCONNECT.
constexpr quint8 kMalformedPacket = 0x81;
constexpr quint8 kProtocolError = 0x82;
constexpr quint8 kPacketTooLarge = 0x95;
constexpr quint8 kReceiveMaximumExceeded = 0x93;
constexpr quint8 kDisconnectWithWill = 0x04;
constexpr quint8 kPacketIdNotFound = 0x92;
// Unsent bytes past which a publish waits: a broker that reads slowly (or not at all) holds the
// publishers back instead of the engine's memory growing.
constexpr qint64 kMaxUnsentBytes = 16 * 1024 * 1024;
} // namespace

bool MqttClient::parseUrl(const QString &text, Options *options, QString *error)
{
    // "host:port" alone is a plain TCP broker, as Paho reads it.
    const QUrl url(text.contains(QLatin1String("://")) ? text : QStringLiteral("tcp://") + text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("ws") || scheme == QLatin1String("wss")) {
        *error = QStringLiteral("'%1': MQTT over WebSocket to the broker is not supported; use mqtt:// (or tcp://) or mqtts:// (or ssl://)").arg(text);
        return false;
    }
    const bool tls = scheme == QLatin1String("ssl") || scheme == QLatin1String("mqtts");
    if (!url.isValid() || url.host().isEmpty()
        || (!tls && scheme != QLatin1String("mqtt") && scheme != QLatin1String("tcp"))
        || !(url.path().isEmpty() || url.path() == QLatin1String("/")) || url.hasQuery() || url.hasFragment()
        || !url.userInfo().isEmpty()) {
        *error = QStringLiteral("'%1' is not an MQTT broker URL (mqtt://host:port, tcp://, ssl:// or mqtts://)").arg(text);
        return false;
    }
    options->host = url.host();
    options->port = quint16(url.port(tls ? 8883 : 1883));
    options->tls = tls;
    return true;
}

MqttClient::MqttClient(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_connectTimer(this)   // children: they move with the client
    , m_reconnectTimer(this)
    , m_keepAliveTimer(this)
{
    qRegisterMetaType<Gatehouse::Mqtt::MqttMessage>();
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        lose(QStringLiteral("no CONNACK within %1 ms").arg(m_options.connectTimeoutMs));
    });
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &MqttClient::connectNow);
    connect(&m_keepAliveTimer, &QTimer::timeout, this, &MqttClient::keepAliveTick);
}

MqttClient::~MqttClient()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        delete m_socket;
    }
}

void MqttClient::start()
{
    if (m_state != State::Idle)
        return;
    m_reconnectDelayMs = m_options.reconnectMinMs;
    connectNow();
}

void MqttClient::connectNow()
{
    if (m_state == State::Stopped)
        return;
    m_state = State::Connecting;
    m_in.clear();
    m_inOffset = 0;
    QTcpSocket *socket = m_options.tls ? new QSslSocket(this) : new QTcpSocket(this);
    m_socket = socket;
    connect(socket, &QTcpSocket::readyRead, this, &MqttClient::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
        if (socket == m_socket)
            onSocketGone(QStringLiteral("the broker closed the connection"));
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] {
        if (socket == m_socket)
            onSocketGone(socket->errorString());
    });
    m_connectTimer.start(m_options.connectTimeoutMs);
    if (auto *tls = qobject_cast<QSslSocket *>(socket)) {
        if (!m_options.caCertificates.isEmpty()) {
            QSslConfiguration configuration = tls->sslConfiguration();
            configuration.addCaCertificates(m_options.caCertificates);
            tls->setSslConfiguration(configuration);
        }
        connect(tls, &QSslSocket::encrypted, this, &MqttClient::onSocketConnected);
        tls->connectToHostEncrypted(m_options.host, m_options.port);
    } else {
        connect(socket, &QTcpSocket::connected, this, &MqttClient::onSocketConnected);
        socket->connectToHost(m_options.host, m_options.port);
    }
}

void MqttClient::onSocketConnected()
{
    if (!m_socket || m_state != State::Connecting)
        return;
    // Every command's reply and every PUBACK is a small packet that must not wait for Nagle.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    MqttPacket::ConnectOptions connect;
    connect.clientId = m_options.clientId;
    connect.cleanStart = m_options.cleanStart;
    connect.keepAliveSeconds = m_options.keepAliveSeconds;
    connect.sessionExpirySeconds = m_options.sessionExpirySeconds;
    connect.maximumPacketSize = m_options.maximumPacketSize;
    connect.will = m_options.will;
    if (connect.will) {
        // Taken down a step after a broker refused the will as it was (see handleConnAck).
        connect.will->retain = connect.will->retain && !m_willWithoutRetain;
        connect.will->qos = m_willAtQos0 ? 0 : connect.will->qos;
    }
    const QByteArray packet = MqttPacket::connect(connect);
    if (packet.isNull()) {
        lose(QStringLiteral("the CONNECT packet cannot be encoded (a field longer than 65,535 bytes)"));
        return;
    }
    m_lastReceived.start();
    send(packet);
}

void MqttClient::onSocketGone(const QString &reason)
{
    if (m_state == State::Connecting || m_state == State::Connected)
        lose(reason);
}

void MqttClient::lose(const QString &reason, std::optional<quint8> disconnectReason)
{
    const bool wasConnected = m_state == State::Connected;
    if (m_state == State::Stopped || m_state == State::Idle)
        return;
    m_connectTimer.stop();
    m_keepAliveTimer.stop();
    if (QTcpSocket *socket = m_socket) {
        m_socket = nullptr;
        socket->disconnect(this);
        if (disconnectReason && socket->state() == QAbstractSocket::ConnectedState) {
            socket->write(MqttPacket::disconnect(*disconnectReason));
            socket->flush();
        }
        socket->abort();
        socket->setParent(nullptr);   // see stop()
        socket->deleteLater();
    }
    forgetConnection();
    m_state = State::Idle;
    scheduleReconnect();
    if (wasConnected)
        Q_EMIT disconnected(reason);
    else
        Q_EMIT connectFailed(reason);
}

void MqttClient::forgetConnection()
{
    // What belonged to the connection: bytes read, publishes in flight or waiting (their owners
    // send them again once connected), subscriptions and QoS 2 exchanges under way.
    m_in.clear();
    m_inOffset = 0;
    m_inFlight.clear();
    m_subscribes.clear();
    m_incomingQos2.clear();
    m_queue.clear();
}

void MqttClient::scheduleReconnect()
{
    m_reconnectTimer.start(m_reconnectDelayMs);
    m_reconnectDelayMs = std::min(m_options.reconnectMaxMs, std::max(m_options.reconnectMinMs, m_reconnectDelayMs * 2));
}

void MqttClient::stop(int timeoutMs, bool withWill)
{
    m_reconnectTimer.stop();
    m_connectTimer.stop();
    m_keepAliveTimer.stop();
    const bool wasConnected = m_state == State::Connected;
    m_state = State::Stopped;
    if (QTcpSocket *socket = m_socket) {
        m_socket = nullptr;
        socket->disconnect(this);
        if (wasConnected) {
            socket->write(MqttPacket::disconnect(withWill ? kDisconnectWithWill : 0));
            QElapsedTimer waited;
            waited.start();
            while (socket->bytesToWrite() > 0 && waited.elapsed() < timeoutMs
                   && socket->waitForBytesWritten(int(std::max<qint64>(1, timeoutMs - waited.elapsed())))) {
            }
            socket->disconnectFromHost();
            if (socket->state() != QAbstractSocket::UnconnectedState)
                socket->waitForDisconnected(int(std::max<qint64>(1, timeoutMs - waited.elapsed())));
        }
        socket->abort();
        // stop() may run inside one of the socket's own signals, and the client may be deleted
        // right after it: the socket goes later, on its own.
        socket->setParent(nullptr);
        socket->deleteLater();
    }
    forgetConnection();
    if (wasConnected)
        Q_EMIT disconnected(QStringLiteral("stopped"));
}

void MqttClient::send(const QByteArray &bytes)
{
    if (!m_socket)
        return;
    m_socket->write(bytes);
    m_lastSent.start();
}

bool MqttClient::hasIdFree() const
{
    return m_inFlight.size() + m_subscribes.size() < 65535;
}

quint16 MqttClient::nextPacketId()
{
    if (!hasIdFree())
        return 0;
    do {
        m_lastPacketId = m_lastPacketId == 65535 ? 1 : quint16(m_lastPacketId + 1);
    } while (m_inFlight.contains(m_lastPacketId) || m_subscribes.contains(m_lastPacketId));
    return m_lastPacketId;
}

MqttClient::PublishResult MqttClient::publish(MqttMessage message, Done done)
{
    if (!MqttPacket::isValidTopicName(message.topic) || message.qos < 0 || message.qos > 1)
        return PublishResult::Invalid;
    if (m_state != State::Connected)
        return PublishResult::NotConnected;
    if (m_socket->bytesToWrite() > kMaxUnsentBytes)
        return PublishResult::QueueFull;
    message.dup = false;
    // A broker that keeps no retained messages or takes no QoS 1 would drop the connection over
    // such a publish: it goes out as the broker takes it (said once per connection).
    if ((message.retain && !m_retainAvailable) || message.qos > m_maximumQos) {
        if (!m_downgradeLogged) {
            m_downgradeLogged = true;
            qCWarning(lcMqtt).noquote() << QStringLiteral("the broker takes %1%2: publishes go out so")
                                               .arg(m_maximumQos == 0 ? QStringLiteral("QoS 0 only") : QStringLiteral("QoS 1"),
                                                    m_retainAvailable ? QString() : QStringLiteral(" and keeps no retained messages"));
        }
        message.retain = message.retain && m_retainAvailable;
        message.qos = std::min<int>(message.qos, m_maximumQos);
    }
    if (message.qos == 0) {
        const QByteArray packet = MqttPacket::publish(message, 0);
        if (packet.isNull() || (m_brokerMaxPacket && quint64(packet.size()) > m_brokerMaxPacket))
            return PublishResult::Invalid;
        send(packet);
        if (done)   // after publish() returns, as a PUBACK would be
            QMetaObject::invokeMethod(this, [done = std::move(done)] { done(0); }, Qt::QueuedConnection);
        return PublishResult::Accepted;
    }
    if (int(m_inFlight.size()) < m_sendQuota && m_queue.empty() && hasIdFree()) {
        const quint16 id = nextPacketId();
        const QByteArray packet = MqttPacket::publish(message, id);
        if (packet.isNull() || (m_brokerMaxPacket && quint64(packet.size()) > m_brokerMaxPacket))
            return PublishResult::Invalid;
        m_inFlight.insert(id, std::move(done));
        send(packet);
        return PublishResult::Accepted;
    }
    if (int(m_queue.size()) >= m_options.maxQueued)
        return PublishResult::QueueFull;
    // Checked now, not when its turn comes: a refusal belongs to the caller.
    const QByteArray probe = MqttPacket::publish(message, 1);
    if (probe.isNull() || (m_brokerMaxPacket && quint64(probe.size()) > m_brokerMaxPacket))
        return PublishResult::Invalid;
    m_queue.push_back({std::move(message), std::move(done)});
    return PublishResult::Accepted;
}

void MqttClient::sendWaiting()
{
    while (m_state == State::Connected && !m_queue.empty() && int(m_inFlight.size()) < m_sendQuota && hasIdFree()) {
        Waiting next = std::move(m_queue.front());
        m_queue.pop_front();
        const quint16 id = nextPacketId();
        m_inFlight.insert(id, std::move(next.done));
        send(MqttPacket::publish(next.message, id));
    }
}

bool MqttClient::subscribe(const QByteArray &filter, int qos)
{
    if (m_state != State::Connected)
        return false;
    const quint16 id = nextPacketId();
    const QByteArray packet = id ? MqttPacket::subscribe(id, filter, qos) : QByteArray();
    if (packet.isNull())
        return false;
    m_subscribes.insert(id, true);
    send(packet);
    return true;
}

void MqttClient::onReadyRead()
{
    if (!m_socket)
        return;
    m_in += m_socket->readAll();
    m_lastReceived.start();
    // A handler may run the event loop, or read again: whoever reads goes on from m_inOffset,
    // and only the outermost call gives the consumed bytes back.
    ++m_reading;
    QPointer<QTcpSocket> socket = m_socket;
    while (socket && socket == m_socket) {
        MqttPacket::Packet packet;
        const MqttPacket::ReadResult result = MqttPacket::read(m_in, m_inOffset, m_options.maximumPacketSize, &packet);
        if (result == MqttPacket::ReadResult::NeedMore)
            break;
        if (result == MqttPacket::ReadResult::TooLarge) {
            lose(QStringLiteral("the broker sent a packet over the maximum packet size of %1 bytes").arg(m_options.maximumPacketSize),
                 kPacketTooLarge);
            break;
        }
        if (result == MqttPacket::ReadResult::Malformed) {
            lose(QStringLiteral("the broker sent a packet with a malformed length"), kMalformedPacket);
            break;
        }
        if (!handlePacket(packet))
            break;   // handlePacket() dropped the connection
    }
    if (--m_reading == 0 && socket && socket == m_socket) {
        m_in.remove(0, m_inOffset);
        m_inOffset = 0;
    }
}

bool MqttClient::handlePacket(const MqttPacket::Packet &packet)
{
    if (m_state == State::Connecting) {
        if (packet.type == MqttPacket::ConnAck)
            return handleConnAck(packet);
        lose(QStringLiteral("the broker sent packet type %1 before CONNACK").arg(packet.type), kProtocolError);
        return false;
    }
    switch (packet.type) {
    case MqttPacket::Publish:
        return handlePublish(packet);
    case MqttPacket::PubAck:
    case MqttPacket::PubRel:
        return handleAck(packet);
    case MqttPacket::SubAck: {
        quint16 id = 0;
        QList<quint8> reasons;
        if (!MqttPacket::parseSubAck(packet, &id, &reasons)) {
            lose(QStringLiteral("malformed SUBACK"), kMalformedPacket);
            return false;
        }
        if (m_subscribes.remove(id) == 0) {
            lose(QStringLiteral("SUBACK for packet %1, which was no SUBSCRIBE of ours").arg(id), kProtocolError);
            return false;
        }
        if (reasons.constFirst() >= 0x80)
            qCWarning(lcMqtt) << "the broker refused a subscription with reason code" << reasons.constFirst();
        return true;
    }
    case MqttPacket::PingResp:
        return true;
    case MqttPacket::Disconnect: {
        quint8 reason = 0;
        QByteArray text;
        if (!MqttPacket::parseDisconnect(packet, &reason, &text)) {
            lose(QStringLiteral("malformed DISCONNECT"));
            return false;
        }
        lose(QStringLiteral("the broker disconnected us (reason code %1%2)")
                 .arg(reason)
                 .arg(text.isEmpty() ? QString() : QStringLiteral(": ") + QString::fromUtf8(text)));
        return false;
    }
    default:
        lose(QStringLiteral("the broker sent packet type %1, which a client does not take").arg(packet.type), kProtocolError);
        return false;
    }
}

bool MqttClient::handleConnAck(const MqttPacket::Packet &packet)
{
    MqttPacket::ConnAckInfo info;
    if (!MqttPacket::parseConnAck(packet, &info)) {
        lose(QStringLiteral("malformed CONNACK"), kMalformedPacket);
        return false;
    }
    // 0x9A Retain not supported, 0x9B QoS not supported: the will asked for what this broker
    // does not do; the next attempt asks for less.
    if (info.reasonCode == 0x9A && m_options.will && m_options.will->retain && !m_willWithoutRetain)
        m_willWithoutRetain = true;
    else if (info.reasonCode == 0x9B && m_options.will && m_options.will->qos > 0 && !m_willAtQos0)
        m_willAtQos0 = true;
    if (info.reasonCode != 0) {
        lose(QStringLiteral("the broker refused the connection (reason code %1%2)")
                 .arg(info.reasonCode)
                 .arg(info.reasonString.isEmpty() ? QString() : QStringLiteral(": ") + QString::fromUtf8(info.reasonString)));
        return false;
    }
    m_connectTimer.stop();
    m_state = State::Connected;
    m_reconnectDelayMs = m_options.reconnectMinMs;
    m_sendQuota = info.receiveMaximum;
    m_maximumQos = info.maximumQos;
    m_retainAvailable = info.retainAvailable;
    m_wildcardSubscriptions = info.wildcardSubscriptionAvailable;
    m_sharedSubscriptions = info.sharedSubscriptionAvailable;
    m_downgradeLogged = false;
    m_brokerMaxPacket = info.maximumPacketSize;
    m_keepAliveSeconds = info.serverKeepAlive.value_or(m_options.keepAliveSeconds);
    if (m_keepAliveSeconds > 0)
        m_keepAliveTimer.start(std::max(500, m_keepAliveSeconds * 1000 / 2));
    QPointer<QTcpSocket> socket = m_socket;
    Q_EMIT connected(info.sessionPresent);
    return socket && socket == m_socket;
}

bool MqttClient::handlePublish(const MqttPacket::Packet &packet)
{
    MqttMessage message;
    quint16 id = 0;
    if (!MqttPacket::parsePublish(packet, &message, &id)) {
        lose(QStringLiteral("malformed PUBLISH"), kMalformedPacket);
        return false;
    }
    if (message.qos == 2) {
        // Delivered once: a repeat of an id whose PUBREL has not come yet is the same message.
        const bool repeat = m_incomingQos2.contains(id);
        if (!repeat && m_incomingQos2.size() >= 65535) {
            lose(QStringLiteral("the broker exceeded our Receive Maximum"), kReceiveMaximumExceeded);
            return false;
        }
        m_incomingQos2.insert(id, true);
        QPointer<QTcpSocket> socket = m_socket;
        if (!repeat)
            Q_EMIT messageReceived(message);
        if (!socket || socket != m_socket)
            return false;
        send(MqttPacket::ack(MqttPacket::PubRec, id));
        return true;
    }
    QPointer<QTcpSocket> socket = m_socket;
    Q_EMIT messageReceived(message);
    if (!socket || socket != m_socket)
        return false;   // the receiver dropped or stopped the connection
    if (message.qos == 1)
        send(MqttPacket::ack(MqttPacket::PubAck, id));
    return true;
}

bool MqttClient::handleAck(const MqttPacket::Packet &packet)
{
    quint16 id = 0;
    quint8 reason = 0;
    if (!MqttPacket::parseAck(packet, &id, &reason)) {
        lose(QStringLiteral("malformed acknowledgement"), kMalformedPacket);
        return false;
    }
    if (packet.type == MqttPacket::PubRel) {
        // PUBCOMP even for an id we do not know, saying so (0x92: packet identifier not found).
        const bool known = m_incomingQos2.remove(id);
        send(MqttPacket::ack(MqttPacket::PubComp, id, known ? 0 : kPacketIdNotFound));
        return true;
    }
    const auto it = m_inFlight.find(id);
    if (it == m_inFlight.end()) {
        lose(QStringLiteral("PUBACK for packet %1, which is not in flight").arg(id), kProtocolError);
        return false;
    }
    Done done = std::move(*it);
    m_inFlight.erase(it);
    QPointer<QTcpSocket> socket = m_socket;
    if (done)
        done(reason);
    if (!socket || socket != m_socket)
        return false;
    sendWaiting();
    return true;
}

void MqttClient::keepAliveTick()
{
    if (m_state != State::Connected || m_keepAliveSeconds == 0)
        return;
    // The broker answers a PINGREQ within the keep-alive period; silence for 1.5 of them is a
    // connection gone (a broker host that vanished leaves the TCP connection open).
    if (m_lastReceived.elapsed() > qint64(m_keepAliveSeconds) * 1500) {
        lose(QStringLiteral("the broker said nothing for %1 s").arg(m_lastReceived.elapsed() / 1000));
        return;
    }
    if (m_lastSent.elapsed() >= qint64(m_keepAliveSeconds) * 1000 / 2 || m_lastReceived.elapsed() >= qint64(m_keepAliveSeconds) * 1000 / 2)
        send(MqttPacket::pingReq());
}

} // namespace Gatehouse::Mqtt
