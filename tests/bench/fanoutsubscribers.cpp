#include "fanoutsubscribers.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

enum class State { Connecting, Head, Open, Ended };

struct Connection
{
    int fd = -1;
    State state = State::Connecting;
    std::string in;           // bytes not yet parsed: the answer's head, a frame, a chunk-size line
    std::string line;         // SSE: the beginning of the current line
    size_t chunkLeft = 0;     // SSE: bytes of the current chunk still to come, its CRLF included
};

// Small writes on a fresh connection; waits for room only in the unlikely case there is none.
bool sendAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        data += n;
        size -= size_t(n);
    }
    return true;
}

// A client's frame (RFC 6455 5.3: masked), payload shorter than 126 bytes.
std::string maskedFrame(int opcode, const char *payload, size_t size)
{
    static constexpr unsigned char kMask[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::string frame;
    frame.push_back(char(0x80 | opcode));
    frame.push_back(char(0x80 | size));
    frame.append(reinterpret_cast<const char *>(kMask), 4);
    for (size_t i = 0; i < size; ++i)
        frame.push_back(char(payload[i] ^ kMask[i % 4]));
    return frame;
}

class Subscribers
{
public:
    Subscribers(bool sse, const QElapsedTimer &clock, SubscriberCounters &counters, std::vector<Received> &out)
        : m_sse(sse), m_clock(clock), m_counters(counters), m_out(out)
    {
    }
    ~Subscribers()
    {
        for (Connection &c : m_connections)
            if (c.fd >= 0)
                ::close(c.fd);
        if (m_epoll >= 0)
            ::close(m_epoll);
    }

    bool open(const QString &host, quint16 port, int count)
    {
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        if (m_epoll < 0 || ::inet_pton(AF_INET, host.toLatin1().constData(), &address.sin_addr) != 1) {
            std::fprintf(stderr, "raw subscribers need an IPv4 address, not %s\n", qPrintable(host));
            return false;
        }
        const QByteArray hostHeader = host.toLatin1() + ':' + QByteArray::number(port);
        m_request = m_sse ? "GET /events/stream HTTP/1.1\r\nHost: " + hostHeader.toStdString() + "\r\nAccept: text/event-stream\r\n\r\n"
                          : "GET /ws HTTP/1.1\r\nHost: " + hostHeader.toStdString()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n";
        m_connections.resize(size_t(count));
        for (int i = 0; i < count; ++i) {
            Connection &c = m_connections[size_t(i)];
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            const int one = 1;
            if (c.fd < 0 || ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
                std::perror("socket");
                return false;
            }
            if (::connect(c.fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
                std::perror("connect");
                return false;
            }
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.u32 = uint32_t(i);
            ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
        }
        return true;
    }

    void run()
    {
        std::vector<epoll_event> ready(256);
        std::vector<char> buffer(256 * 1024);
        while (!m_counters.stop) {
            const int n = ::epoll_wait(m_epoll, ready.data(), int(ready.size()), 50);
            for (int k = 0; k < n; ++k) {
                Connection &c = m_connections[ready[size_t(k)].data.u32];
                if (c.state == State::Connecting) {
                    int error = 0;
                    socklen_t length = sizeof error;
                    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
                    if (error != 0 || !sendAll(c.fd, m_request.data(), m_request.size())) {
                        end(c);
                        continue;
                    }
                    c.state = State::Head;
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u32 = ready[size_t(k)].data.u32;
                    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
                    continue;
                }
                const ssize_t got = ::read(c.fd, buffer.data(), buffer.size());
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                if (got <= 0) {
                    end(c);
                    continue;
                }
                m_now = m_clock.nsecsElapsed();   // one time for everything this read brought
                const bool ok = m_sse ? sseBytes(c, buffer.data(), size_t(got)) : webSocketBytes(c, buffer.data(), size_t(got));
                if (!ok) {
                    std::fprintf(stderr, "unexpected answer on a subscriber's connection\n");
                    end(c);
                }
            }
        }
    }

private:
    void deliver(qint64 position)
    {
        m_out.push_back({position, m_now});
        ++m_counters.delivered;
    }

    void end(Connection &c)
    {
        if (c.state != State::Ended && !m_counters.stop)
            ++m_counters.closed;
        c.state = State::Ended;
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
    }

    bool webSocketBytes(Connection &c, const char *data, size_t size)
    {
        c.in.append(data, size);
        size_t at = 0;
        if (c.state == State::Head) {
            const size_t end = c.in.find("\r\n\r\n");
            if (end == std::string::npos)
                return true;
            if (c.in.compare(0, 12, "HTTP/1.1 101") != 0)
                return false;
            static const char kSubscribe[] = R"({"op":"subscribe","from":"live","id":"s1"})";
            const std::string frame = maskedFrame(0x1, kSubscribe, sizeof kSubscribe - 1);
            if (!sendAll(c.fd, frame.data(), frame.size()))
                return false;
            c.state = State::Open;
            at = end + 4;
        }
        const auto *bytes = reinterpret_cast<const unsigned char *>(c.in.data());
        while (c.in.size() - at >= 2) {
            const size_t available = c.in.size() - at;
            const unsigned char *h = bytes + at;
            if ((h[1] & 0x80) || !(h[0] & 0x80))   // a server's frames are unmasked; the engine does not fragment
                return false;
            size_t header = 2;
            uint64_t length = h[1] & 0x7f;
            if (length == 126) {
                if (available < 4)
                    break;
                length = (uint64_t(h[2]) << 8) | h[3];
                header = 4;
            } else if (length == 127) {
                if (available < 10)
                    break;
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = (length << 8) | h[i];
                header = 10;
            }
            if (available - header < length)
                break;
            const char *payload = c.in.data() + at + header;
            switch (h[0] & 0x0f) {
            case 0x1:
                text(std::string_view(payload, size_t(length)));
                break;
            case 0x8:
                return false;
            case 0x9: {
                const std::string pong = maskedFrame(0xA, payload, size_t(qMin<uint64_t>(length, 125)));
                if (!sendAll(c.fd, pong.data(), pong.size()))
                    return false;
                break;
            }
            default:
                break;
            }
            at += header + size_t(length);
        }
        c.in.erase(0, at);
        return true;
    }

    // The answer's head, then the chunked body, parsed where it lies; "id: N" lines are events.
    bool sseBytes(Connection &c, const char *data, size_t size)
    {
        if (c.state == State::Head) {
            c.in.append(data, size);
            const size_t end = c.in.find("\r\n\r\n");
            if (end == std::string::npos)
                return true;
            if (c.in.compare(0, 12, "HTTP/1.1 200") != 0)
                return false;
            ++m_counters.subscribed;
            c.state = State::Open;
            const std::string rest = c.in.substr(end + 4);
            c.in.clear();
            return sseBody(c, rest.data(), rest.size());
        }
        return sseBody(c, data, size);
    }

    bool sseBody(Connection &c, const char *data, size_t size)
    {
        size_t at = 0;
        while (at < size) {
            if (c.chunkLeft == 0) {   // a chunk-size line
                const auto *eol = static_cast<const char *>(std::memchr(data + at, '\n', size - at));
                const size_t end = eol ? size_t(eol - data) : size;
                c.in.append(data + at, end - at);
                if (!eol)
                    return c.in.size() < 64;
                at = end + 1;
                char *parsed = nullptr;
                const unsigned long long length = std::strtoull(c.in.c_str(), &parsed, 16);
                const bool ok = parsed != c.in.c_str() && length > 0;   // 0: the stream ended
                c.in.clear();
                if (!ok)
                    return false;
                c.chunkLeft = size_t(length) + 2;
                continue;
            }
            const size_t take = std::min(c.chunkLeft, size - at);
            sseLines(c, data + at, take);
            at += take;
            c.chunkLeft -= take;
        }
        return true;
    }

    void sseLines(Connection &c, const char *data, size_t size)
    {
        size_t at = 0;
        while (at < size) {
            const auto *eol = static_cast<const char *>(std::memchr(data + at, '\n', size - at));
            const size_t end = eol ? size_t(eol - data) : size;
            if (c.line.size() < 24)   // only a line's beginning matters
                c.line.append(data + at, std::min(end - at, 24 - c.line.size()));
            if (!eol)
                return;
            if (c.line.compare(0, 4, "id: ") == 0) {
                qint64 position = 0;
                for (size_t k = 4; k < c.line.size() && c.line[k] >= '0' && c.line[k] <= '9'; ++k)
                    position = position * 10 + (c.line[k] - '0');
                deliver(position);
            }
            c.line.clear();
            at = end + 1;
        }
    }

    void text(std::string_view message)
    {
        if (message.starts_with(R"({"op":"event")")) {
            const size_t at = message.find(R"("position":)");
            if (at == std::string_view::npos)
                return;
            qint64 position = 0;
            for (size_t k = at + 11; k < message.size() && message[k] >= '0' && message[k] <= '9'; ++k)
                position = position * 10 + (message[k] - '0');
            deliver(position);
        } else if (message.find(R"("op":"subscribed")") != std::string_view::npos) {
            ++m_counters.subscribed;
        } else {
            std::fprintf(stderr, "unexpected message: %.*s\n", int(qMin<size_t>(message.size(), 200)), message.data());
        }
    }

    const bool m_sse;
    const QElapsedTimer &m_clock;
    SubscriberCounters &m_counters;
    std::vector<Received> &m_out;
    std::vector<Connection> m_connections;
    std::string m_request;
    int m_epoll = -1;
    qint64 m_now = 0;
};

} // namespace

bool runRawSubscribers(const QString &host, quint16 port, int connections, bool sse, const QElapsedTimer &clock,
                       SubscriberCounters &counters, std::vector<Received> &out)
{
    Subscribers subscribers(sse, clock, counters, out);
    if (!subscribers.open(host, port, connections))
        return false;
    subscribers.run();
    return true;
}
