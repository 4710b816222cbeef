// Searching the whole log through GET /events, on a log of 1,000,000 events (SQLite, one
// engine in this process, its real gateway on 127.0.0.1): how long the first page of each kind
// of search takes, against the page the Events view loads first (the newest 500, unfiltered),
// measured in the same run; and how long a search for a rare text takes over the whole log.
// Medians of RUNS runs.
//
//   ninja -C build bench_eventsearch && build/tests/bench/bench_eventsearch [EVENTS] [RUNS]
#include "assembly/engine.h"
#include "server/listeners.h"
#include "store/eventstore.h"
#include "testhttpclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace Gatehouse;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int total = argc > 1 ? std::atoi(argv[1]) : 1000000;
    const int runs = argc > 2 ? std::atoi(argv[2]) : 7;
    QTemporaryDir dir;
    Engine engine;
    EngineOptions options;
    options.dataDir = dir.path();
    options.durability = EventStore::Durability::Normal;
    Server::Listeners listeners;
    QString error;
    if (!engine.start(options) || !listeners.start(&engine, {}, {}, Http::HttpLimits{}, &error)) {
        std::fprintf(stderr, "cannot start the engine: %s\n", qPrintable(error));
        return 2;
    }
    // The log: products created and updated in 1,000 streams; every 10,000th event has a
    // needle in its data; one subject in a thousand is "rare-...".
    QElapsedTimer fill;
    fill.start();
    qint64 midTime = 0;
    for (int start = 0; start < total; start += 1000) {
        AppendRequest r;
        r.stream = (start / 1000) % 1000 == 7 ? QStringLiteral("products-rare-%1").arg(start) : QStringLiteral("products-p%1").arg(start / 1000);
        r.expected = ExpectedVersion::any();
        for (int i = start; i < qMin(total, start + 1000); ++i) {
            const QByteArray data = (i + 1) % 10000 == 0 ? QByteArrayLiteral(R"({"note":"a needle","price":3})")
                                                         : QByteArrayLiteral(R"({"name":"Widget","price":3,"sku":"ABC-123"})");
            r.events.append(NewEvent{{}, i == start ? QStringLiteral("products.created") : QStringLiteral("products.updated"), data, "{}"});
        }
        const AppendResult result = engine.eventStore()->appendAndWait(std::move(r));
        if (!result.ok()) {
            std::fprintf(stderr, "append failed\n");
            return 2;
        }
        if (start == total / 2)
            midTime = engine.eventStore()->readAll(result.firstPosition, 1).first().timeMs;
    }
    std::fprintf(stderr, "log of %d events written in %.1f s\n", total, double(fill.elapsed()) / 1000.0);
    TestHttpClient client(QStringLiteral("127.0.0.1"), listeners.gatewayEndpoint().port, 60000);
    const QByteArray head = QByteArray::number(engine.eventStore()->headPosition() + 1);

    struct Case
    {
        const char *what;
        QByteArray path;
        std::vector<double> ms;
        qsizetype found = 0;
    };
    std::vector<Case> cases{
        {"baseline: the newest 500, unfiltered (the view's first page)", "/events?limit=500&before=" + head, {}},
        {"text in every event (q=widget), newest first", "/events?q=widget&limit=500&before=" + head, {}},
        {"rare text (q=needle, 1 in 10,000), newest first", "/events?q=needle&limit=500&before=" + head, {}},
        {"subject glob (subject=rare-*), newest first", "/events?subject=rare-*&limit=500&before=" + head, {}},
        {"type glob (type=products.created), newest first", "/events?type=products.created&limit=500&before=" + head, {}},
        {"from a time in the middle (since=, bisection)", "/events?limit=500&since=" + QByteArray::number(midTime), {}},
    };
    std::vector<double> wholeMs;
    int wholeRequests = 0;
    qsizetype wholeFound = 0;
    for (int run = 0; run < runs; ++run) {
        for (Case &c : cases) {
            QElapsedTimer t;
            t.start();
            const TestHttpResponse r = client.get(c.path);
            c.ms.push_back(double(t.nsecsElapsed()) / 1e6);
            if (r.status != 200) {
                std::fprintf(stderr, "%s: HTTP %d %s\n", c.what, r.status, r.body.constData());
                return 2;
            }
            c.found = QJsonDocument::fromJson(r.body).array().size();
        }
        // The whole log for the rare text, request after request, as the console pages through it.
        QElapsedTimer t;
        t.start();
        QByteArray next = head;
        wholeRequests = 0;
        wholeFound = 0;
        for (;;) {
            const TestHttpResponse r = client.get("/events?q=needle&limit=500&before=" + next);
            ++wholeRequests;
            if (r.status != 200)
                return 2;
            wholeFound += QJsonDocument::fromJson(r.body).array().size();
            next = r.header("x-next-before");
            if (r.header("x-scan-complete") == "true")
                break;
        }
        wholeMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const double base = median(cases.front().ms);
    std::printf("| request (log of %d events, medians of %d runs) | first page | events in it | vs baseline |\n|---|---:|---:|---:|\n",
                total, runs);
    for (const Case &c : cases)
        std::printf("| %s | %.1f ms | %lld | %.2fx |\n", c.what, median(c.ms), static_cast<long long>(c.found), median(c.ms) / base);
    std::printf("| the whole log for the rare text: %d requests | %.0f ms | %lld found | |\n", wholeRequests, median(wholeMs),
                static_cast<long long>(wholeFound));
    listeners.close();
    engine.stop();
    return 0;
}
