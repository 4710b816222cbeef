#include "gatewaytarget.h"

#include <QSslSocket>
#include <QUrl>

namespace Gatehouse::Simulation {

bool GatewayTarget::parse(const QString &text, GatewayTarget *out, QString *error)
{
    const QUrl url(text, QUrl::StrictMode);
    const bool tls = url.scheme() == QLatin1String("https");
    if (!url.isValid() || (!tls && url.scheme() != QLatin1String("http")) || url.host().isEmpty()) {
        *error = QStringLiteral("target '%1' is not an http:// or https://host:port URL").arg(text);
        return false;
    }
    if (!url.path().isEmpty() && url.path() != QLatin1String("/")) {
        *error = QStringLiteral("target '%1' has a path; give the gateway's base URL").arg(text);
        return false;
    }
    out->host = url.host();
    out->port = quint16(url.port(tls ? 443 : 80));
    out->tls = tls;
    return true;
}

QSslConfiguration GatewayTarget::tlsConfiguration() const
{
    QSslConfiguration c = QSslConfiguration::defaultConfiguration();
    if (!trusted.isEmpty())
        c.addCaCertificates(trusted);
    return c;
}

QTcpSocket *GatewayTarget::newSocket(QObject *parent) const
{
    if (!tls)
        return new QTcpSocket(parent);
    auto *socket = new QSslSocket(parent);
    socket->setSslConfiguration(tlsConfiguration());
    return socket;
}

void GatewayTarget::open(QTcpSocket *socket) const
{
    if (auto *tlsSocket = qobject_cast<QSslSocket *>(socket); tls && tlsSocket)
        tlsSocket->connectToHostEncrypted(host, port, peerName);
    else
        socket->connectToHost(host, port);
}

} // namespace Gatehouse::Simulation
