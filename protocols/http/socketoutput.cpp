#include "socketoutput.h"

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <sys/uio.h>
#endif

#include <array>

namespace Gatehouse::Http {

qint64 writeThrough(QTcpSocket *socket, bool tls, std::initializer_list<QByteArrayView> parts)
{
    if (socket->state() != QAbstractSocket::ConnectedState)
        return 0;
    qint64 total = 0;
    for (QByteArrayView part : parts)
        total += part.size();
    qint64 sent = 0;
#ifdef Q_OS_UNIX
    constexpr size_t kMaxParts = 4;
    if (!tls && socket->bytesToWrite() == 0 && parts.size() <= kMaxParts && total > 0) {
        std::array<iovec, kMaxParts> vectors{};
        size_t count = 0;
        for (QByteArrayView part : parts) {
            if (!part.isEmpty())
                vectors[count++] = {const_cast<char *>(part.data()), size_t(part.size())};
        }
        msghdr message{};
        message.msg_iov = vectors.data();
        message.msg_iovlen = count;
        const ssize_t n = ::sendmsg(int(socket->socketDescriptor()), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        sent = n > 0 ? qint64(n) : 0;   // an error shows when the socket writes the rest
    }
#endif
    // The rest, in order, into the socket's buffer.
    qint64 skip = sent;
    for (QByteArrayView part : parts) {
        if (skip >= part.size()) {
            skip -= part.size();
            continue;
        }
        socket->write(part.data() + skip, part.size() - skip);
        skip = 0;
    }
    return sent;
}

} // namespace Gatehouse::Http
