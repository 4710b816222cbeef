#include "tcpnodelay.h"

#include <QUrl>

#ifdef Q_OS_LINUX
#include <cstdlib>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#endif

namespace Gatehouse::TcpNoDelay {

#ifdef Q_OS_LINUX
namespace {
bool isOption(int fd, int level, int name, int want)
{
    int value = 0;
    socklen_t size = sizeof value;
    return ::getsockopt(fd, level, name, &value, &size) == 0 && value == want;
}

quint16 peerPortOf(int fd)
{
    sockaddr_storage peer{};
    socklen_t size = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &size) != 0)
        return 0;
    if (peer.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in *>(&peer)->sin_port);
    if (peer.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 *>(&peer)->sin6_port);
    return 0;
}
} // namespace

int disableOnSocketsTo(quint16 peerPort)
{
    if (peerPort == 0)
        return 0;
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return 0;
    const int listing = ::dirfd(dir);
    int changed = 0;
    while (const dirent *entry = ::readdir(dir)) {
        char *end = nullptr;
        const long n = std::strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != '\0' || n < 0 || n == listing)
            continue;
        const int fd = int(n);
        struct stat st{};
        if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        if (!isOption(fd, SOL_SOCKET, SO_TYPE, SOCK_STREAM) || !isOption(fd, SOL_SOCKET, SO_ACCEPTCONN, 0)
            || peerPortOf(fd) != peerPort || !isOption(fd, IPPROTO_TCP, TCP_NODELAY, 0))
            continue;
        const int on = 1;
        if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0)
            ++changed;
    }
    ::closedir(dir);
    return changed;
}
#else
int disableOnSocketsTo(quint16)
{
    return 0;
}
#endif

quint16 brokerPort(const QString &url)
{
    const QUrl u(url.contains(QLatin1String("://")) ? url : QStringLiteral("tcp://") + url, QUrl::StrictMode);
    if (!u.isValid() || u.host().isEmpty())
        return 0;
    const QString scheme = u.scheme().toLower();
    int fallback = 0;
    if (scheme == QLatin1String("tcp") || scheme == QLatin1String("mqtt"))
        fallback = 1883;
    else if (scheme == QLatin1String("ssl") || scheme == QLatin1String("mqtts"))
        fallback = 8883;
    else if (scheme == QLatin1String("ws"))
        fallback = 80;
    else if (scheme == QLatin1String("wss"))
        fallback = 443;
    const int port = u.port(fallback);
    return port > 0 && port <= 65535 ? quint16(port) : 0;
}

} // namespace Gatehouse::TcpNoDelay
