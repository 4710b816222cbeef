#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QString>

class QObject;
class QTcpSocket;

namespace Gatehouse::Simulation {

// Where a run's HTTP clients and subscribers go: a gateway over plain TCP ("http://host:port")
// or TLS ("https://..."). Over TLS the certificate is verified against the system's authorities
// plus `trusted` (the engine's own, when a run targets the engine it runs in), for `peerName`
// when it is set (a name the certificate holds, when the address connected to is not one, as
// 127.0.0.1 for an engine whose certificate names its host).
struct GatewayTarget
{
    QString host;
    quint16 port = 0;
    bool tls = false;
    QList<QSslCertificate> trusted;
    QString peerName;

    // "http://host:port" or "https://host:port" as given; false with `error` set otherwise.
    static bool parse(const QString &url, GatewayTarget *out, QString *error);

    QSslConfiguration tlsConfiguration() const;
    // A socket for the target, not yet connected (a QSslSocket over TLS).
    QTcpSocket *newSocket(QObject *parent) const;
    // Connects `socket` (from newSocket()); over TLS the handshake follows, and what is written
    // once `connected` is emitted waits for it.
    void open(QTcpSocket *socket) const;
};

} // namespace Gatehouse::Simulation
