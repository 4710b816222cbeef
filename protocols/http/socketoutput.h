#pragma once

#include <QSslSocket>
#include <QTcpSocket>

namespace Gatehouse::Http {

// Bytes written to a socket that have not reached the kernel yet. On a TLS socket that is the
// text waiting to be encrypted plus the encrypted bytes waiting to be sent: QSslSocket's
// bytesToWrite() counts only the first, which empties as soon as OpenSSL takes the text, so
// flow control and "everything is out, close now" must count both.
inline qint64 unsentBytes(const QTcpSocket *socket)
{
    const auto *tls = qobject_cast<const QSslSocket *>(socket);
    return socket->bytesToWrite() + (tls ? tls->encryptedBytesToWrite() : 0);
}

// Calls `slot` on `receiver` whenever some of the socket's output went out (bytesWritten, and
// on TLS also encryptedBytesWritten, which is when the bytes reach the kernel).
template<typename Receiver, typename Slot>
void connectOutputProgress(QTcpSocket *socket, Receiver *receiver, Slot slot)
{
    QObject::connect(socket, &QTcpSocket::bytesWritten, receiver, slot);
    if (auto *tls = qobject_cast<QSslSocket *>(socket))
        QObject::connect(tls, &QSslSocket::encryptedBytesWritten, receiver, slot);
}

} // namespace Gatehouse::Http
