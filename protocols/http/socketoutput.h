#pragma once

#include <QByteArrayView>
#include <QSslSocket>
#include <QTcpSocket>

#include <initializer_list>

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

// Calls `slot` on `receiver` whenever some of the socket's output went out: bytesWritten, or on
// TLS encryptedBytesWritten, when encrypted bytes reach the kernel. Not QSslSocket's own
// bytesWritten: it is emitted once OpenSSL took the text, before the encrypted bytes are handed
// to the socket, when unsentBytes() reads 0 with the answer still in OpenSSL's buffer -- closing
// then would lose it.
template<typename Receiver, typename Slot>
void connectOutputProgress(QTcpSocket *socket, Receiver *receiver, Slot slot)
{
    if (auto *tls = qobject_cast<QSslSocket *>(socket))
        QObject::connect(tls, &QSslSocket::encryptedBytesWritten, receiver, slot);
    else
        QObject::connect(socket, &QTcpSocket::bytesWritten, receiver, slot);
}

// Writes `parts` (at most four), one after the other. When the socket is plain TCP (`tls`
// false) and none of its own output is waiting, they go to the kernel at once, in one system
// call and without being copied into the socket's buffer -- the socket then emits no
// bytesWritten for them; what the kernel does not take, or everything otherwise, is written to
// the socket as usual. Returns the bytes the kernel took directly.
qint64 writeThrough(QTcpSocket *socket, bool tls, std::initializer_list<QByteArrayView> parts);

} // namespace Gatehouse::Http
