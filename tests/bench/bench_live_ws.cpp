// HTTP/WebSocket side of tests/bench/bench_live.sh. Two modes against a running engine:
//
//   bench_live_ws post HOST:PORT COUNT [CLIENTS]
//       COUNT create commands as fast as CLIENTS (default 16) keep-alive connections go;
//       prints HTTP_POST count=.. accepted=.. seconds=.. rate=..
//   bench_live_ws load HOST:PORT EVENTS DOCUMENTS [CLIENTS]
//       DOCUMENTS creates with the ids m0, m1, ..., then EVENTS - DOCUMENTS merge patches spread
//       over them, then one GET by id of each; prints HTTP_LOAD events=.. accepted=.. reads=..
//       seconds=..
//   bench_live_ws fanout HOST:PORT SUBSCRIBERS RATE SECONDS [THREADS [ws|sse [epoll|qt]]]
//       SUBSCRIBERS WebSocket connections on /ws (spread over THREADS threads, default 4), each
//       {"op":"subscribe","from":"live"} -- or with `sse`, SUBSCRIBERS event streams
//       GET /events/stream (live by default). The subscribers are plain sockets on one epoll set
//       per thread (fanoutsubscribers.cpp); `qt` uses QWebSocket / QTcpSocket on Qt event loops
//       instead, as this benchmark did before. Once all are subscribed, create commands paced at
//       RATE/s for SECONDS from 32 HTTP connections in the same process. Delivery latency of an
//       event to a subscriber = the time its frame (SSE: its id line) was read - the time the sender
//       read the 202 carrying that position (one monotonic clock). The senders' connections are
//       open before the clock starts. Prints a Markdown table; with LATENCY_BY_SECOND=S also the
//       latencies by S-second slice of the run (default 1), on stderr, to see where a tail comes from;
//       with WARMUP_SECONDS=W the same pace runs W seconds first, its events checked but not timed.

#include "fanoutsubscribers.h"
#include "testhttpclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QSet>
#include <QMutex>
#include <QThread>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

static std::pair<QString, quint16> hostPort(const char *arg)
{
    const QString target = QString::fromLocal8Bit(arg);
    return {target.section(QLatin1Char(':'), 0, 0), quint16(target.section(QLatin1Char(':'), 1, 1).toUInt())};
}

static QByteArray body(const QByteArray &tag, qint64 n)
{
    return "{\"name\":\"Widget " + tag + ' ' + QByteArray::number(n) + "\",\"price\":" + QByteArray::number(n) + ".5,\"sku\":\"ABC-123\"}";
}

static int post(const char *target, int count, int clients)
{
    const auto [host, port] = hostPort(target);
    std::atomic<int> next{0}, accepted{0};
    QElapsedTimer clock;
    clock.start();
    QList<QThread *> threads;
    for (int c = 0; c < clients; ++c) {
        threads.append(QThread::create([&, host = host, port = port] {
            TestHttpClient client(host, port, 10000);
            for (int i = next++; i < count; i = next++)
                if (client.post("/api/products", body("load", i)).status == 202)
                    ++accepted;
        }));
        threads.last()->start();
    }
    for (QThread *t : threads) {
        t->wait();
        delete t;
    }
    const double s = clock.nsecsElapsed() / 1e9;
    std::printf("HTTP_POST count=%d accepted=%d seconds=%.3f rate=%.0f\n", count, accepted.load(), s, count / s);
    return accepted.load() == count ? 0 : 1;
}

// Runs `request(i)` for i in [0, count) on `clients` keep-alive connections; returns how many
// answered `expected`.
template<typename Request>
static int onConnections(const QString &host, quint16 port, int count, int clients, int expected, Request request)
{
    std::atomic<int> next{0}, good{0};
    QList<QThread *> threads;
    for (int c = 0; c < clients; ++c) {
        threads.append(QThread::create([&] {
            TestHttpClient client(host, port, 10000);
            for (int i = next++; i < count; i = next++)
                if (request(client, i).status == expected)
                    ++good;
        }));
        threads.last()->start();
    }
    for (QThread *t : threads) {
        t->wait();
        delete t;
    }
    return good.load();
}

static int load(const char *target, int events, int documents, int clients)
{
    if (documents <= 0 || events < documents) {
        std::fprintf(stderr, "load: DOCUMENTS must be > 0 and at most EVENTS\n");
        return 2;
    }
    const auto [host, port] = hostPort(target);
    std::atomic<qint64> head{0};   // the last position an answer named
    const auto note = [&head](const TestHttpResponse &r) {
        const qint64 position = r.header("x-event-position").toLongLong();
        for (qint64 seen = head.load(); position > seen && !head.compare_exchange_weak(seen, position);) {
        }
        return r;
    };
    QElapsedTimer clock;
    clock.start();
    const auto id = [](int i) {
        QByteArray out("m");
        out.append(QByteArray::number(i));
        return out;
    };
    int accepted = onConnections(host, port, documents, clients, 202, [&](TestHttpClient &c, int i) {
        QByteArray create(R"({"id":")");
        create.append(id(i)).append(R"(","name":"Widget","price":1.5,"sku":"ABC-123"})");
        return note(c.post("/api/products", create));
    });
    accepted += onConnections(host, port, events - documents, clients, 202, [&](TestHttpClient &c, int i) {
        QByteArray patch(R"({"price":)");
        patch.append(QByteArray::number(i)).append(".25}");
        QByteArray path("/api/products/");
        path.append(id(i % documents));
        return note(c.post(path, patch));
    });
    // Every document once by id (the read cache fills up to its bound), after the read model
    // has the last patch.
    const int reads = onConnections(host, port, documents, clients, 200, [&](TestHttpClient &c, int i) {
        TestHttpResponse r;
        for (int attempt = 0; attempt < 20; ++attempt) {   // 504: the read model is more than 5 s behind
            QByteArray path("/api/products/");
            path.append(id(i)).append("?min_position=").append(QByteArray::number(head.load()));
            r = c.get(path);
            if (r.status != 504)
                break;
        }
        return r;
    });
    std::printf("HTTP_LOAD events=%d accepted=%d reads=%d seconds=%.3f\n", events, accepted, reads, clock.nsecsElapsed() / 1e9);
    return accepted == events && reads == documents ? 0 : 1;
}

static double processCpuSeconds()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int fanout(const char *target, int subscribers, int rate, int seconds, int threadCount, bool sse, bool raw)
{
    const auto [host, port] = hostPort(target);
    const QUrl url(QStringLiteral("ws://%1:%2/ws").arg(host).arg(port));
    QElapsedTimer clock;
    clock.start();
    SubscriberCounters counters;
    std::atomic<int> &subscribed = counters.subscribed, &closed = counters.closed;
    std::atomic<qint64> &delivered = counters.delivered;
    std::atomic<bool> &stop = counters.stop;
    auto received = std::vector<std::vector<Received>>(size_t(threadCount));
    // WARMUP_SECONDS: commands sent at the same pace before the measured ones, on the same
    // connections; their events must arrive too, but are left out of the latencies.
    const double warmup = std::max(0.0, qEnvironmentVariable("WARMUP_SECONDS").toDouble());

    QList<QThread *> receivers;
    for (int t = 0; t < threadCount; ++t) {
        const int mine = subscribers / threadCount + (t < subscribers % threadCount ? 1 : 0);
        receivers.append(QThread::create([&, t, mine] {
            std::vector<Received> &out = received[size_t(t)];
            // Room for every frame of the run (with 10% to spare): a vector growing by copying
            // tens of megabytes mid-run would stall this reader and show as latency.
            out.reserve(size_t(double(mine) * rate * (warmup + seconds) * 1.1) + 1024);
            if (raw) {
                if (!runRawSubscribers(host, port, mine, sse, clock, counters, out))
                    std::fprintf(stderr, "cannot open the subscribers' sockets\n");
                return;
            }
            QEventLoop loop;
            QList<QObject *> sockets;
            for (int i = 0; sse && i < mine; ++i) {
                auto *socket = new QTcpSocket;
                sockets.append(socket);
                auto *reader = new SseReader([&] { ++subscribed; },
                                             [&](qint64 position) {
                                                 out.push_back({position, clock.nsecsElapsed()});
                                                 ++delivered;
                                             });
                QObject::connect(socket, &QObject::destroyed, [reader] { delete reader; });
                QObject::connect(socket, &QTcpSocket::connected, socket, [socket, host = host] {
                    socket->write("GET /events/stream HTTP/1.1\r\nHost: " + host.toUtf8()
                                  + "\r\nAccept: text/event-stream\r\n\r\n");
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, [&] { if (!stop) ++closed; });
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket, reader] {
                    if (!reader->feed(socket->readAll())) {
                        std::fprintf(stderr, "not an event stream\n");
                        socket->abort();
                    }
                });
                socket->connectToHost(host, port);
            }
            for (int i = 0; !sse && i < mine; ++i) {
                auto *socket = new QWebSocket;
                sockets.append(socket);
                QObject::connect(socket, &QWebSocket::connected, socket, [socket] {
                    socket->sendTextMessage(QStringLiteral(R"({"op":"subscribe","from":"live","id":"s1"})"));
                });
                QObject::connect(socket, &QWebSocket::disconnected, socket, [&] { if (!stop) ++closed; });
                QObject::connect(socket, &QWebSocket::textMessageReceived, socket, [&](const QString &message) {
                    const qint64 now = clock.nsecsElapsed();
                    if (message.startsWith(QLatin1String(R"({"op":"event")"))) {
                        const qsizetype at = message.indexOf(QLatin1String("\"position\":"));
                        if (at < 0)
                            return;
                        qint64 position = 0;
                        for (qsizetype k = at + 11; k < message.size() && message.at(k).isDigit(); ++k)
                            position = position * 10 + message.at(k).digitValue();
                        out.push_back({position, now});
                        ++delivered;
                    } else if (message.contains(QLatin1String(R"("op":"subscribed")"))) {
                        ++subscribed;
                    } else {
                        std::fprintf(stderr, "unexpected message: %s\n", qPrintable(message.left(200)));
                    }
                });
                socket->open(url);
            }
            QTimer poll;
            QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
                if (stop)
                    loop.quit();
            });
            poll.start(50);
            loop.exec();
            qDeleteAll(sockets);
        }));
        receivers.last()->start();
    }
    for (int i = 0; i < 600 && subscribed < subscribers; ++i)
        QThread::msleep(50);
    if (subscribed < subscribers) {
        std::fprintf(stderr, "only %d of %d subscriptions acknowledged\n", subscribed.load(), subscribers);
        stop = true;
        for (QThread *t : receivers) {
            t->wait();
            delete t;
        }
        return 1;
    }

    // Senders: 32 connections, paced like bench_consistency. Each waits for its 202 (after the
    // fsync), so with fewer connections the sender, not the fan-out, sets the rate.
    const int senders = 32;
    QMutex mutex;
    QHash<qint64, qint64> acceptedAt;   // position -> ns when the 202 was read
    std::atomic<int> sent{0}, failures{0};
    // The senders' connections are open (and have had an answer) before the clock starts:
    // their set-up is not part of what is measured.
    std::atomic<int> sendersReady{0};
    std::atomic<bool> go{false};
    qint64 sendStart = 0;
    const double perSenderInterval = double(senders) / rate;
    QSet<qint64> warmPositions;
    QList<QThread *> senderThreads;
    for (int c = 0; c < senders; ++c) {
        senderThreads.append(QThread::create([&, c, host = host, port = port] {
            TestHttpClient client(host, port, 10000);
            if (client.get("/api/products?limit=1").status != 200)
                ++failures;
            ++sendersReady;
            while (!go)
                QThread::usleep(200);
            QList<std::pair<qint64, qint64>> mine;
            QList<qint64> warm;
            for (int i = 0;; ++i) {
                const double due = (i + double(c) / senders) * perSenderInterval;
                if (due >= warmup + seconds)
                    break;
                const qint64 waitNs = sendStart + qint64(due * 1e9) - clock.nsecsElapsed();
                if (waitNs > 0)
                    QThread::usleep(quint64(waitNs / 1000));
                const auto r = client.post("/api/products", body("ws", qint64(c) * 1000000 + i));
                const qint64 now = clock.nsecsElapsed();
                ++sent;
                if (r.status != 202) {
                    ++failures;
                    continue;
                }
                if (due < warmup)
                    warm.append(r.header("x-event-position").toLongLong());
                else
                    mine.append({r.header("x-event-position").toLongLong(), now});
            }
            QMutexLocker lock(&mutex);
            for (const auto &[p, ns] : mine)
                acceptedAt.insert(p, ns);
            for (const qint64 p : warm)
                warmPositions.insert(p);
        }));
        senderThreads.last()->start();
    }
    while (sendersReady < senders)
        QThread::msleep(1);
    sendStart = clock.nsecsElapsed();
    const double cpuStart = processCpuSeconds();
    go = true;
    for (QThread *t : senderThreads) {
        t->wait();
        delete t;
    }
    const double sendSeconds = (clock.nsecsElapsed() - sendStart) / 1e9;
    const qint64 expected = qint64(acceptedAt.size()) * subscribers;
    const qint64 warmExpected = qint64(warmPositions.size()) * subscribers;
    // Wait for the tail: until everything arrived or nothing arrived for 5 s.
    qint64 last = -1;
    for (int idle = 0; delivered < expected + warmExpected && idle < 100; ++idle) {
        if (delivered != last)
            idle = 0;
        last = delivered;
        QThread::msleep(50);
    }
    const double allSeconds = (clock.nsecsElapsed() - sendStart) / 1e9;
    const double cpuSeconds = processCpuSeconds() - cpuStart;
    stop = true;
    for (QThread *t : receivers) {
        t->wait();
        delete t;
    }

    std::vector<double> lat;
    lat.reserve(size_t(expected));
    qint64 unknown = 0, negative = 0, warmDelivered = 0;
    for (const auto &list : received)
        for (const Received &r : list) {
            const auto it = acceptedAt.constFind(r.position);
            if (it == acceptedAt.constEnd()) {
                if (warmPositions.contains(r.position))
                    ++warmDelivered;
                else
                    ++unknown;
                continue;
            }
            const double ms = (r.ns - it.value()) / 1e6;
            negative += ms < 0;
            lat.push_back(ms);
        }
    if (qEnvironmentVariableIsSet("LATENCY_BY_SECOND")) {
        // Where the tail comes from: the latencies by the second in which their 202 was read.
        const double bucket = qEnvironmentVariable("LATENCY_BY_SECOND").toDouble() > 0 ? qEnvironmentVariable("LATENCY_BY_SECOND").toDouble() : 1.0;
        // At least one slice, at most 100,000.
        std::vector<std::vector<double>> bySecond(size_t(std::clamp((warmup + seconds + 2) / bucket, 1.0, 100000.0)));
        for (const auto &list : received)
            for (const Received &r : list) {
                const auto it = acceptedAt.constFind(r.position);
                if (it == acceptedAt.constEnd())
                    continue;
                const size_t s = std::min(bySecond.size() - 1, size_t(std::max<qint64>(0, it.value() - sendStart) / (bucket * 1e9)));
                bySecond[s].push_back((r.ns - it.value()) / 1e6);
            }
        for (size_t s = 0; s < bySecond.size(); ++s) {
            auto &v = bySecond[s];
            if (v.empty())
                continue;
            std::sort(v.begin(), v.end());
            std::fprintf(stderr, "from %.1f s: %zu frames, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", s * bucket, v.size(), v[v.size() / 2],
                         v[std::min(v.size() - 1, size_t(0.99 * v.size()))], v.back());
        }
    }
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double q) { return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(q * lat.size()))]; };
    std::printf("| %s fan-out (%d subscribers, from live; %s subscribers) | value |\n|---|---:|\n", sse ? "SSE" : "WebSocket",
                subscribers, raw ? "epoll" : "Qt");
    std::printf("| commands sent / accepted / achieved rate | %d / %lld / %.0f per s (target %d per s for %d s) |\n", sent.load(),
                qlonglong(acceptedAt.size()), sent.load() / sendSeconds, rate, seconds);
    std::printf("| events delivered / expected (subscribers x accepted) | %lld / %lld%s |\n", qlonglong(lat.size()), qlonglong(expected),
                qint64(lat.size()) == expected ? "" : "  **MISSING**");
    std::printf("| delivered per s (over send + drain, %.2f s, warm-up included) | %.0f |\n", allSeconds,
                (lat.size() + warmDelivered) / allSeconds);
    std::printf("| latency p50 (202 read -> frame read) | %.2f ms |\n| latency p99 | %.2f ms |\n| latency max | %.2f ms |\n", pct(0.5),
                pct(0.99), lat.empty() ? 0.0 : lat.back());
    std::printf("| frames before the sender read the 202 (negative latency) | %lld |\n", qlonglong(negative));
    std::printf("| this benchmark's own CPU (subscribers and senders) over send + drain | %.1f s, %.2f cores |\n", cpuSeconds,
                cpuSeconds / allSeconds);
    std::printf("| other events / closed connections / failed commands | %lld / %d / %d |\n", qlonglong(unknown), closed.load(),
                failures.load());
    std::printf("| all events delivered, warm-up included (for CPU per event) | %lld |\n", qlonglong(lat.size() + warmDelivered));
    if (warmup > 0)
        std::printf("| warm-up before the measured commands (same pace and connections; left out above) | %.1f s, %lld commands, "
                    "%lld / %lld events delivered%s |\n",
                    warmup, qlonglong(warmPositions.size()), qlonglong(warmDelivered), qlonglong(warmExpected),
                    warmDelivered == warmExpected ? "" : "  **MISSING**");
    return qint64(lat.size()) == expected && warmDelivered == warmExpected && failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QByteArray mode = argc > 1 ? argv[1] : "";
    if (mode == "load" && argc >= 5)
        return load(argv[2], atoi(argv[3]), atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 16);
    if (mode == "post" && argc >= 4)
        return post(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 16);
    if (mode == "fanout" && argc >= 6)
        return fanout(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argc > 6 ? atoi(argv[6]) : 4,
                      argc > 7 && std::strcmp(argv[7], "sse") == 0, !(argc > 8 && std::strcmp(argv[8], "qt") == 0));
    std::fprintf(stderr, "usage: bench_live_ws post HOST:PORT COUNT [CLIENTS] | load HOST:PORT EVENTS DOCUMENTS [CLIENTS] | fanout HOST:PORT SUBSCRIBERS RATE SECONDS [THREADS [ws|sse [epoll|qt]]]\n");
    return 2;
}
