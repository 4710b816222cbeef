// End-to-end consistency lag: how long after a command's 202 its document is visible through
// GET /api/products/{id}. Commands are paced at RATE per second (default 5,000) for SECONDS
// (default 10) over CLIENTS connections (default 32: enough to hold the rate while each
// command waits for its disk sync) against a real engine on loopback; right
// after each 202 the same connection asks GET with X-Min-Position = the 202's position, which
// answers as soon as the read model has applied it. The lag is the time from receiving the
// 202 to receiving that 200. Prints p50/p99/max and the achieved rate.
//
//   bench_consistency HOST:PORT   (a running `gatehouse --headless`; env: RATE, LAG_SECONDS, CLIENTS)

#include "testhttpclient.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QMutex>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_consistency HOST:PORT\n");
        return 2;
    }
    const QString target = QString::fromLocal8Bit(argv[1]);
    const QString host = target.section(QLatin1Char(':'), 0, 0);
    const quint16 port = quint16(target.section(QLatin1Char(':'), 1, 1).toUInt());
    const int rate = qEnvironmentVariableIntValue("RATE") > 0 ? qEnvironmentVariableIntValue("RATE") : 5000;
    const int seconds = qEnvironmentVariableIntValue("LAG_SECONDS") > 0 ? qEnvironmentVariableIntValue("LAG_SECONDS") : 10;
    const int clients = qEnvironmentVariableIntValue("CLIENTS") > 0 ? qEnvironmentVariableIntValue("CLIENTS") : 32;

    // Ids of this run's own (a create of an id that exists is a 409): runs may share an engine.
    const QByteArray runId = "lag-" + QByteArray::number(QCoreApplication::applicationPid()) + '-'
        + QByteArray::number(QDateTime::currentMSecsSinceEpoch() % 100000000) + '-';
    QMutex mutex;
    QList<double> lagsMs;
    std::atomic<int> failures{0}, sent{0};
    QElapsedTimer clock;
    clock.start();
    const double perClientInterval = double(clients) / rate;   // seconds between commands of one client
    QList<QThread *> threads;
    for (int c = 0; c < clients; ++c) {
        threads.append(QThread::create([&, c] {
            TestHttpClient client(host, port, 10000);
            QList<double> mine;
            for (int i = 0;; ++i) {
                const double due = (i + double(c) / clients) * perClientInterval;
                if (due >= seconds)
                    break;
                const qint64 waitNs = qint64(due * 1e9) - clock.nsecsElapsed();
                if (waitNs > 0)
                    QThread::usleep(quint64(waitNs / 1000));
                const QByteArray id = runId + QByteArray::number(c) + '-' + QByteArray::number(i);
                const auto created = client.post("/api/products", "{\"id\":\"" + id + "\",\"name\":\"Widget\",\"price\":1.5}");
                ++sent;
                if (created.status != 202) {
                    ++failures;
                    continue;
                }
                const qint64 accepted = clock.nsecsElapsed();
                const auto read = client.get("/api/products/" + id, {{"X-Min-Position", created.header("x-event-position")}});
                if (read.status != 200) {
                    ++failures;
                    continue;
                }
                mine.append(double(clock.nsecsElapsed() - accepted) / 1e6);
            }
            QMutexLocker lock(&mutex);
            lagsMs += mine;
        }));
        threads.last()->start();
    }
    for (QThread *t : threads) {
        t->wait();
        delete t;
    }
    const double elapsed = clock.nsecsElapsed() / 1e9;
    std::sort(lagsMs.begin(), lagsMs.end());
    auto pct = [&](double p) { return lagsMs.isEmpty() ? 0.0 : lagsMs.at(qMin(lagsMs.size() - 1, qsizetype(p * lagsMs.size()))); };
    std::printf("| consistency lag (202 -> visible through GET) | value |\n|---|---:|\n");
    std::printf("| commands sent / achieved rate | %d / %.0f per s (target rate %d) |\n", sent.load(), sent.load() / elapsed, rate);
    std::printf("| p50 | %.2f ms |\n| p99 | %.2f ms (target < 10 ms) |\n| max | %.2f ms |\n", pct(0.5), pct(0.99),
                lagsMs.isEmpty() ? 0.0 : lagsMs.last());
    std::printf("| failures | %d |\n", failures.load());
    return failures.load() ? 1 : 0;
}
